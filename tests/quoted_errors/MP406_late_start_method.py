"""A module-level Value fixes the default context: a later set_start_method() raises."""

import multiprocessing

visits = multiprocessing.Value("i", 0)

if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
