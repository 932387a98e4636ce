"""The child puts a single short string; the parent joins before reading.
One small item is far below the pipe buffer, so join() cannot wait on it."""

import multiprocessing


def greet(outbox, name):
    outbox.put("hello " + name)


if __name__ == "__main__":
    outbox = multiprocessing.Queue()
    child = multiprocessing.Process(target=greet, args=(outbox, "ana"))
    child.start()
    child.join()
    print(outbox.get())
