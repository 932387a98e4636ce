"""A non-daemonic supervisor process, which may start processes of its own."""

import multiprocessing


def convert(page):
    print(f"converted page {page}")


def supervise(pages):
    helpers = [multiprocessing.Process(target=convert, args=(p,)) for p in pages]
    for helper in helpers:
        helper.start()
    for helper in helpers:
        helper.join()
    print("supervisor: all pages converted")


if __name__ == "__main__":
    boss = multiprocessing.Process(target=supervise, args=([1, 2, 3],))
    boss.start()
    boss.join()
    print(f"supervisor exit code: {boss.exitcode}")
