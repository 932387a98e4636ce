"""The join loop is written before the start loop: the first join() raises."""

import multiprocessing


def work(n):
    print(f"worker {n} done", flush=True)


if __name__ == "__main__":
    workers = [multiprocessing.Process(target=work, args=(n,)) for n in range(3)]
    for worker in workers:
        worker.join()
    for worker in workers:
        worker.start()
    print("all workers finished")
