"""counter.value += 1 from several processes without the lock loses updates."""

from multiprocessing import Barrier, Process, Value

WORKERS = 4
ROUNDS = 50_000


def add(counter, rounds, start):
    start.wait()  # all workers count at the same time, as in a long-running program
    for _ in range(rounds):
        counter.value += 1


if __name__ == "__main__":
    counter = Value("i", 0)
    start = Barrier(WORKERS)
    workers = [Process(target=add, args=(counter, ROUNDS, start)) for _ in range(WORKERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    expected = WORKERS * ROUNDS
    print(f"total {counter.value}, expected {expected}")
    print("lost updates:", counter.value != expected)
