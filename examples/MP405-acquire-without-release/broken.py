"""A lock acquired without try/finally stays held when the child raises: the next one hangs."""

from multiprocessing import Lock, Process


def record(lock, text):
    lock.acquire()
    value = int(text)
    print(f"recorded {value}", flush=True)
    lock.release()


if __name__ == "__main__":
    lock = Lock()
    for text in ["3", "ten", "7"]:
        worker = Process(target=record, args=(lock, text))
        worker.start()
        worker.join()
        print(f"{text!r}: exit code {worker.exitcode}", flush=True)
    print("all 3 workers finished")
