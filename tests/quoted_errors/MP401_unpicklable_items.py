"""A child puts a lambda, an open file and a threading lock on a queue: each is lost."""

import os
import threading
import time
from multiprocessing import Process, Queue


def produce(results):
    # The queue's feeder thread pickles each item a moment later and prints
    # the error; a child that ended at once would lose the items without a word.
    results.put(lambda n: n * n)
    time.sleep(0.3)
    with open(os.devnull) as handle:
        results.put(handle)
        time.sleep(0.3)
    results.put(threading.Lock())
    time.sleep(0.3)


if __name__ == "__main__":
    results = Queue()
    worker = Process(target=produce, args=(results,))
    worker.start()
    worker.join()
