"""close() while the child runs raises; start() after close() raises too."""

import time
from multiprocessing import Process

if __name__ == "__main__":
    busy = Process(target=time.sleep, args=(1,))
    busy.start()
    try:
        busy.close()
    except ValueError as error:
        print(f"ValueError: {error}")
    busy.join()
    closed = Process(target=time.sleep, args=(0,))
    closed.close()
    closed.start()
