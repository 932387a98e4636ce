"""args=None: Process() turns args into a tuple and None is not iterable."""

from multiprocessing import Process


def report(*values):
    print(values)


if __name__ == "__main__":
    Process(target=report, args=None).start()
