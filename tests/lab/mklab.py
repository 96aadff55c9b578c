#!/usr/bin/env python3
"""Builds the kvpe lab from one tenant model: Azure-shaped DNS zones for two
real unbound resolvers (and, with --arm, the ARM JSON of the same tenant).

  "public" view: the internet.  <v>.vault.azure.net CNAMEs to
      <v>.privatelink.vaultcore.azure.net (only for a vault with an approved
      private endpoint, as Azure's public DNS does), then to a public
      data-prod host; without an endpoint, straight to the data-prod host.
  "vnet" view: a VNet whose resolver has the private link zones linked: the
      privatelink zone answers the private A records from the tenant model.

Usage: mklab.py TENANT.json OUTDIR VNET_PORT PUBLIC_PORT [--ratelimit N] [--threads N] [--arm]
                [--no-inventory]

With --arm it also writes, for the same tenant:
  OUTDIR/arm.json            the data tests/servers/armserver.py serves
  OUTDIR/inventory-arm.json  every resource in ARM's shape (one array)
  OUTDIR/inventory-az/*.json the same as `az keyvault show` / `az network ... list`
                             print it (network resources flattened)
(--no-inventory: arm.json only, for make bench's large tenants.)

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
ARM-side fields (used with --arm):
  subscription   "a", "b", ... (default "a"); resource_group (default "rg-kv")
  endpoint       also "rejected", "disconnected"; manual: true = a manual connection
  pe_subscription  where the endpoint lives (default: the vault's)
  nic         false: the endpoint has no NIC and no DNS config (no address)
  public_access  "Enabled", "enabled", "Disabled" or absent; acl: "Allow", "Deny" or absent
  no_properties  true: the vault entry has no properties (az keyvault list's shape)
Tenant-level: "zones": {"<private link zone>": {"linked": false}} keeps a zone
out of the VNet view (and unlinked in ARM).
"synthetic": {"count": N, "subscriptions": S, "prefix": "kv", "net": 10} adds N
generated vaults spread over S subscriptions, 5% of them broken (no endpoint,
missing or stale record, pending approval), addresses in NET.64.0.0/10.
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
        subs = int(syn.get("subscriptions", 1))
        for i in range(n):
            v = {"name": "%s%06d" % (syn.get("prefix", "kv"), i)}
            if subs > 1:
                v["subscription"] = "s%02d" % (i % subs)
                v["public_access"] = "Disabled"
            b = i % 100
            # "net": 127 puts every address on loopback, for make bench's probes.
            net = int(syn.get("net", 10))
            ip = "%d.%d.%d.%d" % (net, 64 + (i >> 16) % 64, (i >> 8) & 255, i & 255)
            v["ip"] = ip
            # A realistic share of broken vaults: 2% no endpoint, 1% missing
            # record, 1% stale record, 1% pending approval.
            if b == 0 or b == 1:
                v["endpoint"] = "none"
            elif b == 2:
                v["zone"] = []
            elif b == 3:
                v["zone"] = ["%d.255.%d.%d" % (net, (i >> 8) & 255, i & 255)]
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
    unlinked = {z for z, o in tenant.get("zones", {}).items() if not o.get("linked", True)}
    vnet_zones.update({z: p for z, p in priv_files.items() if z not in unlinked})
    vnet_zones.update(ovr_files)
    conf("vnet", vnet_port, vnet_zones)
    conf("public", public_port, pub_files)
    return vaults


def sub_id(short):
    """Subscription IDs from short names: "a" -> 5c1ab000-0000-4000-8000-00000000000a."""
    return "5c1ab000-0000-4000-8000-%012x" % (int(short, 36) if short.isalnum() else 0)


TENANT_ID = "00000000-0000-0000-0000-0000000000a1"


def vnet_id():
    return "/subscriptions/%s/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-lab" % sub_id("a")


def state_name(ep):
    return {"approved": "Approved", "pending": "Pending", "rejected": "Rejected",
            "disconnected": "Disconnected"}.get(ep, "Pending")


def arm_endpoint(vid, fqdn, hsm, peid, cname, state, subnet_id, ips, nicid, manual=False, location="westeurope"):
    """A private endpoint of vault vid in ARM's shape: (the endpoint, its NIC or
    None when ips is empty, the vault's privateEndpointConnections entry)."""
    pename = peid.rsplit("/", 1)[1]
    group = "managedhsm" if hsm else "vault"
    cstate = {"status": state, "description": "Auto-Approved" if state == "Approved" else "",
              "actionsRequired": "None"}
    conn = {"id": vid + "/privateEndpointConnections/" + cname, "name": cname,
            "properties": {"privateEndpoint": {"id": peid}, "privateLinkServiceConnectionState": cstate,
                           "provisioningState": "Succeeded"}}
    link = {"id": peid + "/privateLinkServiceConnections/" + pename, "name": pename,
            "properties": {"privateLinkServiceId": vid, "groupIds": [group],
                           "privateLinkServiceConnectionState": cstate, "provisioningState": "Succeeded"}}
    pe = {"id": peid, "name": pename, "type": "Microsoft.Network/privateEndpoints", "location": location,
          "properties": {"provisioningState": "Succeeded",
                         "subnet": {"id": subnet_id},
                         "privateLinkServiceConnections": [] if manual else [link],
                         "manualPrivateLinkServiceConnections": [link] if manual else [],
                         "networkInterfaces": [], "customDnsConfigs": [], "ipConfigurations": []}}
    nic = None
    if ips:
        pe["properties"]["networkInterfaces"] = [{"id": nicid}]
        pe["properties"]["customDnsConfigs"] = [{"fqdn": fqdn, "ipAddresses": list(ips)}]
        nic = {"id": nicid, "name": nicid.rsplit("/", 1)[1], "type": "Microsoft.Network/networkInterfaces",
               "location": location,
               "properties": {"provisioningState": "Succeeded", "ipConfigurations": [{
                   "name": "privateEndpointIpConfig.%d" % k, "id": nicid + "/ipConfigurations/c%d" % k,
                   "properties": {"privateIPAddress": ip, "privateIPAllocationMethod": "Dynamic",
                                  "privateIPAddressVersion": "IPv4", "primary": k == 0,
                                  "subnet": {"id": subnet_id},
                                  "privateLinkConnectionProperties": {
                                      "groupId": group, "requiredMemberName": "default", "fqdns": [fqdn]}}}
                   for k, ip in enumerate(ips)],
                   "privateEndpoint": {"id": peid}, "macAddress": "", "primary": True}}
    return pe, nic, conn


