#!/usr/bin/env python3
"""dnsfault.py PORT PIDFILE [--good]: a deliberately broken DNS server for
kvpe's fault tests (UDP and TCP on 127.0.0.1:PORT).  The first label of the
query name picks the misbehaviour:

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
  kv-big-first, kv-big-last, kv-big-both, kv-big-ok
              <name> CNAME <label>.privatelink.vaultcore.azure.net, then
              1,100 A records 10.50.x.y (4,000 for kv-big-max, the most a
              64 KB TCP answer holds); the public 52.1.2.3 is the first
              record, the last, both, or absent.  Truncated over UDP (TC),
              whole over TCP.
  kv-big6-first, kv-big6-last, kv-big6-ok
              the same chain, one A 10.0.0.5, and 1,100 AAAA records
              fd00::x with the public 2001:db8::52 first, last, or absent
  kv-aaaa-servfail, kv-aaaa-refused, kv-aaaa-timeout, kv-aaaa-notauth
              a right answer to A (chain through the privatelink name, A
              10.0.0.5); the AAAA query gets SERVFAIL, REFUSED, NOTAUTH
              (9), or no answer at all
  kv-slow     the right answer (chain, A 10.0.0.5, AAAA NODATA), each
              sent 3 s after the query came
  kv-rcode-N  reply code N (1-15) to every query, no records
  kv-plchainN the chain <name> -> <label>.privatelink.vaultcore.azure.net
              -> c0 -> ... -> c(N-1), then A 10.30.0.1
anything else: NXDOMAIN.  AAAA queries get NOERROR without data.

With --good, every name gets the right answer of kv-ok's kind: <name>
CNAME <label>.privatelink.vaultcore.azure.net, A 10.0.0.5 (AAAA: NODATA) --
the healthy second server of a failover.
"""
import os
import socket
import struct
import sys
import threading

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dnswire import bind_pair, name_bytes, parse_query, rr, serve_tcp, serve_udp  # noqa: E402

GOOD = "--good" in sys.argv[3:]
SLOW_S = 3.0
PUBLIC4 = socket.inet_aton("52.1.2.3")
PUBLIC6 = socket.inet_pton(socket.AF_INET6, "2001:db8::52")


PL_ZONE = [b"privatelink", b"vaultcore", b"azure", b"net"]


def big_answer(first, qtype, head_len, question, labels):
    """<name> CNAME <label>.privatelink..., then many A (or AAAA) records
    owned by the target through a compression pointer (2 bytes), so that
    4,000 of them fit one 64 KB message."""
    target = [labels[0]] + PL_ZONE
    cname = struct.pack(">HHHIH", 0xC00C, 5, 1, 30, len(name_bytes(target))) + name_bytes(target)
    ptr = 0xC000 | (head_len + len(question) + 12)  # the CNAME's rdata
    v6 = first.startswith("kv-big6-")
    count = 4000 if first == "kv-big-max" else 1100
    if v6 != (qtype == 28):
        if v6:  # the A side of an AAAA case: one right address
            return [cname, struct.pack(">HHHIH", ptr, 1, 1, 30, 4) + socket.inet_aton("10.0.0.5")]
        return [cname]  # AAAA of an A case: NODATA
    if v6:
        addrs = [socket.inet_pton(socket.AF_INET6, "fd00::%x" % (i + 1)) for i in range(count)]
    else:
        addrs = [socket.inet_aton("10.50.%d.%d" % (i // 250, 1 + i % 250)) for i in range(count)]
    pub = PUBLIC6 if v6 else PUBLIC4
    where = first.rsplit("-", 1)[1]
    if where in ("first", "both"):
        addrs[0] = pub
    if where in ("last", "both"):
        addrs[-1] = pub
    rtype = 28 if v6 else 1
    return [cname] + [struct.pack(">HHHIH", ptr, rtype, 1, 30, len(a)) + a for a in addrs]


def right_answer(labels, qtype):
    """<name> CNAME <label>.privatelink.vaultcore.azure.net, A 10.0.0.5."""
    target = [labels[0]] + PL_ZONE
    an = [rr(labels, 5, name_bytes(target))]
    if qtype == 1:
        an.append(rr(target, 1, socket.inet_aton("10.0.0.5")))
    return an


def answer(q, tcp):
    """The reply to a query, or None for no reply at all."""
    qid, labels, qtype, question = parse_query(q)
    first = labels[0].decode("latin-1").lower() if labels else ""
    zone = labels[1:]
    flags, rcode, an = 0x8180, 0, []
    if GOOD or first == "kv-slow":
        an = right_answer(labels, qtype)
    elif first.startswith("kv-big"):
        an = big_answer(first, qtype, 12, question, labels)
        if not tcp and an:
            flags |= 0x0200  # TC: too big for 512 bytes
            an = []
    elif first.startswith("kv-aaaa-"):
        mode = first[8:]
        if qtype != 28:
            an = right_answer(labels, qtype)
        elif mode == "timeout":
            return None
        else:
            rcode = {"servfail": 2, "refused": 5, "notauth": 9}.get(mode, 2)
    elif first.startswith("kv-rcode-") and first[9:].isdigit() and 1 <= int(first[9:]) <= 15:
        rcode = int(first[9:])
    elif first.startswith("kv-plchain") and first[10:].isdigit() and int(first[10:]) <= 30:
        prev = [labels[0]] + PL_ZONE
        an = [rr(labels, 5, name_bytes(prev))]
        for i in range(int(first[10:])):
            nxt = [b"c%d" % i] + zone
            an.append(rr(prev, 5, name_bytes(nxt)))
            prev = nxt
        if qtype == 1:
            an.append(rr(prev, 1, socket.inet_aton("10.30.0.1")))
    elif qtype == 28:  # AAAA: nothing, for every other name
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


def delay_of(q):
    try:
        labels = parse_query(q)[1]
        return SLOW_S if labels and labels[0].lower() == b"kv-slow" else 0
    except Exception:
        return 0


def main():
    port, pidfile = int(sys.argv[1]), sys.argv[2]
    u, t = bind_pair("127.0.0.1", port)
    reply = lambda q, tcp, local: answer(q, tcp)   # noqa: E731
    threading.Thread(target=serve_udp, args=(u, reply, delay_of), daemon=True).start()
    with open(pidfile + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(pidfile + ".tmp", pidfile)
    serve_tcp(t, reply, delay_of)


if __name__ == "__main__":
    main()
