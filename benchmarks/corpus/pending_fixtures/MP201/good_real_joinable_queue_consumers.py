"""Workers are never joined, but the parent waits in tasks.join() until every
task is marked done and then reads every result: the workers have long
unpickled their queues, they leave on the None pill, and exit joins them."""

import multiprocessing


def square_worker(tasks, results):
    while True:
        number = tasks.get()
        if number is None:
            tasks.task_done()
            break
        results.put(number * number)
        tasks.task_done()


if __name__ == "__main__":
    tasks = multiprocessing.JoinableQueue()
    results = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=square_worker, args=(tasks, results)) for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    for number in range(12):
        tasks.put(number)
    for _ in workers:
        tasks.put(None)
    tasks.join()
    squares = sorted(results.get() for _ in range(12))
    print(squares)
