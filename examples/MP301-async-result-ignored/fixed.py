"""Keeping each AsyncResult and calling get() brings the task's exception home."""

from multiprocessing import Pool


def average(values):
    return sum(values) / len(values)


if __name__ == "__main__":
    batches = [[4, 8], [1, 2, 3], [], [10]]
    with Pool(2) as pool:
        results = [pool.apply_async(average, (batch,)) for batch in batches]
        for batch, result in zip(batches, results, strict=True):
            try:
                print(f"average of {batch}: {result.get(timeout=10)}")
            except ZeroDivisionError as error:
                print(f"batch {batch} failed: ZeroDivisionError: {error}")
