"""Each task is waited for before the next one is submitted: the pool runs one at a time."""

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
        results = []
        for n in range(8):
            results.append(pool.apply_async(slow_square, (n,)).get())
    print("squares:", [square for square, _, _ in results])
    print("tasks running at once:", most_at_once([(s, e) for _, s, e in results]))
