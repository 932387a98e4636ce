"""Copying the Manager list into a plain list before the block ends keeps the data."""

from multiprocessing import Manager, Process


def record(results, n):
    results.append(n * n)


if __name__ == "__main__":
    with Manager() as manager:
        results = manager.list()
        workers = [Process(target=record, args=(results, n)) for n in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        squares = list(results)
    print("squares:", sorted(squares))
