#!/usr/bin/env python3
"""sdnotify.py: stands in for systemd's notification socket (sd_notify(3)).

  sdnotify.py SOCKET_PATH LOG PIDFILE

Binds an AF_UNIX datagram socket at SOCKET_PATH (the NOTIFY_SOCKET a test
gives kvpe) and appends one line per datagram to LOG:
  <CLOCK_MONOTONIC seconds> <assignments, newline-separated ones joined by '|'>
e.g. "1234.567890 STATUS=last cycle failed: ...|WATCHDOG=1".  The pid file is
written once the socket is bound.  SIGTERM exits."""
import os
import signal
import socket
import sys
import time

path, log, pidfile = sys.argv[1], sys.argv[2], sys.argv[3]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
if os.path.exists(path):
    os.unlink(path)
s.bind(path)
with open(pidfile + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(pidfile + ".tmp", pidfile)
with open(log, "a", buffering=1) as out:
    while True:
        data = s.recv(4096)
        msg = data.decode("utf-8", "replace").strip("\n").replace("\n", "|")
        out.write("%.6f %s\n" % (time.monotonic(), msg))
