"""dnswire.py: the DNS wire format and UDP/TCP serving loops shared by the
test DNS servers (dnsfault.py, azdns.py).  Python standard library only.

Names are lists of labels (bytes), as they travel on the wire.  The decoder
follows compression pointers (with a bound, so a pointer loop cannot hang
it); the encoder never compresses unless a caller builds pointers itself.
"""
import socket
import struct
import threading

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "TXT": 16, "AAAA": 28, "OPT": 41}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
RCODES = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4, "REFUSED": 5}


class WireError(ValueError):
    """A message that is not DNS (cut short, a bad pointer, a label too long)."""


# -- encoding -----------------------------------------------------------------
def name_bytes(labels):
    out = b""
    for lab in labels:
        out += bytes([len(lab)]) + lab
    return out + b"\0"


def labels_of(name):
    """"a.b.c." or "a.b.c" -> [b"a", b"b", b"c"]; "." or "" -> []."""
    name = name.rstrip(".")
    return [x.encode() for x in name.split(".")] if name else []


def text_of(labels):
    """Lower-case presentation form without the trailing dot (model keys)."""
    return ".".join(x.decode("latin-1") for x in labels).lower()


def rr(owner_labels, rtype, rdata, ttl=30):
    return name_bytes(owner_labels) + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def rdata_of(rtype, value):
    """The wire form of a record value given as text (A, AAAA, CNAME, NS, TXT)."""
    if rtype == 1:
        return socket.inet_aton(value)
    if rtype == 28:
        return socket.inet_pton(socket.AF_INET6, value)
    if rtype in (2, 5):
        return name_bytes(labels_of(value))
    if rtype == 16:
        raw = value.encode()
        return b"".join(bytes([len(raw[i:i + 255])]) + raw[i:i + 255] for i in range(0, max(len(raw), 1), 255))
    raise ValueError("no encoder for type %d" % rtype)


def soa_rdata(mname, rname, serial=1, refresh=3600, retry=300, expire=2419200, minimum=10):
    return name_bytes(labels_of(mname)) + name_bytes(labels_of(rname)) + struct.pack(
        ">IIIII", serial, refresh, retry, expire, minimum)


def header(qid, flags, qd, an, ns=0, ar=0):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)


# -- decoding -----------------------------------------------------------------
def parse_query(q):
    """(id, qname labels, qtype, the question section's bytes) of a query."""
    qid, flags, qd = struct.unpack(">HHH", q[:6])
    pos, labels = 12, []
    while q[pos] != 0:
        n = q[pos]
        labels.append(q[pos + 1:pos + 1 + n])
        pos += 1 + n
    qtype, qclass = struct.unpack(">HH", q[pos + 1:pos + 5])
    return qid, labels, qtype, q[12:pos + 5]


def read_name(msg, pos):
    """(labels, position after the name), following compression pointers."""
    labels, end, jumps = [], None, 0
    while True:
        if pos >= len(msg):
            raise WireError("name runs past the message")
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            if pos + 1 >= len(msg):
                raise WireError("cut compression pointer")
            if end is None:
                end = pos + 2
            jumps += 1
            if jumps > 64:
                raise WireError("compression pointer loop")
            pos = ((n & 0x3F) << 8) | msg[pos + 1]
            continue
        if n & 0xC0:
            raise WireError("bad label type")
        if n == 0:
            return labels, (end if end is not None else pos + 1)
        labels.append(msg[pos + 1:pos + 1 + n])
        if len(labels[-1]) != n:
            raise WireError("cut label")
        pos += 1 + n


