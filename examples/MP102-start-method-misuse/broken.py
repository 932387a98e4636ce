"""Calling set_start_method() a second time to switch methods between two runs."""

import multiprocessing
import os


def report(label):
    print(f"{label}: child {os.getpid()} started")


if __name__ == "__main__":
    multiprocessing.set_start_method("spawn")
    first = multiprocessing.Process(target=report, args=("spawn",))
    first.start()
    first.join(timeout=5)

    # The start method can be chosen once per program; this raises.
    multiprocessing.set_start_method("fork")
    second = multiprocessing.Process(target=report, args=("fork",))
    second.start()
    second.join(timeout=5)
    print("compared both start methods")
