"""Passing the function and its arguments separately: the child calls it."""

import multiprocessing


def resize(image):
    name = multiprocessing.current_process().name
    print(f"resized {image} in {name}")


if __name__ == "__main__":
    worker = multiprocessing.Process(target=resize, args=("cat.png",))
    worker.start()
    worker.join()
    print("resize job done")
