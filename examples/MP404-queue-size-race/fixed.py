"""A sentinel marks the end of the data, so the reader never guesses from empty()."""

import queue
import sys
from multiprocessing import Process, Queue

DONE = None


def produce(count, results):
    for n in range(count):
        results.put(n * n)
    results.put(DONE)


if __name__ == "__main__":
    results = Queue()
    worker = Process(target=produce, args=(5, results))
    worker.start()
    squares = []
    try:
        while (item := results.get(timeout=10)) is not DONE:
            squares.append(item)
    except queue.Empty:
        sys.exit("the producer stopped without sending the end marker")
    worker.join()
    print(f"collected {len(squares)} of 5 items: {squares}")
