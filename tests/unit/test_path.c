/* test_path.c — the DNS path's model (path.c) and its rules (verdict.c)
 * on the lab tenant of tests/lab/PATH-LAB.md (tests/lab/path-tenant.json),
 * built here through the inventory's adders: one table for the scope
 * (which servers, roles, pacing), one for the model's expected answer per
 * VNet and vault, one per rule family for the findings, every row of the
 * lab's "VNet → resolver → answer → finding" table among them.  The
 * observations (kv_result.vantages) are synthetic: what each server of the
 * lab answers there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kvpe/expect.h"
#include "kvpe/inv.h"
#include "kvpe/path.h"
#include "kvpe/report.h"
#include "kvpe/verdict.h"

#define SUB "/subscriptions/a/resourceGroups/"
#define NET "/providers/Microsoft.Network/"
#define PUBLIC "203.0.113.10"

static struct kv_inv *g_inv;
static struct kv_arena *g_a;

static const char *S(const char *fmt, ...) KV_PRINTF(1, 2);

static const char *
S(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = kv_arena_vprintf(g_a, fmt, ap);
	va_end(ap);
	assert_non_null(s);
	return s;
}

static struct kv_addr *
addrs(const char *csv, size_t *n)
{
	struct kv_addr *v = kv_arena_calloc(g_a, 8, sizeof(*v));
	char buf[256], *save = NULL;

	*n = 0;
	snprintf(buf, sizeof(buf), "%s", csv);
	for (char *p = strtok_r(buf, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save))
		assert_int_equal(kv_addr_parse(p, &v[(*n)++]), KV_OK);
	return v;
}

static const char *
vnet_id(const char *name)
{
	return S(SUB "%s" NET "virtualNetworks/%s", strstr(name, "hub") ? "rg-hub" : "rg-spokes", name);
}

/* A VM with one NIC at `ip` in `vnet`/`subnet`, its NIC's DNS servers `dns`. */
static void
vm(const char *name, const char *vnet, const char *ip, const char *dns)
{
	struct inv_nic_ip *nip = kv_arena_calloc(g_a, 1, sizeof(*nip));
	const char *nic_id = S(SUB "rg-vms" NET "networkInterfaces/%s-nic", name);
	const char **nics = kv_arena_calloc(g_a, 1, sizeof(*nics));
	struct inv_nic nic = {.id = nic_id, .ips = nip, .n_ips = 1};
	struct inv_vm v = {.id = S(SUB "rg-vms/providers/Microsoft.Compute/virtualMachines/%s", name), .name = name};
	size_t n = 0;

	nip->addr = addrs(ip, &n)[0];
	nip->subnet_id = S("%s/subnets/snet-vm", vnet_id(vnet));
	nic.vm_id = v.id;
	if (dns != NULL) {
		nic.dns_servers = addrs(dns, &n);
		nic.n_dns_servers = n;
	}
	nics[0] = nic_id;
	v.nic_ids = nics;
	v.n_nics = 1;
	assert_int_equal(inv_add_nic(g_inv, &nic), KV_OK);
	assert_int_equal(inv_add_vm(g_inv, &v), KV_OK);
}

static void
vnet(const char *name, int octet, const char *dns)
{
	struct inv_vnet v = {.id = vnet_id(name), .name = name};
	size_t n = 0;

	if (dns != NULL) {
		v.dns_servers = addrs(dns, &n);
		v.n_dns_servers = n;
	}
	assert_int_equal(inv_add_vnet(g_inv, &v), KV_OK);
	vm(S("vm-agent-%s", name), name, S("10.%d.4.10", octet), NULL);
}

static void
resolver(const char *name, const char *vn, const char *in, const char *ip)
{
	const char *id = S(SUB "rg-hub" NET "dnsResolvers/%s", name);
	struct inv_resolver r = {.id = id, .name = name, .vnet_id = vnet_id(vn)};
	struct inv_inbound e = {.id = S("%s/inboundEndpoints/%s", id, in), .name = in};
	size_t n = 0;

	e.addrs = addrs(ip, &n);
	e.n_addrs = n;
	assert_int_equal(inv_add_resolver(g_inv, &r), KV_OK);
	assert_int_equal(inv_add_inbound(g_inv, &e), KV_OK);
}

static const char *
ruleset(const char *name, const char *linked_vnet)
{
	const char *id = S(SUB "rg-hub" NET "dnsForwardingRulesets/%s", name);
	struct inv_ruleset rs = {.id = id, .name = name};
	struct inv_ruleset_link l = {.id = S("%s/virtualNetworkLinks/%s", id, linked_vnet), .name = linked_vnet,
	    .vnet_id = vnet_id(linked_vnet)};

	assert_int_equal(inv_add_ruleset(g_inv, &rs), KV_OK);
	assert_int_equal(inv_add_ruleset_link(g_inv, &l), KV_OK);
	return id;
}

static void
rule(const char *rs, const char *name, const char *domain, const char *target, bool enabled)
{
	struct inv_rule r = {.id = S("%s/forwardingRules/%s", rs, name), .name = name, .domain = domain,
	    .enabled = enabled};
	struct kv_hostport *hp = kv_arena_calloc(g_a, 1, sizeof(*hp));

	assert_int_equal(kv_hostport_parse(target, 53, hp), KV_OK);
	r.targets = hp;
	r.n_targets = 1;
	assert_int_equal(inv_add_rule(g_inv, &r), KV_OK);
}

static const char *
zone(const char *rg)
{
	const char *id = S(SUB "%s" NET "privateDnsZones/privatelink.vaultcore.azure.net", rg);
	struct inv_zone z = {.id = id, .name = "privatelink.vaultcore.azure.net", .subscription = "a",
	    .resource_group = rg};

	assert_int_equal(inv_add_zone(g_inv, &z), KV_OK);
	return id;
}

static void
zlink(const char *zid, const char *vn, bool redirect)
{
	struct inv_link l = {.zone_id = zid, .vnet_id = vnet_id(vn), .completed = true,
	    .id = S("%s/virtualNetworkLinks/link-%s", zid, vn), .name = S("link-%s", vn), .nxdomain_redirect = redirect};

	assert_int_equal(inv_add_link(g_inv, &l), KV_OK);
}

