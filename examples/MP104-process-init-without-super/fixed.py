"""A Process subclass whose __init__ calls super().__init__() first."""

import multiprocessing


class Downloader(multiprocessing.Process):
    def __init__(self, url):
        super().__init__()
        self.url = url

    def run(self):
        print(f"downloading {self.url}")


if __name__ == "__main__":
    worker = Downloader("http://127.0.0.1/data.csv")
    worker.start()
    worker.join()
    print(f"downloader exit code: {worker.exitcode}")
