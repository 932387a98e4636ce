"""Starting workers and never joining them: the finished ones linger as zombies."""

import multiprocessing
import time


def handle(request):
    print(f"handled request {request}")


def process_state(pid):
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


if __name__ == "__main__":
    pids = []
    for request in range(3):
        worker = multiprocessing.Process(target=handle, args=(request,))
        worker.start()
        pids.append(worker.pid)
    time.sleep(1)  # the server goes on with other work; the workers are done
    states = [process_state(pid) for pid in pids]
    print(f"{states.count('Z')} of 3 finished workers are zombies")