static void
record(const char *zid, const char *name, const char *ip)
{
	struct inv_record r = {.zone_id = zid, .name = name, .ttl = 10};
	size_t n = 0;

	r.addrs = addrs(ip, &n);
	r.n_addrs = n;
	assert_int_equal(inv_add_record(g_inv, &r), KV_OK);
}

/* A vault with approved endpoints pe-<name>-<i> at `ips` (in the hub's
 * snet-pe, the second in vnet-spoke-linked's). */
static void
vault(const char *name, const char *ips)
{
	const char *id = S(SUB "rg-kv/providers/Microsoft.KeyVault/vaults/%s", name);
	struct inv_vault v = {.id = id, .name = name, .subscription = "a", .resource_group = "rg-kv", .kind = KV_KIND_VAULT,
	    .has_properties = true, .public_access = KV_TRI_NO, .acl_default_allow = KV_TRI_NO, .origin = "arm"};
	size_t n = 0;
	struct kv_addr *ip = ips ? addrs(ips, &n) : NULL;

	assert_int_equal(inv_add_vault(g_inv, &v), KV_OK);
	for (size_t i = 0; i < n; i++) {
		const char *pe = S(SUB "rg-kv" NET "privateEndpoints/pe-%s-%zu", name, i);
		const char *nic = S(SUB "rg-kv" NET "networkInterfaces/pe-%s-%zu-nic", name, i);
		const char **nics = kv_arena_calloc(g_a, 1, sizeof(*nics));
		struct inv_pe_link *pl = kv_arena_calloc(g_a, 1, sizeof(*pl));
		struct inv_nic_ip *nip = kv_arena_calloc(g_a, 1, sizeof(*nip));
		struct inv_conn c = {.pe_id = pe, .name = S("pe-%s-%zu", name, i), .state = KV_PE_APPROVED};
		struct inv_pe p = {.id = pe, .name = S("pe-%s-%zu", name, i), .subscription = "a", .resource_group = "rg-kv",
		    .nic_ids = nics, .n_nics = 1, .links = pl, .n_links = 1};
		struct inv_nic ni = {.id = nic, .ips = nip, .n_ips = 1};
		nics[0] = nic;
		pl->target_id = id;
		pl->state = KV_PE_APPROVED;
		nip->addr = ip[i];
		nip->subnet_id = S("%s/subnets/snet-pe", vnet_id(i == 0 ? "vnet-hub" : "vnet-spoke-linked"));
		p.subnet_id = nip->subnet_id;
		assert_int_equal(inv_add_vault_conn(g_inv, id, &c), KV_OK);
		assert_int_equal(inv_add_pe(g_inv, &p), KV_OK);
		assert_int_equal(inv_add_nic(g_inv, &ni), KV_OK);
	}
}

/* tests/lab/path-tenant.json, as ARM would describe it. */
static void
build_lab(void)
{
	static const struct {
		const char *name, *dns;
	} vnets[] = {
		{"vnet-hub", NULL}, {"vnet-spoke-linked", NULL}, {"vnet-hub-nolink", NULL}, {"vnet-spoke-unlinked", NULL},
		{"vnet-spoke-dnsvm", "10.0.0.4"}, {"vnet-spoke-nofwd", "10.0.0.5"}, {"vnet-spoke-inbound", "10.0.2.4"},
		{"vnet-spoke-inbound-nolink", "10.2.2.4"}, {"vnet-spoke-twodns", "10.0.0.4,10.0.0.5"},
		{"vnet-spoke-nxredirect", NULL}, {"vnet-spoke-lz2", NULL}, {"vnet-spoke-rulefwd", NULL},
		{"vnet-spoke-shadow", NULL}, {"vnet-hub-loop", NULL}, {"vnet-spoke-loop", "10.13.2.4"},
	};
	static const char *const hub_links[] = {"vnet-hub", "vnet-spoke-linked", "vnet-spoke-rulefwd", "vnet-spoke-shadow",
	    "vnet-hub-loop"};
	const char *hub, *lz2, *rs;

	for (size_t i = 0; i < sizeof(vnets) / sizeof(vnets[0]); i++)
		vnet(vnets[i].name, (int)i, vnets[i].dns);
	vm("vm-dns-fwd", "vnet-hub", "10.0.0.4", NULL);
	vm("vm-dns-nofwd", "vnet-hub", "10.0.0.5", NULL);
	vm("vm-override", "vnet-spoke-linked", "10.1.4.11", "10.0.0.5");
	resolver("dnsr-hub", "vnet-hub", "in-hub", "10.0.2.4");
	resolver("dnsr-nolink", "vnet-hub-nolink", "in-nolink", "10.2.2.4");
	resolver("dnsr-loop", "vnet-hub-loop", "in-loop", "10.13.2.4");
	rs = ruleset("rs-spoke-vault", "vnet-spoke-rulefwd");
	rule(rs, "vault-to-onprem", "vault.azure.net", "10.200.0.53:53", true);
	rs = ruleset("rs-shadow", "vnet-spoke-shadow");
	rule(rs, "privatelink-to-onprem", "privatelink.vaultcore.azure.net", "10.200.0.53:53", true);
	rule(rs, "vault-disabled", "vault.azure.net", "10.200.0.53:53", false);
	rs = ruleset("rs-loop", "vnet-hub-loop");
	rule(rs, "vault-to-own-inbound", "vault.azure.net", "10.13.2.4:53", true);
	hub = zone("rg-dns");
	lz2 = zone("rg-dns-lz2");
	for (size_t i = 0; i < sizeof(hub_links) / sizeof(hub_links[0]); i++)
		zlink(hub, hub_links[i], false);
	zlink(hub, "vnet-spoke-nxredirect", true);
	zlink(lz2, "vnet-spoke-lz2", false);
	vault("kv-healthy", "10.0.1.4");
	vault("kv-norecord", "10.0.1.5");
	vault("kv-split", "10.0.1.6");
	vault("kv-twope", "10.0.1.7,10.1.1.7");
	vault("kv-nopep", NULL);
	record(hub, "kv-healthy", "10.0.1.4");
	record(lz2, "kv-healthy", "10.0.1.4");
	record(hub, "kv-split", "10.0.1.6");
	record(lz2, "kv-split", "10.10.1.6");
	record(hub, "kv-twope", "10.1.1.7");
	record(lz2, "kv-twope", "10.1.1.7");
}

