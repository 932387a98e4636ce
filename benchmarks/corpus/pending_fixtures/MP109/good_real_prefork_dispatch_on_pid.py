"""Prefork: each child breaks out of the fork loop on purpose, and the code
after the loop decides by pid which role to play (the parent waits, the
children serve), so nothing meant for the parent runs in a child."""

import os
import socket


def serve(listener):
    while True:
        client, _ = listener.accept()
        client.sendall(b"pid %d\n" % os.getpid())
        client.close()


def main(workers):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    pid = -1
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            break
    if pid == 0:
        serve(listener)
    else:
        for _ in range(workers):
            os.wait()


if __name__ == "__main__":
    main(3)
