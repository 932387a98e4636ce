"""Globals the parent sets only at run time: a spawned child sees None, or no name at all."""

from multiprocessing import Process

LOGGER = None


def make_logger():
    return print


def log_with_logger():
    LOGGER.write("started")


def show_options():
    print(options)  # noqa: F821 - defined only under the main guard


def main():
    global LOGGER
    LOGGER = make_logger()
    for target in (log_with_logger, show_options):
        worker = Process(target=target)
        worker.start()
        worker.join()


if __name__ == "__main__":
    options = {"verbose": True}
    main()