/* The report of kvpe standing on VM `stand` (vm-agent-<vnet> when a VNet
 * is named), in Azure, its resolv.conf listing its clients' resolvers. */
struct lab {
	struct kv_report *rep;
	struct kv_target *targets;
	size_t n_targets;
};

static void
lab_up(struct lab *l, const char *stand)
{
	struct path_cfg pc;
	struct path_model *pm = NULL;
	struct expect_cfg ec;
	const char *vm_name;
	const struct inv_vm *v;
	const struct inv_nic *nic;
	const struct inv_vnet *vn;
	struct kv_hostport *sys = NULL;
	size_t n_sys = 0;

	memset(l, 0, sizeof(*l));
	assert_int_equal(report_new(&l->rep), KV_OK);
	g_a = l->rep->arena;
	vm_name = strncmp(stand, "vnet-", 5) == 0 ? S("vm-agent-%s", stand) : stand;
	assert_int_equal(inv_new(g_a, &g_inv), KV_OK);
	build_lab();
	v = inv_vm_find(g_inv, S(SUB "rg-vms/providers/Microsoft.Compute/virtualMachines/%s", vm_name));
	assert_non_null(v);
	nic = inv_nic_find(g_inv, v->nic_ids[0]);
	assert_non_null(nic);
	/* resolv.conf: the NIC's servers, else the VNet's, else Azure DNS. */
	vn = inv_vnet_find(g_inv, S("%.*s", (int)inv_id_parent_len(nic->ips[0].subnet_id, "subnets"),
				      nic->ips[0].subnet_id));
	assert_non_null(vn);
	sys = kv_arena_calloc(g_a, 4, sizeof(*sys));
	if (nic->n_dns_servers > 0 || vn->n_dns_servers > 0) {
		const struct kv_addr *src = nic->n_dns_servers > 0 ? nic->dns_servers : vn->dns_servers;
		n_sys = nic->n_dns_servers > 0 ? nic->n_dns_servers : vn->n_dns_servers;
		for (size_t i = 0; i < n_sys; i++)
			sys[i].addr = src[i], sys[i].port = 53;
	} else {
		assert_int_equal(kv_hostport_parse(PATH_AZURE_DNS, 53, &sys[0]), KV_OK);
		n_sys = 1;
	}
	memset(&pc, 0, sizeof(pc));
	pc.agent_vm_id = v->id;
	pc.agent_addrs = &nic->ips[0].addr;
	pc.n_agent_addrs = 1;
	pc.in_azure = true;
	pc.system = sys;
	pc.n_system = n_sys;
	pc.dns_qps = 100;
	memset(&ec, 0, sizeof(ec));
	assert_int_equal(expect_targets(&ec, g_inv, g_a, &l->targets, &l->n_targets), KV_OK);
	assert_int_equal(path_scope(&pc, g_inv, l->rep), KV_OK);
	assert_int_equal(path_model_new(g_inv, l->rep, &pm), KV_OK);
	for (size_t i = 0; i < l->n_targets; i++)
		assert_int_equal(path_expect(pm, l->rep, &l->targets[i]), KV_OK);
	/* Everything the verdict needs is in the report's arena now. */
	inv_free(g_inv);
	g_inv = NULL;
}

static void
lab_down(struct lab *l)
{
	report_free(l->rep);
	g_a = NULL;
}

static struct kv_target *
target(struct lab *l, const char *name)
{
	for (size_t i = 0; i < l->n_targets; i++)
		if (strcmp(l->targets[i].name, name) == 0)
			return &l->targets[i];
	fail_msg("no vault %s", name);
	return NULL;
}

static const char *
outcome_text(const struct kv_path_answer *ans)
{
	char buf[KV_ADDR_STRLEN];

	switch (ans->outcome) {
	case KV_PO_UNKNOWN:
		return "unknown";
	case KV_PO_NXDOMAIN:
		return "NXDOMAIN";
	case KV_PO_PUBLIC:
		return "public";
	case KV_PO_LOOP:
		return "SERVFAIL";
	case KV_PO_ADDRS:
		break;
	}
	kv_addr_format(&ans->addrs[0], buf, sizeof(buf));
	return S("%s", buf);
}

/* ---- scope: the VNet, its clients' resolvers, the vantages ---- */

struct scope_case {
	const char *stand;
	const char *servers_from;
	const char *vantages; /* "name role vnet-short client qps" entries, ';'-separated, in order */
};

static const struct scope_case scope_cases[] = {
	{"vnet-spoke-linked", "azure",
	    "168.63.129.16:53 azure vnet-spoke-linked client 900;10.0.2.4:53 inbound vnet-hub ref 10000;"
	    "10.2.2.4:53 inbound vnet-hub-nolink ref 10000;10.13.2.4:53 inbound vnet-hub-loop ref 10000"},
	{"vnet-spoke-twodns", "vnet",
	    "10.0.0.4:53 custom vnet-hub client 100;10.0.0.5:53 custom vnet-hub client 100;"
	    "10.0.2.4:53 inbound vnet-hub ref 10000;10.2.2.4:53 inbound vnet-hub-nolink ref 10000;"
	    "10.13.2.4:53 inbound vnet-hub-loop ref 10000;168.63.129.16:53 azure vnet-spoke-twodns ref 900"},
	{"vnet-spoke-inbound-nolink", "vnet",
	    "10.2.2.4:53 inbound vnet-hub-nolink client 10000;10.0.2.4:53 inbound vnet-hub ref 10000;"
	    "10.13.2.4:53 inbound vnet-hub-loop ref 10000;168.63.129.16:53 azure vnet-spoke-inbound-nolink ref 900"},
	{"vm-override", "nic",
	    "10.0.0.5:53 custom vnet-hub client 100;10.0.2.4:53 inbound vnet-hub ref 10000;"
	    "10.2.2.4:53 inbound vnet-hub-nolink ref 10000;10.13.2.4:53 inbound vnet-hub-loop ref 10000;"
	    "168.63.129.16:53 azure vnet-spoke-linked ref 900"},
};

