"""The parent reaps every child it forks with os.waitpid(), so none is left as a zombie."""

import os


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
    children = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        children.append(pid)
    for pid in children:
        _, status = os.waitpid(pid, 0)
        print(f"child {pid} exited with code {os.waitstatus_to_exitcode(status)}")
    print("zombie children:", zombie_children())
