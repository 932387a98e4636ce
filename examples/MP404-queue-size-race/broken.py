"""Deciding with q.empty() whether to keep reading loses items that are still on the way."""

from multiprocessing import Process, Queue


def produce(count, results):
    for n in range(count):
        results.put(n * n)


if __name__ == "__main__":
    results = Queue()
    worker = Process(target=produce, args=(5, results))
    worker.start()
    squares = []
    while not results.empty():
        squares.append(results.get())
    worker.join()
    print(f"collected {len(squares)} of 5 items: {squares}")
