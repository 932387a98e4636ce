"""Handing a lambda to a process pool: tasks are pickled and a lambda cannot be."""

import multiprocessing

if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        squares = pool.map(lambda n: n * n, range(5))
    print(f"squares: {squares}")
