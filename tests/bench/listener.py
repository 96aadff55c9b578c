#!/usr/bin/env python3
"""TCP listener for make bench's `--probe tcp` run: accepts on 0.0.0.0:PORT
and closes each connection at once.  Only ever started inside the bench's
own network namespace, where the only interface is loopback, so it answers
for every 127.x.y.z address of the synthetic tenant and nothing else.
Usage: listener.py PORT PIDFILE"""
import os
import socket
import sys

port, pidfile = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
s.listen(4096)
with open(pidfile + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(pidfile + ".tmp", pidfile)
while True:
    c, _ = s.accept()
    c.close()
