"""Every task is handed to the pool at once; the results are collected afterwards."""

import time
from multiprocessing import Pool


def slow_square(x):
    started = time.monotonic()
    time.sleep(0.5)
    return x * x, started, time.monotonic()


def most_at_once(spans):
    """The largest number of tasks that were running at the same moment."""
    return max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)


if __name__ == "__main__":
    with Pool(2) as pool:
        # map() submits all eight tasks before it waits for the first result.
        results = pool.map(slow_square, range(8))
    print("squares:", [square for square, _, _ in results])
    print("tasks running at once:", most_at_once([(s, e) for _, s, e in results]))
