"""wait_for() checks the flag first, so a notify sent earlier is not missed."""

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
    with cond:
        ready.value = 1
        cond.notify()
    child.join()
    print("consumer finished")
