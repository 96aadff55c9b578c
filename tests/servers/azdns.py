#!/usr/bin/env python3
"""azdns.py: a programmable stand-in for Azure's own DNS resolver, for kvpe's
DNS-path lab.  It SIMULATES Azure semantics; it is not Azure.

It plays the roles no real DNS server can play in a lab: Azure-provided DNS
(168.63.129.16) as seen from one VNet, and the inbound endpoints of a DNS
Private Resolver (which resolve in the resolver's VNet).  Real servers play
every other role (unbound as a DNS VM, see tests/lab/mkpath.py).

  azdns.py --model MODEL.json --pidfile P [--state STATE.json] [--log Q.jsonl]

Each listening address (UDP and TCP) is bound to a VNet: a query is answered
the way Azure DNS of that VNet answers it, or, for a listener with
"view": "public", the way the internet's DNS does.  One process serves every
listener.  SIGHUP re-reads the model (zones, links, rules, which VNet each
existing listener serves, "agent_vnet"), then rewrites the state file with a
higher "generation"; SIGTERM exits.

The rules simulated (kvpe's contract, /work/shared/spec.md, section "DNS path:
which resolver answers, and why it is wrong", and the Microsoft docs quoted in
/work/research/azure-dns-semantics.md: "What is Azure DNS Private Resolver?"
(query order), "Azure DNS Private Resolver endpoints and rulesets" (rules),
"Fallback to Internet for Azure Private DNS zones" (NxDomainRedirect)):
  - For each name (the query name, then each name of its CNAME chain) the most
    specific of a private zone linked to the VNet and an enabled rule of a
    forwarding ruleset linked to the VNet wins: longest suffix in labels; on
    equal length the zone wins (a zone and a rule for the same name: the zone).
  - A matching zone answers from its records.  A name missing from it is
    NXDOMAIN (never forwarded) -- unless that zone's link to this VNet has
    resolutionPolicy NxDomainRedirect and the query is A, AAAA or CNAME for a
    privatelink zone: then the public answer for that name is used.  A name
    present with other types only is NOERROR/NODATA (no redirect).
  - A matching rule sends the name to its targets (the first that answers
    within forward_timeout, in order) over the network, and the target's answer
    is relayed as the target gave it: for the query name itself the whole
    message (only the ID changed), for a later name of the chain the CNAMEs so
    far plus the target's records.  The chain is not looked up again.
  - Otherwise the public view answers; a CNAME there (e.g. <v>.vault.azure.net
    -> <v>.privatelink.vaultcore.azure.net) is followed the same way, so a
    linked privatelink zone (or a rule) takes over the rest of the chain.
  - A wildcard rule (".") ignores the names Azure reserves for its services
    (azure.net, azure.com, windows.net, windowsazure.us and below).
  - A forwarding loop (a listener receiving a name that this process has already
    forwarded to that same listener max_hops times) gets SERVFAIL ("loop":
    "servfail", default) or no answer ("drop": the client times out).
  - AAAA is NOERROR/NODATA unless the name has AAAA records.  Negative answers
    carry the zone's SOA (private zones: Azure's azureprivatedns.net SOA).

Model (JSON; tests/lab/mkpath.py writes one from a tenant model):
  {"ttl": 10, "forward_timeout": 1.0, "max_hops": 4, "loop": "servfail",
   "agent_vnet": "vnet-spoke",            # the VNet of listeners with "vnet": "@agent"
   "public": {"ttl": 60, "zones": ["vault.azure.net", ...],
              "records": {"kv1.vault.azure.net": {"CNAME": "kv1.privatelink.vaultcore.azure.net"},
                          "data-prod-weu-region.vaultcore.azure.net": {"A": ["203.0.113.10"]}}},
   "zones": [{"id": "/subscriptions/.../privateDnsZones/privatelink.vaultcore.azure.net",
              "name": "privatelink.vaultcore.azure.net",
              "records": {"kv1": {"A": ["10.0.1.4"]}, "kv2": {"AAAA": ["fd00::4"], "ttl": 10}},
              "links": [{"vnet": "vnet-hub", "resolutionPolicy": "Default"}]}],
   "rulesets": [{"id": "...", "links": ["vnet-spoke"],
                 "rules": [{"name": "r1", "domain": "vault.azure.net.", "targets": ["10.200.0.53:53"],
                            "enabled": true}]}],
   "listen": [{"addr": "168.63.129.16", "port": 53, "vnet": "@agent"},
              {"addr": "10.0.2.4", "port": 53, "vnet": "vnet-hub"},
              {"addr": "10.255.0.53", "port": 53, "view": "public"}]}
A record node holds "A"/"AAAA"/"TXT" lists, "CNAME" (one name) and "ttl".
VNet names are compared case-insensitively (mkpath uses the VNets' ARM names).

Query log (--log): one JSON line per query answered:
  {"listener": "10.0.2.4:53", "vnet": "vnet-hub", "peer": "...", "tcp": false,
   "name": "kv1.vault.azure.net", "type": 1, "rcode": 0, "via": ["public", "zone:<id>"]}
"""
import argparse
import json
import os
import random
import signal
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dnswire import (WireError, bind_pair, edns_size, encode_record, header, labels_of,  # noqa: E402
                     name_bytes, parse_message, parse_query, rdata_of, rr, serve_tcp, serve_udp,
                     soa_rdata, text_of)

