"""Setting the handler up once per worker, in the pool initializer, logs each line once."""

import logging
from multiprocessing import Pool


def set_up_logging():
    logging.getLogger("worker").addHandler(logging.StreamHandler())


def process(item):
    log = logging.getLogger("worker")
    log.warning("processed item %d", item)
    return len(log.handlers)


if __name__ == "__main__":
    with Pool(1, initializer=set_up_logging) as pool:
        copies = pool.map(process, [1, 2, 3], chunksize=1)
    print(f"copies of each log line: {copies}")
