"""Leaving a daemon process unjoined: the main flow ends before its work is done."""

import multiprocessing
import time


def save_records(count, saved):
    for _ in range(count):
        time.sleep(0.05)  # writing one record
        with saved.get_lock():
            saved.value += 1


if __name__ == "__main__":
    saved = multiprocessing.Value("i", 0)
    saver = multiprocessing.Process(target=save_records, args=(5, saved), daemon=True)
    saver.start()
    # No join: the program reports and exits, which kills the daemon.
    print(f"{saved.value} of 5 records saved")
