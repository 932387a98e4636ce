# start-method: spawn
# timeout: 30
"""A function defined in a notebook cell, sent to a spawned child.

A Jupyter kernel runs cells in a ``__main__`` that has no file. ``python -c`` runs its
code in such a ``__main__`` too, so the cells below fail the way they fail in a kernel:
the child cannot import the parent's ``__main__`` and never finds ``square``. Both the
Process child and a Pool are shown; the Pool's workers die and are replaced for ever,
so its run is stopped after a few seconds.
"""

import subprocess
import sys

PROCESS_CELLS = """
import multiprocessing as mp

def square(x):
    return x * x

p = mp.get_context("spawn").Process(target=square, args=(3,))
p.start()
p.join()
print("exit code", p.exitcode)
"""

POOL_CELLS = """
import multiprocessing as mp

def square(x):
    return x * x

with mp.get_context("spawn").Pool(2) as pool:
    print(pool.map(square, range(4)))
"""

if __name__ == "__main__":
    process = subprocess.run(
        [sys.executable, "-c", PROCESS_CELLS], capture_output=True, text=True, timeout=20
    )
    print(process.stdout, end="")
    print(process.stderr, end="", file=sys.stderr)
    try:
        subprocess.run(
            [sys.executable, "-c", POOL_CELLS], capture_output=True, text=True, timeout=5
        )
    except subprocess.TimeoutExpired as hung:
        stderr = hung.stderr.decode() if isinstance(hung.stderr, bytes) else hung.stderr or ""
        print("the pool hung; its workers printed:", file=sys.stderr)
        print(stderr.strip().splitlines()[-1], file=sys.stderr)
