"""multiprocessing.Queue is a function, so except multiprocessing.Queue.Empty itself crashes."""

import multiprocessing


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
        except multiprocessing.Queue.Empty:
            break
    worker.join()
    print("squares:", squares)
