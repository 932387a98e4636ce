"""Starting a process at module level: under spawn the child re-runs this code."""

import multiprocessing


def square(n):
    print(f"{n} squared is {n * n}")


# No main guard: a spawned child imports this file again and reaches these
# lines before it has finished starting up.
worker = multiprocessing.Process(target=square, args=(7,))
worker.start()
worker.join(timeout=5)
print(f"worker exit code: {worker.exitcode}")
