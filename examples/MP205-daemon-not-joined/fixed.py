"""Joining the daemon process before the main flow ends lets it finish its work."""

import time
from multiprocessing import Process


def save_records(count):
    for n in range(count):
        time.sleep(0.1)  # writing one record
        print(f"saved record {n}", flush=True)


if __name__ == "__main__":
    saver = Process(target=save_records, args=(5,), daemon=True)
    saver.start()
    saver.join()
    print("main flow done")