A, CNAME, AAAA, TXT = 1, 5, 28, 16
NOERROR, SERVFAIL, NXDOMAIN, NOTIMP = 0, 2, 3, 4
MAX_CHAIN = 16
RESERVED = ("azure.net", "azure.com", "windows.net", "windowsazure.us")
PRIVATE_SOA = ("azureprivatedns.net", "azureprivatedns-host.microsoft.com")
PUBLIC_SOA = ("ns1-01.azure-dns.com", "azuredns-hostmaster.microsoft.com")


def under(name, suffix):
    """name is suffix or below it (presentation form, lower case, no dot)."""
    return suffix == "" or name == suffix or name.endswith("." + suffix)


def depth(suffix):
    return 0 if suffix == "" else suffix.count(".") + 1


class Model:
    """The parsed model; replaced whole on SIGHUP."""

    def __init__(self, path):
        with open(path) as f:
            m = json.load(f)
        self.ttl = int(m.get("ttl", 10))
        self.timeout = float(m.get("forward_timeout", 1.0))
        self.max_hops = int(m.get("max_hops", 4))
        self.loop = m.get("loop", "servfail")
        self.agent = (m.get("agent_vnet") or "").lower()
        pub = m.get("public", {})
        self.public_ttl = int(pub.get("ttl", 60))
        self.public_zones = [z.lower().rstrip(".") for z in pub.get("zones", [])]
        self.public = {k.lower().rstrip("."): v for k, v in pub.get("records", {}).items()}
        self.zones = []
        for z in m.get("zones", []):
            name = z["name"].lower().rstrip(".")
            links = {ln["vnet"].lower(): ln.get("resolutionPolicy") or "Default" for ln in z.get("links", [])}
            recs = {}
            for rel, node in z.get("records", {}).items():
                rel = rel.lower().rstrip(".")
                recs["" if rel in ("@", "") else rel] = node
            self.zones.append({"id": z.get("id", name), "name": name, "records": recs, "links": links})
        self.rules = []   # (vnet, domain, targets, rule id)
        for rs in m.get("rulesets", []):
            for rule in rs.get("rules", []):
                if not rule.get("enabled", True):
                    continue
                dom = rule["domain"].lower().rstrip(".")
                targets = []
                for t in rule.get("targets", []):
                    host, _, port = t.rpartition(":") if ":" in t else (t, "", "53")
                    targets.append((host, int(port)))
                for vnet in rs.get("links", []):
                    self.rules.append((vnet.lower(), dom, targets, rule.get("name") or rs.get("id", "")))
        self.listen = []
        for ln in m.get("listen", []):
            view = (ln.get("view") or "").lower()
            vnet = "" if view == "public" else (ln.get("vnet") or "").lower()
            self.listen.append({"addr": ln["addr"], "port": int(ln.get("port", 53)), "vnet": vnet,
                                "role": ln.get("role", "")})

    def vnet_of(self, listener):
        v = listener["vnet"]
        return self.agent if v == "@agent" else v

    def match(self, vnet, name):
        """("zone", zone, policy) | ("rule", targets, id) | ("public",) for one name."""
        best_zone, best_rule = None, None
        if vnet:
            for z in self.zones:
                if vnet in z["links"] and under(name, z["name"]):
                    if best_zone is None or depth(z["name"]) > depth(best_zone["name"]):
                        best_zone = z
            for v, dom, targets, rid in self.rules:
                if v != vnet or not under(name, dom):
                    continue
                if dom == "" and any(under(name, r) for r in RESERVED):
                    continue
                if best_rule is None or depth(dom) > depth(best_rule[0]):
                    best_rule = (dom, targets, rid)
        if best_zone is not None and (best_rule is None or depth(best_zone["name"]) >= depth(best_rule[0])):
            return ("zone", best_zone, best_zone["links"][vnet])
        if best_rule is not None:
            return ("rule", best_rule[1], best_rule[2])
        return ("public",)

    def public_zone_of(self, name):
        best = None
        for z in self.public_zones:
            if under(name, z) and (best is None or depth(z) > depth(best)):
                best = z
        return best


