"""With a timeout on get() the parent notices the crashed child and reports it."""

import queue
from multiprocessing import Process, Queue


def average(values, results):
    results.put(sum(values) / len(values))


if __name__ == "__main__":
    results = Queue()
    worker = Process(target=average, args=([], results))
    worker.start()
    try:
        print("average:", results.get(timeout=3))
    except queue.Empty:
        print("no result within 3 s")
    worker.join(timeout=3)
    if worker.exitcode != 0:
        print(f"the worker died with exit code {worker.exitcode}")
