"""A multiprocessing Condition is built on a threading lock and handed to a child."""

import threading
from multiprocessing import Condition, Process, Value


def wait_for_go(cond, go):
    with cond:
        while not go.value:
            cond.wait()
    print("child: got the signal")


if __name__ == "__main__":
    go = Value("b", False, lock=False)
    cond = Condition(threading.Lock())
    child = Process(target=wait_for_go, args=(cond, go))
    child.start()
    with cond:
        go.value = True
        cond.notify_all()
    child.join()
    print("parent: child exit code", child.exitcode)
