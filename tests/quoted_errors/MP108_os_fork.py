"""os.fork() called from __main__ while another thread runs: 3.12+ warns."""
# start-method: fork

import os
import threading
import time

if __name__ == "__main__":
    threading.Thread(target=time.sleep, args=(0.5,)).start()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
