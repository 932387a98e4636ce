"""Start every worker first, then join them, then release their resources with close()."""

import multiprocessing


def work(n):
    print(f"worker {n} done", flush=True)


if __name__ == "__main__":
    workers = [multiprocessing.Process(target=work, args=(n,)) for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for worker in workers:
        worker.close()
    print("all workers finished")
