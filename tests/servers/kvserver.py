#!/usr/bin/env python3
"""kvserver.py: Key Vault stand-ins on loopback addresses for kvpe's probe tests.

  kvserver.py --pidfile P --log LOG.jsonl LISTENER...
  LISTENER = ADDR:PORT:MODE[:CERT:KEY]     (TLS when CERT and KEY are given)

Modes, from what Key Vault really sends:
  vault      GET /healthstatus -> 200 with x-ms-keyvault-network-info naming the
             client address the server saw; other paths -> 401 with
             WWW-Authenticate: Bearer authorization="https://login.windows.net/<tenant>", resource=...
  vault-old  the older header form (no conn_type)
  bearer     401 with the Bearer challenge only (no network-info header)
  public     network-info naming a public address: the request "came from the internet"
  forbidden  403 with Key Vault's ForbiddenByConnection body (and the network-info header)
  portal     200 text/html from something that is not Key Vault (captive portal, proxy)
  silent     accepts TCP and never says anything (no TLS handshake)
  blackhole  a listener whose accept queue is full: new SYNs are dropped, connects time out
Each request is logged as one JSON line (path, whether Authorization was sent).
Only loopback addresses are accepted -- or, when this process runs inside a
network namespace other than init's (a lab the test created, tests/lib/netns.sh),
the addresses of that namespace.
"""
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
LOCK = threading.Lock()


def log(path, entry):
    with LOCK, open(path, "a") as f:
        f.write(json.dumps(entry) + "\n")


def reply(conn, status, reason, headers, body):
    head = "HTTP/1.1 %d %s\r\n" % (status, reason)
    headers = dict(headers)
    headers["Content-Length"] = str(len(body))
    headers["Connection"] = "close"
    head += "".join("%s: %s\r\n" % kv for kv in headers.items()) + "\r\n"
    conn.sendall(head.encode() + body)


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    lines = data.split(b"\r\n")
    parts = lines[0].decode("latin-1").split(" ") if lines and lines[0] else ["", ""]
    hdrs = {}
    for ln in lines[1:]:
        if b":" in ln:
            k, v = ln.decode("latin-1").split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
    return parts[0], parts[1] if len(parts) > 1 else "", hdrs


def serve_one(conn, peer, mode, logpath, listen):
    try:
        conn.settimeout(10)
        method, path, hdrs = read_request(conn)
        log(logpath, {"listen": listen, "mode": mode, "method": method, "path": path, "peer": peer[0],
                      "authorization": "authorization" in hdrs, "cookie": "cookie" in hdrs,
                      "host": hdrs.get("host"), "user_agent": hdrs.get("user-agent")})
        info = "conn_type=Ipv4;addr=%s;act_addr_fam=InterNetwork;" % peer[0]
        common = {"x-ms-keyvault-region": "westeurope", "x-ms-keyvault-service-version": "1.9.1234.5",
                  "Content-Type": "application/json; charset=utf-8"}
        challenge = 'Bearer authorization="https://login.windows.net/%s", resource="https://vault.azure.net"' % TENANT
        if mode in ("vault", "vault-old", "public"):
            if mode == "vault-old":
                info = "addr=%s;act_addr_fam=InterNetwork;" % peer[0]
            if mode == "public":
                info = "conn_type=Ipv4;addr=203.0.113.77;act_addr_fam=InterNetwork;"
            h = dict(common, **{"x-ms-keyvault-network-info": info})
            if path.startswith("/healthstatus"):
                reply(conn, 200, "OK", h, b'{"status": "up"}')
            else:
                h["WWW-Authenticate"] = challenge
                reply(conn, 401, "Unauthorized", h,
                      b'{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}}')
        elif mode == "bearer":
            reply(conn, 401, "Unauthorized", dict(common, **{"WWW-Authenticate": challenge}), b"")
        elif mode == "forbidden":
            body = {"error": {"code": "Forbidden", "message": "Public network access is disabled and request is not "
                              "from a trusted service nor via an approved private link.\r\nCaller: appid=...;"
                              "\r\nVault: kv;location=westeurope",
                              "innererror": {"code": "ForbiddenByConnection"}}}
            reply(conn, 403, "Forbidden", dict(common, **{"x-ms-keyvault-network-info": info}),
                  json.dumps(body).encode())
        elif mode == "portal":
            reply(conn, 200, "OK", {"Content-Type": "text/html", "Server": "captive-portal/1.0"},
                  b"<html><body>Welcome! Please accept the terms to continue.</body></html>")
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def run_listener(addr, port, mode, cert, key, logpath):
    listen = "%s:%d" % (addr, port)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    if mode == "blackhole":
        # Fill the accept queue and never accept: the kernel drops new SYNs.
        s.listen(0)
        fillers = []
        for _ in range(2):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            try:
                c.connect((addr, port))
            except BlockingIOError:
                pass
            fillers.append(c)
        time.sleep(0.2)
        return fillers + [s]
    s.listen(64)
    ctx = None
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)

    def loop():
        held = []
        while True:
            conn, peer = s.accept()
            if mode == "silent":
                held.append(conn)  # keep it open, say nothing
                continue

            def handle(conn=conn, peer=peer):
                if ctx is not None:
                    try:
                        conn.settimeout(10)
                        conn = ctx.wrap_socket(conn, server_side=True)
                    except (OSError, ssl.SSLError):
                        conn.close()
                        return
                serve_one(conn, peer, mode, logpath, listen)
            threading.Thread(target=handle, daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return [s]


def in_own_netns():
    """True inside a named network namespace (`ip netns add`, which the tests'
    labs use): this process's namespace is one of /run/netns/*."""
    try:
        me = os.stat("/proc/self/ns/net").st_ino
        return any(os.stat(os.path.join("/run/netns", n)).st_ino == me for n in os.listdir("/run/netns"))
    except OSError:
        return False


def main(argv):
    args = argv[1:]
    pidfile = args[args.index("--pidfile") + 1]
    logpath = args[args.index("--log") + 1]
    specs = [a for i, a in enumerate(args) if not a.startswith("--") and args[i - 1] not in ("--pidfile", "--log")]
    keep = []
    for spec in specs:
        parts = spec.split(":")
        addr, port, mode = parts[0], int(parts[1]), parts[2]
        if not addr.startswith("127.") and not in_own_netns():
            sys.exit("kvserver: only loopback addresses (outside a test's network namespace), not %s" % addr)
        cert = parts[3] if len(parts) > 4 else None
        key = parts[4] if len(parts) > 4 else None
        keep += run_listener(addr, port, mode, cert, key, logpath)
    with open(pidfile + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(pidfile + ".tmp", pidfile)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv)
