"""The Empty exception lives in the queue module: except queue.Empty ends the loop cleanly."""

import multiprocessing
import queue


def produce(count, results):
    for n in range(count):
        results.put(n * n)


if __name__ == "__main__":
    results = multiprocessing.Queue()
    worker = multiprocessing.Process(target=produce, args=(4, results))
    worker.start()
    squares = []
    while True:
        try:
            squares.append(results.get(timeout=1))
        except queue.Empty:
            break
    worker.join(timeout=5)
    print("squares:", squares)
