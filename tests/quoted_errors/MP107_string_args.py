"""args=("bob") is the string "bob": the child gets one argument per character."""

from multiprocessing import Process


def greet(name):
    print(f"hello {name}")


if __name__ == "__main__":
    worker = Process(target=greet, args=("bob"))
    worker.start()
    worker.join()
