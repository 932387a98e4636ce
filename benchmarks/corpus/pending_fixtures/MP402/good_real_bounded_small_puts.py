"""The child puts the even numbers of a fixed range(10): five small ints,
bounded by the code itself, so joining before draining cannot deadlock."""

import multiprocessing
import queue


def evens(outbox):
    for number in range(10):
        if number % 2 == 0:
            outbox.put(number)


if __name__ == "__main__":
    outbox = multiprocessing.Queue()
    child = multiprocessing.Process(target=evens, args=(outbox,))
    child.start()
    child.join()
    while True:
        try:
            print(outbox.get(timeout=1))
        except queue.Empty:
            break
