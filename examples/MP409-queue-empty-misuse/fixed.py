"""The Empty exception lives in the queue module; a sentinel, not a timeout, ends the data."""

import multiprocessing
import queue
import sys

DONE = None


def produce(count, results):
    for n in range(count):
        results.put(n * n)
    results.put(DONE)


if __name__ == "__main__":
    results = multiprocessing.Queue()
    worker = multiprocessing.Process(target=produce, args=(4, results))
    worker.start()
    squares = []
    try:
        while (square := results.get(timeout=10)) is not DONE:
            squares.append(square)
    except queue.Empty:
        sys.exit("the producer stopped without sending the end marker")
    worker.join()
    print("squares:", squares)
