#!/usr/bin/env python3
"""mkpath.py: builds kvpe's DNS-path lab (tests/lab/PATH-LAB.md) from one
hub-and-spoke tenant model (tests/lab/path-tenant.json):

  mkpath.py TENANT.json OUTDIR [--agent VNET|VM] [--no-inventory]

writes into OUTDIR
  azdns.json          the model tests/servers/azdns.py serves: private zones and
                      their VNet links, forwarding rulesets and their links, the
                      public view, and its listeners (Azure DNS of each VNet,
                      the inbound endpoints, the internet and on-prem resolvers)
  <vm>.conf           an unbound config per DNS VM of the model ("dns_server":
                      "forwarder": conditional forwarders for vault.azure.net and
                      vaultcore.azure.net to Azure DNS of its VNet, the rest to the
                      internet resolver; "no-forwarder": everything to the
                      internet resolver -- the classic broken custom DNS)
  arm.json            what tests/servers/armserver.py serves: the subscription
                      lists, the per-parent lists, every resource by ID, and the
                      IMDS instance documents of the VMs ("imds")
  inventory-arm.json  every ARM resource (ARM's shape), for --inventory
  inventory-az/*.json the same per type as `az ... list -o json` prints it
  lab.json            addresses, listeners, per-VNet and per-VM facts and the
                      expectations, for tests/lib/netns.sh and the tests

Shapes follow the azure-rest-api-specs examples in /work/research/arm-dnspath/
(see SOURCES.md there).  API versions whose shapes are used (armserver does
not check the api-version, only that one is given):
  Microsoft.Network virtualNetworks, networkInterfaces,
    privateEndpoints                               2024-05-01 (2024-07-01 Get)
  Microsoft.Compute virtualMachines                2024-07-01
  Microsoft.Network dnsResolvers, inboundEndpoints, outboundEndpoints,
    dnsForwardingRulesets, forwardingRules, ruleset virtualNetworkLinks
                                                   2025-05-01
  Microsoft.Network privateDnsZones, /A, /virtualNetworkLinks
    (resolutionPolicy needs 2024-06-01 or later)   2024-06-01
  IMDS /metadata/instance                          2021-02-01
"""
import ipaddress
import json
import os
import sys
import uuid

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mklab  # noqa: E402

AZURE_DNS = "168.63.129.16"
IMDS = "169.254.169.254"
AZURE_PORT_BASE = 5300        # Azure DNS of the i-th VNet: 168.63.129.16:5301, ...
PL_ZONE = "privatelink.vaultcore.azure.net"
DATA_HOST = "data-prod-weu.vaultcore.azure.net"
DATA_REGION = "data-prod-weu-region.vaultcore.azure.net"
NS = uuid.UUID("6b1d7e6a-5f0e-4f5b-9a57-6b5f3f2a0d11")


def guid(*parts):
    return str(uuid.uuid5(NS, "/".join(parts)))


def mac(ip, sep="-"):
    """A stable MAC for a NIC: 00-0D-3A (Azure's prefix) and the address's last 3 bytes."""
    b = ipaddress.IPv4Address(ip).packed
    return sep.join("%02X" % x for x in (0x00, 0x0D, 0x3A, b[1], b[2], b[3]))


