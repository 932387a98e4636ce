"""The page's Process subclass, whose __init__ does not call super().__init__()."""

from multiprocessing import Process


class Worker(Process):
    def __init__(self, job):
        self.job = job

    def run(self):
        print(self.job)


if __name__ == "__main__":
    Worker("resize").start()
