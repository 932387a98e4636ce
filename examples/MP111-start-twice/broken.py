"""Reusing one Process object for a second run by calling start() again."""

import multiprocessing


def backup(folder):
    print(f"backed up {folder}")


if __name__ == "__main__":
    worker = multiprocessing.Process(target=backup, args=("photos",))
    worker.start()
    worker.join(timeout=5)
    worker.start()  # a Process object can run only once
    worker.join(timeout=5)
