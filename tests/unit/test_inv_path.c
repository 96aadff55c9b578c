/* test_inv_path.c — the DNS path's types from ARM JSON (inv_json.c): VNets,
 * VMs, NICs' DNS settings, DNS Private Resolvers and inbound endpoints,
 * forwarding rulesets, rules and links, private zone links with their
 * resolutionPolicy.  Each resource is read in ARM's shape and in az's
 * flattened one, and both must give the same inventory; a malformed field
 * is an error naming the resource and the field, never a silent drop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kvpe/addr.h"
#include "kvpe/arena.h"
#include "kvpe/inv.h"

#define SUB "/subscriptions/5c1ab000-0000-4000-8000-00000000000a"
#define HUB SUB "/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub"
#define SPOKE SUB "/resourceGroups/rg-sp/providers/Microsoft.Network/virtualNetworks/vnet-spoke"
#define NIC SUB "/resourceGroups/rg-hub/providers/Microsoft.Network/networkInterfaces/vm-dns-nic"
#define VM SUB "/resourceGroups/rg-hub/providers/Microsoft.Compute/virtualMachines/vm-dns"
#define RES SUB "/resourceGroups/rg-hub/providers/Microsoft.Network/dnsResolvers/dnsr-hub"
#define RS SUB "/resourceGroups/rg-dns/providers/Microsoft.Network/dnsForwardingRulesets/rs-1"
#define ZONE SUB "/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net"

/* One resource per row: ARM's shape, then az's (properties flattened,
 * resourceGroup added, as `az ... list -o json` prints it). */
