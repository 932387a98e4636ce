"""A multiprocessing.Queue given to a pool task as an argument."""
# also-for: MP401

from multiprocessing import Pool, Queue


def put_square(n, results):
    results.put(n * n)


if __name__ == "__main__":
    results = Queue()
    with Pool(2) as pool:
        pool.apply(put_square, (3, results))
