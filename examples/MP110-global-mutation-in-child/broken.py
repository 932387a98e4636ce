"""Children adding to a global: each changes its own copy, the parent sees 0."""

import multiprocessing

total = 0


def add(amount):
    global total
    total += amount


if __name__ == "__main__":
    workers = [multiprocessing.Process(target=add, args=(n,)) for n in range(1, 5)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=5)
    print(f"total = {total} (expected 10)")