static const char *
short_vnet(const char *id)
{
	const char *s = id ? strrchr(id, '/') : NULL;

	return s ? s + 1 : "-";
}

static void
test_scope(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(scope_cases) / sizeof(scope_cases[0]); c++) {
		const struct scope_case *sc = &scope_cases[c];
		struct lab l;
		char got[2048] = "";
		size_t o = 0;
		lab_up(&l, sc->stand);
		assert_int_equal(l.rep->n_vnets, 1);
		assert_string_equal(l.rep->vnets[0].found_by, "imds");
		assert_true(l.rep->vnets[0].agent);
		assert_string_equal(l.rep->vnets[0].servers_from, sc->servers_from);
		for (size_t i = 0; i < l.rep->n_vantages; i++) {
			const struct kv_vantage *v = &l.rep->vantages[i];
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s %s %s %s %u", i ? ";" : "", v->name,
			    kv_vantage_role_name(v->role), short_vnet(v->vnet_id), v->client ? "client" : "ref", v->qps);
		}
		if (strcmp(got, sc->vantages) != 0)
			fail_msg("%s: vantages\n got %s\nwant %s", sc->stand, got, sc->vantages);
		lab_down(&l);
	}
}

/* --vnet (repeatable, duplicates once): the VNets in scope besides where
 * kvpe stands; another VNet's Azure DNS cannot be asked from here. */
static void
test_scope_vnets(void **state)
{
	struct kv_report *rep = NULL;
	struct path_cfg pc;
	const char *ids[3];
	struct kv_hostport sys;

	(void)state;
	assert_int_equal(report_new(&rep), KV_OK);
	g_a = rep->arena;
	assert_int_equal(inv_new(g_a, &g_inv), KV_OK);
	build_lab();
	ids[0] = vnet_id("vnet-spoke-unlinked");
	ids[1] = vnet_id("vnet-spoke-twodns");
	ids[2] = S("%s", vnet_id("vnet-spoke-unlinked"));
	assert_int_equal(kv_hostport_parse("127.0.0.53", 53, &sys), KV_OK);
	memset(&pc, 0, sizeof(pc));
	pc.vnet_ids = ids;
	pc.n_vnet_ids = 3;
	pc.system = &sys;
	pc.n_system = 1;
	pc.dns_qps = 50;
	assert_int_equal(path_scope(&pc, g_inv, rep), KV_OK);
	assert_int_equal(rep->n_vnets, 2);
	assert_string_equal(rep->vnets[0].found_by, "--vnet");
	assert_false(rep->vnets[0].agent);
	assert_string_equal(rep->vnets[0].servers_from, "azure");
	assert_int_equal(rep->vnets[0].n_servers, 1);
	assert_int_equal(rep->vnets[0].n_vantages, 0); /* its Azure DNS: the model speaks for it */
	assert_int_equal(rep->vnets[0].model[0].vantage, -1);
	assert_string_equal(rep->vnets[1].servers_from, "vnet");
	assert_int_equal(rep->vnets[1].n_vantages, 2);
	assert_string_equal(rep->vantages[rep->vnets[1].vantages[1]].name, "10.0.0.5:53");
	/* Outside Azure: no 168.63.129.16; the system resolver is asked as such. */
	for (size_t i = 0; i < rep->n_vantages; i++)
		assert_int_not_equal(rep->vantages[i].role, KV_VR_AZURE);
	assert_string_equal(rep->vantages[rep->n_vantages - 1].name, "127.0.0.53:53");
	assert_int_equal(rep->vantages[rep->n_vantages - 1].role, KV_VR_SYSTEM);
	assert_true(rep->vantages[rep->n_vantages - 1].client);
	/* On a VM of vnet-spoke-twodns, a --vnet elsewhere adds to its own VNet:
	 * both of its servers are still asked (a wrong pass otherwise). */
	ids[0] = vnet_id("vnet-hub");
	pc.n_vnet_ids = 1;
	pc.agent_vm_id = S(SUB "rg-vms/providers/Microsoft.Compute/virtualMachines/vm-agent-vnet-spoke-twodns");
	pc.in_azure = true;
	assert_int_equal(path_scope(&pc, g_inv, rep), KV_OK);
	assert_int_equal(rep->n_vnets, 2);
	assert_string_equal(rep->vnets[0].id, vnet_id("vnet-spoke-twodns"));
	assert_string_equal(rep->vnets[0].found_by, "imds");
	assert_true(rep->vnets[0].agent);
	assert_int_equal(rep->vnets[0].n_vantages, 2);
	assert_string_equal(rep->vnets[1].id, vnet_id("vnet-hub"));
	assert_string_equal(rep->vnets[1].found_by, "--vnet");
	assert_false(rep->vnets[1].agent);
	/* Its own VNet given as --vnet too: once. */
	ids[1] = vnet_id("vnet-spoke-twodns");
	pc.n_vnet_ids = 2;
	assert_int_equal(path_scope(&pc, g_inv, rep), KV_OK);
	assert_int_equal(rep->n_vnets, 2);
	pc.agent_vm_id = NULL;
	pc.in_azure = false;
	/* --vantage off: nothing in scope, nothing asked. */
	pc.off = true;
	assert_int_equal(path_scope(&pc, g_inv, rep), KV_OK);
	assert_int_equal(rep->n_vnets, 0);
	assert_int_equal(rep->n_vantages, 0);
	inv_free(g_inv);
	g_inv = NULL;
	report_free(rep);
	g_a = NULL;
}

/* ---- the model: what each VNet's clients should get ---- */

