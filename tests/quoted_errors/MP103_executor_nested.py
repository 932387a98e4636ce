"""A nested function given to a ProcessPoolExecutor: the task cannot be pickled."""

from concurrent.futures import ProcessPoolExecutor


def main():
    def scale(x):
        return 10 * x

    with ProcessPoolExecutor(2) as executor:
        print(list(executor.map(scale, [1, 2])))


if __name__ == "__main__":
    main()
