"""Writing target=f(x): f runs in the parent at once and the child gets None."""

import multiprocessing


def resize(image):
    name = multiprocessing.current_process().name
    print(f"resized {image} in {name}")


if __name__ == "__main__":
    worker = multiprocessing.Process(target=resize("cat.png"))
    worker.start()
    worker.join(timeout=5)
    print("resize job done")
