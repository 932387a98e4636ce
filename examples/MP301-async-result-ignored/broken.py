"""An exception raised in an apply_async task vanishes because the result is dropped."""

from multiprocessing import Pool


def average(values):
    return sum(values) / len(values)


if __name__ == "__main__":
    batches = [[4, 8], [1, 2, 3], [], [10]]
    pool = Pool(2)
    for batch in batches:
        pool.apply_async(average, (batch,))
    pool.close()
    pool.join()
    print("all batches submitted, no error reported")
