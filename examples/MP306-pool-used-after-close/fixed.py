"""Every batch is handed to the pool before it is closed and joined."""

from multiprocessing import Pool


def word_length(word):
    return len(word)


if __name__ == "__main__":
    morning = ["apple", "kiwi", "banana"]
    evening = ["fig", "cherry"]
    pool = Pool(2)
    print("morning lengths:", pool.map(word_length, morning))
    print("evening lengths:", pool.map(word_length, evening))
    pool.close()
    pool.join()