def build_arm(tenant, vaults, out, inventory=True):
    """ARM resources for the tenant model (see the module docstring)."""
    colls, res = {}, {}
    subs = set()
    vnet = vnet_id()

    def coll(path):
        return colls.setdefault(path.lower(), [])

    def add(path, obj):
        coll(path).append(obj)

    zones = {}  # (cloud, kind) -> zone id
    for v in vaults:
        subs.add(v.get("subscription", "a"))
        subs.add(v.get("pe_subscription", v.get("subscription", "a")))
    subs.add("a")
    for cloud, kinds in CLOUDS.items():
        for kind, (sfx, pl, core) in kinds.items():
            if not any(v["cloud"] == cloud and v["kind"] == kind for v in vaults):
                continue
            zid = "/subscriptions/%s/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/%s" % (
                sub_id("a"), pl)
            zones[(cloud, kind)] = zid
            n = sum(1 for v in vaults if v["cloud"] == cloud and v["kind"] == kind and v["zone"])
            add("/subscriptions/%s/providers/Microsoft.Network/privateDnsZones" % sub_id("a"), {
                "id": zid, "name": pl, "type": "Microsoft.Network/privateDnsZones", "location": "global",
                "etag": "00000000-0000-0000-0000-000000000000",
                "properties": {"maxNumberOfRecordSets": 25000, "numberOfRecordSets": n + 1,
                               "numberOfVirtualNetworkLinks": 1, "provisioningState": "Succeeded"}})
            coll(zid + "/A")
            links = coll(zid + "/virtualNetworkLinks")
            if tenant.get("zones", {}).get(pl, {}).get("linked", True):
                links.append({
                    "id": zid + "/virtualNetworkLinks/link-vnet-lab", "name": "link-vnet-lab",
                    "type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks", "location": "global",
                    "properties": {"virtualNetwork": {"id": vnet}, "registrationEnabled": False,
                                   "resolutionPolicy": "Default", "virtualNetworkLinkState": "Completed",
                                   "provisioningState": "Succeeded"}})
    for s in sorted(subs):
        # the DNS path's lists (issue 14) exist, empty, in every subscription
        for t in ("Microsoft.KeyVault/vaults", "Microsoft.KeyVault/managedHSMs", "Microsoft.Network/privateEndpoints",
                  "Microsoft.Network/networkInterfaces", "Microsoft.Network/privateDnsZones",
                  "Microsoft.Network/virtualNetworks", "Microsoft.Compute/virtualMachines",
                  "Microsoft.Network/dnsResolvers", "Microsoft.Network/dnsForwardingRulesets"):
            coll("/subscriptions/%s/providers/%s" % (sub_id(s), t))
    coll("/subscriptions").extend({
        "id": "/subscriptions/" + sub_id(s), "subscriptionId": sub_id(s), "tenantId": TENANT_ID,
        "displayName": "lab subscription " + s, "state": "Enabled", "authorizationSource": "RoleBased"}
        for s in sorted(subs) if s not in tenant.get("hidden_subscriptions", []))

    for i, v in enumerate(vaults):
        sfx, pl, core = CLOUDS[v["cloud"]][v["kind"]]
        sub = sub_id(v.get("subscription", "a"))
        rg = v.get("resource_group", "rg-kv")
        hsm = v["kind"] == "hsm"
        vtype = "Microsoft.KeyVault/managedHSMs" if hsm else "Microsoft.KeyVault/vaults"
        vid = "/subscriptions/%s/resourceGroups/%s/providers/%s/%s" % (sub, rg, vtype, v["name"])
        fqdn = "%s.%s" % (v["name"], sfx)
        conns, props = [], {
            "tenantId": TENANT_ID, "provisioningState": "Succeeded",
            ("hsmUri" if hsm else "vaultUri"): "https://%s/" % fqdn}
        props["sku"] = {"family": "B", "name": "Standard_B1"} if hsm else {"family": "A", "name": "standard"}
        if v.get("public_access") is not None:
            props["publicNetworkAccess"] = v["public_access"]
        if v.get("acl") is not None:
            props["networkAcls"] = {"bypass": "AzureServices", "defaultAction": v["acl"], "ipRules": [],
                                    "virtualNetworkRules": []}
        if v["endpoint"] != "none":
            pes = sub_id(v.get("pe_subscription", v.get("subscription", "a")))
            pename = v["name"] + "-pe"
            peid = "/subscriptions/%s/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/%s" % (
                pes, pename)
            nicid = "/subscriptions/%s/resourceGroups/rg-net/providers/Microsoft.Network/networkInterfaces/%s.nic.%08x" % (
                pes, pename, i)
            cname = "%s.%08x-0000-4000-8000-%012x" % (pename, i, i)
            pe, nic, conn = arm_endpoint(vid, fqdn, hsm, peid, cname, state_name(v["endpoint"]),
                                         vnet + "/subnets/snet-pe", v["ip"] if v.get("nic", True) else [],
                                         nicid, v.get("manual", False))
            conns.append(conn)
            if nic is not None:
                add("/subscriptions/%s/providers/Microsoft.Network/networkInterfaces" % pes, nic)
                res[nicid.lower()] = nic
            add("/subscriptions/%s/providers/Microsoft.Network/privateEndpoints" % pes, pe)
            res[peid.lower()] = pe
        props["privateEndpointConnections"] = conns
        vault = {"id": vid, "name": v["name"], "type": vtype, "location": "westeurope", "tags": {},
                 "properties": props}
        if v.get("no_properties"):
            vault = {"id": vid, "name": v["name"], "type": vtype, "location": "westeurope", "tags": {}}
        add("/subscriptions/%s/providers/%s" % (sub, vtype), vault)
        zid = zones[(v["cloud"], v["kind"])]
        if v["zone"]:
            coll(zid + "/A").append({
                "id": zid + "/A/" + v["name"], "name": v["name"], "type": "Microsoft.Network/privateDnsZones/A",
                "etag": "00000000-0000-0000-0000-000000000000",
                "properties": {"ttl": 10, "fqdn": "%s.%s." % (v["name"], pl), "isAutoRegistered": False,
                               "aRecords": [{"ipv4Address": ip} for ip in v["zone"]]}})

    with open(os.path.join(out, "arm.json"), "w") as f:
        json.dump({"collections": colls, "resources": res}, f, separators=(",", ":"))
    if not inventory:
        return
    everything = [r for k, items in sorted(colls.items()) if k != "/subscriptions" for r in items]
    with open(os.path.join(out, "inventory-arm.json"), "w") as f:
        json.dump(everything, f, indent=1)
    write_az(everything, os.path.join(out, "inventory-az"))


