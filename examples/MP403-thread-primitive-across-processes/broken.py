"""A queue.Queue is a thread queue: a spawned child cannot even receive it."""

import queue
from multiprocessing import Process


def square(n, results):
    results.put(n * n)


if __name__ == "__main__":
    results = queue.Queue()
    workers = [Process(target=square, args=(n, results)) for n in range(4)]
    for worker in workers:
        worker.start()
    squares = sorted(results.get() for _ in workers)
    for worker in workers:
        worker.join()
    print("squares:", squares)
