"""Passing the Value to each child as an argument makes them all update the same one."""

from multiprocessing import Process, Value


def visit(visits):
    with visits.get_lock():
        visits.value += 1


if __name__ == "__main__":
    visits = Value("i", 0)
    workers = [Process(target=visit, args=(visits,)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(f"visits counted: {visits.value} of 4")
