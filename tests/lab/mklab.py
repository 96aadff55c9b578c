#!/usr/bin/env python3
"""Builds the kvpe lab from one tenant model: Azure-shaped DNS zones for two
real unbound resolvers (and, with --arm, the ARM JSON of the same tenant).

  "public" view: the internet.  <v>.vault.azure.net CNAMEs to
      <v>.privatelink.vaultcore.azure.net (only for a vault with an approved
      private endpoint, as Azure's public DNS does), then to a public
      data-prod host; without an endpoint, straight to the data-prod host.
  "vnet" view: a VNet whose resolver has the private link zones linked: the
      privatelink zone answers the private A records from the tenant model.

Usage: mklab.py TENANT.json OUTDIR VNET_PORT PUBLIC_PORT [--ratelimit N] [--threads N]

The tenant model: {"vaults": [ {...}, ... ], "synthetic": {...}} where a vault is
  name        short name (required)
  kind        "vault" (default) or "hsm"
  cloud       "AzureCloud" (default), "AzureChinaCloud", "AzureUSGovernment"
  endpoint    "approved" (default), "pending", "none"
  ip          the endpoint's private address (list allowed)
  zone        A records in the private zone: list of IPs; default = ip when
              approved; [] = no record (NXDOMAIN in the VNet)
  override    IP answered by a private zone named <v>.vault.azure.net (an
              override zone: no privatelink alias in the chain)
  aaaa        AAAA records in the private zone
  servfail    true: the VNet resolver fails validation for the name (SERVFAIL)
  nodata      true: the private zone holds only a TXT record for the name
"""
import json
import os
import sys

CLOUDS = {
    "AzureCloud": {
        "vault": ("vault.azure.net", "privatelink.vaultcore.azure.net", "vaultcore.azure.net"),
        "hsm": ("managedhsm.azure.net", "privatelink.managedhsm.azure.net", "managedhsm.azure.net"),
    },
    "AzureChinaCloud": {
        "vault": ("vault.azure.cn", "privatelink.vaultcore.azure.cn", "vaultcore.azure.cn"),
        "hsm": ("managedhsm.azure.cn", "privatelink.managedhsm.azure.cn", "managedhsm.azure.cn"),
    },
    "AzureUSGovernment": {
        "vault": ("vault.usgovcloudapi.net", "privatelink.vaultcore.usgovcloudapi.net",
                  "vaultcore.usgovcloudapi.net"),
        "hsm": ("managedhsm.usgovcloudapi.net", "privatelink.managedhsm.usgovcloudapi.net",
                "managedhsm.usgovcloudapi.net"),
    },
}
PUBLIC_V4 = "203.0.113.10"   # TEST-NET-3: a "public" address that routes nowhere
PUBLIC_HSM_V4 = "203.0.113.20"
SOA_PUBLIC = "@ 3600 IN SOA ns1.lab.invalid. hostmaster.lab.invalid. 1 3600 600 86400 10"
# Azure private DNS zones: this SOA, 10 s record TTLs.
SOA_PRIVATE = "@ 3600 IN SOA azureprivatedns.net. azureprivatedns-host.microsoft.com. 1 3600 300 2419200 10"


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def expand(tenant):
    """The explicit vaults plus a synthetic population (for make bench)."""
    vaults = list(tenant.get("vaults", []))
    syn = tenant.get("synthetic")
    if syn:
        n = int(syn["count"])
        for i in range(n):
            v = {"name": "%s%06d" % (syn.get("prefix", "kv"), i)}
            b = i % 100
            ip = "10.%d.%d.%d" % (64 + (i >> 16) % 64, (i >> 8) & 255, i & 255)
            v["ip"] = ip
            # A realistic share of broken vaults: 2% no endpoint, 1% missing
            # record, 1% stale record, 1% pending approval.
            if b == 0 or b == 1:
                v["endpoint"] = "none"
            elif b == 2:
                v["zone"] = []
            elif b == 3:
                v["zone"] = ["10.255.%d.%d" % ((i >> 8) & 255, i & 255)]
            elif b == 4:
                v["endpoint"] = "pending"
            vaults.append(v)
    return vaults


def norm(v):
    v = dict(v)
    v.setdefault("kind", "vault")
    v.setdefault("cloud", "AzureCloud")
    v.setdefault("endpoint", "approved")
    v["ip"] = as_list(v.get("ip"))
    if "zone" not in v:
        v["zone"] = list(v["ip"]) if v["endpoint"] == "approved" else []
    v["name"] = v["name"].lower()
    return v