def flatten(obj):
    """The `az network ...` output shape: "properties" merged into the object,
    recursively for nested resources."""
    if isinstance(obj, list):
        return [flatten(x) for x in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: flatten(v) for k, v in obj.items() if k != "properties"}
    if isinstance(obj.get("properties"), dict):
        out.update({k: flatten(v) for k, v in obj["properties"].items()})
    if "id" in out and "/resourceGroups/" in str(out["id"]):
        out["resourceGroup"] = str(out["id"]).split("/resourceGroups/")[1].split("/")[0]
    return out


def write_az(resources, d):
    os.makedirs(d, exist_ok=True)
    groups = {}
    for r in resources:
        groups.setdefault(r["type"].lower(), []).append(r)
    names = {"microsoft.keyvault/vaults": "keyvault-show", "microsoft.keyvault/managedhsms": "keyvault-show-hsm",
             "microsoft.network/privateendpoints": "private-endpoint-list", "microsoft.network/networkinterfaces": "nic-list",
             "microsoft.network/privatednszones": "private-dns-zone-list",
             "microsoft.network/privatednszones/a": "private-dns-record-set-a-list",
             "microsoft.network/privatednszones/virtualnetworklinks": "private-dns-link-vnet-list",
             # the DNS path's types (tests/lab/mkpath.py)
             "microsoft.network/virtualnetworks": "vnet-list", "microsoft.compute/virtualmachines": "vm-list",
             "microsoft.network/dnsresolvers": "dns-resolver-list",
             "microsoft.network/dnsresolvers/inboundendpoints": "dns-resolver-inbound-endpoint-list",
             "microsoft.network/dnsresolvers/outboundendpoints": "dns-resolver-outbound-endpoint-list",
             "microsoft.network/dnsforwardingrulesets": "dns-resolver-forwarding-ruleset-list",
             "microsoft.network/dnsforwardingrulesets/forwardingrules": "dns-resolver-forwarding-rule-list",
             "microsoft.network/dnsforwardingrulesets/virtualnetworklinks": "dns-resolver-vnet-link-list"}
    for t, items in groups.items():
        name = names.get(t, t.replace("/", "-"))
        if t.startswith("microsoft.keyvault/"):
            # `az keyvault show` prints ARM's shape, one object per vault.
            for k, item in enumerate(items):
                with open(os.path.join(d, "%s-%d.json" % (name, k)), "w") as f:
                    json.dump(item, f, indent=1)
        else:
            with open(os.path.join(d, name + ".json"), "w") as f:
                json.dump(flatten(items), f, indent=1)


def main(argv):
    args = list(argv[1:])
    ratelimit, threads = 0, 1
    arm = "--arm" in args
    if arm:
        args.remove("--arm")
    inventory = "--no-inventory" not in args
    if not inventory:
        args.remove("--no-inventory")
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
    vaults = build(tenant, args[1], int(args[2]), int(args[3]), ratelimit, threads)
    if arm:
        build_arm(tenant, vaults, args[1], inventory)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
