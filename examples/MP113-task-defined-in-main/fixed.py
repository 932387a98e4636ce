"""The target is defined at module level, where a spawned child's re-import finds it."""

import multiprocessing


def greet(name):
    print(f"hello from the child, {name}", flush=True)


if __name__ == "__main__":
    child = multiprocessing.Process(target=greet, args=("Ada",))
    child.start()
    child.join()
    print("child exit code:", child.exitcode)
