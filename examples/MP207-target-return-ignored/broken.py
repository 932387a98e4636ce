"""Returning a result from a Process target: nobody receives it."""

import multiprocessing


def square(n):
    return n * n


if __name__ == "__main__":
    worker = multiprocessing.Process(target=square, args=(12,))
    worker.start()
    result = worker.join(timeout=5)  # join() returns None, not square's result
    print(f"square of 12 = {result}, exit code {worker.exitcode}")
