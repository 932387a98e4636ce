"""A lock taken and given back around one Value update: nothing between
acquire() and release() can raise, so the lock cannot be left held."""

import multiprocessing


def add_many(total, guard):
    for _ in range(1000):
        guard.acquire()
        total.value += 1
        guard.release()


if __name__ == "__main__":
    total = multiprocessing.Value("i", 0)
    guard = multiprocessing.Lock()
    adders = [multiprocessing.Process(target=add_many, args=(total, guard)) for _ in range(2)]
    for adder in adders:
        adder.start()
    for adder in adders:
        adder.join()
    print(total.value)
