"""Waiting for the async result inside the with block lets every task finish."""

import time
from multiprocessing import Pool


def slow_square(n):
    time.sleep(0.5)
    return n * n


if __name__ == "__main__":
    with Pool(2) as pool:
        result = pool.map_async(slow_square, range(8))
        squares = result.get(timeout=8)
    print(f"collected {len(squares)} of 8 results")