struct model_case {
	const char *stand, *vault;
	const char *answers; /* per clients' resolver: "10.0.1.4", "public", "NXDOMAIN", "SERVFAIL", "unknown" */
	const char *resolves_in;
};

static const struct model_case model_cases[] = {
	{"vnet-hub", "kv-healthy", "10.0.1.4", "vnet-hub"},
	{"vnet-hub", "kv-norecord", "NXDOMAIN", "vnet-hub"},
	{"vnet-hub", "kv-nopep", "public", "vnet-hub"},
	{"vnet-hub", "kv-split", "10.0.1.6", "vnet-hub"},
	{"vnet-hub", "kv-twope", "10.1.1.7", "vnet-hub"},
	{"vnet-spoke-linked", "kv-healthy", "10.0.1.4", "vnet-spoke-linked"},
	{"vnet-hub-nolink", "kv-healthy", "public", "vnet-hub-nolink"},
	{"vnet-spoke-unlinked", "kv-norecord", "public", "vnet-spoke-unlinked"},
	{"vnet-spoke-dnsvm", "kv-healthy", "10.0.1.4", "vnet-hub"},
	{"vnet-spoke-dnsvm", "kv-norecord", "NXDOMAIN", "vnet-hub"},
	{"vnet-spoke-nofwd", "kv-healthy", "10.0.1.4", "vnet-hub"}, /* the model: a DNS VM forwards; live refutes */
	{"vnet-spoke-inbound", "kv-healthy", "10.0.1.4", "vnet-hub"},
	{"vnet-spoke-inbound-nolink", "kv-healthy", "public", "vnet-hub-nolink"},
	{"vnet-spoke-twodns", "kv-healthy", "10.0.1.4,10.0.1.4", "vnet-hub"},
	{"vnet-spoke-nxredirect", "kv-healthy", "10.0.1.4", "vnet-spoke-nxredirect"},
	{"vnet-spoke-nxredirect", "kv-norecord", "public", "vnet-spoke-nxredirect"},
	{"vnet-spoke-lz2", "kv-split", "10.10.1.6", "vnet-spoke-lz2"},
	{"vnet-spoke-rulefwd", "kv-healthy", "unknown", "vnet-spoke-rulefwd"},
	{"vnet-spoke-shadow", "kv-healthy", "10.0.1.4", "vnet-spoke-shadow"},
	{"vnet-hub-loop", "kv-healthy", "SERVFAIL", "vnet-hub-loop"},
	{"vnet-spoke-loop", "kv-healthy", "SERVFAIL", "vnet-hub-loop"},
	{"vm-override", "kv-healthy", "10.0.1.4", "vnet-hub"},
};

static void
test_model(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(model_cases) / sizeof(model_cases[0]); c++) {
		const struct model_case *mc = &model_cases[c];
		struct lab l;
		const struct kv_target *t;
		char got[256] = "";
		size_t o = 0;
		lab_up(&l, mc->stand);
		t = target(&l, mc->vault);
		assert_true(t->path_known);
		assert_int_equal(t->n_paths, 1);
		for (size_t i = 0; i < t->paths[0].n_answers; i++) {
			const struct kv_path_answer *ans = &t->paths[0].answers[i];
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s", i ? "," : "", outcome_text(ans));
			if (strcmp(short_vnet(ans->vnet_id), mc->resolves_in) != 0)
				fail_msg("%s %s: resolves in %s, want %s", mc->stand, mc->vault, short_vnet(ans->vnet_id),
				    mc->resolves_in);
		}
		if (strcmp(got, mc->answers) != 0)
			fail_msg("%s %s: model answers %s, want %s", mc->stand, mc->vault, got, mc->answers);
		lab_down(&l);
	}
}

/* ---- the verdict on the path, with synthetic observations ---- */

struct path_case {
	const char *label;
	const char *stand, *vault;
	const char *obs;  /* "server=answer;..." (answers as above; "sys" is the system resolver's) */
	const char *want; /* codes, any order; "CODE:low" when the finding carries its own severity */
	enum kv_status status;
};

/* Every row of PATH-LAB.md's table (the reference inbound endpoints answer
 * as their VNet does: in-hub right, in-nolink public, in-loop SERVFAIL). */
#define REFS "10.0.2.4=10.0.1.4;10.2.2.4=public;10.13.2.4=SERVFAIL"

