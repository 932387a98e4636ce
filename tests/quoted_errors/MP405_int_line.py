"""A child that fails inside `with lock:`: the lock is still released."""

from multiprocessing import Lock, Process


def record(lock, line):
    with lock:
        print(line + "\n")


if __name__ == "__main__":
    lock = Lock()
    worker = Process(target=record, args=(lock, 2))
    worker.start()
    worker.join()
