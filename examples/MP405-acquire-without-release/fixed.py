"""with lock: releases the lock even when the child raises, so the others carry on."""

from multiprocessing import Lock, Process


def record(lock, text):
    with lock:
        value = int(text)
        print(f"recorded {value}", flush=True)


if __name__ == "__main__":
    lock = Lock()
    for text in ["3", "ten", "7"]:
        worker = Process(target=record, args=(lock, text))
        worker.start()
        worker.join()
        print(f"{text!r}: exit code {worker.exitcode}", flush=True)
    print("all 3 workers finished")
