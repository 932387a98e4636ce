"""The target is defined under the main guard: the spawned child cannot find it and dies."""

import multiprocessing

if __name__ == "__main__":

    def greet(name):
        print(f"hello from the child, {name}")

    child = multiprocessing.Process(target=greet, args=("Ada",))
    child.start()
    child.join()
    print("child exit code:", child.exitcode)
