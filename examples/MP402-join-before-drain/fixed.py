"""Taking the item off the queue first lets the child flush and exit, then join."""

import queue
import sys
from multiprocessing import Process, Queue


def build_table(size, results):
    results.put([n * n for n in range(size)])


if __name__ == "__main__":
    results = Queue()
    worker = Process(target=build_table, args=(200_000, results))
    worker.start()
    try:
        table = results.get(timeout=30)
    except queue.Empty:
        sys.exit("the worker sent no table")
    worker.join()
    print(f"table has {len(table)} rows")