class Server:
    def __init__(self, args):
        self.args = args
        self.model = Model(args.model)
        self.lock = threading.Lock()
        self.inflight = {}          # (addr, port, name, qtype) -> forwards outstanding
        self.log_lock = threading.Lock()
        self.generation = 0
        self.by_local = {}          # (addr, port) -> listener dict

    # -- record building ----------------------------------------------------
    @staticmethod
    def soa(zone, private, ttl=10):
        mname, rname = PRIVATE_SOA if private else PUBLIC_SOA
        return rr(labels_of(zone), 6, soa_rdata(mname, rname), ttl)

    def node_records(self, owner, node, qtype, ttl):
        out = []
        key = {A: "A", AAAA: "AAAA", TXT: "TXT"}.get(qtype)
        if key:
            t = int(node.get("ttl", ttl))
            for v in node.get(key, []):
                out.append(rr(owner, qtype, rdata_of(qtype, v), t))
        return out

    # -- resolution ---------------------------------------------------------
    def resolve(self, m, vnet, qlabels, qtype, query, local):
        """(rcode, answer rrs, authority rrs, via, raw): raw is a whole relayed
        message (a rule matched the query name itself), else None."""
        chain, via, seen = [], [], set()
        owner = qlabels
        for step in range(MAX_CHAIN + 1):
            name = text_of(owner)
            if name in seen or step == MAX_CHAIN:
                return SERVFAIL, chain, [], via + ["cname-loop"], None
            seen.add(name)
            how = m.match(vnet, name)
            node, ttl, neg = None, m.public_ttl, None
            if how[0] == "zone":
                z, policy = how[1], how[2]
                via.append("zone:" + z["id"])
                rel = name[:-len(z["name"])].rstrip(".") if name != z["name"] else ""
                node, ttl = z["records"].get(rel), m.ttl
                if node is None and rel == "":
                    node = {}     # the apex exists (SOA/NS): NODATA
                neg = self.soa(z["name"], True)
                if node is None and policy.lower() == "nxdomainredirect" and qtype in (A, AAAA, CNAME) \
                        and z["name"].startswith("privatelink."):
                    via.append("nxdomain-redirect")
                    node, ttl = m.public.get(name), m.public_ttl
                    pz = m.public_zone_of(name)
                    neg = self.soa(pz, False) if pz else None
            elif how[0] == "rule":
                via.append("rule:" + str(how[2]))
                msg = self.forward(m, how[1], owner, qtype, query if step == 0 else None)
                if msg is None:
                    return SERVFAIL, chain, [], via + ["targets-silent"], None
                if step == 0:
                    return None, [], [], via, msg
                try:
                    p = parse_message(msg)
                except (WireError, struct.error, IndexError):
                    return SERVFAIL, chain, [], via + ["target-garbage"], None
                return (p["rcode"], chain + [encode_record(r) for r in p["answer"]],
                        [encode_record(r) for r in p["authority"]], via, None)
            else:
                via.append("public")
                node = m.public.get(name)
                pz = m.public_zone_of(name)
                neg = self.soa(pz, False) if pz else None
            if node is None:
                return NXDOMAIN, chain, [neg] if neg else [], via, None
            if node.get("CNAME") and qtype != CNAME:
                target = labels_of(node["CNAME"])
                chain.append(rr(owner, CNAME, name_bytes(target), int(node.get("ttl", ttl))))
                owner = target
                continue
            if qtype == CNAME and node.get("CNAME"):
                return NOERROR, chain + [rr(owner, CNAME, rdata_of(CNAME, node["CNAME"]),
                                            int(node.get("ttl", ttl)))], [], via, None
            recs = self.node_records(owner, node, qtype, ttl)
            if recs:
                return NOERROR, chain + recs, [], via, None
            return NOERROR, chain, [neg] if neg else [], via, None
        return SERVFAIL, chain, [], via, None

    def forward(self, m, targets, labels, qtype, query):
        """Sends the query (the client's own for the query name, else a fresh
        one) to each target in turn; the first answer with our ID wins."""
        name = text_of(labels)
        for host, port in targets:
            key = (host, port, name, qtype)
            with self.lock:
                self.inflight[key] = self.inflight.get(key, 0) + 1
            try:
                ans = self.ask(host, port, labels, qtype, query, m.timeout)
            finally:
                with self.lock:
                    self.inflight[key] -= 1
                    if not self.inflight[key]:
                        del self.inflight[key]
            if ans is not None:
                return ans
        return None

    @staticmethod
    def ask(host, port, labels, qtype, query, timeout):
        qid = random.randrange(1, 65536)
        if query is not None:
            q = struct.pack(">H", qid) + query[2:]
        else:
            q = header(qid, 0x0100, 1, 0) + name_bytes(labels) + struct.pack(">HH", qtype, 1)
        deadline = time.monotonic() + timeout
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.connect((host, port))
            s.send(q)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                s.settimeout(left)
                try:
                    a = s.recv(65535)
                except (socket.timeout, ConnectionRefusedError):
                    return None
                if len(a) >= 12 and struct.unpack(">H", a[:2])[0] == qid:
                    break
        except OSError:
            return None
        finally:
            s.close()
        if a[2] & 0x02:   # TC: ask again over TCP
            try:
                with socket.create_connection((host, port), timeout=max(deadline - time.monotonic(), 0.1)) as t:
                    t.sendall(struct.pack(">H", len(q)) + q)
                    buf = b""
                    while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
                        chunk = t.recv(65535)
                        if not chunk:
                            return None
                        buf += chunk
                    a = buf[2:2 + struct.unpack(">H", buf[:2])[0]]
            except OSError:
                return None
        return a

    # -- one query ----------------------------------------------------------
    def answer(self, q, tcp, local):
        try:
            qid, qlabels, qtype, question = parse_query(q)
        except (struct.error, IndexError):
            return None
        flags_in = struct.unpack(">H", q[2:4])[0]
        if flags_in & 0x8000:
            return None                      # a response: not for us
        rd = flags_in & 0x0100
        m = self.model
        listener = self.by_local.get((local[0], local[1]), {"vnet": "", "addr": local[0], "port": local[1]})
        vnet = m.vnet_of(listener)
        name = text_of(qlabels)
        via, raw = [], None
        if (flags_in >> 11) & 0xF:
            rcode, an, ns = NOTIMP, [], []
        else:
            with self.lock:
                hops = self.inflight.get((local[0], local[1], name, qtype), 0)
            if hops >= m.max_hops:
                self.log(listener, vnet, tcp, name, qtype, SERVFAIL, ["forwarding-loop"])
                if m.loop == "drop":
                    return None
                rcode, an, ns, via = SERVFAIL, [], [], ["forwarding-loop"]
            else:
                rcode, an, ns, via, raw = self.resolve(m, vnet, qlabels, qtype, q, local)
        if raw is not None:
            self.log(listener, vnet, tcp, name, qtype, raw[3] & 0xF if len(raw) > 3 else -1, via)
            if not tcp and len(raw) > edns_size(q):   # the target's answer came over TCP
                return header(qid, struct.unpack(">H", raw[2:4])[0] | 0x0200, 1, 0) + question
            return struct.pack(">H", qid) + raw[2:]
        self.log(listener, vnet, tcp, name, qtype, rcode, via)
        flags = 0x8080 | rd | rcode
        pkt = header(qid, flags, 1, len(an), len(ns)) + question + b"".join(an) + b"".join(ns)
        if not tcp and len(pkt) > edns_size(q):
            pkt = header(qid, flags | 0x0200, 1, 0) + question
        return pkt

    def log(self, listener, vnet, tcp, name, qtype, rcode, via):
        if not self.args.log:
            return
        line = json.dumps({"t": round(time.time(), 3), "listener": "%s:%d" % (listener["addr"], listener["port"]),
                           "vnet": vnet or None, "tcp": tcp, "name": name, "type": qtype, "rcode": rcode,
                           "via": via})
        with self.log_lock, open(self.args.log, "a") as f:
            f.write(line + "\n")

    # -- state --------------------------------------------------------------
    def write_state(self):
        m = self.model
        st = {"generation": self.generation, "pid": os.getpid(), "agent_vnet": m.agent or None,
              "listen": [{"addr": a, "port": p, "vnet": m.vnet_of(ln) or None, "role": ln.get("role", "")}
                         for (a, p), ln in sorted(self.by_local.items())]}
        if self.args.state:
            tmp = self.args.state + ".tmp"
            with open(tmp, "w") as f:
                json.dump(st, f, indent=1)
            os.replace(tmp, self.args.state)

    def reload(self):
        try:
            m = Model(self.args.model)
        except (OSError, ValueError, KeyError) as e:
            sys.stderr.write("azdns: reload failed, keeping the old model: %s\n" % e)
            return
        by_local = dict(self.by_local)
        for ln in m.listen:
            key = (ln["addr"], ln["port"])
            if key in by_local:
                by_local[key] = ln
            else:
                sys.stderr.write("azdns: reload: new listener %s:%d ignored (restart to add one)\n" % key)
        self.model, self.by_local = m, by_local
        self.generation += 1
        self.write_state()


