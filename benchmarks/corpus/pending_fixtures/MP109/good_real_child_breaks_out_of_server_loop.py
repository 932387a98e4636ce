"""A forking server: the child answers one client and breaks out of the
accept loop, which is the last statement of the script, so it simply ends.
SIGCHLD is ignored, so the kernel reaps the children."""

import os
import signal
import socket

signal.signal(signal.SIGCHLD, signal.SIG_IGN)
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(5)

while True:
    client, _ = listener.accept()
    pid = os.fork()
    if pid == 0:
        listener.close()
        client.sendall(client.recv(1024).upper())
        client.close()
        break
    client.close()
