"""Each task gets the setting as an argument, so every start method sees the same value."""

import functools
import multiprocessing


def scale(x, factor):
    return x * factor


if __name__ == "__main__":
    settings = {"factor": 10}
    task = functools.partial(scale, factor=settings["factor"])
    with multiprocessing.Pool(2) as pool:
        print("scaled:", pool.map(task, [1, 2, 3]))