def main():
    ap = argparse.ArgumentParser(description="Azure DNS / DNS Private Resolver simulator (test lab)")
    ap.add_argument("--model", required=True)
    ap.add_argument("--pidfile", required=True)
    ap.add_argument("--state")
    ap.add_argument("--log")
    args = ap.parse_args()
    srv = Server(args)
    m = srv.model
    known = {z_link for z in m.zones for z_link in z["links"]} | {r[0] for r in m.rules} | {m.agent}
    socks = []
    for ln in m.listen:
        v = m.vnet_of(ln)
        if ln["vnet"] and not v:
            sys.exit("azdns: listener %s:%d is bound to @agent but the model has no agent_vnet" % (
                ln["addr"], ln["port"]))
        if v and v not in known:
            sys.stderr.write("azdns: note: %s has no zone link or ruleset link (public answers only)\n" % v)
        try:
            u, t = bind_pair(ln["addr"], ln["port"])
        except OSError as e:
            sys.exit("azdns: cannot listen on %s:%d: %s" % (ln["addr"], ln["port"], e))
        srv.by_local[(ln["addr"], u.getsockname()[1])] = ln
        socks.append((u, t))
    for u, t in socks:
        threading.Thread(target=serve_udp, args=(u, srv.answer), kwargs={"threaded": True}, daemon=True).start()
        threading.Thread(target=serve_tcp, args=(t, srv.answer), daemon=True).start()
    stop = threading.Event()
    hup = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: hup.set())
    srv.write_state()
    tmp = args.pidfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.replace(tmp, args.pidfile)
    while not stop.is_set():
        if hup.wait(0.2):
            hup.clear()
            srv.reload()
        # signal handlers run in the main thread between waits
    for u, t in socks:
        u.close()
        t.close()


if __name__ == "__main__":
    main()
