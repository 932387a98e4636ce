"""Getting a result back through a pool, which returns what the function returns."""

import multiprocessing


def square(n):
    return n * n


if __name__ == "__main__":
    with multiprocessing.Pool(1) as pool:
        result = pool.apply(square, (12,))
    print(f"square of 12 = {result}")