static const struct {
	const char *arm, *az;
} shapes[] = {
    {"{\"id\": \"" HUB "\", \"name\": \"vnet-hub\", \"type\": \"Microsoft.Network/virtualNetworks\","
     " \"location\": \"westeurope\", \"properties\": {\"addressSpace\": {\"addressPrefixes\": [\"10.0.0.0/16\"]},"
     " \"dhcpOptions\": {\"dnsServers\": [\"10.0.0.5\", \"10.0.0.4\"]}}}",
	"{\"id\": \"" HUB "\", \"name\": \"vnet-hub\", \"type\": \"Microsoft.Network/virtualNetworks\","
	" \"location\": \"westeurope\", \"resourceGroup\": \"rg-hub\", \"addressSpace\": {\"addressPrefixes\": [\"10.0.0.0/16\"]},"
	" \"dhcpOptions\": {\"dnsServers\": [\"10.0.0.5\", \"10.0.0.4\"]}}"},
    /* dhcpOptions absent: Azure-provided DNS */
    {"{\"id\": \"" SPOKE "\", \"name\": \"vnet-spoke\", \"type\": \"Microsoft.Network/virtualNetworks\","
     " \"properties\": {\"addressSpace\": {\"addressPrefixes\": [\"10.1.0.0/16\", \"fd00::/64\"]}}}",
	"{\"id\": \"" SPOKE "\", \"name\": \"vnet-spoke\", \"type\": \"Microsoft.Network/virtualNetworks\","
	" \"resourceGroup\": \"rg-sp\", \"addressSpace\": {\"addressPrefixes\": [\"10.1.0.0/16\", \"fd00::/64\"]},"
	" \"dhcpOptions\": null}"},
    {"{\"id\": \"" NIC "\", \"name\": \"vm-dns-nic\", \"type\": \"Microsoft.Network/networkInterfaces\","
     " \"properties\": {\"ipConfigurations\": [{\"name\": \"ipconfig1\", \"properties\": {\"privateIPAddress\": \"10.0.0.4\","
     " \"subnet\": {\"id\": \"" HUB "/subnets/snet-dns\"}}}], \"dnsSettings\": {\"dnsServers\": [\"10.0.0.5\"],"
     " \"appliedDnsServers\": [\"10.0.0.5\"]}, \"macAddress\": \"00-0D-3A-00-00-04\","
     " \"virtualMachine\": {\"id\": \"" VM "\"}}}",
	"{\"id\": \"" NIC "\", \"name\": \"vm-dns-nic\", \"type\": \"Microsoft.Network/networkInterfaces\","
	" \"resourceGroup\": \"rg-hub\", \"ipConfigurations\": [{\"name\": \"ipconfig1\", \"privateIPAddress\": \"10.0.0.4\","
	" \"subnet\": {\"id\": \"" HUB "/subnets/snet-dns\", \"resourceGroup\": \"rg-hub\"}}],"
	" \"dnsSettings\": {\"dnsServers\": [\"10.0.0.5\"], \"appliedDnsServers\": [\"10.0.0.5\"]},"
	" \"macAddress\": \"00-0D-3A-00-00-04\", \"virtualMachine\": {\"id\": \"" VM "\", \"resourceGroup\": \"rg-hub\"}}"},
    {"{\"id\": \"" VM "\", \"name\": \"vm-dns\", \"type\": \"Microsoft.Compute/virtualMachines\", \"properties\":"
     " {\"networkProfile\": {\"networkInterfaces\": [{\"id\": \"" NIC "\", \"properties\": {\"primary\": true}}]}}}",
	"{\"id\": \"" VM "\", \"name\": \"vm-dns\", \"type\": \"Microsoft.Compute/virtualMachines\", \"resourceGroup\":"
	" \"rg-hub\", \"networkProfile\": {\"networkInterfaces\": [{\"id\": \"" NIC "\", \"primary\": true,"
	" \"resourceGroup\": \"rg-hub\"}]}}"},
    {"{\"id\": \"" RES "\", \"name\": \"dnsr-hub\", \"type\": \"Microsoft.Network/dnsResolvers\", \"properties\":"
     " {\"dnsResolverState\": \"Connected\", \"virtualNetwork\": {\"id\": \"" HUB "\"}}}",
	"{\"id\": \"" RES "\", \"name\": \"dnsr-hub\", \"type\": \"Microsoft.Network/dnsResolvers\", \"resourceGroup\":"
	" \"rg-hub\", \"dnsResolverState\": \"Connected\", \"virtualNetwork\": {\"id\": \"" HUB "\", \"resourceGroup\": \"rg-hub\"}}"},
    {"{\"id\": \"" RES "/inboundEndpoints/in-hub\", \"name\": \"in-hub\", \"type\":"
     " \"Microsoft.Network/dnsResolvers/inboundEndpoints\", \"properties\": {\"ipConfigurations\": [{\"subnet\":"
     " {\"id\": \"" HUB "/subnets/snet-in\"}, \"privateIpAddress\": \"10.0.2.4\", \"privateIpAllocationMethod\": \"Static\"}]}}",
	"{\"id\": \"" RES "/inboundEndpoints/in-hub\", \"name\": \"in-hub\", \"type\":"
	" \"Microsoft.Network/dnsResolvers/inboundEndpoints\", \"resourceGroup\": \"rg-hub\", \"ipConfigurations\": [{\"subnet\":"
	" {\"id\": \"" HUB "/subnets/snet-in\", \"resourceGroup\": \"rg-hub\"}, \"privateIpAddress\": \"10.0.2.4\"}]}"},
    {"{\"id\": \"" RS "\", \"name\": \"rs-1\", \"type\": \"Microsoft.Network/dnsForwardingRulesets\", \"properties\":"
     " {\"dnsResolverOutboundEndpoints\": [{\"id\": \"" RES "/outboundEndpoints/out\"}]}}",
	"{\"id\": \"" RS "\", \"name\": \"rs-1\", \"type\": \"Microsoft.Network/dnsForwardingRulesets\", \"resourceGroup\":"
	" \"rg-dns\", \"dnsResolverOutboundEndpoints\": [{\"id\": \"" RES "/outboundEndpoints/out\"}]}"},
    {"{\"id\": \"" RS "/forwardingRules/vault\", \"name\": \"vault\", \"type\":"
     " \"Microsoft.Network/dnsForwardingRulesets/forwardingRules\", \"properties\": {\"domainName\": \"Vault.Azure.NET.\","
     " \"targetDnsServers\": [{\"ipAddress\": \"10.200.0.53\", \"port\": 53}, {\"ipAddress\": \"10.200.0.54\", \"port\": 5353}],"
     " \"forwardingRuleState\": \"Enabled\"}}",
	"{\"id\": \"" RS "/forwardingRules/vault\", \"name\": \"vault\", \"type\":"
	" \"Microsoft.Network/dnsForwardingRulesets/forwardingRules\", \"resourceGroup\": \"rg-dns\", \"domainName\":"
	" \"vault.azure.net.\", \"targetDnsServers\": [{\"ipAddress\": \"10.200.0.53\"}, {\"ipAddress\": \"10.200.0.54\","
	" \"port\": 5353}]}"},
    /* "." catches every name; Disabled */
    {"{\"id\": \"" RS "/forwardingRules/all\", \"name\": \"all\", \"type\":"
     " \"Microsoft.Network/dnsForwardingRulesets/forwardingRules\", \"properties\": {\"domainName\": \".\","
     " \"targetDnsServers\": [{\"ipAddress\": \"10.200.0.53\", \"port\": 53}], \"forwardingRuleState\": \"Disabled\"}}",
	"{\"id\": \"" RS "/forwardingRules/all\", \"name\": \"all\", \"type\":"
	" \"Microsoft.Network/dnsForwardingRulesets/forwardingRules\", \"domainName\": \".\","
	" \"targetDnsServers\": [{\"ipAddress\": \"10.200.0.53\", \"port\": 53}], \"forwardingRuleState\": \"disabled\"}"},
    {"{\"id\": \"" RS "/virtualNetworkLinks/l-spoke\", \"name\": \"l-spoke\", \"type\":"
     " \"Microsoft.Network/dnsForwardingRulesets/virtualNetworkLinks\", \"properties\": {\"virtualNetwork\":"
     " {\"id\": \"" SPOKE "\"}, \"metadata\": {}}}",
	"{\"id\": \"" RS "/virtualNetworkLinks/l-spoke\", \"name\": \"l-spoke\", \"type\":"
	" \"Microsoft.Network/dnsForwardingRulesets/virtualNetworkLinks\", \"resourceGroup\": \"rg-dns\", \"virtualNetwork\":"
	" {\"id\": \"" SPOKE "\", \"resourceGroup\": \"rg-sp\"}, \"metadata\": {}}"},
    {"{\"id\": \"" ZONE "/virtualNetworkLinks/l-hub\", \"name\": \"l-hub\", \"type\":"
     " \"Microsoft.Network/privateDnsZones/virtualNetworkLinks\", \"properties\": {\"virtualNetwork\": {\"id\": \"" HUB "\"},"
     " \"registrationEnabled\": true, \"resolutionPolicy\": \"NxDomainRedirect\", \"virtualNetworkLinkState\": \"Completed\"}}",
	"{\"id\": \"" ZONE "/virtualNetworkLinks/l-hub\", \"name\": \"l-hub\", \"type\":"
	" \"Microsoft.Network/privateDnsZones/virtualNetworkLinks\", \"resourceGroup\": \"rg-dns\", \"virtualNetwork\":"
	" {\"id\": \"" HUB "\", \"resourceGroup\": \"rg-hub\"}, \"registrationEnabled\": true, \"resolutionPolicy\":"
	" \"NxDomainRedirect\", \"virtualNetworkLinkState\": \"Completed\"}"},
    /* resolutionPolicy absent (api-version before 2024-06-01): Default */
    {"{\"id\": \"" ZONE "/virtualNetworkLinks/l-spoke\", \"name\": \"l-spoke\", \"type\":"
     " \"Microsoft.Network/privateDnsZones/virtualNetworkLinks\", \"properties\": {\"virtualNetwork\": {\"id\": \"" SPOKE "\"},"
     " \"registrationEnabled\": false, \"virtualNetworkLinkState\": \"InProgress\"}}",
	"{\"id\": \"" ZONE "/virtualNetworkLinks/l-spoke\", \"name\": \"l-spoke\", \"type\":"
	" \"Microsoft.Network/privateDnsZones/virtualNetworkLinks\", \"virtualNetwork\": {\"id\": \"" SPOKE "\"},"
	" \"registrationEnabled\": false, \"resolutionPolicy\": \"Default\", \"virtualNetworkLinkState\": \"InProgress\"}"},
};

