"""Children made with os.fork() that the parent never waits for stay behind as zombies."""

import os
import time


def zombie_children():
    """How many children of this process are zombies (Linux: read from /proc)."""
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            count += 1
    return count


if __name__ == "__main__":
    for n in range(3):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        print(f"started child {n} as {pid}", flush=True)
    for _ in range(100):  # give the three children time to end
        if zombie_children() == 3:
            break
        time.sleep(0.1)
    print("zombie children:", zombie_children())
