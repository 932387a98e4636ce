"""Calling pool.join() before close() raises ValueError: Pool is still running."""

from multiprocessing import Pool


def square(n):
    return n * n


if __name__ == "__main__":
    with Pool(2) as pool:
        squares = pool.map(square, range(8))
        pool.join()
    print(f"all {len(squares)} results collected: {squares}")
