"""A lock created inside the child's function guards nothing: every process has its own."""

import multiprocessing
import queue
import time
from itertools import pairwise


def use_printer(name, events):
    with multiprocessing.Lock():
        events.put((time.monotonic(), f"{name} in"))
        time.sleep(0.5)  # the printer is busy
        events.put((time.monotonic(), f"{name} out"))


if __name__ == "__main__":
    events = multiprocessing.Queue()
    names = ["a", "b", "c"]
    workers = [multiprocessing.Process(target=use_printer, args=(name, events)) for name in names]
    for worker in workers:
        worker.start()
    try:
        # The queue may deliver in another order than things happened: sort by time.
        log = [text for _, text in sorted(events.get(timeout=5) for _ in range(2 * len(names)))]
    except queue.Empty:
        log = []
    for worker in workers:
        worker.join()
    print("order:", log)
    overlap = any(a.endswith("in") and b.endswith("in") for a, b in pairwise(log))
    print("printer used by two processes at once:", overlap)
