"""An os.fork() child that does not exit: it goes on to run the parent's code."""

import os

if __name__ == "__main__":
    pid = os.fork()
    if pid == 0:
        print("child: compressing the log files", flush=True)
    else:
        os.waitpid(pid, 0)
    # Meant for the parent only, but the child gets here too.
    print(f"parent: child {pid} is done, sending the report")
