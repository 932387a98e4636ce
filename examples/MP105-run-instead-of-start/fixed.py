"""Calling start() so that each job runs in a child process of its own."""

import multiprocessing


def crunch(job):
    name = multiprocessing.current_process().name
    print(f"job {job} ran in {name}")


if __name__ == "__main__":
    workers = [multiprocessing.Process(target=crunch, args=(job,)) for job in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print("all jobs finished")
