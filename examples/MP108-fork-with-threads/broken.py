"""Forking while a thread holds a lock: the child inherits a lock nobody will release."""

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


def show(cache):
    print(f"child read {cache.get('greeting')!r}")


if __name__ == "__main__":
    cache = Cache()
    threading.Thread(target=cache.refresh).start()
    time.sleep(0.2)  # the refresh thread now holds the lock
    worker = multiprocessing.Process(target=show, args=(cache,))
    worker.start()  # forked copy: locked lock, no thread to unlock it
    worker.join()
    print("child finished")
