"""close() before start(): the start() raises."""
# start-method: spawn
# timeout: 30

import multiprocessing


def work():
    print("working")


if __name__ == "__main__":
    child = multiprocessing.Process(target=work)
    child.close()
    child.start()
