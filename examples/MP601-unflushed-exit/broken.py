"""A child that prints and then leaves with os._exit() loses the text still in its buffer."""

import contextlib
import os
import tempfile
from multiprocessing import Process


def worker(n):
    print(f"worker {n}: processed {n * 10} records")
    os._exit(0)  # leave at once, skipping the usual clean-up


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        log_path = os.path.join(folder, "workers.log")
        # The children inherit sys.stdout, so their prints go to the log file.
        with open(log_path, "w") as log, contextlib.redirect_stdout(log):
            workers = [Process(target=worker, args=(n,)) for n in range(3)]
            for w in workers:
                w.start()
        for w in workers:
            w.join()
        with open(log_path) as log:
            lines = log.read().splitlines()
    print(f"lines in the log: {len(lines)} of 3")
