"""A worker tries a multiprocessing lock without waiting, using threading's keyword."""

from multiprocessing import Lock, Process, Value


def try_to_count(lock, counter):
    if not lock.acquire(blocking=False):
        print("busy, skipping")
        return
    try:
        counter.value += 1
    finally:
        lock.release()


if __name__ == "__main__":
    lock = Lock()
    counter = Value("i", 0, lock=False)
    worker = Process(target=try_to_count, args=(lock, counter))
    worker.start()
    worker.join()
    print("counted:", counter.value)
