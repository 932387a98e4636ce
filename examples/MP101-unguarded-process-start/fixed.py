"""Starting a process only under the main guard, so a spawned child can import this file."""

import multiprocessing


def square(n):
    print(f"{n} squared is {n * n}")


if __name__ == "__main__":
    worker = multiprocessing.Process(target=square, args=(7,))
    worker.start()
    worker.join()
    print(f"worker exit code: {worker.exitcode}")
