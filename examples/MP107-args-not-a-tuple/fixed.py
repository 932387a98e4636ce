"""Writing args=(5,): the trailing comma makes a one-element tuple."""

import multiprocessing


def countdown(start):
    print(f"countdown from {start}: " + " ".join(str(n) for n in range(start, 0, -1)))


if __name__ == "__main__":
    worker = multiprocessing.Process(target=countdown, args=(5,))
    worker.start()
    worker.join()
