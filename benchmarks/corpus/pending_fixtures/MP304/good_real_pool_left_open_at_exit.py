"""A one-shot script maps over a pool and ends; the pool is never closed.

Its finalizer terminates the workers when main() returns or at exit, so no
process outlives the script; only a ResourceWarning (hidden by default)."""

from multiprocessing import Pool


def word_length(word):
    return len(word)


def main():
    pool = Pool(3)
    print(pool.map(word_length, ["alpha", "beta", "gamma"]))


if __name__ == "__main__":
    main()
