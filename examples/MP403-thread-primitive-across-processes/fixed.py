"""A multiprocessing.Queue is shared between processes and carries every result."""

import queue
import sys
from multiprocessing import Process, Queue


def square(n, results):
    results.put(n * n)


if __name__ == "__main__":
    results = Queue()
    workers = [Process(target=square, args=(n, results)) for n in range(4)]
    for worker in workers:
        worker.start()
    try:
        squares = sorted(results.get(timeout=10) for _ in workers)
    except queue.Empty:
        sys.exit("a worker died before sending its square")
    for worker in workers:
        worker.join()
    print("squares:", squares)
