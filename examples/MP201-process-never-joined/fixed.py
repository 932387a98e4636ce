"""Joining the workers: the lock outlives every worker and each one prints its line."""

import multiprocessing


def log_progress(lock, worker_id):
    with lock:
        print(f"worker {worker_id}: hello world")


if __name__ == "__main__":
    lock = multiprocessing.Lock()
    workers = []
    for worker_id in range(4):
        worker = multiprocessing.Process(target=log_progress, args=(lock, worker_id))
        worker.start()
        workers.append(worker)
    for worker in workers:
        worker.join()
    codes = [worker.exitcode for worker in workers]
    print(f"parent: 4 workers finished, exit codes {codes}")
