"""Leaving a with Pool block terminates the pool, so get() waits for tasks that were killed."""

import time
from multiprocessing import Pool


def slow_square(n):
    time.sleep(0.5)
    return n * n


if __name__ == "__main__":
    with Pool(2) as pool:
        result = pool.map_async(slow_square, range(8))
    squares = result.get()  # the pool is gone: this waits for ever
    print(f"collected {len(squares)} of 8 results")
