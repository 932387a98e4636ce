"""Setting the flag and notifying inside with cond: is what Condition requires."""

import time
from multiprocessing import Condition, Process, Value


def consumer(ready, cond):
    with cond:
        cond.wait_for(lambda: ready.value == 1)
        print("consumer saw ready =", ready.value)


if __name__ == "__main__":
    ready = Value("i", 0)
    cond = Condition()
    child = Process(target=consumer, args=(ready, cond))
    child.start()
    time.sleep(0.5)  # prepare the data the consumer needs
    with cond:
        ready.value = 1
        cond.notify()
    child.join()
    print("consumer finished")
