"""Terminating a process that holds a shared lock: the lock is never released."""

import multiprocessing
import time


def writer(lock, holding):
    with lock:
        holding.set()
        time.sleep(10)  # writing a long report, the lock is held meanwhile
        print("report written")


if __name__ == "__main__":
    lock = multiprocessing.Lock()
    holding = multiprocessing.Event()
    worker = multiprocessing.Process(target=writer, args=(lock, holding))
    worker.start()
    holding.wait(timeout=5)
    worker.terminate()  # killed inside its with-block: no release happens
    worker.join(timeout=5)
    with lock:
        print("parent got the lock")
