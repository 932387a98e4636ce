"""A short script keeps a Manager's dict until it ends, without shutdown().

The manager's server process is shut down by its finalizer at exit; children
are joined before the dict is read, so nothing is lost or left running."""

import multiprocessing


def record(table, key):
    table[key] = key * 10


if __name__ == "__main__":
    table = multiprocessing.Manager().dict()
    children = [multiprocessing.Process(target=record, args=(table, key)) for key in range(3)]
    for child in children:
        child.start()
    for child in children:
        child.join()
    print(dict(table))
