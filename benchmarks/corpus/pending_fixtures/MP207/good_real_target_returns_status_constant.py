"""A target that ends with return 0 out of C habit, and one that returns
True only to leave its loop: nobody expects either value, results travel
through the queue."""

import multiprocessing


def count_down(outbox, start):
    while start > 0:
        outbox.put(start)
        start -= 1
    return 0


def echo(inbox):
    while True:
        item = inbox.get()
        if item == 0:
            return True
        print(item)


if __name__ == "__main__":
    pipe = multiprocessing.Queue()
    counter = multiprocessing.Process(target=count_down, args=(pipe, 3))
    printer = multiprocessing.Process(target=echo, args=(pipe,))
    counter.start()
    printer.start()
    counter.join()
    pipe.put(0)
    printer.join()