static void cat(char *buf, size_t size, const char *fmt, ...) KV_PRINTF(3, 4);

static void
cat(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	assert_true(len < size);
	assert_true((size_t)vsnprintf(buf + len, size - len, fmt, ap) < size - len);
	va_end(ap);
}

static void
addrs(char *buf, size_t size, const struct kv_addr *v, size_t n)
{
	char a[KV_ADDR_STRLEN];

	cat(buf, size, "[");
	for (size_t i = 0; i < n; i++) {
		kv_addr_format(&v[i], a, sizeof(a));
		cat(buf, size, "%s%s", i ? "," : "", a);
	}
	cat(buf, size, "]");
}

#define S(x) ((x) ? (x) : "-")

/* Everything the DNS path reads, as text, in the order added. */
static void
dump(const struct kv_inv *inv, char *buf, size_t size)
{
	char hp[64];

	buf[0] = '\0';
	for (size_t i = 0; i < inv_vnet_count(inv); i++) {
		const struct inv_vnet *v = inv_vnet_at(inv, i);
		cat(buf, size, "vnet %s %s %s %s %s dns=", v->id, S(v->name), S(v->subscription), S(v->resource_group),
		    S(v->location));
		addrs(buf, size, v->dns_servers, v->n_dns_servers);
		cat(buf, size, " prefixes=%zu", v->n_prefixes);
		for (size_t k = 0; k < v->n_prefixes; k++) {
			kv_addr_format(&v->prefixes[k].base, hp, sizeof(hp));
			cat(buf, size, " %s/%u", hp, v->prefixes[k].bits);
		}
		cat(buf, size, "\n");
	}
	for (size_t i = 0; i < inv_nic_count(inv); i++) {
		const struct inv_nic *n = inv_nic_at(inv, i);
		cat(buf, size, "nic %s vm=%s mac=%s dns=", n->id, S(n->vm_id), S(n->mac));
		addrs(buf, size, n->dns_servers, n->n_dns_servers);
		for (size_t k = 0; k < n->n_ips; k++) {
			kv_addr_format(&n->ips[k].addr, hp, sizeof(hp));
			cat(buf, size, " ip=%s subnet=%s", hp, S(n->ips[k].subnet_id));
		}
		cat(buf, size, "\n");
	}
	for (size_t i = 0; i < inv_vm_count(inv); i++) {
		const struct inv_vm *vm = inv_vm_at(inv, i);
		cat(buf, size, "vm %s %s %s %s nics=%zu", vm->id, S(vm->name), S(vm->subscription), S(vm->resource_group),
		    vm->n_nics);
		for (size_t k = 0; k < vm->n_nics; k++)
			cat(buf, size, " %s", vm->nic_ids[k]);
		cat(buf, size, "\n");
	}
	for (size_t i = 0; i < inv_resolver_count(inv); i++) {
		const struct inv_resolver *r = inv_resolver_at(inv, i);
		cat(buf, size, "resolver %s %s %s %s vnet=%s\n", r->id, S(r->name), S(r->subscription),
		    S(r->resource_group), S(r->vnet_id));
	}
	for (size_t i = 0; i < inv_inbound_count(inv); i++) {
		const struct inv_inbound *e = inv_inbound_at(inv, i);
		cat(buf, size, "inbound %s %s resolver=%s subnet=%s addrs=", e->id, S(e->name), S(e->resolver_id),
		    S(e->subnet_id));
		addrs(buf, size, e->addrs, e->n_addrs);
		cat(buf, size, "\n");
	}
	for (size_t i = 0; i < inv_ruleset_count(inv); i++) {
		const struct inv_ruleset *r = inv_ruleset_at(inv, i);
		cat(buf, size, "ruleset %s %s %s %s\n", r->id, S(r->name), S(r->subscription), S(r->resource_group));
	}
	for (size_t i = 0; i < inv_rule_count(inv); i++) {
		const struct inv_rule *r = inv_rule_at(inv, i);
		cat(buf, size, "rule %s %s ruleset=%s domain='%s' enabled=%d targets=", r->id, S(r->name),
		    S(r->ruleset_id), S(r->domain), r->enabled);
		for (size_t k = 0; k < r->n_targets; k++) {
			kv_hostport_format(&r->targets[k], hp, sizeof(hp));
			cat(buf, size, "%s%s", k ? "," : "", hp);
		}
		cat(buf, size, "\n");
	}
	for (size_t i = 0; i < inv_ruleset_link_count(inv); i++) {
		const struct inv_ruleset_link *l = inv_ruleset_link_at(inv, i);
		cat(buf, size, "rslink %s %s ruleset=%s vnet=%s\n", l->id, S(l->name), S(l->ruleset_id), S(l->vnet_id));
	}
	for (size_t i = 0; i < inv_link_count(inv); i++) {
		const struct inv_link *l = inv_link_at(inv, i);
		cat(buf, size, "link %s %s zone=%s vnet=%s completed=%d nxredirect=%d registration=%d\n", S(l->id),
		    S(l->name), S(l->zone_id), S(l->vnet_id), l->completed, l->nxdomain_redirect, l->registration);
	}
}

