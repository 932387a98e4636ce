"""Asking a lock-holding process to stop and letting it leave its with-block itself."""

import multiprocessing
import time


def writer(lock, stop):
    while not stop.is_set():
        with lock:
            time.sleep(0.05)  # writing one line of the report


if __name__ == "__main__":
    lock = multiprocessing.Lock()
    stop = multiprocessing.Event()
    worker = multiprocessing.Process(target=writer, args=(lock, stop))
    worker.start()
    time.sleep(0.5)  # the writer is busy writing lines, taking the lock for each
    stop.set()  # the writer finishes its line, releases the lock and returns
    worker.join()
    with lock:
        print("parent got the lock")
