"""A name bound only under the main guard, used by a spawned child: NameError."""
# start-method: spawn
# timeout: 30

import multiprocessing


def work():
    print(options)


if __name__ == "__main__":
    options = {"verbose": True}
    child = multiprocessing.Process(target=work)
    child.start()
    child.join()
