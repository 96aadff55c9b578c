#!/usr/bin/env python3
"""seeds.py — writes the seed corpora under tests/fuzz/corpus/.

Run once by hand (python3 tests/fuzz/seeds.py) when a seed changes; the
files it writes are checked in and replayed by `make test`.  It only writes
its own seeds: files it does not name (crash-* reproducers, inputs copied
from a fuzzing run) are left alone.

The DNS packets are built here byte by byte, with and without name
compression (RFC 1035 4.1.4), to reach what a resolver can send: CNAME
chains of 1, 3 and 20 links, loops, NXDOMAIN with a CNAME, AAAA, 120
addresses, truncation, bad pointers.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def write(kind, name, data):
    d = os.path.join(CORPUS, kind)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    elif not isinstance(data, (bytes, bytearray)):
        data = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- ARM JSON

SUB = "6f1a9c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
SUB2 = "0d8e7c6b-5a49-4382-9170-e6d5c4b3a291"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def rid(sub, rg, provider, *path):
    return "/subscriptions/%s/resourceGroups/%s/providers/%s/%s" % (sub, rg, provider, "/".join(path))


def vault(name, rg="rg-kv-prod", sub=SUB, conns=(), pna="Disabled", acl="Deny", uri_host=None,
          kind="vaults", location="westeurope"):
    vid = rid(sub, rg, "Microsoft.KeyVault", kind, name)
    props = {
        "sku": {"family": "A", "name": "standard"} if kind == "vaults" else {"family": "B", "name": "Standard_B1"},
        "tenantId": TENANT,
        "provisioningState": "Succeeded",
        "enableRbacAuthorization": True,
        "publicNetworkAccess": pna,
        "networkAcls": {"bypass": "AzureServices", "defaultAction": acl, "ipRules": [], "virtualNetworkRules": []},
        "privateEndpointConnections": [
            {
                "id": vid + "/privateEndpointConnections/" + pe_name + ".5b2f0c3e-7f41-4b1c-9d0a-2e6c1f8a4d77",
                "etag": "\"3c00b9a2-0000-0d00-0000-6763a1f80000\"",
                "properties": {
                    "provisioningState": "Succeeded",
                    "privateEndpoint": {"id": pe_id},
                    "privateLinkServiceConnectionState": {"status": status, "description": "Auto-Approved"
                                                          if status == "Approved" else "", "actionsRequired": "None"},
                },
            }
            for (pe_name, pe_id, status) in conns
        ],
    }
    host = uri_host or "%s.%s" % (name, "vault.azure.net" if kind == "vaults" else "managedhsm.azure.net")
    props["vaultUri" if kind == "vaults" else "hsmUri"] = "https://%s/" % host
    return {
        "id": vid,
        "name": name,
        "type": "Microsoft.KeyVault/" + kind,
        "location": location,
        "tags": {"env": "prod"},
        "systemData": {"createdBy": "ops@contoso.com", "createdByType": "User",
                       "createdAt": "2025-03-02T09:14:55.128Z"},
        "properties": props,
    }


def pe(name, target_id, nic_ids, fqdn, ips, rg="rg-net", sub=SUB, status="Approved", manual=False,
       static_ips=()):
    pid = rid(sub, rg, "Microsoft.Network", "privateEndpoints", name)
    conn = {
        "name": name,
        "id": pid + "/privateLinkServiceConnections/" + name,
        "etag": "W/\"0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d\"",
        "type": "Microsoft.Network/privateEndpoints/privateLinkServiceConnections",
        "properties": {
            "provisioningState": "Succeeded",
            "privateLinkServiceId": target_id,
            "groupIds": ["vault"],
            "privateLinkServiceConnectionState": {"status": status, "description": "", "actionsRequired": "None"},
        },
    }
    return {
        "name": name,
        "id": pid,
        "etag": "W/\"0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d\"",
        "type": "Microsoft.Network/privateEndpoints",
        "location": "westeurope",
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": "5b2f0c3e-7f41-4b1c-9d0a-2e6c1f8a4d77",
            "privateLinkServiceConnections": [] if manual else [conn],
            "manualPrivateLinkServiceConnections": [conn] if manual else [],
            "customNetworkInterfaceName": "",
            "subnet": {"id": rid(sub, rg, "Microsoft.Network", "virtualNetworks", "vnet-hub", "subnets", "snet-pe")},
            "ipConfigurations": [
                {"name": "ipconfig-%d" % i, "properties": {"groupId": "vault", "memberName": "default",
                                                           "privateIPAddress": ip}}
                for i, ip in enumerate(static_ips)
            ],
            "networkInterfaces": [{"id": n} for n in nic_ids],
            "customDnsConfigs": [{"fqdn": fqdn, "ipAddresses": list(ips)}],
        },
    }


def nic(nic_id, ip, fqdns, sub=SUB):
    return {
        "name": nic_id.rsplit("/", 1)[1],
        "id": nic_id,
        "type": "Microsoft.Network/networkInterfaces",
        "location": "westeurope",
        "kind": "Regular",
        "properties": {
            "provisioningState": "Succeeded",
            "ipConfigurations": [
                {
                    "name": "privateEndpointIpConfig.4c5d6e7f-8091-4a2b-b3c4-d5e6f7a8b9c0",
                    "id": nic_id + "/ipConfigurations/privateEndpointIpConfig.4c5d6e7f",
                    "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "privateIPAddress": ip,
                        "privateIPAllocationMethod": "Dynamic",
                        "privateIPAddressVersion": "IPv6" if ":" in ip else "IPv4",
                        "primary": True,
                        "privateLinkConnectionProperties": {"groupId": "vault", "requiredMemberName": "default",
                                                            "fqdns": list(fqdns)},
                    },
                }
            ],
            "enableAcceleratedNetworking": False,
            "nicType": "Standard",
        },
    }


ZONE = "privatelink.vaultcore.azure.net"
ZONE_ID = rid(SUB, "rg-dns", "Microsoft.Network", "privateDnsZones", ZONE)
VNET_ID = rid("00000000-0000-0000-0000-000000000000", "rg-net", "Microsoft.Network", "virtualNetworks", "vnet-hub")


def zone(name=ZONE, zid=ZONE_ID):
    return {"id": zid, "name": name, "type": "Microsoft.Network/privateDnsZones", "location": "global",
            "etag": "b0e5c7a2-3e9d-4f61-a2b8-7c4d5e6f7a8b",
            "properties": {"maxNumberOfRecordSets": 25000, "numberOfRecordSets": 3,
                           "numberOfVirtualNetworkLinks": 1, "provisioningState": "Succeeded"}}


def record(name, ips, ttl=10, zid=ZONE_ID, zname=ZONE):
    return {"id": zid + "/A/" + name, "name": name, "type": "Microsoft.Network/privateDnsZones/A",
            "etag": "0f3e2d1c-4b5a-6978-8695-a4b3c2d1e0f9",
            "properties": {"metadata": {"creator": "created by private endpoint pe-%s" % name}, "ttl": ttl,
                           "fqdn": "%s.%s." % (name, zname), "isAutoRegistered": False,
                           "aRecords": [{"ipv4Address": ip} for ip in ips]}}


def link(name, vnet=VNET_ID, state="Completed", zid=ZONE_ID):
    return {"id": zid + "/virtualNetworkLinks/" + name, "name": name,
            "type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks", "location": "global",
            "properties": {"provisioningState": "Succeeded", "registrationEnabled": False,
                           "virtualNetwork": {"id": vnet}, "virtualNetworkLinkState": state}}


PE_ID = rid(SUB, "rg-net", "Microsoft.Network", "privateEndpoints", "pe-kv-contoso-prod")
NIC_ID = rid(SUB, "rg-net", "Microsoft.Network", "networkInterfaces", "pe-kv-contoso-prod.nic.6d1e2f3a-4b5c")
V_CONTOSO = vault("kv-contoso-prod", conns=[("pe-kv-contoso-prod", PE_ID, "Approved")])
LAB = [
    V_CONTOSO,
    pe("pe-kv-contoso-prod", V_CONTOSO["id"], [NIC_ID], "kv-contoso-prod.vault.azure.net", ["10.1.0.4"]),
    nic(NIC_ID, "10.1.0.4", ["kv-contoso-prod.vault.azure.net", "kv-contoso-prod.privatelink.vaultcore.azure.net"]),
    zone(),
    record("kv-contoso-prod", ["10.1.0.4"]),
    link("link-vnet-hub"),
]


def arm_seeds(kind):
    w = lambda name, data: write(kind, name, data)
    w("arm-vault-page-nextlink.json", {
        "value": [V_CONTOSO, vault("kv-payments", pna="Enabled", acl="Allow")],
        "nextLink": "https://management.azure.com/subscriptions/%s/providers/Microsoft.KeyVault/vaults?"
                    "api-version=2025-05-01&$skiptoken=eyJuZXh0TWFya2VyIjoiMiE5NiFNREF3TURFeUlYWnBJVEF3In0%%3d" % SUB,
    })
    w("arm-vault-single-china-pending.json",
      vault("kv-cn-finance", uri_host="kv-cn-finance.vault.azure.cn",
            conns=[("pe-cn", rid(SUB, "rg-cn", "Microsoft.Network", "privateEndpoints", "pe-cn"), "Pending")]))
    w("arm-hsm-list.json", {"value": [vault("hsm-contoso", kind="managedHSMs",
                                            conns=[("pe-hsm", rid(SUB, "rg-net", "Microsoft.Network",
                                                                  "privateEndpoints", "pe-hsm"), "Rejected")])]})
    w("lab-complete.json", LAB)
    w("arm-pe-page.json", {"value": [
        LAB[1],
        pe("pe-manual", V_CONTOSO["id"], [], "kv-contoso-prod.vault.azure.net", ["10.2.0.9"], manual=True,
           status="Disconnected", static_ips=["10.2.0.9"]),
    ]})
    w("arm-nic-page.json", {"value": [LAB[2], nic(rid(SUB, "rg-net", "Microsoft.Network", "networkInterfaces",
                                                      "nic-v6"), "fd00:10::4", [])]})
    w("arm-dns-zone-records-links.json", [zone(), record("kv-contoso-prod", ["10.1.0.4", "10.1.0.5"], ttl=3600),
                                          record("kv-stale", ["10.9.9.9"]), link("link-vnet-hub"),
                                          link("link-spoke", state="InProgress",
                                               vnet=VNET_ID.replace("vnet-hub", "vnet-spoke"))])
    # `az network private-endpoint list`: the same fields, flattened.
    w("az-network-pe-list-flattened.json", [{
        "customDnsConfigs": [{"fqdn": "kv-contoso-prod.vault.azure.net", "ipAddresses": ["10.1.0.4"]}],
        "customNetworkInterfaceName": "",
        "etag": "W/\"0a1b2c3d\"",
        "id": PE_ID,
        "ipConfigurations": [],
        "location": "westeurope",
        "manualPrivateLinkServiceConnections": [],
        "name": "pe-kv-contoso-prod",
        "networkInterfaces": [{"id": NIC_ID, "resourceGroup": "rg-net"}],
        "privateLinkServiceConnections": [{
            "groupIds": ["vault"], "id": PE_ID + "/privateLinkServiceConnections/pe-kv-contoso-prod",
            "name": "pe-kv-contoso-prod",
            "privateLinkServiceConnectionState": {"actionsRequired": "None", "description": "Auto-Approved",
                                                  "status": "Approved"},
            "privateLinkServiceId": V_CONTOSO["id"], "provisioningState": "Succeeded", "resourceGroup": "rg-net",
            "type": "Microsoft.Network/privateEndpoints/privateLinkServiceConnections"}],
        "provisioningState": "Succeeded",
        "resourceGroup": "rg-net",
        "subnet": {"id": rid(SUB, "rg-net", "Microsoft.Network", "virtualNetworks", "vnet-hub", "subnets",
                             "snet-pe"), "resourceGroup": "rg-net"},
        "type": "Microsoft.Network/privateEndpoints",
    }, {
        "aRecords": [{"ipv4Address": "10.1.0.4"}], "fqdn": "kv-contoso-prod.privatelink.vaultcore.azure.net.",
        "id": ZONE_ID + "/A/kv-contoso-prod", "isAutoRegistered": False, "name": "kv-contoso-prod",
        "resourceGroup": "rg-dns", "ttl": 10, "type": "Microsoft.Network/privateDnsZones/A",
    }])
    # `az keyvault list`: no properties at all.
    w("az-keyvault-list-no-properties.json", [
        {"id": V_CONTOSO["id"], "location": "westeurope", "name": "kv-contoso-prod", "resourceGroup": "rg-kv-prod",
         "tags": {}, "type": "Microsoft.KeyVault/vaults"},
        {"id": rid(SUB2, "rg-b", "Microsoft.KeyVault", "vaults", "KV-Upper"), "location": "northeurope",
         "name": "KV-Upper", "resourceGroup": "rg-b", "tags": None, "type": "microsoft.keyvault/VAULTS"},
    ])
    w("resource-graph-data.json", {"totalRecords": 2, "count": 2, "resultTruncated": "false", "facets": [],
                                   "data": [V_CONTOSO, LAB[1]]})
    # Connections listed as child resources before (or without) their vault.
    w("conn-child-resources.json", {"value": [
        {"id": rid(SUB, "rg-x", "Microsoft.KeyVault", "vaults", "kv-orphan") +
         "/privateEndpointConnections/pe-orphan.9a8b",
         "name": "pe-orphan.9a8b", "type": "Microsoft.KeyVault/vaults/privateEndpointConnections",
         "properties": {"privateEndpoint": {"id": rid(SUB, "rg-x", "Microsoft.Network", "privateEndpoints",
                                                      "pe-orphan")},
                        "privateLinkServiceConnectionState": {"status": "Approved"}}},
        {"id": rid(SUB, "rg-x", "Microsoft.KeyVault", "managedHSMs", "hsm-orphan") +
         "/privateEndpointConnections/c1", "type": "Microsoft.KeyVault/managedHSMs/privateEndpointConnections",
         "privateEndpoint": {"id": "/subscriptions/x/providers/pe"}},
    ]})
    w("wrong-types.json", [
        {"id": 42, "name": "kv-a", "type": "Microsoft.KeyVault/vaults"},
        {"id": V_CONTOSO["id"], "name": ["kv"], "type": "Microsoft.KeyVault/vaults", "properties": []},
        {"id": V_CONTOSO["id"] + "2", "name": "kv-b", "type": "Microsoft.KeyVault/vaults",
         "properties": {"privateEndpointConnections": {"0": {}}, "publicNetworkAccess": 1, "networkAcls": "Deny",
                        "vaultUri": None}},
        {"id": PE_ID, "type": "Microsoft.Network/privateEndpoints",
         "properties": {"networkInterfaces": "nic", "customDnsConfigs": [None, 1, {"ipAddresses": "10.0.0.1"}],
                        "privateLinkServiceConnections": [{"properties": {"privateLinkServiceId": 7}}],
                        "subnet": [], "ipConfigurations": [{"properties": {"privateIPAddress": ["10.0.0.1"]}}]}},
        {"id": ZONE_ID + "/A/x", "name": "x", "type": "Microsoft.Network/privateDnsZones/A",
         "properties": {"ttl": "10", "aRecords": {"ipv4Address": "10.0.0.1"}}},
        {"id": ZONE_ID + "/A/y", "name": "y", "type": "Microsoft.Network/privateDnsZones/A",
         "properties": {"ttl": -5, "aRecords": [{"ipv4Address": 167772161}, "10.0.0.2", {"ipv4Address": "bad"}]}},
        {"type": None}, "string", 3.5, None, [],
    ])
    deep = "[" * 300 + "]" * 300
    write(kind, "deep-nesting.json",
          '{"value": [{"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv-deep",'
          ' "name": "kv-deep", "type": "Microsoft.KeyVault/vaults", "properties": {"networkAcls": %s,'
          ' "privateEndpointConnections": [%s]}}]}\n' % (deep, deep))
    # Names ARM would never send but a hand-edited file can: invalid UTF-8,
    # controls, quotes, markup, the Prometheus and Nagios separators.
    nasty = vault("kv-nasty", rg="rg (\"quoted\") <b>&amp;</b> 'x' | y\\z", location="west\teurope\n\u2028",
                  conns=[("pe-n", PE_ID + "\\\"", "Approved")])
    nasty["name"] = "Kv-\"Nasty\"\\\n<&>|\x01\x7f\u00e9\ufffe"
    text = json.dumps([nasty, LAB[1]], ensure_ascii=False)
    raw = text.encode() .replace(b"kv-nasty", b"kv-\xff\xfe\xc3(\xed\xa0\x80\xf4\x90\x80\x80")
    write(kind, "invalid-utf8-and-markup.json", raw)
    write(kind, "value-not-array.json", '{"value": {"id": "x"}, "nextLink": "https://management.azure.com/x"}\n')
    write(kind, "truncated-page.json", json.dumps({"value": LAB})[:700])
    write(kind, "no-value-no-type.json", '{"odata.metadata": "x", "values": []}\n')
    write(kind, "empty-array.json", "[]\n")
    # Same resources twice, IDs in other cases: merged by lower-case ID.
    mixed = json.loads(json.dumps(LAB))
    for r in mixed:
        r["id"] = r["id"].upper() if r["type"].endswith("vaults") else r["id"].lower()
    write(kind, "duplicates-mixed-case-ids.json", LAB + mixed + [vault("kv-contoso-prod")])
    # Enough vaults that fuzz_report's made-up observations cover every story.
    many = []
    for i, n in enumerate(["kv-app-%02d" % k for k in range(10)] + ["hsm-a", "hsm-b"]):
        vkind = "managedHSMs" if n.startswith("hsm") else "vaults"
        pid = rid(SUB, "rg-net", "Microsoft.Network", "privateEndpoints", "pe-" + n)
        many.append(vault(n, kind=vkind, location=["westeurope", "chinanorth3", "usgovvirginia"][i % 3],
                          conns=[("pe-" + n, pid, ["Approved", "Pending"][i % 2])] if i % 4 else [],
                          uri_host=(n + ".vault.azure.cn") if i == 5 else None))
        if i % 4:
            many.append(pe("pe-" + n, many[-1]["id"], [], n + ".vault.azure.net", ["10.1.0.%d" % (10 + i)]))
    many.append(record("kv-app-01", ["10.1.0.99"]))
    many.append(zone())
    write(kind, "many-vaults.json", json.dumps({"value": many}) + "\n")
    v6 = vault("kv-v6", conns=[("pe-v6", PE_ID.replace("prod", "v6"), "Approved")])
    write(kind, "ipv6-and-loose-addresses.json", [
        v6,
        pe("pe-kv-contoso-v6", v6["id"], [], "kv-v6.vault.azure.net", ["fd00:10::4", "10.1.2.3/28", "nope"],
           static_ips=["10.1.2.4/28", "fd00:10::5"]),
    ])


def multi_doc_seeds():
    """Saved files of several documents (inventory only: an ARM page is one)."""
    w = lambda name, data: write("inventory", name, data)
    one = json.dumps(V_CONTOSO)
    two = json.dumps(vault("kv-payments", pna="Enabled", acl="Allow"))
    w("multi-concatenated.json", one + two)
    w("multi-ndjson.json", "".join(json.dumps(r) + "\n" for r in LAB))
    w("multi-pretty-appended.json", json.dumps(V_CONTOSO, indent=2) + "\n" + json.dumps({"value": LAB[1:]}, indent=2) + "\n")
    w("multi-array-then-object.json", json.dumps(LAB[:2]) + "\n" + two + "\r\n")
    w("multi-trailing-garbage.json", one + "\n" + two + "\ngarbage\n")
    w("multi-cut-second.json", one + "\n" + two[:len(two) // 2])
    w("multi-cut-in-escape.json", one + '\n{"id": "a\\"b')
    w("multi-nul-bytes.bin", b"\0" * 100)
    w("multi-bom-control.json", b"\xef\xbb\xbf" + one.encode() + b"\n\x01" + two.encode())
    w("multi-whitespace-only.json", " \n\t\r\n")
    vnet = {"id": rid(SUB, "rg-net", "Microsoft.Network", "virtualNetworks", "vnet-hub"), "name": "vnet-hub",
            "type": "Microsoft.Network/virtualNetworks", "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}}
    w("multi-unused-types.json", json.dumps([vnet]) + "\n" + one + "\n")
    w("multi-only-unused-types.json", json.dumps([vnet, dict(vnet, id=vnet["id"] + "2")]))
    w("multi-not-arm-second.json", one + "\n42\n")


# ---------------------------------------------------------------- DNS packets

def name_bytes(name):
    out = b""
    for label in name.rstrip(".").split("."):
        lb = label.encode("latin-1")
        out += bytes([len(lb)]) + lb
    return out + b"\x00"


class Packet:
    """A DNS response; with compress, owner names repeat as pointers."""

    def __init__(self, qname, qtype=1, rcode=0, compress=False, tc=False):
        self.compress = compress
        self.names = {}
        self.body = b""
        self.an = 0
        self.ns = 0
        flags = 0x8180 | rcode | (0x0200 if tc else 0)
        self.hdr = [0x4b1d, flags, 1, 0, 0, 0]
        self.body += self.name(qname) + struct.pack(">HH", qtype, 1)

    def name(self, n):
        key = n.lower().rstrip(".")
        if self.compress and key in self.names:
            return struct.pack(">H", 0xC000 | self.names[key])
        off = 12 + len(self.body)
        if self.compress:
            self.names[key] = off
        return name_bytes(n)

    def rr(self, owner, rtype, rdata, ttl=10, section="an"):
        b = self.name(owner)
        self.body += b
        hdr = struct.pack(">HHIH", rtype, 1, ttl, 0)
        self.body += hdr
        start = len(self.body)
        rd = rdata(self) if callable(rdata) else rdata
        self.body += rd
        # patch rdlength
        ln = len(self.body) - start
        pos = start - 2
        self.body = self.body[:pos] + struct.pack(">H", ln) + self.body[pos + 2:]
        if section == "an":
            self.an += 1
        else:
            self.ns += 1

    def a(self, owner, ip, ttl=10):
        self.rr(owner, 1, bytes(int(x) for x in ip.split(".")), ttl)

    def aaaa(self, owner, ip6, ttl=10):
        import ipaddress
        self.rr(owner, 28, ipaddress.IPv6Address(ip6).packed, ttl)

    def cname(self, owner, target, ttl=10):
        self.rr(owner, 5, lambda p: p.name(target), ttl)

    def soa(self, owner, minimum=10):
        self.rr(owner, 6, lambda p: p.name("azureprivatedns.net") + p.name("azureprivatedns-host.microsoft.com") +
                struct.pack(">IIIII", 1, 3600, 300, 2419200, minimum), 10, section="ns")

    def bytes(self):
        self.hdr[3] = self.an
        self.hdr[4] = self.ns
        return struct.pack(">HHHHHH", *self.hdr) + self.body


Q = "x.vault.azure.net"
PL = "x.privatelink.vaultcore.azure.net"


def dns_seeds():
    w = lambda name, p: write("dns_answer", name, p if isinstance(p, (bytes, bytearray)) else p.bytes())
    p = Packet(Q)
    p.a(Q, "10.1.0.4")
    w("a-direct-override-zone.bin", p)

    p = Packet(Q, compress=True)
    p.cname(Q, PL, 60)
    p.a(PL, "10.1.0.4", 10)
    w("cname1-privatelink-private.bin", p)

    p = Packet(Q, compress=True)
    p.cname(Q, PL, 60)
    p.cname(PL, "data-prod-weu.vaultcore.azure.net", 60)
    p.cname("data-prod-weu.vaultcore.azure.net", "data-prod-weu-region.cloudapp.net", 300)
    p.a("data-prod-weu-region.cloudapp.net", "52.157.3.12", 300)
    w("cname3-public.bin", p)

    p = Packet(Q)
    names = [Q] + ["hop%02d.example.net" % i for i in range(1, 21)]
    for i in range(20):
        p.cname(names[i], names[i + 1], 30)
    p.a(names[20], "10.1.0.4")
    w("cname20-long-chain.bin", p)

    p = Packet(Q, rcode=3, compress=True)
    p.cname(Q, PL, 60)
    p.soa("privatelink.vaultcore.azure.net", minimum=10)
    w("nxdomain-with-cname.bin", p)

    p = Packet(Q, qtype=28, compress=True)
    p.cname(Q, PL, 60)
    p.aaaa(PL, "2603:1020:203:3::1b")
    p.aaaa(PL, "fd00:10::4")
    w("aaaa-public-and-private.bin", p)

    p = Packet(Q)
    p.cname(Q, PL)
    p.cname(PL, Q)
    w("cname-loop.bin", p)

    p = Packet(Q, compress=True)
    p.cname(Q, PL, 60)
    p.a(PL, "10.1.0.4")
    full = p.bytes()
    w("truncated-mid-rr.bin", full[:len(full) - 7])

    p = Packet(Q, compress=True)
    p.cname(Q, PL, 60)
    for i in range(120):
        p.a(PL, "10.1.%d.%d" % (i // 200, 4 + i % 200), 10 + i)
    w("120-addresses.bin", p)

    p = Packet(Q, compress=True)
    p.a(Q, "10.1.0.4")
    p.a(Q, "10.1.0.5")
    p.a(Q, "10.1.0.4")
    w("compressed-duplicates.bin", p)

    p = Packet(Q, compress=True)
    p.soa("vault.azure.net", minimum=300)
    w("nodata-soa.bin", p)

    w("servfail-empty.bin", Packet(Q, rcode=2))
    w("refused-empty.bin", Packet(Q, rcode=5))

    p = Packet("X.Vault.Azure.NET")
    p.cname("X.VAULT.AZURE.NET", "X.PrivateLink.VaultCore.Azure.Net")
    p.a("x.privatelink.vaultcore.azure.net", "10.1.0.4")
    w("mixed-case-names.bin", p)

    # A name whose compression pointer points at itself.
    hdr = struct.pack(">HHHHHH", 0x4b1d, 0x8180, 1, 1, 0, 0)
    q = name_bytes(Q) + struct.pack(">HH", 1, 1)
    self_ptr = struct.pack(">H", 0xC000 | (12 + len(q)))
    w("pointer-loop.bin", hdr + q + self_ptr + struct.pack(">HHIH", 1, 1, 10, 4) + bytes([10, 1, 0, 4]))
    # A pointer past the end of the packet.
    w("pointer-out-of-range.bin", hdr + q + b"\xc3\xff" + struct.pack(">HHIH", 1, 1, 10, 4) + bytes([10, 1, 0, 4]))

    p = Packet(Q, tc=True)
    p.cname(Q, PL)
    w("tc-bit-partial.bin", p)

    p = Packet(Q, compress=True)
    p.cname(Q, PL)
    p.rr(PL, 16, b"\x05hello")
    p.aaaa(PL, "fd00::4")
    p.a(PL, "10.1.0.4", 0)
    p.a(PL, "10.1.0.6", 0xFFFFFFFF)
    w("mixed-types-ttl-extremes.bin", p)

    p = Packet("y.vault.azure.net")
    p.a("y.vault.azure.net", "52.1.2.3")
    w("answer-for-other-name.bin", p)

    w("empty.bin", b"")
    w("header-only.bin", struct.pack(">HHHHHH", 0x4b1d, 0x8180, 0, 0, 0, 0))

    p = Packet(Q)
    p.cname(Q, PL)
    w("cname-to-privatelink-no-a.bin", p)

    p = Packet(Q)
    p.cname(Q, "we\\ird.lab\x00el\x7f.example.net")
    p.a("we\\ird.lab\x00el\x7f.example.net", "10.1.0.4")
    w("label-special-bytes.bin", p)

    p = Packet(Q)
    p.a(Q, "10.1.0.4")
    b = bytearray(p.bytes())
    b[6:8] = struct.pack(">H", 5)  # says five answers, holds one
    w("ancount-too-large.bin", b)

    p = Packet(Q)
    p.rr(Q, 1, bytes([10, 1, 0]))  # A with 3 bytes of data
    w("a-short-rdata.bin", p)

    # Bigger than any fixed array (a TCP answer): every address is read;
    # the public one is the last record, then the first.
    p = Packet(Q, compress=True)
    p.cname(Q, PL, 60)
    for i in range(1099):
        p.a(PL, "10.50.%d.%d" % (i // 250, 1 + i % 250), 30)
    p.a(PL, "52.1.2.3", 7)
    w("1100-addresses-public-last.bin", p)

    p = Packet(Q, qtype=28, compress=True)
    p.cname(Q, PL, 60)
    p.aaaa(PL, "2001:db8::52", 7)
    for i in range(1099):
        p.aaaa(PL, "fd00::%x" % (i + 1), 30)
    w("1100-aaaa-public-first.bin", p)

    # A reply code c-ares 1.18 passes off as success (6-15), with records:
    # kvpe's resolver reads the RCODE from the header and never parses these;
    # the parser stays safe on them anyway.
    p = Packet(Q, rcode=9, compress=True)
    p.a(Q, "10.1.0.4")
    w("rcode-9-notauth-with-answer.bin", p)


# ---------------------------------------------------------------- HTTP headers

def header_seeds():
    w = lambda name, s: write("http_headers", name, s)
    w("network-info-current.txt", "conn_type=Ipv4;addr=10.1.0.9;act_addr_fam=InterNetwork;")
    w("network-info-old.txt", "addr=10.1.0.9;act_addr_fam=InterNetwork;")
    w("network-info-ipv6.txt", "conn_type=Ipv6;addr=fd00:10::9;act_addr_fam=InterNetworkV6;")
    w("network-info-public-spaces.txt", " conn_type=Ipv4 ; addr=20.61.13.5 ;act_addr_fam=InterNetwork")
    w("network-info-bad-addr.txt", "conn_type=Ipv4;addr=10.1.0.999;addr=;ADDR=10.1.0.9")
    w("bearer-login-windows.txt",
      "Bearer authorization=\"https://login.windows.net/%s\", resource=\"https://vault.azure.net\"" % TENANT)
    w("bearer-authorization-uri.txt",
      "Bearer authorization_uri=\"https://login.microsoftonline.com/%s/\", resource=\"https://vault.azure.net\""
      % TENANT)
    w("bearer-unquoted-usgov.txt",
      "Bearer authorization=https://login.microsoftonline.us/%s, resource=https://vault.usgovcloudapi.net" % TENANT)
    w("bearer-escapes-error.txt",
      "Bearer realm=\"a\\\"b\", error=\"invalid_token\", error_description=\"The access token is expired\", "
      "authorization=\"https://login.windows.net/te\\\\nant\"")
    w("negotiate-then-bearer.txt", "Negotiate, Bearer authorization=\"https://login.windows.net/%s\"" % TENANT)
    w("bearer-pop.txt", "PoP nonce=\"abc\", Bearer authorization=\"https://login.chinacloudapi.cn/tenant.cn\"")
    w("403-forbidden-by-connection.txt",
      "conn_type=Ipv4;addr=10.1.0.9;act_addr_fam=InterNetwork;\0"
      "{\"error\":{\"code\":\"Forbidden\",\"message\":\"Connection is not an approved private link and caller "
      "was ignored because bypass is not set to 'AzureServices' and PublicNetworkAccess is set to 'Disabled'."
      "\\r\\nVault: kv-contoso-prod;location=westeurope\",\"innererror\":{\"code\":\"ForbiddenByConnection\"}}}")
    w("403-forbidden-by-firewall.txt",
      "\0{\"error\":{\"code\":\"Forbidden\",\"message\":\"Client address is not authorized and caller is not a "
      "trusted service.\\r\\nClient address: 20.61.13.5\\r\\nCaller: appid=04b07795;oid=1a2b\\r\\nVault: "
      "kv-contoso-prod;location=westeurope\",\"innererror\":{\"code\":\"ForbiddenByFirewall\"}}}")
    w("401-body.txt",
      "Bearer authorization=\"https://login.windows.net/%s\", resource=\"https://vault.azure.net\"\0"
      "{\"error\":{\"code\":\"Unauthorized\",\"message\":\"AKV10000: Request is missing a Bearer or PoP token.\"}}"
      % TENANT)
    w("proxy-html-body.txt", "\0<html><head><title>403 Forbidden</title></head><body>Blocked by proxy</body></html>")
    inner = "{\"code\":\"L%d\"%s}"
    body = "\"x\""
    for i in range(12, 0, -1):
        body = inner % (i, ",\"innererror\":" + body)
    w("403-deep-innererror.txt", "\0{\"error\":" + body + "}")
    w("403-bad-code-chars.txt", "\0{\"error\":{\"code\":\"Forbidden\",\"innererror\":{\"code\":\"a b\\u0000c\"}}}")
    # Retry-After (RFC 9110 10.2.3) and retry-after-ms from a throttling server.
    w("retry-after-seconds.txt", "17")
    w("retry-after-20-digits.txt", "99999999999999999999")
    w("retry-after-negative.txt", "-5")
    w("retry-after-fraction.txt", " 1.5 ")
    w("retry-after-garbage.txt", "soon, maybe")
    w("retry-after-date-future.txt", "Fri, 31 Dec 9999 23:59:59 GMT")
    w("retry-after-date-past.txt", "Sun, 06 Nov 1994 08:49:37 GMT")
    w("retry-after-date-rfc850.txt", "Sunday, 06-Nov-94 08:49:37 GMT")
    w("retry-after-date-huge-year.txt", "Fri, 31 Dec 2147483647 23:59:59 GMT")
    w("retry-after-ms-huge.txt", "184467440737095516160000\0" + "1500")


# ---------------------------------------------------------------- tokens

JWT = ("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6ImtXYmthYTZxczh3c1RuQndpaU5ZT2hIYm5BdyJ9."
       "eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyJ9.c2lnbmF0dXJl")


def token_seeds():
    w = lambda name, d: write("token", name, d)
    w("entra-client-credentials.json",
      {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": JWT})
    w("imds-string-numbers.json",
      {"access_token": JWT, "client_id": "8d0a2f5e-1c3b-4d6e-9f80-a1b2c3d4e5f6", "expires_in": "86399",
       "expires_on": "1800086399", "ext_expires_in": "86399", "not_before": "1799999999",
       "resource": "https://management.azure.com/", "token_type": "Bearer"})
    w("app-service-2019.json", {"access_token": JWT, "expires_on": 1800003600,
                                "resource": "https://management.azure.com/", "token_type": "Bearer",
                                "client_id": "8d0a2f5e-1c3b-4d6e-9f80-a1b2c3d4e5f6"})
    w("app-service-2017-date-string.json", {"access_token": JWT, "expires_on": "09/14/2027 00:00:00 PM +00:00",
                                            "resource": "https://management.azure.com/", "token_type": "Bearer"})
    w("az-cli-current.json", {"accessToken": JWT, "expiresOn": "2027-01-15 10:00:00.000000",
                              "expires_on": 1800003600, "subscription": SUB, "tenant": TENANT,
                              "tokenType": "Bearer"})
    w("az-cli-old-local-time.json", {"accessToken": JWT, "expiresOn": "2027-01-15 10:00:00.000000",
                                     "subscription": SUB, "tenant": TENANT, "tokenType": "Bearer"})
    w("entra-error.json", {"error": "invalid_client",
                           "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret "
                                                "being sent in the request is the client secret value.\r\nTrace ID: "
                                                "0a1b2c3d\r\nTimestamp: 2026-11-28 09:00:00Z",
                           "error_codes": [7000215], "timestamp": "2026-11-28 09:00:00Z",
                           "trace_id": "0a1b2c3d", "correlation_id": "4e5f6a7b",
                           "error_uri": "https://login.microsoftonline.com/error?code=7000215"})
    w("imds-identity-not-found.json", {"error": "invalid_request", "error_description": "Identity not found"})
    w("arm-style-error-object.json", {"error": {"code": "AuthorizationFailed",
                                                "message": "The client does not have authorization"}})
    w("error-echoing-token-text.json", {"error": "invalid_grant",
                                        "error_description": "bad body {\"access_token\":\"zzz\"}",
                                        "access_token": JWT, "expires_in": 3600})
    w("expired.json", {"access_token": JWT, "expires_on": 1700000000})
    w("empty-token.json", {"access_token": "", "accessToken": JWT, "expires_in": 3600})
    w("no-expiry.json", {"access_token": JWT, "token_type": "Bearer"})
    w("float-and-negative.json", {"access_token": JWT, "expires_on": 1.8e9, "expires_in": -60})
    w("token-with-escapes.json", '{"access_token": "ab\\u0000cd\\n\\"e", "expires_in": "3600x", '
                                 '"expires_on": "1800000001"}\n')
    w("html-502.txt", "<html><head><title>502 Bad Gateway</title></head><body><center>502 Bad Gateway"
                      "</center></body></html>\n")
    w("not-an-object.json", "[\"access_token\", 3600]\n")
    w("duplicate-keys.json", '{"access_token": "first", "access_token": "second", "expires_in": 10}\n')
    good = json.dumps({"token_type": "Bearer", "expires_in": 3599, "access_token": JWT})
    w("trailing-garbage.json", good + "garbage")
    w("two-documents.json", good + "\n" + good + "\n")
    w("cut-in-token.json", good[:good.index(JWT) + 20])


# ---------------------------------------------------------------- config

def config_seeds():
    w = lambda name, d: write("config", name, d)
    w("agent-full.json", {
        "subscription": [SUB, SUB2], "interval": "5m", "listen": "127.0.0.1:9712",
        "textfile": "/var/lib/prometheus/node-exporter/kvpe.prom", "dns_server": ["10.0.0.4", "[fd00::53]:53"],
        "dns_qps": 900, "concurrency": 200, "timeout": 5000, "probe": "https", "private_cidr": ["100.64.0.0/10"],
        "log_format": "logfmt", "vnet": VNET_ID, "ca_file": "/etc/kvpe/ca.pem", "once": False})
    w("check-inventory-reports.json", {"inventory": ["arm-vaults.json", "arm-network.json"], "format": "sarif",
                                       "output": "kvpe.sarif", "report": ["junit=TEST-kvpe.xml", "json=kvpe.json"],
                                       "no_color": True, "wait": "2m30s"})
    w("vaults-china.json", {"vault": ["kv-contoso-prod=10.1.0.4,10.1.0.5", "hsm:hsm-contoso",
                                      "kv-x.vault.azure.cn"], "cloud": "AzureChinaCloud"})
    w("dashes-and-underscores.json", {"arm-endpoint": "https://management.usgovcloudapi.net/",
                                      "arm_timeout": "30s", "dns-server": "10.0.0.4:5353", "log-format": "text"})
    w("wrong-type.json", {"dns_qps": "fast", "probe": 3})
    w("unknown-key.json", {"colour": False})
    w("not-object.json", ["vault", "kv-a"])
    w("numbers-out-of-range.json", {"timeout": 1e20, "concurrency": -1})
    w("booleans.json", {"once": True, "verbose": True, "quiet": False, "no-color": False})
    w("list-for-single.json", {"format": ["json", "sarif"]})
    w("empty-object.json", {})
    w("long-key.json", {"k" * 80: 1})
    w("config-and-help-keys.json", {"config": "/etc/kvpe/other.json", "help": True})
    w("bad-listen-and-vault.json", {"listen": "0.0.0.0:0", "vault": ["-bad-", "x=1.2.3.4,"]})
    w("empty-lists-null.json", {"vault": [], "subscription": None, "private_cidr": ["10.0.0.0/33"]})
    w("truncated.json", '{"interval": "5m", "listen": "127.0.0.1:97')
    w("two-objects.json", '{"probe": "off"}\n{"probe": "tcp"}\n')
    w("trailing-garbage.json", '{"probe": "off"} x')
    w("nul-after-object.json", b'{"probe": "off"}\n\0')
    w("stdin-twice.json", {"inventory": ["-", "a.json", "-"]})
    w("vault-trailing-dots.json", {"vault": ["contoso.", "kv-x.vault.azure.net.", "hsm:hsm1.", "kv-y.=10.0.0.1"]})
    w("vault-hsm-with-vault-fqdn.json", {"vault": ["hsm:kv-x.vault.azure.net"]})


# ---------------------------------------------------------------- args

def args_seeds():
    w = lambda name, s: write("args", name, s)
    w("0-duration-5m30s", "05m30s")
    w("0-duration-ms", "0250ms")
    w("0-duration-bare", "090")
    w("0-duration-1d2h", "01d2h3m4s5ms")
    w("1-long", "1900")
    w("1-long-negative", "1-42")
    w("1-long-max", "19223372036854775807")
    w("2-cidr-v4", "2100.64.0.0/10")
    w("2-cidr-v6", "2fc00::/7")
    w("2-cidr-host-bits", "210.1.2.3/8")
    w("3-addr-v4", "310.1.0.4")
    w("3-addr-v4-mapped", "3::ffff:10.1.0.4")
    w("4-addr-loose", "410.1.2.3/28")
    w("5-hostport-v4", "510.0.0.4:53")
    w("5-hostport-v6", "5[fd00::53]:5353")
    w("5-hostport-bare-v6", "5fd00::53")
    w("6-vault-addrs", "6kv-contoso-prod=10.1.0.5,10.1.0.4,10.1.0.4")
    w("6-vault-hsm", "6hsm:hsm-contoso")
    w("6-vault-fqdn-china", "6KV-X.vault.azure.cn.")
    w("6-vault-trailing-dot", "6contoso.=10.0.0.1")
    w("6-vault-hsm-trailing-dot", "6hsm:hsm-contoso.")
    w("6-vault-hsm-with-vault-fqdn", "6hsm:kv-x.vault.azure.net")
    w("6-vault-dots-only", "6..")
    w("7-fqdn-privatelink", "7kv-contoso-prod.privatelink.vaultcore.azure.net.")
    w("7-fqdn-hsm-usgov", "7h1.managedhsm.usgovcloudapi.net")
    w("8-cloud-china", "8AzureChinaCloud")
    w("8-cloud-alias", "8usgov")
    w("9-format", "9sarif")
    w("9-host-regional-hsm", "9westeurope.h1.managedhsm.azure.net")


# ---------------------------------------------------------------- prom_escape

def prom_seeds():
    w = lambda name, s: write("prom_escape", name, s)
    w("plain", "kv-contoso-prod")
    w("quote", "say \"hi\"")
    w("backslash", "C:\\path\\")
    w("newline", "two\nlines\n")
    w("escaped-looking", "\\\"\\n already escaped?")
    w("trailing-backslash", "ends with \\")
    w("many-quotes", "\"\"\"\"\\\\\"")
    w("utf8", "caf\u00e9 \u2028 \U0001f511")
    w("invalid-utf8", b"\xff\xfe\xc3(")
    w("cr-tab", "a\rb\tc")
    w("embedded-nul", b"before\x00after\"")


def main():
    arm_seeds("inventory")
    arm_seeds("report")
    multi_doc_seeds()
    dns_seeds()
    header_seeds()
    token_seeds()
    config_seeds()
    args_seeds()
    prom_seeds()


if __name__ == "__main__":
    main()
