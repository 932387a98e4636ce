"""The child crashes before putting its result, and the parent's q.get() waits for ever."""

from multiprocessing import Process, Queue


def average(values, results):
    results.put(sum(values) / len(values))


if __name__ == "__main__":
    results = Queue()
    worker = Process(target=average, args=([], results))
    worker.start()
    mean = results.get()
    worker.join()
    print("average:", mean)
