"""One pool created before the loop serves every batch with the same two workers."""

import os
import time
from multiprocessing import Pool


def square(n):
    return n * n, os.getpid()


if __name__ == "__main__":
    started = time.perf_counter()
    worker_pids = set()
    total = 0
    with Pool(2) as pool:
        for batch in range(5):
            for value, pid in pool.map(square, range(batch * 4, batch * 4 + 4)):
                total += value
                worker_pids.add(pid)
    seconds = time.perf_counter() - started
    print(f"sum of squares {total} in {seconds:.2f} s")
    print(f"worker processes used for 5 batches: {len(worker_pids)}")
    print("workers started more than once:", len(worker_pids) > 2)
