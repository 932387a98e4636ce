"""A pool is closed after the first batch and then given the second one."""

from multiprocessing import Pool


def word_length(word):
    return len(word)


if __name__ == "__main__":
    morning = ["apple", "kiwi", "banana"]
    evening = ["fig", "cherry"]
    pool = Pool(2)
    print("morning lengths:", pool.map(word_length, morning))
    pool.close()
    print("evening lengths:", pool.map(word_length, evening))
    pool.join()
