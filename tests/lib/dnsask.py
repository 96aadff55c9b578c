#!/usr/bin/env python3
"""dnsask.py: many DNS questions at once, for the lab tests (one process
instead of one dig per question).  Reads lines

    SERVER[:PORT] NAME [TYPE]            (TYPE: A, AAAA, CNAME, TXT; default A)

asks them all in parallel (UDP, TCP when truncated; one try, --timeout s) and
prints one tab-separated line per question, in input order:

    SERVER[:PORT] NAME TYPE RESULT

RESULT is the rcode when it is not NOERROR (NXDOMAIN, SERVFAIL, REFUSED, ...,
TIMEOUT), else the answer's records of TYPE comma-joined in numeric order
(empty: NODATA) -- what tests/lib/netns.sh's lab_answer prints for one.
"""
import os
import random
import socket
import struct
import sys
import threading

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "servers"))
from dnswire import RCODES, TYPES, WireError, header, labels_of, name_bytes, parse_message  # noqa: E402

RCODE_NAMES = {v: k for k, v in RCODES.items()}


def ask(server, port, name, qtype, timeout):
    qid = random.randrange(1, 65536)
    q = header(qid, 0x0100, 1, 0) + name_bytes(labels_of(name)) + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.connect((server, port))
        s.send(q)
        while True:
            a = s.recv(65535)
            if len(a) >= 12 and struct.unpack(">H", a[:2])[0] == qid:
                break
        if a[2] & 0x02:
            with socket.create_connection((server, port), timeout=timeout) as t:
                t.sendall(struct.pack(">H", len(q)) + q)
                buf = b""
                while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
                    chunk = t.recv(65535)
                    if not chunk:
                        raise OSError("closed")
                    buf += chunk
                a = buf[2:2 + struct.unpack(">H", buf[:2])[0]]
    except (OSError, socket.timeout):
        return "TIMEOUT"
    finally:
        s.close()
    try:
        m = parse_message(a)
    except (WireError, struct.error, IndexError):
        return "GARBAGE"
    if m["rcode"]:
        return RCODE_NAMES.get(m["rcode"], "RCODE%d" % m["rcode"])
    vals = []
    for _, rtype, _, _, data in m["answer"]:
        if rtype != qtype:
            continue
        if isinstance(data, list):
            data = ".".join(x.decode("latin-1") for x in data) + "."
        vals.append(data)
    if qtype == 1:
        vals.sort(key=lambda v: tuple(int(x) for x in v.split(".")))
    return ",".join(vals)


def main():
    timeout = 2.0
    if len(sys.argv) == 3 and sys.argv[1] == "--timeout":
        timeout = float(sys.argv[2])
    jobs = []
    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        server, port = (f[0].rsplit(":", 1) + ["53"])[:2] if ":" in f[0] else (f[0], "53")
        qtype = f[2].upper() if len(f) > 2 else "A"
        jobs.append([f[0], f[1], qtype, server, int(port), None])
    threads = []
    for j in jobs:
        def run(j=j):
            j[5] = ask(j[3], j[4], j[1], TYPES[j[2]], timeout)
        th = threading.Thread(target=run)
        th.start()
        threads.append(th)
    for th in threads:
        th.join()
    for j in jobs:
        print("\t".join([j[0], j[1], j[2], j[5]]))


if __name__ == "__main__":
    main()
