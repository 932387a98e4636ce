"""Using the pool in a with block shuts its workers down once the work is done."""

import multiprocessing
from multiprocessing import Pool


def square(n):
    return n * n


if __name__ == "__main__":
    with Pool(3) as pool:
        squares = pool.map(square, range(8))
    print(f"all {len(squares)} results collected")
    leftover = multiprocessing.active_children()
    print(f"worker processes still running: {len(leftover)}")
