"""A function defined inside main() given to a pool: it cannot be pickled by name."""

from multiprocessing import Pool


def main():
    def double(n):
        return 2 * n

    with Pool(2) as pool:
        print(pool.map(double, range(3)))


if __name__ == "__main__":
    main()
