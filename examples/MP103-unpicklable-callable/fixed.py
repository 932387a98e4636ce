"""Handing a module-level function to a process pool: it is pickled by name."""

import multiprocessing


def square(n):
    return n * n


if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        squares = pool.map(square, range(5))
    print(f"squares: {squares}")
