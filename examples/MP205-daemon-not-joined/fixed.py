"""Joining the daemon process before the main flow reports and ends."""

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
    saver.join(timeout=5)
    print(f"{saved.value} of 5 records saved")
