"""A Value made at module level is re-created in every spawned child, so nothing is shared."""

from multiprocessing import Process, Value

visits = Value("i", 0)


def visit():
    with visits.get_lock():
        visits.value += 1


if __name__ == "__main__":
    workers = [Process(target=visit) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(f"visits counted: {visits.value} of 4")