static const struct path_case lab_rows[] = {
	{"hub: healthy", "vnet-hub", "kv-healthy", "168.63.129.16=10.0.1.4;" REFS, "", KV_ST_PASS},
	{"hub: record missing", "vnet-hub", "kv-norecord", "168.63.129.16=NXDOMAIN;" REFS,
	    "DNS_NXDOMAIN,ZONE_RECORD_MISSING", KV_ST_FAIL},
	{"hub: no endpoint", "vnet-hub", "kv-nopep", "168.63.129.16=nopep;" REFS,
	    "NO_PRIVATE_ENDPOINT,DNS_PUBLIC_ADDRESS,DNS_NO_PRIVATELINK_CNAME", KV_ST_FAIL},
	{"spoke linked: healthy", "vnet-spoke-linked", "kv-healthy", "168.63.129.16=10.0.1.4;" REFS, "", KV_ST_PASS},
	{"hub without link", "vnet-hub-nolink", "kv-healthy", "168.63.129.16=public;" REFS,
	    "DNS_PUBLIC_ADDRESS,ZONE_NOT_LINKED", KV_ST_FAIL},
	{"spoke unlinked", "vnet-spoke-unlinked", "kv-healthy", "168.63.129.16=public;" REFS,
	    "DNS_PUBLIC_ADDRESS,ZONE_NOT_LINKED", KV_ST_FAIL},
	{"DNS VM with forwarder", "vnet-spoke-dnsvm", "kv-healthy", "10.0.0.4=10.0.1.4;" REFS, "", KV_ST_PASS},
	{"DNS VM without forwarder", "vnet-spoke-nofwd", "kv-healthy", "10.0.0.5=public;" REFS,
	    "DNS_PUBLIC_ADDRESS,DNS_CUSTOM_SERVER_NOT_FORWARDING", KV_ST_FAIL},
	{"inbound endpoint, hub linked", "vnet-spoke-inbound", "kv-healthy", REFS, "", KV_ST_PASS},
	{"inbound endpoint, its VNet unlinked", "vnet-spoke-inbound-nolink", "kv-healthy", REFS,
	    "DNS_PUBLIC_ADDRESS,ZONE_NOT_LINKED_TO_RESOLVER_VNET", KV_ST_FAIL},
	{"two custom servers, only the first forwards; system resolver right", "vnet-spoke-twodns", "kv-healthy",
	    "sys=10.0.1.4;10.0.0.4=10.0.1.4;10.0.0.5=public;" REFS,
	    "DNS_PUBLIC_ADDRESS,DNS_CUSTOM_SERVER_NOT_FORWARDING,VANTAGE_DISAGREES", KV_ST_FAIL},
	{"NxDomainRedirect, record there", "vnet-spoke-nxredirect", "kv-healthy", "168.63.129.16=10.0.1.4;" REFS,
	    "ZONE_LINK_NXDOMAIN_REDIRECT:low", KV_ST_PASS},
	{"NxDomainRedirect, record missing", "vnet-spoke-nxredirect", "kv-norecord", "168.63.129.16=public;" REFS,
	    "DNS_PUBLIC_ADDRESS,ZONE_RECORD_MISSING,ZONE_LINK_NXDOMAIN_REDIRECT:high", KV_ST_FAIL},
	{"landing zone's own zone: split brain", "vnet-spoke-lz2", "kv-split", "168.63.129.16=10.10.1.6;" REFS,
	    "DNS_ADDRESS_MISMATCH,ZONE_RECORD_STALE,ZONE_SPLIT_BRAIN", KV_ST_FAIL},
	{"landing zone's own zone: same record", "vnet-spoke-lz2", "kv-healthy", "168.63.129.16=10.0.1.4;" REFS, "",
	    KV_ST_PASS},
	{"rule to on-premises catches vault.azure.net", "vnet-spoke-rulefwd", "kv-healthy",
	    "168.63.129.16=public;" REFS, "DNS_PUBLIC_ADDRESS,FORWARDING_RULE_OVERRIDES_ZONE:high", KV_ST_FAIL},
	{"rule shadowed by the zone; disabled rule ignored", "vnet-spoke-shadow", "kv-healthy",
	    "168.63.129.16=10.0.1.4;" REFS, "FORWARDING_RULE_SHADOWED", KV_ST_PASS},
	{"ruleset linked to its resolver's own VNet: loop", "vnet-hub-loop", "kv-healthy",
	    "168.63.129.16=SERVFAIL;" REFS, "DNS_SERVFAIL,FORWARDING_RULE_LOOP", KV_ST_ERROR},
	{"spoke of the looping hub inherits the loop", "vnet-spoke-loop", "kv-healthy", REFS,
	    "DNS_SERVFAIL,FORWARDING_RULE_LOOP", KV_ST_ERROR},
	{"NIC dnsSettings override to the DNS VM without forwarder", "vm-override", "kv-healthy",
	    "10.0.0.5=public;" REFS, "DNS_PUBLIC_ADDRESS,DNS_CUSTOM_SERVER_NOT_FORWARDING", KV_ST_FAIL},
	/* Tenant-wide: the vaults' own rows. */
	{"two endpoints, one record", "vnet-hub", "kv-twope", "168.63.129.16=10.1.1.7;" REFS,
	    "ENDPOINT_RECORD_COLLISION", KV_ST_FAIL},
	{"split brain seen from the hub", "vnet-hub", "kv-split", "168.63.129.16=10.0.1.6;" REFS,
	    "ZONE_RECORD_STALE,ZONE_SPLIT_BRAIN", KV_ST_FAIL},
};

/* Edges of the rules beyond the lab's rows. */
static const struct path_case edge_rows[] = {
	{"rule overriding the zone, clients' answer right: medium", "vnet-spoke-rulefwd", "kv-healthy",
	    "168.63.129.16=10.0.1.4;" REFS, "FORWARDING_RULE_OVERRIDES_ZONE:medium", KV_ST_FAIL},
	{"not observed (--vantage off): the model's findings stand", "vnet-spoke-inbound-nolink", "kv-healthy",
	    "sys=public", "DNS_PUBLIC_ADDRESS,ZONE_NOT_LINKED_TO_RESOLVER_VNET", KV_ST_FAIL},
	{"DNS VM answering right: no finding", "vnet-spoke-nofwd", "kv-healthy", "10.0.0.5=10.0.1.4;" REFS, "",
	    KV_ST_PASS},
	{"DNS VM NXDOMAIN while the zone holds the record", "vnet-spoke-nofwd", "kv-healthy",
	    "10.0.0.5=NXDOMAIN;" REFS, "DNS_NXDOMAIN,DNS_CUSTOM_SERVER_NOT_FORWARDING", KV_ST_FAIL},
	{"DNS VM public for a vault the zone lacks: not the server's fault", "vnet-spoke-nofwd", "kv-norecord",
	    "10.0.0.5=public;" REFS, "DNS_PUBLIC_ADDRESS,ZONE_RECORD_MISSING", KV_ST_FAIL},
	/* A server that gives no answer (down, refusing, failing): the clients
	 * fail over to the other, as kvpe's own lookup does. */
	{"two custom servers, the second silent: no disagreement, the answer stands", "vnet-spoke-twodns",
	    "kv-healthy", "10.0.0.4=10.0.1.4;10.0.0.5=TIMEOUT;" REFS, "", KV_ST_PASS},
	{"two custom servers, the second SERVFAIL: no disagreement, the answer stands", "vnet-spoke-twodns",
	    "kv-healthy", "10.0.0.4=10.0.1.4;10.0.0.5=SERVFAIL;" REFS, "", KV_ST_PASS},
	{"two custom servers agreeing: no disagreement", "vnet-spoke-twodns", "kv-healthy",
	    "10.0.0.4=10.0.1.4;10.0.0.5=10.0.1.4;" REFS, "", KV_ST_PASS},
	{"two custom servers, both public: no disagreement, both not forwarding", "vnet-spoke-twodns", "kv-healthy",
	    "10.0.0.4=public;10.0.0.5=public;" REFS, "DNS_PUBLIC_ADDRESS,DNS_CUSTOM_SERVER_NOT_FORWARDING", KV_ST_FAIL},
	{"worst answer judged: NXDOMAIN beside a right one", "vnet-spoke-twodns", "kv-healthy",
	    "sys=10.0.1.4;10.0.0.4=NXDOMAIN;10.0.0.5=10.0.1.4;" REFS,
	    "DNS_NXDOMAIN,DNS_CUSTOM_SERVER_NOT_FORWARDING,VANTAGE_DISAGREES", KV_ST_FAIL},
};

