"""Putting a list instead of a generator lets the queue pickle and deliver it."""

import queue
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
    received = 0
    for _ in limits:
        try:
            print("squares:", list(results.get(timeout=2)))
            received += 1
        except queue.Empty:
            break
    worker.join(timeout=5)
    print(f"received {received} of {len(limits)} batches, exit code {worker.exitcode}")
