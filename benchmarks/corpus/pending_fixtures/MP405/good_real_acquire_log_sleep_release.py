"""A semaphore held across a log line and a short sleep: neither can raise,
so release() is always reached.  Shape of course examples on semaphores."""

import logging
import multiprocessing
import time


def use_slot(slots, number):
    slots.acquire()
    logging.info("worker %d has a slot", number)
    time.sleep(0.1)
    slots.release()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    slots = multiprocessing.Semaphore(2)
    users = [multiprocessing.Process(target=use_slot, args=(slots, n)) for n in range(4)]
    for user in users:
        user.start()
    for user in users:
        user.join()
