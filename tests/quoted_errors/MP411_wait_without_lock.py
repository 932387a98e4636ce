"""cond.wait() outside `with cond:` fails before it waits."""

from multiprocessing import Condition

if __name__ == "__main__":
    Condition().wait(timeout=1)
