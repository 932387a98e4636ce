"""Two children wait on an Event; the parent works for seconds, sets it and
ends without joining.

The children unpickled the Event right after they started, long before the
parent ends, so no FileNotFoundError; exit joins them.  (This one rests on
timing: the parent's work takes seconds while a spawn takes a fraction of one.
It is here so the rule's owners can decide whether such a parent is treated as
still alive when the children need the Event.)"""

import multiprocessing
import time


def wait_for_go(go):
    go.wait()
    print("going")


if __name__ == "__main__":
    go = multiprocessing.Event()
    for _ in range(2):
        multiprocessing.Process(target=wait_for_go, args=(go,)).start()
    time.sleep(3)
    go.set()
    print("signal sent")