/* All rows of one shape as one ARM list page, or as one resource per line
 * (a saved file). */
static struct kv_inv *
load_shape(bool az, bool page)
{
	struct kv_inv *inv = NULL;
	char text[16384] = "", err[400] = "";
	struct inv_json_stats st;
	enum kv_err rc;

	assert_int_equal(inv_new(NULL, &inv), KV_OK);
	if (page)
		cat(text, sizeof(text), "{\"value\": [");
	for (size_t i = 0; i < KV_ARRAY_LEN(shapes); i++)
		cat(text, sizeof(text), "%s%s", i == 0 ? "" : page ? ", " : "\n", az ? shapes[i].az : shapes[i].arm);
	if (page) {
		size_t n = 0;
		const char *next = NULL;
		cat(text, sizeof(text), "]}");
		rc = inv_json_load(inv, text, strlen(text), "arm", &next, &n, err, sizeof(err));
		assert_int_equal(n, KV_ARRAY_LEN(shapes));
	} else {
		rc = inv_json_load_text(inv, text, strlen(text), "t.json", &st, err, sizeof(err));
		assert_int_equal(st.resources, KV_ARRAY_LEN(shapes));
		assert_int_equal(st.skipped, 0);
	}
	if (rc != KV_OK)
		print_error("%s shape: %s\n", az ? "az" : "ARM", err);
	assert_int_equal(rc, KV_OK);
	return inv;
}

