#!/usr/bin/env python3
"""A DNS "server" that never answers: binds UDP and TCP on 127.0.0.1:PORT,
reads and drops everything.  Usage: blackhole.py PORT PIDFILE"""
import os
import select
import socket
import sys

port, pidfile = int(sys.argv[1]), sys.argv[2]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", port))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", port))
t.listen(16)
with open(pidfile, "w") as f:
    f.write(str(os.getpid()))
conns = []
while True:
    r, _, _ = select.select([u, t] + conns, [], [], 60)
    for s in r:
        if s is u:
            u.recvfrom(4096)
        elif s is t:
            c, _ = t.accept()
            conns.append(c)
        elif not s.recv(4096):
            conns.remove(s)
            s.close()
