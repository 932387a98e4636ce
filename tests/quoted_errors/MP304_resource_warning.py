"""A pool dropped without close(): its finalizer warns (shown once warnings are on)."""

import warnings
from multiprocessing import Pool

warnings.simplefilter("default")


def square(n):
    return n * n


if __name__ == "__main__":
    pool = Pool(4)
    print(pool.map(square, range(4)))
    del pool
