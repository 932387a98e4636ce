"""Starting the child with spawn and plain data: nothing locked is inherited."""

import multiprocessing
import threading
import time


class Cache:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries = {}

    def refresh(self):
        with self._lock:
            time.sleep(1)  # slow reload, the lock is held meanwhile
            self._entries["greeting"] = "hello"

    def get(self, key):
        with self._lock:
            return self._entries.get(key)


def show(greeting):
    print(f"child read {greeting!r}")


if __name__ == "__main__":
    cache = Cache()
    refresher = threading.Thread(target=cache.refresh)
    refresher.start()
    time.sleep(0.2)  # the refresh thread now holds the lock
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter
    worker = spawn.Process(target=show, args=(cache.get("greeting"),))
    worker.start()
    worker.join()
    refresher.join()
    print("child finished")
