"""Asking a lock-holding process to stop and letting it leave its with-block itself."""

import multiprocessing
import time


def writer(lock, holding, stop):
    while not stop.is_set():
        with lock:
            holding.set()
            time.sleep(0.05)  # writing one line of the report


if __name__ == "__main__":
    lock = multiprocessing.Lock()
    holding = multiprocessing.Event()
    stop = multiprocessing.Event()
    worker = multiprocessing.Process(target=writer, args=(lock, holding, stop))
    worker.start()
    holding.wait(timeout=5)
    stop.set()  # the writer finishes its line, releases the lock and returns
    worker.join(timeout=5)
    with lock:
        print("parent got the lock")