static void
set_answer(struct kv_dns_lookup *lk, const struct kv_target *t, const char *ans)
{
	static const char *chain_pl[2];
	size_t n = 0;

	memset(lk, 0, sizeof(*lk));
	lk->server = -1;
	chain_pl[0] = t->fqdn;
	chain_pl[1] = t->pl_fqdn;
	lk->chain = chain_pl;
	lk->n_chain = 2;
	if (strcmp(ans, "NXDOMAIN") == 0) {
		lk->rcode = KV_RC_NXDOMAIN;
	} else if (strcmp(ans, "SERVFAIL") == 0) {
		lk->rcode = KV_RC_SERVFAIL;
		lk->n_chain = 1;
	} else if (strcmp(ans, "TIMEOUT") == 0) {
		lk->rcode = KV_RC_TIMEOUT;
		lk->n_chain = 1;
	} else {
		lk->rcode = KV_RC_NOERROR;
		if (strcmp(ans, "nopep") == 0)
			lk->n_chain = 1; /* public DNS adds no privatelink alias */
		lk->addrs = addrs(strcmp(ans, "public") == 0 || strcmp(ans, "nopep") == 0 ? PUBLIC : ans, &n);
		lk->n_addrs = n;
	}
}

/* The answer `server` gives per the case's obs, or NULL. */
static const char *
obs_for(const char *obs, const char *server)
{
	size_t n = strlen(server);

	for (const char *p = obs; p != NULL && *p; p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL) {
		if (strncmp(p, server, n) == 0 && p[n] == '=') {
			const char *e = strchr(p, ';');
			return S("%.*s", e ? (int)(e - p - (ptrdiff_t)n - 1) : (int)strlen(p + n + 1), p + n + 1);
		}
	}
	return NULL;
}

