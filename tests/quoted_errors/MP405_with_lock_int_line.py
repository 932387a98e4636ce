"""The page's fixed record(): the child given the int 2 still raises TypeError,
but `with lock:` releases the lock, so the other children write and exit."""

import os
import tempfile
from multiprocessing import Lock, Process


def record(lock, path, line):
    with lock:
        with open(path, "a") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    lock = Lock()
    path = os.path.join(tempfile.mkdtemp(), "log.txt")
    jobs = [Process(target=record, args=(lock, path, x)) for x in ["first", 2, "third"]]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    print("exit codes:", [job.exitcode for job in jobs])