def have_ipv6_loopback():
    import socket
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def build(tenant, out, vnet_port, public_port, ratelimit=0, threads=1):
    ipv6 = have_ipv6_loopback()
    vaults = [norm(v) for v in expand(tenant)]
    zones_dir = os.path.join(out, "zones")
    os.makedirs(zones_dir, exist_ok=True)
    public = {}   # zone name -> list of lines
    private = {}  # zone name -> list of lines (vnet only)
    overrides = {}
    anchors = []

    def zone(d, name, soa):
        if name not in d:
            d[name] = [soa, "@ 3600 IN NS ns1.lab.invalid."]
        return d[name]

    for cloud, kinds in CLOUDS.items():
        for kind, (sfx, pl, core) in kinds.items():
            if not any(v["cloud"] == cloud and v["kind"] == kind for v in vaults):
                continue
            zone(public, sfx, SOA_PUBLIC)
            c = zone(public, core, SOA_PUBLIC)
            zone(private, pl, SOA_PRIVATE)
            host = "data-prod-weu" if kind == "vault" else "mhsm-prod-weu"
            addr = PUBLIC_V4 if kind == "vault" else PUBLIC_HSM_V4
            c.append("%s 60 IN CNAME %s-region.%s." % (host, host, core))
            c.append("%s-region 60 IN A %s" % (host, addr))

    for v in vaults:
        sfx, pl, core = CLOUDS[v["cloud"]][v["kind"]]
        host = "data-prod-weu" if v["kind"] == "vault" else "mhsm-prod-weu"
        pub = public[sfx]
        if v["endpoint"] == "approved":
            pub.append("%s 60 IN CNAME %s.%s." % (v["name"], v["name"], pl))
            # The public privatelink name leads on to the public data host.
            # It is a zone of its own (a delegated child in Azure's public
            # DNS), which the VNet's linked private zone replaces.
            zone(public, pl, SOA_PUBLIC).append("%s 60 IN CNAME %s.%s." % (v["name"], host, core))
        else:
            pub.append("%s 60 IN CNAME %s.%s." % (v["name"], host, core))
        priv = private[pl]
        for ip in v["zone"]:
            priv.append("%s 10 IN A %s" % (v["name"], ip))
        for ip in as_list(v.get("aaaa")):
            priv.append("%s 10 IN AAAA %s" % (v["name"], ip))
        if v.get("nodata"):
            priv.append('%s 10 IN TXT "no address here"' % v["name"])
        if v.get("servfail"):
            anchors.append("%s.%s." % (v["name"], pl))
            if not v["zone"]:
                priv.append("%s 10 IN A 10.255.255.254" % v["name"])
        if v.get("override"):
            overrides["%s.%s" % (v["name"], sfx)] = [
                SOA_PRIVATE, "@ 3600 IN NS ns1.lab.invalid."] + [
                "@ 10 IN A %s" % ip for ip in as_list(v["override"])]

    def write(d, prefix):
        files = {}
        for name, lines in d.items():
            path = os.path.join(zones_dir, "%s%s.zone" % (prefix, name))
            with open(path, "w") as f:
                f.write("$ORIGIN %s.\n" % name)
                f.write("\n".join(lines) + "\n")
            files[name] = path
        return files

    pub_files = write(public, "public-")
    priv_files = write(private, "private-")
    ovr_files = write(overrides, "override-")

    def conf(view, port, zones):
        lines = [
            "server:",
            "  interface: 127.0.0.1@%d" % port,
        ] + (["  interface: ::1@%d" % port] if ipv6 else []) + [
            "  port: %d" % port,
            "  do-daemonize: no",
            '  username: ""',
            '  chroot: ""',
            '  directory: "%s"' % out,
            '  pidfile: "%s/%s.pid"' % (out, view),
            "  use-syslog: no",
            '  logfile: "%s/%s.log"' % (out, view),
            "  verbosity: 0",
            "  do-ip6: %s" % ("yes" if ipv6 else "no"),
            "  num-threads: %d" % threads,
            '  module-config: "validator iterator"',
            "  do-not-query-localhost: no",
            "  qname-minimisation: no",
            "  access-control: 127.0.0.0/8 allow",
            "  access-control: ::1/128 allow",
            "  cache-max-ttl: 60",
            "  cache-max-negative-ttl: 5",
            "  so-rcvbuf: 4m",
            "  so-sndbuf: 4m",
            "  msg-cache-size: 64m",
            "  rrset-cache-size: 128m",
            "  outgoing-range: 1024",
            "  num-queries-per-thread: 4096",
        ]
        if ratelimit:
            # Azure DNS drops above 1,000 q/s per VM; ip-ratelimit drops too.
            lines += ["  ip-ratelimit: %d" % ratelimit, "  ip-ratelimit-factor: 0"]
        if view == "vnet":
            for a in anchors:
                # A trust anchor on an unsigned name: validation fails, SERVFAIL.
                lines.append('  trust-anchor: "%s DS 12345 8 2 '
                             '49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE5E4E1A0C4E1B6B0B7FC2A4E1"' % a)
        lines += ["remote-control:", "  control-enable: yes",
                  '  control-interface: "%s/%s.ctl"' % (out, view), "  control-use-cert: no"]
        for name, path in sorted(zones.items()):
            lines += ["auth-zone:", '  name: "%s"' % name, '  zonefile: "%s"' % path,
                      "  for-upstream: yes", "  for-downstream: no", "  fallback-enabled: no"]
        with open(os.path.join(out, "%s.conf" % view), "w") as f:
            f.write("\n".join(lines) + "\n")

    vnet_zones = dict(pub_files)
    vnet_zones.update(priv_files)
    vnet_zones.update(ovr_files)
    conf("vnet", vnet_port, vnet_zones)
    conf("public", public_port, pub_files)
    return vaults


def main(argv):
    args = list(argv[1:])
    ratelimit, threads = 0, 1
    if "--ratelimit" in args:
        i = args.index("--ratelimit")
        ratelimit = int(args[i + 1])
        del args[i:i + 2]
    if "--threads" in args:
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 4:
        sys.stderr.write(__doc__)
        return 2
    with open(args[0]) as f:
        tenant = json.load(f)
    build(tenant, args[1], int(args[2]), int(args[3]), ratelimit, threads)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
