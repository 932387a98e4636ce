"""apply_async(f(x)) where f returns None: the worker calls None."""

from multiprocessing import Pool


def log(message):
    print(message)


if __name__ == "__main__":
    with Pool(1) as pool:
        pool.apply_async(log("hello")).get(timeout=10)
