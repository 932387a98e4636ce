"""close() tells the pool no more work is coming, so join() can wait for the workers."""

from multiprocessing import Pool


def square(n):
    return n * n


if __name__ == "__main__":
    with Pool(2) as pool:
        squares = pool.map(square, range(8))
        pool.close()
        pool.join()
    print(f"all {len(squares)} results collected: {squares}")
