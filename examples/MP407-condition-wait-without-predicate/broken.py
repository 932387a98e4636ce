"""cond.wait() without checking a predicate misses a notify sent before it: the child hangs."""

from multiprocessing import Condition, Process, Value


def consumer(ready, cond):
    with cond:
        cond.wait()
        print("consumer saw ready =", ready.value)


if __name__ == "__main__":
    ready = Value("i", 0)
    cond = Condition()
    child = Process(target=consumer, args=(ready, cond))
    child.start()
    with cond:
        ready.value = 1
        cond.notify()
    child.join()
    print("consumer finished")
