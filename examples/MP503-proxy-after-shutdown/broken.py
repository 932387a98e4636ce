"""Using a Manager list after its with block has ended fails: the server is gone."""

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
    print("squares:", sorted(results))
