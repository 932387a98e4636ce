"""Children sending their results back through a queue for the parent to add up."""

import multiprocessing
import queue


def add(amount, results):
    results.put(amount)


if __name__ == "__main__":
    results = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=add, args=(n, results)) for n in range(1, 5)]
    for worker in workers:
        worker.start()
    try:
        total = sum(results.get(timeout=5) for _ in workers)
    except queue.Empty:
        total = None  # a child died before sending its amount
    for worker in workers:
        worker.join(timeout=5)
    print(f"total = {total} (expected 10)")