static void
test_both_shapes(void **state)
{
	static char arm[16384], az[16384], page[16384];
	struct kv_inv *a = load_shape(false, false), *b = load_shape(true, false), *c = load_shape(false, true);

	(void)state;
	dump(a, arm, sizeof(arm));
	dump(b, az, sizeof(az));
	dump(c, page, sizeof(page));
	assert_string_equal(arm, az);
	assert_string_equal(arm, page);
	/* and what was read is right, not only the same */
	assert_non_null(strstr(arm, "vnet " HUB " vnet-hub 5c1ab000-0000-4000-8000-00000000000a rg-hub westeurope"
					" dns=[10.0.0.5,10.0.0.4] prefixes=1 10.0.0.0/16\n"));
	assert_non_null(strstr(arm, "vnet " SPOKE " vnet-spoke 5c1ab000-0000-4000-8000-00000000000a rg-sp - dns=[]"
					" prefixes=2 10.1.0.0/16 fd00::/64\n"));
	assert_non_null(strstr(arm, "nic " NIC " vm=" VM " mac=00-0D-3A-00-00-04 dns=[10.0.0.5] ip=10.0.0.4 subnet=" HUB
					"/subnets/snet-dns\n"));
	assert_non_null(strstr(arm, "vm " VM " vm-dns 5c1ab000-0000-4000-8000-00000000000a rg-hub nics=1 " NIC "\n"));
	assert_non_null(strstr(arm, "resolver " RES " dnsr-hub 5c1ab000-0000-4000-8000-00000000000a rg-hub vnet=" HUB "\n"));
	assert_non_null(strstr(arm, "inbound " RES "/inboundEndpoints/in-hub in-hub resolver=" RES " subnet=" HUB
					"/subnets/snet-in addrs=[10.0.2.4]\n"));
	assert_non_null(strstr(arm, "ruleset " RS " rs-1 5c1ab000-0000-4000-8000-00000000000a rg-dns\n"));
	assert_non_null(strstr(arm, "rule " RS "/forwardingRules/vault vault ruleset=" RS " domain='vault.azure.net'"
					" enabled=1 targets=10.200.0.53:53,10.200.0.54:5353\n"));
	assert_non_null(strstr(arm, "rule " RS "/forwardingRules/all all ruleset=" RS " domain='' enabled=0"
					" targets=10.200.0.53:53\n"));
	assert_non_null(strstr(arm, "rslink " RS "/virtualNetworkLinks/l-spoke l-spoke ruleset=" RS " vnet=" SPOKE "\n"));
	assert_non_null(strstr(arm, "link " ZONE "/virtualNetworkLinks/l-hub l-hub zone=" ZONE " vnet=" HUB
					" completed=1 nxredirect=1 registration=1\n"));
	assert_non_null(strstr(arm, "link " ZONE "/virtualNetworkLinks/l-spoke l-spoke zone=" ZONE " vnet=" SPOKE
					" completed=0 nxredirect=0 registration=0\n"));
	inv_free(a);
	inv_free(b);
	inv_free(c);
}

