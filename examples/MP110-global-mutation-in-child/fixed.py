"""Children sending their results back through a queue for the parent to add up."""

import multiprocessing
import queue
import sys


def add(amount, results):
    results.put(amount)


if __name__ == "__main__":
    results = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=add, args=(n, results)) for n in range(1, 5)]
    for worker in workers:
        worker.start()
    try:
        total = sum(results.get(timeout=10) for _ in workers)
    except queue.Empty:
        sys.exit("a child died before sending its amount")
    for worker in workers:
        worker.join()
    print(f"total = {total} (expected 10)")
