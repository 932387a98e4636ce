"""A global that is None at import time and set by main(): a spawned child sees None."""
# start-method: spawn
# timeout: 30

import logging
import multiprocessing

LOGGER = None


def work():
    LOGGER.info("working")


def main():
    global LOGGER
    LOGGER = logging.getLogger("app")
    child = multiprocessing.Process(target=work)
    child.start()
    child.join()


if __name__ == "__main__":
    main()