class Lab:
    def __init__(self, tenant, agent=None):
        self.t = tenant
        self.sub = mklab.sub_id(tenant.get("subscription", "a"))
        self.loc = tenant.get("location", "westeurope")
        self.colls, self.res = {}, {}
        self.vnets = {v["name"]: v for v in tenant["vnets"]}
        self.order = [v["name"] for v in tenant["vnets"]]
        self.agent = agent or tenant.get("agent_vnet") or self.order[0]
        self.vms = {}          # name -> facts (id, nic, ip, vnet, clients)
        self.addresses = [AZURE_DNS, IMDS, tenant["internet_resolver"], tenant["onprem_dns"]]

    # -- helpers ------------------------------------------------------------
    def rid(self, rg, rtype, name):
        return "/subscriptions/%s/resourceGroups/%s/providers/%s/%s" % (self.sub, rg, rtype, name)

    def coll(self, path):
        return self.colls.setdefault(path.lower(), [])

    def add(self, path, obj):
        self.coll(path).append(obj)
        self.res[obj["id"].lower()] = obj

    def sublist(self, rtype):
        return "/subscriptions/%s/providers/%s" % (self.sub, rtype)

    def vnet_id(self, name):
        return self.rid(self.vnets[name]["rg"], "Microsoft.Network/virtualNetworks", name)

    def subnet_id(self, vnet, subnet):
        if subnet not in self.vnets[vnet]["subnets"]:
            sys.exit("mkpath: VNet %s has no subnet %s" % (vnet, subnet))
        return self.vnet_id(vnet) + "/subnets/" + subnet

    def azure_port(self, vnet):
        return AZURE_PORT_BASE + 1 + self.order.index(vnet)

    def address(self, ip):
        if ip not in self.addresses:
            self.addresses.append(ip)

    # -- network ------------------------------------------------------------
    def build_vnets(self):
        for name in self.order:
            v = self.vnets[name]
            vid = self.vnet_id(name)
            props = {"provisioningState": "Succeeded", "resourceGuid": guid(vid),
                     "addressSpace": {"addressPrefixes": [v["prefix"]]},
                     "subnets": [{"id": vid + "/subnets/" + s, "name": s,
                                  "type": "Microsoft.Network/virtualNetworks/subnets",
                                  "properties": {"addressPrefix": p, "provisioningState": "Succeeded"}}
                                 for s, p in sorted(v["subnets"].items())],
                     "virtualNetworkPeerings": [], "enableDdosProtection": False}
            # dns null: dhcpOptions absent, as VirtualNetworks_Get shows it (Azure DNS)
            if v.get("dns") is not None:
                props["dhcpOptions"] = {"dnsServers": list(v["dns"])}
            self.add(self.sublist("Microsoft.Network/virtualNetworks"),
                     {"id": vid, "name": name, "type": "Microsoft.Network/virtualNetworks",
                      "location": self.loc, "etag": 'W/"%s"' % guid(vid, "etag"), "properties": props})
        for name in self.order:   # peerings both ways, once every VNet exists
            hub = self.vnets[name].get("peer")
            if hub:
                for a, b in ((name, hub), (hub, name)):
                    aid = self.vnet_id(a)
                    self.res[aid.lower()]["properties"]["virtualNetworkPeerings"].append({
                        "id": aid + "/virtualNetworkPeerings/peer-" + b, "name": "peer-" + b,
                        "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
                        "properties": {"remoteVirtualNetwork": {"id": self.vnet_id(b)}, "peeringState": "Connected",
                                       "peeringSyncLevel": "FullyInSync", "allowVirtualNetworkAccess": True,
                                       "allowForwardedTraffic": True, "useRemoteGateways": False,
                                       "provisioningState": "Succeeded"}})

    def vm_list(self):
        """The model's VMs plus one agent VM per VNet that names an "agent" address."""
        out = list(self.t.get("vms", []))
        for name in self.order:
            v = self.vnets[name]
            if v.get("agent"):
                out.append({"name": "vm-agent-" + name[len("vnet-"):] if name.startswith("vnet-") else "vm-agent-" + name,
                            "vnet": name, "subnet": "snet-vm", "ip": v["agent"], "agent": True})
        return out

    def build_vms(self):
        for vm in self.vm_list():
            rg = self.vnets[vm["vnet"]]["rg"]
            vmid = self.rid(rg, "Microsoft.Compute/virtualMachines", vm["name"])
            nicid = self.rid(rg, "Microsoft.Network/networkInterfaces", vm["name"] + "-nic")
            subnet = self.subnet_id(vm["vnet"], vm["subnet"])
            vnet_dns = self.vnets[vm["vnet"]].get("dns") or []
            nic_dns = list(vm.get("nic_dns", []))
            applied = nic_dns or vnet_dns
            nic = {"id": nicid, "name": vm["name"] + "-nic", "type": "Microsoft.Network/networkInterfaces",
                   "location": self.loc, "etag": 'W/"%s"' % guid(nicid, "etag"),
                   "properties": {
                       "provisioningState": "Succeeded", "resourceGuid": guid(nicid),
                       "ipConfigurations": [{
                           "name": "ipconfig1", "id": nicid + "/ipConfigurations/ipconfig1",
                           "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
                           "properties": {"provisioningState": "Succeeded", "privateIPAddress": vm["ip"],
                                          "privateIPAllocationMethod": "Static", "subnet": {"id": subnet},
                                          "primary": True, "privateIPAddressVersion": "IPv4"}}],
                       "dnsSettings": {"dnsServers": nic_dns, "appliedDnsServers": applied,
                                       "internalDomainNameSuffix": "lab.ax.internal.cloudapp.net"},
                       "macAddress": mac(vm["ip"]), "enableAcceleratedNetworking": False,
                       "enableIPForwarding": False, "disableTcpStateTracking": False, "primary": True,
                       "virtualMachine": {"id": vmid}, "nicType": "Standard", "vnetEncryptionSupported": False}}
            self.add(self.sublist("Microsoft.Network/networkInterfaces"), nic)
            vmobj = {"id": vmid, "name": vm["name"], "type": "Microsoft.Compute/virtualMachines",
                     "location": self.loc, "tags": {},
                     "properties": {
                         "vmId": guid(vmid), "hardwareProfile": {"vmSize": "Standard_B2s"},
                         "storageProfile": {
                             "imageReference": {"publisher": "Debian", "offer": "debian-12", "sku": "12-gen2",
                                                "version": "latest"},
                             "osDisk": {"osType": "Linux", "name": vm["name"] + "-osdisk", "createOption": "FromImage",
                                        "caching": "ReadWrite", "managedDisk": {"storageAccountType": "Standard_LRS"},
                                        "diskSizeGB": 30},
                             "dataDisks": []},
                         "osProfile": {"computerName": vm["name"], "adminUsername": "azureuser",
                                       "linuxConfiguration": {"disablePasswordAuthentication": True},
                                       "secrets": [], "allowExtensionOperations": True},
                         "networkProfile": {"networkInterfaces": [{"id": nicid, "properties": {"primary": True}}]},
                         "provisioningState": "Succeeded"}}
            self.add(self.sublist("Microsoft.Compute/virtualMachines"), vmobj)
            net = ipaddress.ip_network(self.vnets[vm["vnet"]]["subnets"][vm["subnet"]])
            self.vms[vm["name"]] = {
                "id": vmid, "nic": nicid, "ip": vm["ip"], "vnet": vm["vnet"], "vnet_id": self.vnet_id(vm["vnet"]),
                "clients": applied or [AZURE_DNS], "nic_dns": nic_dns, "agent": bool(vm.get("agent")),
                "dns_server": vm.get("dns_server"), "purpose": vm.get("purpose"), "expect": vm.get("expect"),
                "imds": self.imds_doc(vm, vmid, net)}
            self.address(vm["ip"])

    def imds_doc(self, vm, vmid, net):
        """GET /metadata/instance?api-version=2021-02-01 as IMDS answers it on
        this VM: every primitive a string (/work/research/imds.md)."""
        rg = self.vnets[vm["vnet"]]["rg"]
        return {
            "compute": {
                "azEnvironment": "AzurePublicCloud", "customData": "", "evictionPolicy": "", "isHostCompatibilityLayerVm": "false",
                "licenseType": "", "location": self.loc, "name": vm["name"], "offer": "debian-12",
                "osProfile": {"adminUsername": "azureuser", "computerName": vm["name"],
                              "disablePasswordAuthentication": "true"},
                "osType": "Linux", "placementGroupId": "", "plan": {"name": "", "product": "", "publisher": ""},
                "platformFaultDomain": "0", "platformUpdateDomain": "0", "priority": "", "provider": "Microsoft.Compute",
                "publicKeys": [], "publisher": "Debian", "resourceGroupName": rg, "resourceId": vmid,
                "securityProfile": {"secureBootEnabled": "false", "virtualTpmEnabled": "false"},
                "sku": "12-gen2", "subscriptionId": self.sub, "tags": "", "tagsList": [], "userData": "",
                "version": "0.20240101.0", "vmId": guid(vmid), "vmScaleSetName": "", "vmSize": "Standard_B2s",
                "zone": ""},
            "network": {"interface": [{
                "ipv4": {"ipAddress": [{"privateIpAddress": vm["ip"], "publicIpAddress": ""}],
                         "subnet": [{"address": str(net.network_address), "prefix": str(net.prefixlen)}]},
                "ipv6": {"ipAddress": []},
                "macAddress": mac(vm["ip"], "")}]}}

    # -- DNS Private Resolver -----------------------------------------------
    def build_resolvers(self):
        self.inbound = {}      # ip -> (resolver id, vnet)
        self.outbound = {}     # "resolver/outbound" -> id
        for r in self.t.get("resolvers", []):
            rg = self.vnets[r["vnet"]]["rg"]
            rid = self.rid(rg, "Microsoft.Network/dnsResolvers", r["name"])
            self.add(self.sublist("Microsoft.Network/dnsResolvers"), {
                "id": rid, "name": r["name"], "type": "Microsoft.Network/dnsResolvers", "location": self.loc,
                "etag": guid(rid, "etag"), "tags": {},
                "properties": {"dnsResolverState": "Connected", "provisioningState": "Succeeded",
                               "resourceGuid": guid(rid), "virtualNetwork": {"id": self.vnet_id(r["vnet"])}}})
            self.coll(rid + "/inboundEndpoints")
            self.coll(rid + "/outboundEndpoints")
            for name, ip in sorted(r.get("inbound", {}).items()):
                iid = rid + "/inboundEndpoints/" + name
                self.add(rid + "/inboundEndpoints", {
                    "id": iid, "name": name, "type": "Microsoft.Network/dnsResolvers/inboundEndpoints",
                    "location": self.loc, "etag": guid(iid, "etag"), "tags": {},
                    "properties": {"ipConfigurations": [{
                        "subnet": {"id": self.subnet_id(r["vnet"], "snet-inbound")}, "privateIpAddress": ip,
                        "privateIpAllocationMethod": "Static"}],
                        "provisioningState": "Succeeded", "resourceGuid": guid(iid)}})
                self.inbound[ip] = {"id": iid, "resolver": rid, "vnet": r["vnet"]}
                self.address(ip)
            for name in r.get("outbound", []):
                oid = rid + "/outboundEndpoints/" + name
                self.add(rid + "/outboundEndpoints", {
                    "id": oid, "name": name, "type": "Microsoft.Network/dnsResolvers/outboundEndpoints",
                    "location": self.loc, "etag": guid(oid, "etag"), "tags": {},
                    "properties": {"subnet": {"id": self.subnet_id(r["vnet"], "snet-outbound")},
                                   "provisioningState": "Succeeded", "resourceGuid": guid(oid)}})
                self.outbound[r["name"] + "/" + name] = oid

    def build_rulesets(self):
        self.rulesets = []
        for rs in self.t.get("rulesets", []):
            rsid = self.rid("rg-dns", "Microsoft.Network/dnsForwardingRulesets", rs["name"])
            self.add(self.sublist("Microsoft.Network/dnsForwardingRulesets"), {
                "id": rsid, "name": rs["name"], "type": "Microsoft.Network/dnsForwardingRulesets",
                "location": self.loc, "etag": guid(rsid, "etag"), "tags": {},
                "properties": {"dnsResolverOutboundEndpoints": [{"id": self.outbound[rs["outbound"]]}],
                               "provisioningState": "Succeeded", "resourceGuid": guid(rsid)}})
            self.coll(rsid + "/forwardingRules")
            self.coll(rsid + "/virtualNetworkLinks")
            rules = []
            for rule in rs["rules"]:
                fid = rsid + "/forwardingRules/" + rule["name"]
                state = rule.get("state", "Enabled")
                self.add(rsid + "/forwardingRules", {
                    "id": fid, "name": rule["name"], "type": "Microsoft.Network/dnsForwardingRulesets/forwardingRules",
                    "etag": guid(fid, "etag"),
                    "properties": {"domainName": rule["domain"],
                                   "targetDnsServers": [{"ipAddress": t.rsplit(":", 1)[0], "port": int(t.rsplit(":", 1)[1])}
                                                        for t in rule["targets"]],
                                   "metadata": {}, "forwardingRuleState": state, "provisioningState": "Succeeded"}})
                rules.append({"name": fid, "domain": rule["domain"], "targets": rule["targets"],
                              "enabled": state == "Enabled"})
            for vnet in rs["links"]:
                lid = rsid + "/virtualNetworkLinks/link-" + vnet
                self.add(rsid + "/virtualNetworkLinks", {
                    "id": lid, "name": "link-" + vnet, "type": "Microsoft.Network/dnsForwardingRulesets/virtualNetworkLinks",
                    "etag": guid(lid, "etag"),
                    "properties": {"virtualNetwork": {"id": self.vnet_id(vnet)}, "metadata": {},
                                   "provisioningState": "Succeeded"}})
            self.rulesets.append({"id": rsid, "links": list(rs["links"]), "rules": rules})

    # -- private DNS zones and vaults ---------------------------------------
    def vault_records(self, v, zkey):
        """The A records zone zkey holds for vault v: "records" a list (every
        zone), a dict per zone key, or absent (every approved address)."""
        recs = v.get("records")
        if recs is None:
            return [e["ip"] for e in v.get("endpoints", [])]
        if isinstance(recs, list):
            return list(recs)
        return list(recs.get(zkey, [e["ip"] for e in v.get("endpoints", [])]))

    def build_zones(self):
        self.zones = []
        for z in self.t["zones"]:
            zid = self.rid(z["rg"], "Microsoft.Network/privateDnsZones", z["name"])
            records = {}
            self.coll(zid + "/A")
            self.coll(zid + "/virtualNetworkLinks")
            for v in self.t["vaults"]:
                ips = self.vault_records(v, z["key"])
                if not ips:
                    continue
                records[v["name"]] = {"A": ips}
                aid = zid + "/A/" + v["name"]
                self.add(zid + "/A", {
                    "id": aid, "name": v["name"], "type": "Microsoft.Network/privateDnsZones/A",
                    "etag": guid(aid, "etag"),
                    "properties": {"ttl": 10, "fqdn": "%s.%s." % (v["name"], z["name"]), "isAutoRegistered": False,
                                   "aRecords": [{"ipv4Address": ip} for ip in ips]}})
            links = []
            for vnet, policy in sorted(z["links"].items()):
                lid = zid + "/virtualNetworkLinks/link-" + vnet
                self.add(zid + "/virtualNetworkLinks", {
                    "id": lid, "name": "link-" + vnet, "type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
                    "location": "global", "etag": guid(lid, "etag"), "tags": {},
                    "properties": {"virtualNetwork": {"id": self.vnet_id(vnet)}, "registrationEnabled": False,
                                   "resolutionPolicy": policy, "virtualNetworkLinkState": "Completed",
                                   "provisioningState": "Succeeded"}})
                links.append({"vnet": vnet, "resolutionPolicy": policy})
            self.add(self.sublist("Microsoft.Network/privateDnsZones"), {
                "id": zid, "name": z["name"], "type": "Microsoft.Network/privateDnsZones", "location": "global",
                "etag": guid(zid, "etag"), "tags": {},
                "properties": {"maxNumberOfRecordSets": 25000, "numberOfRecordSets": len(records) + 1,
                               "maxNumberOfVirtualNetworkLinks": 1000,
                               "maxNumberOfVirtualNetworkLinksWithRegistration": 100,
                               "numberOfVirtualNetworkLinks": len(links),
                               "numberOfVirtualNetworkLinksWithRegistration": 0, "provisioningState": "Succeeded"}})
            self.zones.append({"id": zid, "key": z["key"], "name": z["name"], "records": records, "links": links})

    def build_vaults(self):
        for t in ("Microsoft.KeyVault/vaults", "Microsoft.KeyVault/managedHSMs", "Microsoft.Network/privateEndpoints"):
            self.coll(self.sublist(t))
        for i, v in enumerate(self.t["vaults"]):
            vid = self.rid("rg-kv", "Microsoft.KeyVault/vaults", v["name"])
            fqdn = v["name"] + ".vault.azure.net"
            conns = []
            for k, e in enumerate(v.get("endpoints", [])):
                rg = self.vnets[e["vnet"]]["rg"]
                pename = "pe-%s-%d" % (v["name"], k)
                peid = self.rid(rg, "Microsoft.Network/privateEndpoints", pename)
                nicid = self.rid(rg, "Microsoft.Network/networkInterfaces", "%s.nic.%s" % (pename, guid(peid)))
                pe, nic, conn = mklab.arm_endpoint(vid, fqdn, False, peid, "%s.%s" % (pename, guid(vid, pename)),
                                                   e.get("state", "Approved"), self.subnet_id(e["vnet"], e["subnet"]),
                                                   [e["ip"]], nicid, location=self.loc)
                conns.append(conn)
                self.add(self.sublist("Microsoft.Network/networkInterfaces"), nic)
                self.add(self.sublist("Microsoft.Network/privateEndpoints"), pe)
                self.address(e["ip"])
            self.add(self.sublist("Microsoft.KeyVault/vaults"), {
                "id": vid, "name": v["name"], "type": "Microsoft.KeyVault/vaults", "location": self.loc, "tags": {},
                "properties": {"tenantId": mklab.TENANT_ID, "provisioningState": "Succeeded",
                               "vaultUri": "https://%s/" % fqdn, "sku": {"family": "A", "name": "standard"},
                               "publicNetworkAccess": "Disabled",
                               "privateEndpointConnections": conns}})

    # -- outputs ------------------------------------------------------------
    def public_records(self):
        recs = {DATA_HOST: {"CNAME": DATA_REGION}, DATA_REGION: {"A": [self.t["public_address"]]}}
        for v in self.t["vaults"]:
            approved = [e for e in v.get("endpoints", []) if e.get("state", "Approved") == "Approved"]
            fqdn = v["name"] + ".vault.azure.net"
            if approved:
                recs[fqdn] = {"CNAME": "%s.%s" % (v["name"], PL_ZONE)}
                recs["%s.%s" % (v["name"], PL_ZONE)] = {"CNAME": DATA_HOST}
            else:
                recs[fqdn] = {"CNAME": DATA_HOST}
        return recs

    def azdns_model(self):
        listen = [{"addr": AZURE_DNS, "port": 53, "vnet": "@agent", "role": "azure"}]
        listen += [{"addr": AZURE_DNS, "port": self.azure_port(n), "vnet": n, "role": "azure"} for n in self.order]
        listen += [{"addr": ip, "port": 53, "vnet": e["vnet"], "role": "inbound"} for ip, e in sorted(self.inbound.items())]
        listen += [{"addr": self.t["internet_resolver"], "port": 53, "view": "public", "role": "internet"},
                   {"addr": self.t["onprem_dns"], "port": 53, "view": "public", "role": "onprem"}]
        return {"ttl": 10, "forward_timeout": 1.0, "max_hops": 4, "loop": "servfail",
                "agent_vnet": self.vms_agent_vnet(),
                "public": {"ttl": 60, "zones": ["vault.azure.net", "vaultcore.azure.net", PL_ZONE],
                           "records": self.public_records()},
                "zones": [{"id": z["id"], "name": z["name"], "records": z["records"], "links": z["links"]}
                          for z in self.zones],
                "rulesets": self.rulesets, "listen": listen}

    def vms_agent_vnet(self):
        """--agent names a VNet or a VM; the agent stands in that VNet."""
        if self.agent in self.vnets:
            return self.agent
        if self.agent in self.vms:
            return self.vms[self.agent]["vnet"]
        sys.exit("mkpath: --agent %s is neither a VNet nor a VM of the model" % self.agent)

    def agent_vm(self):
        if self.agent in self.vms:
            return self.agent
        return next(n for n, f in self.vms.items() if f["agent"] and f["vnet"] == self.agent)

    def unbound_conf(self, out, vm):
        f = self.vms[vm]
        internet = self.t["internet_resolver"]
        lines = ["server:", "  interface: %s@53" % f["ip"], "  port: 53", "  do-daemonize: no", '  username: ""',
                 '  chroot: ""', '  directory: "%s"' % out, '  pidfile: ""', "  use-syslog: no",
                 '  logfile: "%s/%s.log"' % (out, vm), "  verbosity: 0", "  do-ip6: no", "  num-threads: 1",
                 '  module-config: "iterator"', "  qname-minimisation: no", "  access-control: 0.0.0.0/0 allow",
                 "  cache-max-ttl: 60", "  cache-max-negative-ttl: 5", "  outgoing-range: 64",
                 "  num-queries-per-thread: 32", "  msg-cache-size: 1m", "  rrset-cache-size: 1m",
                 "remote-control:", "  control-enable: yes", '  control-interface: "%s/%s.ctl"' % (out, vm),
                 "  control-use-cert: no"]
        if f["dns_server"] == "forwarder":
            # The documented conditional forwarders for Key Vault: the public
            # zones vault.azure.net and vaultcore.azure.net, not the privatelink one.
            for zone in ("vault.azure.net", "vaultcore.azure.net"):
                lines += ["forward-zone:", '  name: "%s"' % zone,
                          "  forward-addr: %s@%d" % (AZURE_DNS, self.azure_port(f["vnet"]))]
        lines += ["forward-zone:", '  name: "."', "  forward-addr: %s@53" % internet]
        path = os.path.join(out, vm + ".conf")
        with open(path, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        return path

    def lab_facts(self, out, unbound):
        vnets = {}
        for n in self.order:
            v = self.vnets[n]
            agent = next((m for m, f in self.vms.items() if f["agent"] and f["vnet"] == n), None)
            vnets[n] = {"id": self.vnet_id(n), "prefix": v["prefix"], "azure_port": self.azure_port(n),
                        "clients": list(v.get("dns") or []) or [AZURE_DNS], "dns": v.get("dns"),
                        "agent_vm": agent, "purpose": v.get("purpose"), "expect": v.get("expect", {})}
        return {"subscription": self.sub, "tenant": mklab.TENANT_ID, "azure_dns": AZURE_DNS, "imds": IMDS,
                "internet_resolver": self.t["internet_resolver"], "onprem_dns": self.t["onprem_dns"],
                "public_address": self.t["public_address"], "agent_vnet": self.vms_agent_vnet(),
                "agent_vm": self.agent_vm(), "addresses": self.addresses, "vnets": vnets,
                "vms": {n: {k: f[k] for k in f if k != "imds"} for n, f in sorted(self.vms.items())},
                "inbound": self.inbound, "unbound": unbound,
                "vaults": {v["name"]: {"id": self.rid("rg-kv", "Microsoft.KeyVault/vaults", v["name"]),
                                       "endpoints": [e["ip"] for e in v.get("endpoints", [])],
                                       "tenant_findings": v.get("tenant_findings", [])} for v in self.t["vaults"]},
                "zones": [{"id": z["id"], "key": z["key"], "links": z["links"]} for z in self.zones],
                "rulesets": self.rulesets}

    def write(self, out, inventory=True):
        self.build_vnets()
        self.build_vms()
        self.build_resolvers()
        self.build_rulesets()
        self.build_zones()
        self.build_vaults()
        self.coll("/subscriptions").append({
            "id": "/subscriptions/" + self.sub, "subscriptionId": self.sub, "tenantId": mklab.TENANT_ID,
            "displayName": "DNS path lab", "state": "Enabled", "authorizationSource": "RoleBased"})
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "azdns.json"), "w") as f:
            json.dump(self.azdns_model(), f, indent=1)
        unbound = [{"name": vm, "addr": f["ip"], "conf": self.unbound_conf(out, vm), "kind": f["dns_server"]}
                   for vm, f in sorted(self.vms.items()) if f["dns_server"]]
        imds = {"vms": {f["id"].lower(): f["imds"] for f in self.vms.values()},
                "current": self.vms[self.agent_vm()]["id"].lower()}
        with open(os.path.join(out, "arm.json"), "w") as f:
            json.dump({"collections": self.colls, "resources": self.res, "imds": imds}, f, separators=(",", ":"))
        with open(os.path.join(out, "lab.json"), "w") as f:
            json.dump(self.lab_facts(out, unbound), f, indent=1)
        if inventory:
            everything = [r for k, items in sorted(self.colls.items()) if k != "/subscriptions" for r in items]
            with open(os.path.join(out, "inventory-arm.json"), "w") as f:
                json.dump(everything, f, indent=1)
            mklab.write_az(everything, os.path.join(out, "inventory-az"))


def main(argv):
    args = list(argv[1:])
    agent, inventory = None, True
    if "--agent" in args:
        i = args.index("--agent")
        agent = args[i + 1]
        del args[i:i + 2]
    if "--no-inventory" in args:
        args.remove("--no-inventory")
        inventory = False
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    with open(args[0]) as f:
        tenant = json.load(f)
    Lab(tenant, agent).write(os.path.abspath(args[1]), inventory)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
