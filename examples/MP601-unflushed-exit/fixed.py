"""Printing with flush=True gets each line out before os._exit() ends the worker."""

import os
from multiprocessing import Process


def work(n):
    print(f"worker {n}: processed {n * 10} records", flush=True)
    os._exit(0)  # leave at once, skipping the usual clean-up


if __name__ == "__main__":
    workers = [Process(target=work, args=(n,)) for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print("all workers finished")
