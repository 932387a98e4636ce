"""The workers return their results and the pool sends them back to the parent."""

import multiprocessing


def square(n):
    return n * n


if __name__ == "__main__":
    with multiprocessing.Pool(3) as pool:
        results = pool.map(square, range(1, 4))
    print("results:", results)
