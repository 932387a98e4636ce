"""Leaving a with Pool block terminates the pool, killing async work still pending."""

import time
from multiprocessing import Pool


def slow_square(n):
    time.sleep(0.5)
    return n * n


if __name__ == "__main__":
    with Pool(2) as pool:
        result = pool.map_async(slow_square, range(8))
    squares = result.get(timeout=3)
    print(f"collected {len(squares)} of 8 results")
