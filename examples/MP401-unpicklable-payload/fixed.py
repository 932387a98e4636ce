"""Putting a list instead of a generator lets the queue pickle and deliver it."""

import queue
import sys
import time
from multiprocessing import Process, Queue


def produce(limits, results):
    for limit in limits:
        time.sleep(0.2)  # stands for some real work per batch
        results.put([n * n for n in range(limit)])


if __name__ == "__main__":
    limits = [3, 4, 5]
    results = Queue()
    worker = Process(target=produce, args=(limits, results))
    worker.start()
    try:
        batches = [results.get(timeout=10) for _ in limits]
    except queue.Empty:
        sys.exit("a batch did not arrive: see the worker's error above")
    worker.join()
    for batch in batches:
        print("squares:", batch)
    print(f"received {len(batches)} of {len(limits)} batches, exit code {worker.exitcode}")
