"""Joining a child before taking its large queue item deadlocks both processes."""

from multiprocessing import Process, Queue


def build_table(size, results):
    results.put([n * n for n in range(size)])


if __name__ == "__main__":
    results = Queue()
    worker = Process(target=build_table, args=(200_000, results))
    worker.start()
    worker.join()
    table = results.get()
    print(f"table has {len(table)} rows")
