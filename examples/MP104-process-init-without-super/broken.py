"""A Process subclass whose __init__ forgets to call Process.__init__."""

import multiprocessing


class Downloader(multiprocessing.Process):
    def __init__(self, url):
        # Missing super().__init__(): the Process part is never set up.
        self.url = url

    def run(self):
        print(f"downloading {self.url}")


if __name__ == "__main__":
    worker = Downloader("http://127.0.0.1/data.csv")
    worker.start()
    worker.join(timeout=5)
    print(f"downloader exit code: {worker.exitcode}")
