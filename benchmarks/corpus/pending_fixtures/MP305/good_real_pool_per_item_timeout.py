"""One single-worker pool per item, on purpose: each item gets its own time
limit, and an item that runs over is abandoned with its pool (the next
iteration drops it and the collector terminates it).  Few items."""

import time
from multiprocessing import Pool


def slow_square(n):
    time.sleep(n / 10)
    return n * n


def main():
    for n in (1, 2, 30):
        pool = Pool(1)
        pending = pool.map_async(slow_square, [n])
        pending.wait(timeout=2)
        if pending.ready():
            print(n, pending.get(timeout=1))
        else:
            print(n, "timed out")


if __name__ == "__main__":
    main()
