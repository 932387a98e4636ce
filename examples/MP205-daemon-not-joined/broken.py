"""Leaving a daemon process unjoined: the program ends and the daemon is killed mid-work."""

import time
from multiprocessing import Process


def save_records(count):
    for n in range(count):
        time.sleep(0.1)  # writing one record
        print(f"saved record {n}", flush=True)


if __name__ == "__main__":
    saver = Process(target=save_records, args=(5,), daemon=True)
    saver.start()
    print("main flow done")
    # No join: when the main flow ends, multiprocessing terminates the daemon.
