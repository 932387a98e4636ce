"""Choosing daemon=True when the process is created, before start()."""

import multiprocessing


def heartbeat(beats):
    for beat in range(beats):
        print(f"beat {beat}")


if __name__ == "__main__":
    worker = multiprocessing.Process(target=heartbeat, args=(3,), daemon=True)
    worker.start()
    worker.join()
    print(f"daemon heartbeat finished, exit code {worker.exitcode}")
