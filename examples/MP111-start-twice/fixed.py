"""Making a new Process object for each run."""

import multiprocessing


def backup(folder):
    print(f"backed up {folder}")


if __name__ == "__main__":
    for run in range(2):
        worker = multiprocessing.Process(target=backup, args=("photos",))
        worker.start()
        worker.join()
        print(f"run {run + 1} exit code: {worker.exitcode}")
