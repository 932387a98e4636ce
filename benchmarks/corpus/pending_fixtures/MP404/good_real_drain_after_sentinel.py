"""The only consumer stops on the None sentinel and then empties what is
left: nobody else takes from the queue, so a stale empty() cannot make get()
block or drop an item."""

import multiprocessing


def consume(inbox):
    while True:
        item = inbox.get()
        if item is None:
            break
        print("got", item)
    while not inbox.empty():
        inbox.get()


if __name__ == "__main__":
    inbox = multiprocessing.Queue()
    consumer = multiprocessing.Process(target=consume, args=(inbox,))
    consumer.start()
    for item in range(5):
        inbox.put(item)
    inbox.put(None)
    consumer.join()
