"""Holding counter.get_lock() around each += makes every update count."""

from multiprocessing import Process, Value

WORKERS = 4
ROUNDS = 50_000


def add(counter, rounds):
    for _ in range(rounds):
        with counter.get_lock():
            counter.value += 1


if __name__ == "__main__":
    counter = Value("i", 0)
    workers = [Process(target=add, args=(counter, ROUNDS)) for _ in range(WORKERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    expected = WORKERS * ROUNDS
    print(f"total {counter.value}, expected {expected}")
    print("lost updates:", counter.value != expected)
