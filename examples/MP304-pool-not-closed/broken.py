"""Tasks handed to a pool that is never closed and joined are killed when the script ends."""

import time
from multiprocessing import Pool


def make_report(n):
    time.sleep(0.5)
    return f"report {n}"


def save(report):
    print(f"saved {report}", flush=True)


if __name__ == "__main__":
    pool = Pool(3)
    for n in range(6):
        pool.apply_async(make_report, (n,), callback=save)
    print("all 6 reports submitted", flush=True)
