"""Under python -O the assert in start() is gone: a second start() goes wrong later."""
# start-method: fork

import subprocess
import sys
from multiprocessing import Process


def work():
    print("working")


if __name__ == "__main__":
    if __debug__:  # run this file again with -O, as `python -O` would
        sys.exit(subprocess.run([sys.executable, "-O", __file__]).returncode)
    worker = Process(target=work)
    worker.start()
    worker.join()
    worker.start()
    worker.join()
