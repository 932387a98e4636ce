"""Waiting for the result in short steps, checking each time that the worker is still alive."""

import queue
from multiprocessing import Process, Queue


def average(values, results):
    results.put(sum(values) / len(values))


def get_result(results, worker):
    """The worker's result, or RuntimeError once the worker has died without sending it."""
    while worker.is_alive():
        try:
            return results.get(timeout=1)
        except queue.Empty:
            continue  # nothing yet: is the worker still running?
    try:
        return results.get(timeout=1)  # anything it sent just before it ended
    except queue.Empty:
        raise RuntimeError(f"the worker died with exit code {worker.exitcode}") from None


if __name__ == "__main__":
    results = Queue()
    worker = Process(target=average, args=([], results))
    worker.start()
    try:
        print("average:", get_result(results, worker))
    except RuntimeError as error:
        print(error)
    worker.join(timeout=10)  # it has ended or is ending: this returns at once
