"""target=f(x) where f returns an int: the child calls the int."""

from multiprocessing import Process


def count(items):
    return len(items)


if __name__ == "__main__":
    worker = Process(target=count([1, 2]))
    worker.start()
    worker.join()