def parse_message(msg):
    """A whole message: {"id", "flags", "rcode", "question": [(labels, type, class)],
    "answer"/"authority"/"additional": [(labels, type, class, ttl, rdata)]}, rdata
    with names decoded (CNAME/NS/PTR: labels) and addresses as text."""
    if len(msg) < 12:
        raise WireError("shorter than a header")
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    pos, out = 12, {"id": qid, "flags": flags, "rcode": flags & 0xF, "question": []}
    for _ in range(qd):
        labels, pos = read_name(msg, pos)
        if pos + 4 > len(msg):
            raise WireError("cut question")
        qtype, qclass = struct.unpack(">HH", msg[pos:pos + 4])
        out["question"].append((labels, qtype, qclass))
        pos += 4
    for section, count in (("answer", an), ("authority", ns), ("additional", ar)):
        recs = out[section] = []
        for _ in range(count):
            labels, pos = read_name(msg, pos)
            if pos + 10 > len(msg):
                raise WireError("cut record header")
            rtype, rclass, ttl, rdlen = struct.unpack(">HHIH", msg[pos:pos + 10])
            pos += 10
            if pos + rdlen > len(msg):
                raise WireError("cut record data")
            raw = msg[pos:pos + rdlen]
            if rtype in (2, 5, 12):
                data = read_name(msg, pos)[0]
            elif rtype == 1 and rdlen == 4:
                data = socket.inet_ntoa(raw)
            elif rtype == 28 and rdlen == 16:
                data = socket.inet_ntop(socket.AF_INET6, raw)
            else:
                data = raw
            recs.append((labels, rtype, rclass, ttl, data))
            pos += rdlen
    return out


def encode_record(rec):
    """parse_message's record tuple back to uncompressed wire form."""
    labels, rtype, rclass, ttl, data = rec
    if rtype in (2, 5, 12):
        raw = name_bytes(data)
    elif rtype == 1 and isinstance(data, str):
        raw = socket.inet_aton(data)
    elif rtype == 28 and isinstance(data, str):
        raw = socket.inet_pton(socket.AF_INET6, data)
    else:
        raw = data
    return name_bytes(labels) + struct.pack(">HHIH", rtype, rclass, ttl, len(raw)) + raw


def edns_size(q):
    """The UDP payload size a query advertises in an OPT record (512 without)."""
    try:
        m = parse_message(q)
    except (WireError, struct.error, IndexError):
        return 512
    for labels, rtype, rclass, _, _ in m["additional"]:
        if rtype == 41:
            return max(512, rclass)
    return 512


# -- serving ------------------------------------------------------------------
# answer(query, tcp, local) -> reply bytes or None (no reply); delay(query) ->
# seconds to wait before replying (0: now).  `local` is the (addr, port) the
# query came in on, for servers whose answer depends on it.
def _no_delay(q):
    return 0


def serve_udp(sock, answer, delay=_no_delay, threaded=False):
    """Answers every datagram on sock; with threaded, each in its own thread
    (for answers that wait on other servers)."""
    local = sock.getsockname()

    def one(q, peer):
        try:
            a = answer(q, False, local)
            if a is not None:
                sock.sendto(a, peer)
        except Exception:
            pass

    while True:
        try:
            q, peer = sock.recvfrom(65535)
        except OSError:
            return
        d = delay(q)
        if d:
            threading.Timer(d, one, args=(q, peer)).start()
        elif threaded:
            threading.Thread(target=one, args=(q, peer), daemon=True).start()
        else:
            one(q, peer)


def _send_tcp(conn, lock, a):
    try:
        with lock:
            conn.sendall(struct.pack(">H", len(a)) + a)
    except Exception:
        pass


def _serve_tcp_conn(conn, answer, delay, local):
    lock = threading.Lock()
    try:
        while True:
            hdr = b""
            while len(hdr) < 2:
                chunk = conn.recv(2 - len(hdr))
                if not chunk:
                    return
                hdr += chunk
            n = struct.unpack(">H", hdr)[0]
            q = b""
            while len(q) < n:
                chunk = conn.recv(n - len(q))
                if not chunk:
                    return
                q += chunk
            a = answer(q, True, local)
            if a is None:
                continue
            d = delay(q)
            if d:
                threading.Timer(d, _send_tcp, args=(conn, lock, a)).start()
            else:
                _send_tcp(conn, lock, a)
    except Exception:
        pass
    finally:
        conn.close()


def serve_tcp(sock, answer, delay=_no_delay):
    """Accepts on a listening TCP socket; one thread per connection, queries
    answered in order (2-byte length prefix, several per connection)."""
    local = sock.getsockname()
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        threading.Thread(target=_serve_tcp_conn, args=(conn, answer, delay, local), daemon=True).start()


def bind_pair(addr, port):
    """A UDP socket and a listening TCP socket on addr:port (port 0: one free
    for both)."""
    for _ in range(100):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((addr, port))
        p = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            t.bind((addr, p))
        except OSError:
            u.close()
            t.close()
            if port:
                raise
            continue
        t.listen(64)
        return u, t
    raise OSError("no port free for both UDP and TCP on %s" % addr)
