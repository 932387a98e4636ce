"""Using one context per start method instead of switching the global one."""

import multiprocessing
import os


def report(label):
    print(f"{label}: child {os.getpid()} started")


if __name__ == "__main__":
    for method in ("spawn", "fork"):
        context = multiprocessing.get_context(method)
        worker = context.Process(target=report, args=(method,))
        worker.start()
        worker.join()
    print("compared both start methods")
