"""Adding a log handler inside a pool task stacks one more handler per task in the worker."""

import logging
from multiprocessing import Pool


def process(item):
    log = logging.getLogger("worker")
    log.addHandler(logging.StreamHandler())
    log.warning("processed item %d", item)
    return len(log.handlers)


if __name__ == "__main__":
    with Pool(1) as pool:
        copies = pool.map(process, [1, 2, 3], chunksize=1)
    print(f"copies of each log line: {copies}")
