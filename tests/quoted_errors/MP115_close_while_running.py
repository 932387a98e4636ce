"""close() right after start(), while the child still sleeps: ValueError."""
# start-method: spawn
# timeout: 30

import multiprocessing
import time

if __name__ == "__main__":
    child = multiprocessing.Process(target=time.sleep, args=(2,))
    child.start()
    try:
        child.close()
    finally:
        child.join()
