"""Joining every worker: the parent collects their exit status and no zombie stays."""

import multiprocessing
import time


def handle(request):
    print(f"handled request {request}")


if __name__ == "__main__":
    workers = []
    for request in range(3):
        worker = multiprocessing.Process(target=handle, args=(request,))
        worker.start()
        workers.append(worker)
    time.sleep(1)  # the server goes on with other work; the workers are done
    for worker in workers:
        worker.join(timeout=5)
    codes = [worker.exitcode for worker in workers]
    print(f"joined 3 workers, exit codes {codes}")