/* A malformed field of a DNS-path resource stops the page (live ARM: that
 * subscription is partial) or the file, naming the resource and the field. */
static void
test_strict(void **state)
{
	static const struct {
		const char *doc, *err;
	} cases[] = {
	    {"{\"id\": \"" HUB "\", \"type\": \"Microsoft.Network/virtualNetworks\", \"properties\": {\"dhcpOptions\":"
	     " {\"dnsServers\": [\"10.0.0.4\", \"dns.example\"]}}}",
		HUB ": dhcpOptions.dnsServers[1] is not an IP address"},
	    {"{\"id\": \"" HUB "\", \"type\": \"Microsoft.Network/virtualNetworks\", \"properties\": {\"dhcpOptions\":"
	     " {\"dnsServers\": \"10.0.0.4\"}}}",
		HUB ": dhcpOptions.dnsServers is not an array"},
	    {"{\"id\": \"" HUB "\", \"type\": \"Microsoft.Network/virtualNetworks\", \"dhcpOptions\": [\"10.0.0.4\"]}",
		HUB ": dhcpOptions is not an object"},
	    {"{\"id\": \"" HUB "\", \"type\": \"Microsoft.Network/virtualNetworks\", \"dhcpOptions\": {\"dnsServers\": [4]}}",
		HUB ": dhcpOptions.dnsServers[0] is not a string"},
	    {"{\"id\": \"" HUB "\", \"type\": \"Microsoft.Network/virtualNetworks\", \"addressSpace\":"
	     " {\"addressPrefixes\": [\"10.0.0.0/33\"]}}",
		HUB ": addressSpace.addressPrefixes holds an entry that is not a CIDR range"},
	    {"{\"id\": \"" NIC "\", \"type\": \"Microsoft.Network/networkInterfaces\", \"properties\": {\"dnsSettings\":"
	     " {\"dnsServers\": [\"10.0.0.300\"]}}}",
		NIC ": dnsSettings.dnsServers[0] is not an IP address"},
	    {"{\"id\": \"" NIC "\", \"type\": \"Microsoft.Network/networkInterfaces\", \"virtualMachine\": \"vm\"}",
		NIC ": virtualMachine is not an object"},
	    {"{\"id\": \"" NIC "\", \"type\": \"Microsoft.Network/networkInterfaces\", \"ipConfigurations\":"
	     " [{\"privateIPAddress\": \"10.0.0.4\", \"subnet\": {\"id\": 7}}]}",
		NIC ": ipConfigurations[].subnet has no resource \"id\""},
	    {"{\"id\": \"" VM "\", \"type\": \"Microsoft.Compute/virtualMachines\", \"properties\": {\"networkProfile\":"
	     " {\"networkInterfaces\": [{\"id\": \"" NIC "\"}, \"nic2\"]}}}",
		VM ": networkProfile.networkInterfaces is not an object"},
	    {"{\"id\": \"" RES "\", \"type\": \"Microsoft.Network/dnsResolvers\", \"properties\": {}}",
		RES ": virtualNetwork is missing"},
	    {"{\"id\": \"" RES "/inboundEndpoints/in\", \"type\": \"Microsoft.Network/dnsResolvers/inboundEndpoints\","
	     " \"properties\": {\"ipConfigurations\": [{\"privateIpAddress\": null}]}}",
		RES "/inboundEndpoints/in: ipConfigurations[0].privateIpAddress is not a string"},
	    {"{\"id\": \"" RS "/forwardingRules/r\", \"type\": \"Microsoft.Network/dnsForwardingRulesets/forwardingRules\","
	     " \"properties\": {\"targetDnsServers\": [{\"ipAddress\": \"10.0.0.1\"}]}}",
		RS "/forwardingRules/r: domainName is missing or not a domain name"},
	    {"{\"id\": \"" RS "/forwardingRules/r\", \"type\": \"Microsoft.Network/dnsForwardingRulesets/forwardingRules\","
	     " \"properties\": {\"domainName\": \"a..b.\", \"targetDnsServers\": [{\"ipAddress\": \"10.0.0.1\"}]}}",
		RS "/forwardingRules/r: domainName is not a domain name"},
	    {"{\"id\": \"" RS "/forwardingRules/r\", \"type\": \"Microsoft.Network/dnsForwardingRulesets/forwardingRules\","
	     " \"properties\": {\"domainName\": \"a.\", \"targetDnsServers\": [{\"ipAddress\": \"10.0.0.1\", \"port\": 0}]}}",
		RS "/forwardingRules/r: targetDnsServers[].port is not a port number"},
	    {"{\"id\": \"" RS "/forwardingRules/r\", \"type\": \"Microsoft.Network/dnsForwardingRulesets/forwardingRules\","
	     " \"properties\": {\"domainName\": \"a.\", \"targetDnsServers\": []}}",
		RS "/forwardingRules/r: targetDnsServers is missing or empty"},
	    {"{\"id\": \"" RS "/forwardingRules/r\", \"type\": \"Microsoft.Network/dnsForwardingRulesets/forwardingRules\","
	     " \"properties\": {\"domainName\": \"a.\", \"targetDnsServers\": [{\"ipAddress\": \"10.0.0.1\"}],"
	     " \"forwardingRuleState\": \"Paused\"}}",
		RS "/forwardingRules/r: forwardingRuleState is neither Enabled nor Disabled"},
	    {"{\"id\": \"" RS "/virtualNetworkLinks/l\", \"type\": \"Microsoft.Network/dnsForwardingRulesets/virtualNetworkLinks\","
	     " \"properties\": {\"virtualNetwork\": {}}}",
		RS "/virtualNetworkLinks/l: virtualNetwork has no resource \"id\""},
	    {"{\"id\": \"" ZONE "/virtualNetworkLinks/l\", \"type\": \"Microsoft.Network/privateDnsZones/virtualNetworkLinks\","
	     " \"properties\": {\"virtualNetwork\": {\"id\": \"" HUB "\"}, \"resolutionPolicy\": \"Fallback\"}}",
		ZONE "/virtualNetworkLinks/l: resolutionPolicy is neither Default nor NxDomainRedirect"},
	    {"{\"id\": \"" ZONE "/virtualNetworkLinks/l\", \"type\": \"Microsoft.Network/privateDnsZones/virtualNetworkLinks\","
	     " \"properties\": {\"virtualNetwork\": \"no\"}}",
		ZONE "/virtualNetworkLinks/l: virtualNetwork is not an object"},
	    {"{\"id\": \"" ZONE "/virtualNetworkLinks/l\", \"type\": \"Microsoft.Network/privateDnsZones/virtualNetworkLinks\","
	     " \"properties\": {\"virtualNetwork\": {\"id\": \"" HUB "\"}, \"registrationEnabled\": \"yes\"}}",
		ZONE "/virtualNetworkLinks/l: registrationEnabled is not a boolean"},
	};

	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(cases); i++) {
		struct kv_inv *inv = NULL;
		char err[400] = "", want[500];
		enum kv_err rc;
		assert_int_equal(inv_new(NULL, &inv), KV_OK);
		rc = inv_json_load_text(inv, cases[i].doc, strlen(cases[i].doc), "t.json", NULL, err, sizeof(err));
		snprintf(want, sizeof(want), "--inventory t.json: the document at byte 0: %s", cases[i].err);
		if (rc != KV_EPARSE || strcmp(err, want) != 0) {
			print_error("case %zu: rc %d\n  got  '%s'\n  want '%s'\n", i, rc, err, want);
			fail();
		}
		/* live ARM: the same page fails */
		rc = inv_json_load(inv, cases[i].doc, strlen(cases[i].doc), "arm", NULL, NULL, err, sizeof(err));
		assert_int_equal(rc, KV_EPARSE);
		assert_string_equal(err, cases[i].err);
		inv_free(inv);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_both_shapes),
	    cmocka_unit_test(test_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
