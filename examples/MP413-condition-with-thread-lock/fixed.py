"""A multiprocessing Condition on a multiprocessing lock works across processes."""

from multiprocessing import Condition, Lock, Process, Value


def wait_for_go(cond, go):
    with cond:
        signalled = cond.wait_for(lambda: go.value, timeout=10)
    print("child: got the signal" if signalled else "child: no signal within 10 s")


if __name__ == "__main__":
    go = Value("b", False, lock=False)
    cond = Condition(Lock())
    child = Process(target=wait_for_go, args=(cond, go))
    child.start()
    with cond:
        go.value = True
        cond.notify_all()
    child.join()
    print("parent: child exit code", child.exitcode)
