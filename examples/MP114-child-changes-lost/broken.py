"""Children append their results to a list the parent gave them: the parent's list stays empty."""

import multiprocessing


def square(n, results):
    results.append(n * n)


if __name__ == "__main__":
    results = []
    workers = [multiprocessing.Process(target=square, args=(n, results)) for n in range(1, 4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print("results:", results)
