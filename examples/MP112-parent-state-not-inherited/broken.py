"""Workers read a setting the parent fills in at run time: under spawn they find it empty."""

import multiprocessing

SETTINGS = {}


def scale(x):
    return x * SETTINGS["factor"]


if __name__ == "__main__":
    SETTINGS["factor"] = 10
    with multiprocessing.Pool(2) as pool:
        print("scaled:", pool.map(scale, [1, 2, 3]))
