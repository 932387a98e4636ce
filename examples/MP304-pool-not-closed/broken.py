"""A pool that is never closed keeps its worker processes alive after the work is done."""

import multiprocessing
from multiprocessing import Pool


def square(n):
    return n * n


if __name__ == "__main__":
    pool = Pool(3)
    squares = pool.map(square, range(8))
    print(f"all {len(squares)} results collected")
    leftover = multiprocessing.active_children()
    print(f"worker processes still running: {len(leftover)}")
