"""multiprocessing.Condition built on a threading.Lock: notify() looks for a _semlock."""
# start-method: fork

import threading
from multiprocessing import Condition

if __name__ == "__main__":
    cond = Condition(threading.Lock())
    with cond:
        cond.notify()
