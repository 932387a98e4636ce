"""A manager bound to 127.0.0.1 with a random authkey turns away clients without the key."""

import os
from multiprocessing import AuthenticationError
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
    with JobManager(address=("127.0.0.1", 0), authkey=os.urandom(32)) as manager:
        jobs = manager.jobs()
        jobs.append("resize photos")
        # Another program on this machine can only guess the key:
        try:
            with Client(manager.address, authkey=b"jobs-2024") as intruder:
                intruder.send(Payload())
        except AuthenticationError as error:
            print("intruder turned away:", error)
        print("jobs:", jobs.copy())
