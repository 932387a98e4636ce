"""A task defined under the main guard of script.py: a spawned child cannot find it."""

import os
import subprocess
import sys
import tempfile

SCRIPT = """\
from multiprocessing import Process

if __name__ == "__main__":
    def greet():
        print("hello")

    worker = Process(target=greet)
    worker.start()
    worker.join()
"""

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "script.py")
        with open(path, "w") as script:
            script.write(SCRIPT)
        sys.exit(subprocess.run([sys.executable, path]).returncode)
