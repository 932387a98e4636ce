"""submit() on an executor that was shut down."""

from concurrent.futures import ProcessPoolExecutor

if __name__ == "__main__":
    executor = ProcessPoolExecutor(1)
    executor.shutdown()
    executor.submit(print, "too late")
