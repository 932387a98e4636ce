"""Making a process a daemon after it has started."""

import multiprocessing


def heartbeat(beats):
    for beat in range(beats):
        print(f"beat {beat}")


if __name__ == "__main__":
    worker = multiprocessing.Process(target=heartbeat, args=(3,))
    worker.start()
    worker.daemon = True  # too late: the flag is read when the process starts
    worker.join(timeout=5)
