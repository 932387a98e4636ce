"""An os.fork() child that ends with os._exit(), so only the parent goes on."""

import os

if __name__ == "__main__":
    pid = os.fork()
    if pid == 0:
        print("child: compressing the log files", flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
    print(f"parent: child {pid} is done, sending the report")
