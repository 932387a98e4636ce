"""Taking the item off the queue first lets the child flush and exit, then join."""

import queue
from multiprocessing import Process, Queue


def build_table(size, results):
    results.put([n * n for n in range(size)])


if __name__ == "__main__":
    results = Queue()
    worker = Process(target=build_table, args=(200_000, results))
    worker.start()
    try:
        table = results.get(timeout=10)
    except queue.Empty:
        table = []
    worker.join(timeout=5)
    print(f"table has {len(table)} rows")