/* Each vantage's answer per `obs` into r->vantages (kv_report order). */
static void
observe(const struct lab *l, struct kv_result *r, const char *obs)
{
	r->vantages = kv_arena_calloc(g_a, l->rep->n_vantages + 1, sizeof(*r->vantages));
	for (size_t i = 0; i < l->rep->n_vantages; i++) {
		const char *name = l->rep->vantages[i].name;
		const char *ans = obs_for(obs, S("%.*s", (int)strcspn(name, ":"), name));
		if (ans == NULL)
			continue;
		r->vantages[r->n_vantages].vantage = i;
		set_answer(&r->vantages[r->n_vantages++].a, r->t, ans);
	}
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* A comma list, sorted. */
static const char *
sorted(const char *csv)
{
	char *buf = kv_arena_strdup(g_a, csv), *save = NULL;
	const char *v[64];
	size_t n = 0, o = 0;
	char *out = kv_arena_calloc(g_a, 1, strlen(csv) + 2);

	for (char *p = strtok_r(buf, ",", &save); p != NULL && n < 64; p = strtok_r(NULL, ",", &save))
		v[n++] = p;
	qsort(v, n, sizeof(v[0]), cmp_str);
	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(out + o, "%s%s", i ? "," : "", v[i]);
	return out;
}

static void
run_path_cases(const struct path_case *cases, size_t n)
{
	for (size_t c = 0; c < n; c++) {
		const struct path_case *pc = &cases[c];
		struct lab l;
		struct verdict_cfg vc;
		struct kv_result r;
		const char *sys, *got = "";
		const struct kv_vnet_scope *s;
		lab_up(&l, pc->stand);
		s = &l.rep->vnets[0];
		memset(&r, 0, sizeof(r));
		r.t = target(&l, pc->vault);
		observe(&l, &r, pc->obs);
		/* The system resolver: "sys", else the clients' first server's answer. */
		sys = obs_for(pc->obs, "sys");
		if (sys == NULL) {
			char first[KV_ADDR_STRLEN];
			kv_addr_format(&s->servers[0].addr, first, sizeof(first));
			sys = obs_for(pc->obs, first);
		}
		set_answer(&r.dns.a, r.t, sys != NULL ? sys : "10.0.1.4");
		r.dns.aaaa.rcode = KV_RC_NODATA;
		memset(&vc, 0, sizeof(vc));
		vc.vantages = l.rep->vantages;
		vc.n_vantages = l.rep->n_vantages;
		vc.vnets = l.rep->vnets;
		vc.n_vnets = l.rep->n_vnets;
		assert_int_equal(verdict_vault(&vc, g_a, &r), KV_OK);
		for (size_t i = 0; i < r.n_findings; i++) {
			const struct kv_finding *f = &r.findings[i];
			bool tenant = f->code == KV_F_ZONE_SPLIT_BRAIN || f->code == KV_F_ENDPOINT_RECORD_COLLISION;
			bool per_vnet = f->code >= KV_F_DNS_CUSTOM_SERVER_NOT_FORWARDING || f->code == KV_F_ZONE_NOT_LINKED;
			got = S("%s%s%s%s%s", got, i ? "," : "", finding_name(f->code), f->has_severity ? ":" : "",
			    f->has_severity ? finding_severity_name(f->severity) : "");
			/* Per-VNet findings name the VNet; tenant-wide ones do not. */
			if (per_vnet && !tenant && (f->vnet_id == NULL || strcmp(f->vnet_id, s->id) != 0))
				fail_msg("%s: %s has vnet %s", pc->label, finding_name(f->code), f->vnet_id ? f->vnet_id : "null");
			if (tenant && f->vnet_id != NULL)
				fail_msg("%s: %s is tenant-wide but names %s", pc->label, finding_name(f->code), f->vnet_id);
			assert_non_null(f->message);
			assert_non_null(f->remediation);
			if (per_vnet && strstr(f->remediation, "az ") == NULL)
				fail_msg("%s: %s: no az command in %s", pc->label, finding_name(f->code), f->remediation);
		}
		if (strcmp(sorted(got), sorted(pc->want)) != 0)
			fail_msg("%s (%s, %s):\n got %s\nwant %s", pc->label, pc->stand, pc->vault, got, pc->want);
		if (r.status != pc->status)
			fail_msg("%s: status %s, want %s", pc->label, kv_status_name(r.status), kv_status_name(pc->status));
		lab_down(&l);
	}
}

static void
test_lab_rows(void **state)
{
	(void)state;
	run_path_cases(lab_rows, sizeof(lab_rows) / sizeof(lab_rows[0]));
}

static void
test_edges(void **state)
{
	(void)state;
	run_path_cases(edge_rows, sizeof(edge_rows) / sizeof(edge_rows[0]));
}

/* Messages name the hop, the VNet and the resource IDs; fixes are az commands. */
static void
test_texts(void **state)
{
	static const struct {
		const char *stand, *vault, *obs;
		enum kv_finding_code code;
		const char *in_msg, *in_fix;
	} cases[] = {
		{"vnet-spoke-rulefwd", "kv-healthy", "168.63.129.16=public", KV_F_FORWARDING_RULE_OVERRIDES_ZONE,
		    "forwardingRules/vault-to-onprem", "az dns-resolver forwarding-rule update --resource-group rg-hub "
						       "--ruleset-name rs-spoke-vault --name vault-to-onprem "
						       "--forwarding-rule-state Disabled"},
		{"vnet-spoke-shadow", "kv-healthy", "168.63.129.16=10.0.1.4", KV_F_FORWARDING_RULE_SHADOWED,
		    "privatelink-to-onprem", "az dns-resolver forwarding-rule delete --resource-group rg-hub "
					     "--ruleset-name rs-shadow --name privatelink-to-onprem"},
		{"vnet-spoke-nxredirect", "kv-norecord", "168.63.129.16=public", KV_F_ZONE_LINK_NXDOMAIN_REDIRECT,
		    "link-vnet-spoke-nxredirect", "az network private-dns link vnet update --resource-group rg-dns "
						  "--zone-name privatelink.vaultcore.azure.net --name "
						  "link-vnet-spoke-nxredirect --resolution-policy Default"},
		{"vnet-spoke-inbound-nolink", "kv-healthy", "10.2.2.4=public", KV_F_ZONE_NOT_LINKED_TO_RESOLVER_VNET,
		    "inbound endpoint 10.2.2.4:53 (/subscriptions/a/resourceGroups/rg-hub/providers/Microsoft.Network/"
		    "dnsResolvers/dnsr-nolink/inboundEndpoints/in-nolink), which resolves in VNet "
		    "/subscriptions/a/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub-nolink",
		    "--virtual-network /subscriptions/a/resourceGroups/rg-hub/providers/"
						       "Microsoft.Network/virtualNetworks/vnet-hub-nolink"},
		{"vnet-spoke-nofwd", "kv-healthy", "10.0.0.5=public", KV_F_DNS_CUSTOM_SERVER_NOT_FORWARDING,
		    "DNS VM 10.0.0.5:53 (/subscriptions/a/resourceGroups/rg-vms/providers/Microsoft.Network/"
		    "networkInterfaces/vm-dns-nofwd-nic)", "forward vault.azure.net and vaultcore.azure.net to 168.63.129.16"},
		{"vnet-hub-loop", "kv-healthy", "168.63.129.16=SERVFAIL", KV_F_FORWARDING_RULE_LOOP, "10.13.2.4:53",
		    "az dns-resolver vnet-link list --resource-group rg-hub --ruleset-name rs-loop"},
		{"vnet-hub", "kv-twope", "168.63.129.16=10.1.1.7", KV_F_ENDPOINT_RECORD_COLLISION, "pe-kv-twope-0",
		    "--endpoint-name pe-kv-twope-0"},
		{"vnet-hub", "kv-split", "168.63.129.16=10.0.1.6", KV_F_ZONE_SPLIT_BRAIN, "vnet-spoke-lz2",
		    "--resource-group rg-dns-lz2"},
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct lab l;
		struct verdict_cfg vc;
		struct kv_result r;
		bool seen = false;
		lab_up(&l, cases[c].stand);
		memset(&r, 0, sizeof(r));
		r.t = target(&l, cases[c].vault);
		observe(&l, &r, cases[c].obs);
		set_answer(&r.dns.a, r.t, "10.0.1.4");
		memset(&vc, 0, sizeof(vc));
		vc.vantages = l.rep->vantages;
		vc.n_vantages = l.rep->n_vantages;
		assert_int_equal(verdict_vault(&vc, g_a, &r), KV_OK);
		for (size_t i = 0; i < r.n_findings; i++) {
			if (r.findings[i].code != cases[c].code)
				continue;
			seen = true;
			if (strstr(r.findings[i].message, cases[c].in_msg) == NULL)
				fail_msg("%s: message lacks %s: %s", finding_name(cases[c].code), cases[c].in_msg,
				    r.findings[i].message);
			if (strstr(r.findings[i].remediation, cases[c].in_fix) == NULL)
				fail_msg("%s: fix lacks %s: %s", finding_name(cases[c].code), cases[c].in_fix,
				    r.findings[i].remediation);
		}
		if (!seen)
			fail_msg("%s %s: no %s", cases[c].stand, cases[c].vault, finding_name(cases[c].code));
		lab_down(&l);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scope), cmocka_unit_test(test_scope_vnets), cmocka_unit_test(test_model), cmocka_unit_test(test_lab_rows),
	    cmocka_unit_test(test_edges), cmocka_unit_test(test_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
