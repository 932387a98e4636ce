"""A parent that ends without join(): under spawn its workers die before using the lock."""

import multiprocessing


def log_progress(lock, worker_id):
    with lock:
        print(f"worker {worker_id}: hello world")


if __name__ == "__main__":
    lock = multiprocessing.Lock()
    for worker_id in range(4):
        worker = multiprocessing.Process(target=log_progress, args=(lock, worker_id))
        worker.start()
    print("parent: all workers started")
