#!/usr/bin/env python3
"""dnsfault.py PORT PIDFILE: a deliberately broken DNS server for kvpe's
fault tests (UDP and TCP on 127.0.0.1:PORT).  The first label of the query
name picks the misbehaviour:

  kv-loop     a CNAME loop (a -> b -> a), no address
  kv-chainN   an N-step CNAME chain (N < 30), then an A record (10.30.0.1):
              kv-chain15 fills kvpe's 16-name chain exactly, kv-chain16 is one
              name over, kv-chain30 far over
  kv-many     120 A records: truncated over UDP (TC), whole over TCP
  kv-odd      a CNAME whose target has odd bytes (NUL, dot, space, 0xff, é)
  kv-wrongid  answers with a different query ID (a resolver must ignore it)
  kv-trunc    a packet cut in the middle of the answer section (TC clear)
  kv-garbage  a reply that is not DNS at all
  kv-ok       a plain A answer 10.0.0.5 (control)
anything else: NXDOMAIN.  AAAA queries get NOERROR without data.
"""
import os
import socket
import struct
import sys
import threading


def name_bytes(labels):
    out = b""
    for lab in labels:
        out += bytes([len(lab)]) + lab
    return out + b"\0"


def parse_query(q):
    qid, flags, qd = struct.unpack(">HHH", q[:6])
    pos, labels = 12, []
    while q[pos] != 0:
        n = q[pos]
        labels.append(q[pos + 1:pos + 1 + n])
        pos += 1 + n
    qtype, qclass = struct.unpack(">HH", q[pos + 1:pos + 5])
    return qid, labels, qtype, q[12:pos + 5]


def rr(owner_labels, rtype, rdata, ttl=30):
    return name_bytes(owner_labels) + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def answer(q, tcp):
    qid, labels, qtype, question = parse_query(q)
    first = labels[0].decode("latin-1").lower() if labels else ""
    zone = labels[1:]
    flags, rcode, an = 0x8180, 0, []
    if qtype == 28:  # AAAA: nothing, for every name
        pass
    elif first == "kv-ok":
        an = [rr(labels, 1, socket.inet_aton("10.0.0.5"))]
    elif first in ("loop-a", "loop-b"):
        # asked directly (a resolver following the chain): keep the loop going
        other = [b"loop-b" if first == "loop-a" else b"loop-a"] + zone
        an = [rr(labels, 5, name_bytes(other))]
    elif first.startswith("c") and first[1:].isdigit() and int(first[1:]) < 29:
        an = [rr(labels, 5, name_bytes([b"c%d" % (int(first[1:]) + 1)] + zone))]
    elif first == "kv-loop":
        a = [b"loop-a"] + zone
        b = [b"loop-b"] + zone
        an = [rr(labels, 5, name_bytes(a)), rr(a, 5, name_bytes(b)), rr(b, 5, name_bytes(a))]
    elif first.startswith("kv-chain") and first[8:].isdigit() and int(first[8:]) <= 30:
        prev = labels
        for i in range(int(first[8:])):
            nxt = [b"c%d" % i] + zone
            an.append(rr(prev, 5, name_bytes(nxt)))
            prev = nxt
        an.append(rr(prev, 1, socket.inet_aton("10.30.0.1")))
    elif first == "kv-many":
        an = [rr(labels, 1, socket.inet_aton("10.1.%d.%d" % (i // 250, 1 + i % 250))) for i in range(120)]
        if not tcp:
            flags |= 0x0200  # TC: too big for 512 bytes
            an = []
    elif first == "kv-odd":
        odd = [b"we\x00ird", b"a.b", b"sp ace", b"\xff\xc3\xa9"] + zone
        an = [rr(labels, 5, name_bytes(odd)), rr(odd, 1, socket.inet_aton("10.0.0.6"))]
    elif first == "kv-wrongid":
        an = [rr(labels, 1, socket.inet_aton("10.0.0.7"))]
        qid ^= 0x5a5a
    elif first == "kv-garbage":
        return b"\x00\x01this is not dns"
    else:
        rcode = 3
    head = struct.pack(">HHHHHH", qid, flags | rcode, 1, len(an), 0, 0)
    pkt = head + question + b"".join(an)
    if first == "kv-trunc":
        body = rr(labels, 5, name_bytes([b"target"] + zone)) + rr([b"target"] + zone, 1, socket.inet_aton("10.0.0.8"))
        pkt = struct.pack(">HHHHHH", qid, flags, 1, 2, 0, 0) + question + body
        pkt = pkt[:len(head) + len(question) + len(body) // 2]
    return pkt


def serve_udp(sock):
    while True:
        q, peer = sock.recvfrom(4096)
        try:
            sock.sendto(answer(q, False), peer)
        except Exception:
            pass


def serve_tcp_conn(conn):
    try:
        while True:
            hdr = conn.recv(2)
            if len(hdr) < 2:
                return
            n = struct.unpack(">H", hdr)[0]
            q = b""
            while len(q) < n:
                chunk = conn.recv(n - len(q))
                if not chunk:
                    return
                q += chunk
            a = answer(q, True)
            conn.sendall(struct.pack(">H", len(a)) + a)
    except Exception:
        pass
    finally:
        conn.close()


def main():
    port, pidfile = int(sys.argv[1]), sys.argv[2]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", port))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("127.0.0.1", port))
    t.listen(16)
    threading.Thread(target=serve_udp, args=(u,), daemon=True).start()
    with open(pidfile + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(pidfile + ".tmp", pidfile)
    while True:
        conn, _ = t.accept()
        threading.Thread(target=serve_tcp_conn, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
