"""threading.Condition enforces the same rule as multiprocessing.Condition, in other words."""

import threading

if __name__ == "__main__":
    threading.Condition().notify()
