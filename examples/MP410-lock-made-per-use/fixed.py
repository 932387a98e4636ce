"""One lock made in the parent and passed to every child really keeps them apart."""

import multiprocessing
import queue
import sys
import time
from itertools import pairwise


def use_printer(name, lock, events):
    with lock:
        events.put((time.monotonic(), f"{name} in"))
        time.sleep(0.5)  # the printer is busy
        events.put((time.monotonic(), f"{name} out"))


if __name__ == "__main__":
    events = multiprocessing.Queue()
    lock = multiprocessing.Lock()
    names = ["a", "b", "c"]
    workers = [
        multiprocessing.Process(target=use_printer, args=(name, lock, events)) for name in names
    ]
    for worker in workers:
        worker.start()
    try:
        # The queue may deliver in another order than things happened: sort by time.
        log = [text for _, text in sorted(events.get(timeout=10) for _ in range(2 * len(names)))]
    except queue.Empty:
        sys.exit("a child died before reporting")
    for worker in workers:
        worker.join()
    print("order:", log)
    overlap = any(a.endswith("in") and b.endswith("in") for a, b in pairwise(log))
    print("printer used by two processes at once:", overlap)
