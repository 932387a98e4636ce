"""apply_async with a callback; the AsyncResult is dropped.  The task only
multiplies the int it is given, so there is no exception to lose, and every
result arrives through the callback before close()/join() return."""

from multiprocessing import Pool

collected = []


def times_ten(number):
    return number * 10


def keep(value):
    collected.append(value)


if __name__ == "__main__":
    pool = Pool(2)
    for number in range(6):
        pool.apply_async(times_ten, args=(number,), callback=keep)
    pool.close()
    pool.join()
    print(sorted(collected))
