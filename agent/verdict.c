/* verdict.c — the rules of the spec's finding table, as pure functions.
 *
 * Order of reasoning for one vault: ARM facts (endpoint, approval, addresses,
 * zone records, links, public access), then what DNS said (rcode, then the
 * answers, then the chain, then AAAA), then what the connection probe saw.
 * Each code is reported at most once per vault. */
#include "kvpe/verdict.h"

#include "kvpe/inv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vctx {
	const struct verdict_cfg *cfg;
	struct kv_arena *a;
	struct kv_result *r;
	const struct kv_target *t;
	bool oom;
	struct kv_finding *found; /* in `a`; copied out at its exact size */
	size_t n, cap;
	/* A client's vantage answer judged instead of r->dns.a (the worst one,
	 * when the clients' resolvers disagree): its server's name. */
	const char *lk_name;
};

#define SRV_VANTAGE (-2) /* kv_dns_lookup.server of a vantage answer copied for the DNS rules */

#define PH_RG "<resource-group>"
#define PH_ZONE_RG "<zone-resource-group>"
#define PH_VNET "<vnet-id>"
#define PH_ADDR "<endpoint-ip>"

static bool
same_vnet(const char *x, const char *y)
{
	return (x == NULL && y == NULL) || (x != NULL && y != NULL && kv_streq_ci(x, y));
}

/* One finding per code and VNet (vnet NULL: the vault as a whole); sev < 0:
 * the code's own severity. */
static void
add_at(struct vctx *v, enum kv_finding_code code, const char *vnet, int sev, const char *msg, const char *fix)
{
	struct kv_finding *f;

	if (msg == NULL || fix == NULL) {
		v->oom = true;
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		if (v->found[i].code == code && same_vnet(v->found[i].vnet_id, vnet)) {
			/* The same code twice in one VNet keeps the higher severity. */
			if (sev >= 0 && v->found[i].has_severity && (int)v->found[i].severity < sev)
				v->found[i].severity = (enum kv_severity)sev;
			return;
		}
	}
	if (v->n == v->cap) {
		size_t ncap = v->cap ? 2 * v->cap : 8;
		struct kv_finding *nf = kv_arena_calloc(v->a, ncap, sizeof(*nf));
		if (nf == NULL) {
			v->oom = true;
			return;
		}
		if (v->n > 0)
			memcpy(nf, v->found, v->n * sizeof(*nf));
		v->found = nf;
		v->cap = ncap;
	}
	f = &v->found[v->n++];
	memset(f, 0, sizeof(*f));
	f->code = code;
	f->message = msg;
	f->remediation = fix;
	f->vnet_id = vnet;
	if (sev >= 0) {
		f->has_severity = true;
		f->severity = (enum kv_severity)sev;
	}
}

static void
add(struct vctx *v, enum kv_finding_code code, const char *msg, const char *fix)
{
	add_at(v, code, NULL, -1, msg, fix);
}

/* A value as one shell word: left alone when it is plain, single-quoted
 * otherwise (resource groups may hold spaces, parentheses, ...).
 * <placeholders> stay as they are, for the reader to replace. */
static const char *
sh(struct kv_arena *a, const char *s)
{
	size_t n = 0;
	bool plain = s[0] != '\0';
	char *q, *o;

	if (s[0] == '<' || strncmp(s, "$(", 2) == 0)
		return s;
	for (const char *p = s; *p; p++, n++)
		if (!isalnum((unsigned char)*p) && strchr("._/:@%+=,-", *p) == NULL)
			plain = false;
	if (plain)
		return s;
	q = kv_arena_alloc(a, 4 * n + 3);
	if (q == NULL)
		return s;
	o = q;
	*o++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return q;
}

static const char *
or_ph(const char *s, const char *placeholder)
{
	return (s != NULL && s[0] != '\0') ? s : placeholder;
}

#define LIST_MAX 16 /* addresses a message names; it counts the rest */

/* "10.1.0.4, 10.1.0.5"; past LIST_MAX, "... and 1084 more". */
static const char *
fmt_addrs(struct kv_arena *a, const struct kv_addr *v, size_t n)
{
	char one[KV_ADDR_STRLEN];
	size_t shown = n < LIST_MAX ? n : LIST_MAX;
	size_t cap = shown * (KV_ADDR_STRLEN + 2) + 32, o = 0;
	char *s = kv_arena_alloc(a, cap);

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < shown; i++) {
		kv_addr_format(&v[i], one, sizeof(one));
		o += (size_t)snprintf(s + o, cap - o, "%s%s", i ? ", " : "", one);
	}
	if (n > shown)
		snprintf(s + o, cap - o, " and %zu more", n - shown);
	if (n == 0)
		snprintf(s, cap, "none");
	return s;
}

static const char *
fmt_chain(struct kv_arena *a, const struct kv_dns_lookup *lk)
{
	size_t cap = 16, o = 0;
	char *s;

	for (size_t i = 0; i < lk->n_chain; i++)
		cap += strlen(lk->chain[i]) + 4;
	s = kv_arena_alloc(a, cap);
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < lk->n_chain; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s%s", i ? " -> " : "", lk->chain[i]);
	if (lk->chain_truncated)
		snprintf(s + o, cap - o, " -> ...");
	return s;
}

/* "10.0.0.4:53, 10.0.0.5:53". */
static const char *
fmt_hostports(struct kv_arena *a, const struct kv_hostport *v, size_t n)
{
	size_t cap = n * (KV_ADDR_STRLEN + 10) + 8, o = 0;
	char *s = kv_arena_alloc(a, cap);

	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char one[KV_ADDR_STRLEN + 8];
		kv_hostport_format(&v[i], one, sizeof(one));
		o += (size_t)snprintf(s + o, cap - o, "%s%s", i ? ", " : "", one);
	}
	return s;
}

/* Strings joined by ", ", at most LIST_MAX of them. */
static const char *
fmt_list(struct kv_arena *a, const char *const *v, size_t n)
{
	size_t shown = n < LIST_MAX ? n : LIST_MAX, cap = 32, o = 0;
	char *s;

	for (size_t i = 0; i < shown; i++)
		cap += strlen(v[i]) + 2;
	if ((s = kv_arena_alloc(a, cap)) == NULL)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < shown; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s%s", i ? ", " : "", v[i]);
	if (n > shown)
		snprintf(s + o, cap - o, " and %zu more", n - shown);
	return s;
}

static const char *
server_name(const struct vctx *v, int idx)
{
	if (idx == SRV_VANTAGE && v->lk_name != NULL)
		return v->lk_name;
	if (idx >= 0 && (size_t)idx < v->cfg->n_resolvers)
		return v->cfg->resolvers[idx];
	return "the resolver";
}

bool
verdict_chain_has(const struct kv_dns_lookup *lk, const char *name)
{
	for (size_t i = 0; i < lk->n_chain; i++)
		if (kv_streq_ci(lk->chain[i], name))
			return true;
	return false;
}

bool
verdict_addr_private(const struct verdict_cfg *cfg, const struct kv_target *t,
    const struct kv_addr *addr)
{
	/* The endpoint's own addresses are private whatever their range: VNets
	 * may use any address space. */
	if (t != NULL && kv_addr_in_list(addr, t->expected, t->n_expected))
		return true;
	return kv_addr_is_private(addr, cfg->private_cidrs, cfg->n_private_cidrs);
}

/* ---- names used in remediation commands ---- */

static const struct kv_zone_view *
first_zone(const struct kv_target *t)
{
	return t->n_zones > 0 ? &t->zones[0] : NULL;
}

static const char *
zone_rg(const struct kv_target *t)
{
	const struct kv_zone_view *z = first_zone(t);

	return or_ph(z ? z->resource_group : NULL, PH_ZONE_RG);
}

static const char *
sub_flag(struct kv_arena *a, const char *sub)
{
	return sub ? kv_arena_printf(a, " --subscription %s", sh(a, sub)) : "";
}

static const char *
zone_sub_flag(struct kv_arena *a, const struct kv_target *t)
{
	const struct kv_zone_view *z = first_zone(t);

	return sub_flag(a, z ? z->subscription : NULL);
}

/* The VNet to link: the agent's, else the VNet of an approved endpoint's subnet. */
static const char *
vnet_for_link(struct kv_arena *a, const struct kv_target *t)
{
	if (t->vnet_id != NULL)
		return t->vnet_id;
	for (size_t i = 0; i < t->n_endpoints; i++) {
		const char *sn = t->endpoints[i].subnet_id;
		const char *cut = sn ? strstr(sn, "/subnets/") : NULL;
		if (cut != NULL)
			return kv_arena_strndup(a, sn, (size_t)(cut - sn));
	}
	return PH_VNET;
}

static const char *
expected_addr(struct kv_arena *a, const struct kv_target *t)
{
	char buf[KV_ADDR_STRLEN];

	for (size_t i = 0; i < t->n_expected; i++) {
		if (t->expected[i].family == 4) {
			kv_addr_format(&t->expected[i], buf, sizeof(buf));
			return kv_arena_strdup(a, buf);
		}
	}
	return PH_ADDR;
}

static const char *
fix_add_record(struct vctx *v)
{
	const struct kv_target *t = v->t;

	return kv_arena_printf(v->a,
	    "az network private-dns record-set a add-record --resource-group %s --zone-name %s "
	    "--record-set-name %s --ipv4-address %s%s",
	    sh(v->a, zone_rg(t)), t->pl_zone, sh(v->a, t->name), expected_addr(v->a, t), zone_sub_flag(v->a, t));
}

static const char *
fix_link(struct vctx *v)
{
	const struct kv_target *t = v->t;

	return kv_arena_printf(v->a,
	    "az network private-dns link vnet create --resource-group %s --zone-name %s "
	    "--name %s-link --virtual-network %s --registration-enabled false%s",
	    sh(v->a, zone_rg(t)), t->pl_zone, "kvpe", sh(v->a, vnet_for_link(v->a, t)), zone_sub_flag(v->a, t));
}

static const char *
fix_create_endpoint(struct vctx *v)
{
	const struct kv_target *t = v->t;
	const char *rg = sh(v->a, or_ph(t->resource_group, PH_RG));
	const char *name = sh(v->a, t->name);
	const char *id = t->id ? sh(v->a, t->id) : kv_arena_printf(v->a,
	    "$(az keyvault show %s %s --query id -o tsv)",
	    t->kind == KV_KIND_HSM ? "--hsm-name" : "--name", name);

	return kv_arena_printf(v->a,
	    "az network private-endpoint create --resource-group %s --name %s-pe "
	    "--vnet-name <vnet> --subnet <subnet> --private-connection-resource-id %s "
	    "--group-id %s --connection-name %s-pe%s && "
	    "az network private-endpoint dns-zone-group create --resource-group %s "
	    "--endpoint-name %s-pe --name default --private-dns-zone %s --zone-name %s",
	    rg, name, id, t->kind == KV_KIND_HSM ? "managedhsm" : "vault", name,
	    sub_flag(v->a, t->subscription), rg, name, t->pl_zone, t->pl_zone);
}

static const char *
fix_resolver(struct vctx *v, int server)
{
	return kv_arena_printf(v->a,
	    "dig @%s %s; if %s is a custom DNS server, give it a conditional forwarder for %s "
	    "to 168.63.129.16 (Azure DNS), then check the VNet's servers: "
	    "az network vnet show --ids %s --query dhcpOptions.dnsServers",
	    server >= 0 ? server_name(v, server) : "<dns-server>", sh(v->a, v->t->fqdn),
	    server >= 0 ? server_name(v, server) : "the resolver",
	    v->t->kind == KV_KIND_HSM ? "managedhsm.azure.net" : "vaultcore.azure.net",
	    sh(v->a, vnet_for_link(v->a, v->t)));
}

/* ---- ARM rules ---- */

/* No private endpoint connection at all, or none of them Approved. */
static void
rules_arm_endpoint(struct vctx *v, bool approved)
{
	const struct kv_target *t = v->t;
	struct kv_arena *a = v->a;

	if (t->n_endpoints == 0) {
		add(v, KV_F_NO_PRIVATE_ENDPOINT,
		    kv_arena_printf(a, "%s %s has no private endpoint connection; expected at least one Approved",
			cloud_kind_name(t->kind), t->name),
		    fix_create_endpoint(v));
	} else if (!approved) {
		const struct kv_endpoint_view *e = &t->endpoints[0];
		add(v, KV_F_ENDPOINT_NOT_APPROVED,
		    kv_arena_printf(a, "private endpoint %s is %s on %s; expected Approved",
			or_ph(e->pe_name, or_ph(e->conn_name, "<endpoint>")), kv_pe_state_name(e->state), t->name),
		    kv_arena_printf(a,
			"az keyvault private-endpoint-connection approve --resource-group %s %s %s --name %s%s",
			sh(a, or_ph(t->resource_group, PH_RG)), t->kind == KV_KIND_HSM ? "--hsm-name" : "--vault-name",
			sh(a, t->name), sh(a, or_ph(e->conn_name, "<connection-name>")), sub_flag(a, t->subscription)));
	}
}

/* An approved endpoint of the inventory that shows no private address. */
static void
rules_arm_address(struct vctx *v)
{
	const struct kv_target *t = v->t;
	struct kv_arena *a = v->a;

	for (size_t i = 0; i < t->n_endpoints; i++) {
		const struct kv_endpoint_view *e = &t->endpoints[i];
		if (e->state != KV_PE_APPROVED || !e->pe_found || e->n_addrs > 0)
			continue;
		add(v, KV_F_ENDPOINT_NO_ADDRESS,
		    kv_arena_printf(a, "approved private endpoint %s shows no private IP (no NIC address, no DNS config)",
			or_ph(e->pe_name, e->pe_id)),
		    kv_arena_printf(a,
			"az network private-endpoint show --ids %s --query \"{nics:networkInterfaces[].id, dns:customDnsConfigs}\"; "
			"if empty, recreate it: az network private-endpoint delete --ids %s",
			sh(a, or_ph(e->pe_id, "<endpoint-id>")), sh(a, or_ph(e->pe_id, "<endpoint-id>"))));
		return;
	}
}

/* No private DNS zone of the inventory holds an A record for the vault. */
static void
rules_arm_zone_record(struct vctx *v)
{
	const struct kv_target *t = v->t;
	struct kv_arena *a = v->a;
	const char *msg, *fix;

	for (size_t i = 0; i < t->n_zones; i++)
		if (t->zones[i].has_record && t->zones[i].n_addrs > 0)
			return;
	msg = t->n_zones == 0
	    ? kv_arena_printf(a, "no private DNS zone %s in the inventory; expected one with an A record %s -> %s",
		  t->pl_zone, t->name, expected_addr(a, t))
	    : kv_arena_printf(a, "private DNS zone %s has no A record for %s; expected %s",
		  t->pl_zone, t->name, expected_addr(a, t));
	fix = t->n_zones == 0
	    ? kv_arena_printf(a, "az network private-dns zone create --resource-group %s --name %s && %s && %s",
		  sh(a, or_ph(t->resource_group, PH_ZONE_RG)), t->pl_zone, fix_link(v), fix_add_record(v))
	    : fix_add_record(v);
	add(v, KV_F_ZONE_RECORD_MISSING, msg, fix);
}

/* A zone record holding an address the endpoint does not own (the first). */
static void
rules_arm_zone_stale(struct vctx *v)
{
	const struct kv_target *t = v->t;
	struct kv_arena *a = v->a;

	if (!t->expected_known || t->n_expected == 0)
		return;
	for (size_t i = 0; i < t->n_zones; i++) {
		const struct kv_zone_view *z = &t->zones[i];
		for (size_t j = 0; j < z->n_addrs; j++) {
			char stale[KV_ADDR_STRLEN];
			if (kv_addr_in_list(&z->addrs[j], t->expected, t->n_expected))
				continue;
			kv_addr_format(&z->addrs[j], stale, sizeof(stale));
			add(v, KV_F_ZONE_RECORD_STALE,
			    kv_arena_printf(a, "zone %s record %s holds %s; the endpoint owns %s",
				z->name ? z->name : t->pl_zone, t->name, fmt_addrs(a, z->addrs, z->n_addrs),
				fmt_addrs(a, t->expected, t->n_expected)),
			    kv_arena_printf(a,
				"az network private-dns record-set a remove-record --resource-group %s "
				"--zone-name %s --record-set-name %s --ipv4-address %s%s && %s",
				sh(a, or_ph(z->resource_group, PH_ZONE_RG)), t->pl_zone, sh(a, t->name), stale,
				sub_flag(a, z->subscription), fix_add_record(v)));
			return;
		}
	}
}

/* With the agent's VNet known: no zone of the vault is linked to it. */
static void
rules_arm_zone_link(struct vctx *v)
{
	const struct kv_target *t = v->t;

	if (!t->vnet_known || t->path_known) /* the path rules judge it per VNet in scope */
		return;
	for (size_t i = 0; i < t->n_zones; i++)
		if (t->zones[i].linked)
			return;
	add(v, KV_F_ZONE_NOT_LINKED,
	    kv_arena_printf(v->a, "no private DNS zone %s is linked to VNet %s", t->pl_zone,
		or_ph(t->vnet_id, "(this VNet)")),
	    fix_link(v));
}

/* Public network access on, with the firewall's default action Allow. */
static void
rules_arm_public(struct vctx *v)
{
	const struct kv_target *t = v->t;
	struct kv_arena *a = v->a;

	if (t->public_access == KV_TRI_NO || t->acl_default_allow == KV_TRI_NO)
		return;
	add(v, KV_F_PUBLIC_NETWORK_ENABLED,
	    kv_arena_printf(a, "public network access on %s is %s with default action Allow; expected Disabled",
		t->name, t->public_access == KV_TRI_UNKNOWN ? "enabled (not set)" : "Enabled"),
	    t->kind == KV_KIND_HSM
		? kv_arena_printf(a,
		      "az keyvault update-hsm --resource-group %s --hsm-name %s --public-network-access Disabled%s",
		      sh(a, or_ph(t->resource_group, PH_RG)), sh(a, t->name), sub_flag(a, t->subscription))
		: kv_arena_printf(a,
		      "az keyvault update --resource-group %s --name %s --public-network-access Disabled%s",
		      sh(a, or_ph(t->resource_group, PH_RG)), sh(a, t->name), sub_flag(a, t->subscription)));
}

/* What ARM says of the vault; the zone rules concern approved endpoints
 * and zones the inventory holds. */
static void
rules_arm(struct vctx *v)
{
	const struct kv_target *t = v->t;
	bool approved;

	if (!t->arm_known)
		return;
	approved = kv_target_approved(t);
	rules_arm_endpoint(v, approved);
	rules_arm_address(v);
	if (approved && t->zones_known) {
		rules_arm_zone_record(v);
		rules_arm_zone_stale(v);
		rules_arm_zone_link(v);
	}
	rules_arm_public(v);
}

/* ---- DNS rules ---- */

/* An answer address that is private but not the endpoint's (when known). */
static bool
is_mismatch(const struct vctx *v, const struct kv_addr *x)
{
	const struct kv_target *t = v->t;

	return t->expected_known && t->n_expected > 0 && !kv_addr_in_list(x, t->expected, t->n_expected);
}

static bool
chain_cut(const struct kv_dns_lookup *lk)
{
	return lk->chain_truncated || lk->chain_incomplete;
}

/* A failed lookup (no answer to judge): TIMEOUT, SERVFAIL, REFUSED, ERROR. */
bool
verdict_lookup_failed(const struct kv_dns_lookup *lk)
{
	return lk->rcode == KV_RC_TIMEOUT || lk->rcode == KV_RC_SERVFAIL || lk->rcode == KV_RC_REFUSED ||
	    lk->rcode == KV_RC_ERROR;
}

/* What a failed lookup saw, naming the server: "10.0.0.4:53 answered
 * rcode 9 NOTAUTH", "no answer from 10.0.0.4:53 after 3 attempt(s)". */
static const char *
failure_text(struct vctx *v, const struct kv_dns_lookup *lk)
{
	const char *srv = server_name(v, lk->server);

	switch (lk->rcode) {
	case KV_RC_TIMEOUT:
		return kv_arena_printf(v->a, "no answer from %s after %u attempt(s)", srv, lk->attempts);
	case KV_RC_SERVFAIL:
	case KV_RC_REFUSED:
		return kv_arena_printf(v->a, "%s answered %s", srv, kv_lookup_rcode_text(v->a, lk));
	case KV_RC_ERROR:
		if (lk->wire_rcode >= 0)
			return kv_arena_printf(v->a, "%s sent an answer kvpe cannot read (%s)", srv,
			    or_ph(lk->error, "malformed"));
		return kv_arena_printf(v->a, "no answer from %s: %s", srv, or_ph(lk->error, "resolver error"));
	default:
		break;
	}
	return kv_arena_printf(v->a, "%s answered %s", srv, kv_rcode_name(lk->rcode));
}

static void
rules_dns_answers(struct vctx *v, const struct kv_dns_lookup *lk)
{
	const struct kv_target *t = v->t;
	struct kv_arena *a = v->a;
	struct kv_addr *pub = NULL, *mism = NULL;
	size_t n_pub = 0, n_mism = 0;
	bool via_pl = verdict_chain_has(lk, t->pl_fqdn);
	/* Past a cut the chain may still pass the alias: nothing is diagnosed
	 * from its absence. */
	bool pl_unknown = !via_pl && chain_cut(lk);

	for (size_t i = 0; i < lk->n_addrs; i++) {
		if (!verdict_addr_private(v->cfg, t, &lk->addrs[i]))
			n_pub++;
		else if (is_mismatch(v, &lk->addrs[i]))
			n_mism++;
	}
	if (n_pub + n_mism > 0) {
		/* Every one of them is kept, however long the answer. */
		pub = kv_arena_calloc(a, n_pub + 1, sizeof(*pub));
		mism = kv_arena_calloc(a, n_mism + 1, sizeof(*mism));
		if (pub == NULL || mism == NULL) {
			v->oom = true;
			return;
		}
		n_pub = n_mism = 0;
		for (size_t i = 0; i < lk->n_addrs; i++) {
			const struct kv_addr *x = &lk->addrs[i];
			if (!verdict_addr_private(v->cfg, t, x))
				pub[n_pub++] = *x;
			else if (is_mismatch(v, x))
				mism[n_mism++] = *x;
		}
	}
	if (n_pub > 0) {
		const char *why = pl_unknown
		    ? "; the chain was cut before kvpe could see whether it passes the privatelink alias"
		    : !via_pl
		    ? "; the chain has no privatelink alias, so public DNS knows no approved endpoint"
		    : "; the private zone is not linked to this VNet or a forwarder is missing";
		const char *fix;
		if (!via_pl && !pl_unknown && !kv_target_approved(t))
			fix = fix_create_endpoint(v);
		else if (t->arm_known && t->n_zones == 0 && t->zones_known)
			fix = kv_arena_printf(a, "az network private-dns zone create --resource-group %s --name %s && %s && %s",
			    sh(a, or_ph(t->resource_group, PH_ZONE_RG)), t->pl_zone, fix_link(v), fix_add_record(v));
		else
			fix = kv_arena_printf(a, "%s; or, behind a custom DNS server, forward %s to 168.63.129.16",
			    fix_link(v), t->kind == KV_KIND_HSM ? "managedhsm.azure.net" : "vaultcore.azure.net");
		add(v, KV_F_DNS_PUBLIC_ADDRESS,
		    kv_arena_printf(a, "%s resolves to public %s via %s (%s); expected %s%s", t->fqdn,
			fmt_addrs(a, pub, n_pub), fmt_chain(a, lk), server_name(v, lk->server),
			t->n_expected ? fmt_addrs(a, t->expected, t->n_expected) : "a private address", why),
		    fix);
	}
	if (n_mism > 0) {
		char stale[KV_ADDR_STRLEN];
		kv_addr_format(&mism[0], stale, sizeof(stale));
		add(v, KV_F_DNS_ADDRESS_MISMATCH,
		    kv_arena_printf(a, "%s resolves to %s, which the endpoint does not own; expected %s (stale record?)",
			t->fqdn, fmt_addrs(a, mism, n_mism), fmt_addrs(a, t->expected, t->n_expected)),
		    kv_arena_printf(a,
			"az network private-dns record-set a remove-record --resource-group %s --zone-name %s "
			"--record-set-name %s --ipv4-address %s%s && %s",
			sh(a, zone_rg(t)), t->pl_zone, sh(a, t->name), stale, zone_sub_flag(a, t), fix_add_record(v)));
	}
	if (!via_pl && !pl_unknown && lk->n_addrs > 0) {
		const char *msg, *fix;
		if (n_pub > 0) {
			msg = kv_arena_printf(a,
			    "%s resolves via %s without passing %s: public DNS adds that alias only for a vault with an approved private endpoint",
			    t->fqdn, fmt_chain(a, lk), t->pl_fqdn);
			fix = fix_create_endpoint(v);
		} else {
			msg = kv_arena_printf(a,
			    "%s resolves via %s without passing %s: a private zone named %s or %s overrides the public name",
			    t->fqdn, fmt_chain(a, lk), t->pl_fqdn, cloud_suffix(t->cloud, t->kind), t->fqdn);
			fix = kv_arena_printf(a,
			    "az network private-dns zone list --query \"[?name=='%s' || name=='%s'].{name:name, rg:resourceGroup}\" -o table; "
			    "remove that zone's VNet link (az network private-dns link vnet delete --resource-group <rg> --zone-name <zone> --name <link>) "
			    "and keep the record in %s",
			    cloud_suffix(t->cloud, t->kind), t->fqdn, t->pl_zone);
		}
		add(v, KV_F_DNS_NO_PRIVATELINK_CNAME, msg, fix);
	}
}

/* No silent pass: a chain kvpe could not read whole leaves the vault
 * unchecked, whatever the addresses say. */
static void
rules_dns_chain(struct vctx *v, const struct kv_dns_lookup *lk)
{
	const struct kv_target *t = v->t;
	struct kv_arena *a = v->a;
	const char *srv = server_name(v, lk->server);

	if (lk->chain_truncated) {
		add(v, KV_F_DNS_CHAIN_INCOMPLETE,
		    kv_arena_printf(a,
			"%s: the CNAME chain is longer than the %d names kvpe follows (%s, from %s); nothing past the cut "
			"is known, so the answer is not checked; expected a chain of a few names through %s",
			t->fqdn, KV_DNS_CHAIN_MAX, fmt_chain(a, lk), srv, t->pl_fqdn),
		    kv_arena_printf(a,
			"dig %s @%s shows the whole chain: find the CNAME records that make it this long (a misconfigured "
			"or hostile resolver) so that %s reaches %s in a few steps",
			sh(a, t->fqdn), lk->server >= 0 ? srv : "<dns-server>", t->fqdn, t->pl_fqdn));
	} else if (lk->chain_incomplete) {
		const char *last = lk->n_chain > 0 ? lk->chain[lk->n_chain - 1] : t->fqdn;
		add(v, KV_F_DNS_CHAIN_INCOMPLETE,
		    kv_arena_printf(a,
			"%s: the CNAME chain's last name could not be learned (the follow-up query for the target of %s "
			"failed; chain %s, from %s), so the answer is not checked; expected the whole chain",
			t->fqdn, last, fmt_chain(a, lk), srv),
		    kv_arena_printf(a, "dig CNAME %s @%s; then run kvpe again", sh(a, last),
			lk->server >= 0 ? srv : "<dns-server>"));
	}
}

/* ---- the DNS path: observations ---- */

/* What vantage `idx` answered for this vault, or NULL (not asked). */
static const struct kv_dns_lookup *
vantage_answer(const struct vctx *v, int idx)
{
	const struct kv_result *r = v->r;

	if (idx < 0)
		return NULL;
	for (size_t i = 0; i < r->n_vantages; i++)
		if (r->vantages[i].vantage == (size_t)idx)
			return r->vantages[i].a.rcode != KV_RC_NONE ? &r->vantages[i].a : NULL;
	return NULL;
}

static const char *
vantage_name(const struct vctx *v, int idx)
{
	if (idx >= 0 && (size_t)idx < v->cfg->n_vantages)
		return v->cfg->vantages[idx].name;
	return "the server";
}

/* How wrong an answer is, for "the worst answer": 0 right. */
static int
badness(const struct vctx *v, const struct kv_dns_lookup *lk)
{
	int bad = 0;

	switch (lk->rcode) {
	case KV_RC_NONE:
		return 0;
	case KV_RC_NXDOMAIN:
		return 4;
	case KV_RC_NODATA:
		return 3;
	case KV_RC_NOERROR:
		break;
	default:
		return 2; /* failed: no answer to judge */
	}
	for (size_t i = 0; i < lk->n_addrs; i++) {
		if (!verdict_addr_private(v->cfg, v->t, &lk->addrs[i]))
			return 6;
		if (is_mismatch(v, &lk->addrs[i]))
			bad = 5;
	}
	return lk->n_addrs == 0 ? 3 : bad;
}

static bool
answer_wrong(const struct vctx *v, const struct kv_dns_lookup *lk)
{
	return lk != NULL && badness(v, lk) > 0;
}

/* Two answers that differ for a client: reply code or address set. */
static bool
answers_differ(const struct kv_dns_lookup *x, const struct kv_dns_lookup *y)
{
	if (x->rcode != y->rcode || x->n_addrs != y->n_addrs)
		return true;
	for (size_t i = 0; i < x->n_addrs; i++)
		if (!kv_addr_in_list(&x->addrs[i], y->addrs, y->n_addrs))
			return true;
	return false;
}

/* No answer to use (the server is down, refuses or fails: any reply code
 * but NOERROR and NXDOMAIN): clients fail over to their next resolver, as
 * kvpe's own lookup did, so this is not an answer they get. */
static bool
no_answer(const struct kv_dns_lookup *lk)
{
	return lk->rcode == KV_RC_TIMEOUT || lk->rcode == KV_RC_ERROR || lk->rcode == KV_RC_REFUSED ||
	    lk->rcode == KV_RC_SERVFAIL;
}

/* The answer the DNS rules judge: the system resolver's, unless a client
 * resolver of a VNet in scope answered worse (the findings follow the
 * worst answer, beside VANTAGE_DISAGREES).  A client resolver that gave
 * no answer does not override one the system resolver got. */
static const struct kv_dns_lookup *
worst_client_answer(struct vctx *v)
{
	const struct kv_dns_lookup *worst = &v->r->dns.a, *pick = NULL;
	int worst_bad = badness(v, worst), idx = -1;
	struct kv_dns_lookup *copy;

	for (size_t i = 0; i < v->cfg->n_vantages; i++) {
		const struct kv_dns_lookup *lk;
		if (!v->cfg->vantages[i].client || (lk = vantage_answer(v, (int)i)) == NULL)
			continue;
		if (no_answer(lk) && !no_answer(worst))
			continue;
		if (badness(v, lk) > worst_bad) {
			worst_bad = badness(v, lk);
			pick = lk;
			idx = (int)i;
		}
	}
	if (pick == NULL || (copy = kv_arena_memdup(v->a, pick, sizeof(*pick))) == NULL)
		return worst;
	copy->server = SRV_VANTAGE;
	v->lk_name = vantage_name(v, idx);
	return copy;
}

static void
rules_dns(struct vctx *v)
{
	const struct kv_target *t = v->t;
	const struct kv_dns_lookup *lk = worst_client_answer(v);
	const struct kv_dns_lookup *l6 = &v->r->dns.aaaa;
	struct kv_arena *a = v->a;
	const char *loop = lk->chain_loop ? " (CNAME loop)" : "";

	switch (lk->rcode) {
	case KV_RC_NONE:
		return;
	case KV_RC_TIMEOUT:
		add(v, KV_F_DNS_TIMEOUT,
		    kv_arena_printf(a, "%s: %s; expected an answer", t->fqdn, failure_text(v, lk)),
		    fix_resolver(v, lk->server));
		return;
	case KV_RC_SERVFAIL:
	case KV_RC_REFUSED:
	case KV_RC_ERROR:
		add(v, KV_F_DNS_SERVFAIL,
		    kv_arena_printf(a, "%s: %s; expected an address", t->fqdn, failure_text(v, lk)),
		    fix_resolver(v, lk->server));
		return;
	case KV_RC_NXDOMAIN:
		add(v, KV_F_DNS_NXDOMAIN,
		    kv_arena_printf(a, "%s does not exist (NXDOMAIN from %s) via %s%s; expected an A record %s",
			t->fqdn, server_name(v, lk->server), fmt_chain(a, lk), loop,
			t->n_expected ? fmt_addrs(a, t->expected, t->n_expected) : "with the endpoint's private IP"),
		    fix_add_record(v));
		break;
	case KV_RC_NODATA:
		add(v, KV_F_DNS_NO_ANSWER,
		    kv_arena_printf(a, "%s has no A record (NOERROR, no data from %s) via %s%s; expected %s", t->fqdn,
			server_name(v, lk->server), fmt_chain(a, lk), loop,
			t->n_expected ? fmt_addrs(a, t->expected, t->n_expected) : "the endpoint's private IP"),
		    fix_add_record(v));
		break;
	case KV_RC_NOERROR:
		rules_dns_answers(v, lk);
		break;
	}
	rules_dns_chain(v, lk);
	if (lk->rcode == KV_RC_NOERROR && verdict_lookup_failed(l6)) {
		/* A right A answer proves nothing for clients that prefer IPv6. */
		add(v, l6->rcode == KV_RC_TIMEOUT ? KV_F_DNS_TIMEOUT : KV_F_DNS_SERVFAIL,
		    kv_arena_printf(a,
			"IPv6 not checked: the AAAA query for %s failed: %s (the A answer %s was read); "
			"expected an AAAA answer or none (NODATA)",
			t->fqdn, failure_text(v, l6), fmt_addrs(a, lk->addrs, lk->n_addrs)),
		    fix_resolver(v, l6->server));
	}
	if (l6->rcode == KV_RC_NOERROR) {
		struct kv_addr *pub = NULL;
		size_t n = 0;
		for (size_t i = 0; i < l6->n_addrs; i++)
			n += !verdict_addr_private(v->cfg, t, &l6->addrs[i]);
		if (n > 0 && (pub = kv_arena_calloc(a, n, sizeof(*pub))) == NULL) {
			v->oom = true;
			return;
		}
		n = 0;
		for (size_t i = 0; pub != NULL && i < l6->n_addrs; i++)
			if (!verdict_addr_private(v->cfg, t, &l6->addrs[i]))
				pub[n++] = l6->addrs[i];
		if (n > 0)
			add(v, KV_F_DNS_PUBLIC_IPV6,
			    kv_arena_printf(a, "%s has public AAAA %s; clients preferring IPv6 leave the VNet; expected no AAAA or a private one",
				t->fqdn, fmt_addrs(a, pub, n)),
			    kv_arena_printf(a,
				"find where the AAAA comes from (dig AAAA %s @%s); with the private zone linked, the name answers "
				"only what %s holds: az network private-dns record-set aaaa list --resource-group %s --zone-name %s",
				sh(a, t->fqdn), server_name(v, l6->server), t->pl_zone, sh(a, zone_rg(t)), t->pl_zone));
	}
}

/* ---- the DNS path: rules (spec "DNS path", findings per VNet in scope) ---- */

static const char *
id_seg(struct kv_arena *a, const char *id, const char *key, const char *ph)
{
	const char *s = id != NULL ? inv_id_segment(a, id, key) : NULL;

	return s != NULL ? s : ph;
}

static const char *
hp_text(struct kv_arena *a, const struct kv_hostport *hp)
{
	char buf[KV_ADDR_STRLEN + 8];

	kv_hostport_format(hp, buf, sizeof(buf));
	return kv_arena_strdup(a, buf);
}

static const char *
answer_text(struct kv_arena *a, const struct kv_dns_lookup *lk)
{
	if (lk->rcode == KV_RC_NOERROR)
		return fmt_addrs(a, lk->addrs, lk->n_addrs);
	return kv_lookup_rcode_text(a, lk);
}

static const char *
rule_fix(struct vctx *v, const char *verb, const char *rule_id, const char *ruleset_id)
{
	struct kv_arena *a = v->a;

	return kv_arena_printf(a, "az dns-resolver forwarding-rule %s --resource-group %s --ruleset-name %s --name %s%s",
	    verb, sh(a, id_seg(a, ruleset_id, "resourceGroups", PH_RG)),
	    sh(a, id_seg(a, ruleset_id, "dnsForwardingRulesets", "<ruleset>")),
	    sh(a, id_seg(a, rule_id, "forwardingRules", "<rule>")),
	    strcmp(verb, "update") == 0 ? " --forwarding-rule-state Disabled" : "");
}

static const char *
link_create(struct vctx *v, const char *vnet)
{
	const struct kv_target *t = v->t;
	const struct kv_path_zone *z = t->n_path_zones > 0 ? &t->path_zones[0] : NULL;
	struct kv_arena *a = v->a;

	return kv_arena_printf(a,
	    "az network private-dns link vnet create --resource-group %s --zone-name %s --name %s-link "
	    "--virtual-network %s --registration-enabled false%s",
	    sh(a, or_ph(z ? z->resource_group : NULL, PH_ZONE_RG)), t->pl_zone,
	    sh(a, id_seg(a, vnet, "virtualNetworks", "kvpe")), sh(a, or_ph(vnet, PH_VNET)),
	    sub_flag(a, z ? z->subscription : NULL));
}

/* A resolver of the path as a finding names it: its kind, address and,
 * when ARM knows it, its resource (the inbound endpoint, the DNS VM's NIC). */
static const char *
server_text(struct kv_arena *a, const struct kv_path_answer *ans)
{
	if (ans->resource_id != NULL)
		return kv_arena_printf(a, "%s %s (%s)", kv_path_kind_text(ans->kind), hp_text(a, &ans->server), ans->resource_id);
	return kv_arena_printf(a, "%s %s", kv_path_kind_text(ans->kind), hp_text(a, &ans->server));
}

/* Zone links, rules and loops met on one resolver's walk. */
static void
rules_path_hops(struct vctx *v, const char *vnet, const struct kv_path_answer *ans, bool clients_wrong)
{
	const struct kv_target *t = v->t;
	struct kv_arena *a = v->a;

	for (size_t i = 0; i < ans->n_hops; i++) {
		const struct kv_path_hop *h = &ans->hops[i];
		if (h->match == KV_HM_ZONE && h->nxdomain_redirect)
			add_at(v, KV_F_ZONE_LINK_NXDOMAIN_REDIRECT, vnet, h->has_record ? KV_SEV_LOW : KV_SEV_HIGH,
			    kv_arena_printf(a,
				"%s: the link %s of zone %s to VNet %s has resolutionPolicy NxDomainRedirect%s; expected Default",
				h->name, or_ph(h->link_id, or_ph(h->link_name, "(unnamed)")), or_ph(h->zone_id, h->zone_name),
				h->vnet_id,
				h->has_record ? " (the record exists today; a missing one would silently resolve public)"
					      : ": the record is missing, so clients silently get the public address"),
			    kv_arena_printf(a,
				"%saz network private-dns link vnet update --resource-group %s --zone-name %s --name %s "
				"--resolution-policy Default%s",
				h->has_record ? "" : kv_arena_printf(a, "%s && ", fix_add_record(v)),
				sh(a, or_ph(h->zone_rg, PH_ZONE_RG)), or_ph(h->zone_name, t->pl_zone),
				sh(a, or_ph(h->link_name, "<link>")), sub_flag(a, h->zone_sub)));
		if (h->shadowed_rule_id != NULL)
			add_at(v, KV_F_FORWARDING_RULE_SHADOWED, vnet, -1,
			    kv_arena_printf(a,
				"forwarding rule %s (%s.) in a ruleset linked to VNet %s names the same domain as the linked zone %s: "
				"Azure DNS answers %s from the zone and never uses the rule; expected no such rule",
				h->shadowed_rule_id, h->shadowed_domain, h->vnet_id, or_ph(h->zone_id, h->zone_name), h->name),
			    rule_fix(v, "delete", h->shadowed_rule_id, h->shadowed_ruleset_id));
		if (h->loop_rule_id != NULL)
			add_at(v, KV_F_FORWARDING_RULE_LOOP, vnet, -1,
			    kv_arena_printf(a,
				"forwarding rule %s (%s.) is linked to VNet %s and targets %s, an inbound endpoint of that "
				"same VNet's resolver: %s loops (SERVFAIL)%s; expected the zone linked there, not the ruleset",
				h->loop_rule_id, h->loop_domain, h->vnet_id, hp_text(a, &h->loop_target), h->name,
				same_vnet(vnet, h->vnet_id) ? "" : kv_arena_printf(a, " for the clients of %s too", vnet)),
			    kv_arena_printf(a, "az dns-resolver vnet-link list --resource-group %s --ruleset-name %s "
						"(delete the link to %s with az dns-resolver vnet-link delete); or %s",
				sh(a, id_seg(a, h->loop_ruleset_id, "resourceGroups", PH_RG)),
				sh(a, id_seg(a, h->loop_ruleset_id, "dnsForwardingRulesets", "<ruleset>")), h->vnet_id,
				rule_fix(v, "delete", h->loop_rule_id, h->loop_ruleset_id)));
		if (h->match == KV_HM_RULE && ans->outcome != KV_PO_ADDRS && ans->outcome != KV_PO_LOOP)
			add_at(v, KV_F_FORWARDING_RULE_OVERRIDES_ZONE, vnet, clients_wrong ? KV_SEV_HIGH : KV_SEV_MEDIUM,
			    kv_arena_printf(a,
				"forwarding rule %s (%s.) linked to VNet %s sends %s to %s, not a resolver of a VNet with %s "
				"linked: the private zone is bypassed; expected %s from the zone",
				h->rule_id, h->rule_domain, h->vnet_id, h->name,
				h->n_targets > 0 ? fmt_hostports(a, h->targets, h->n_targets) : "no target", t->pl_zone,
				t->n_expected ? fmt_addrs(a, t->expected, t->n_expected) : "the endpoint's address"),
			    kv_arena_printf(a, "%s (or point it at an inbound endpoint of a VNet linked to %s)",
				rule_fix(v, "update", h->rule_id, h->ruleset_id), t->pl_zone));
	}
}

/* A custom server of the clients that answers public or NXDOMAIN while
 * the zone holds the endpoint (per the model, or per ARM for an opaque
 * server), unless a reference vantage contradicts ARM. */
static void
rules_path_custom(struct vctx *v, const char *vnet, const struct kv_path_answer *ans,
    const struct kv_dns_lookup *lk)
{
	const struct kv_target *t = v->t;
	struct kv_arena *a = v->a;
	bool zone_holds = false, ref_right = false, ref_wrong = false;
	int bad;

	if (lk == NULL || (ans->kind != KV_PK_VM && ans->kind != KV_PK_OPAQUE))
		return;
	bad = badness(v, lk);
	if (bad != 6 && bad != 4)
		return;
	for (size_t i = 0; i < t->n_path_zones; i++)
		for (size_t k = 0; k < t->path_zones[i].n_addrs; k++)
			zone_holds |= kv_addr_in_list(&t->path_zones[i].addrs[k], t->expected, t->n_expected);
	if (ans->kind == KV_PK_VM)
		zone_holds = ans->outcome == KV_PO_ADDRS;
	for (size_t i = 0; i < v->cfg->n_vantages; i++) {
		const struct kv_dns_lookup *ref;
		enum kv_vantage_role role = v->cfg->vantages[i].role;
		if ((role != KV_VR_INBOUND && role != KV_VR_AZURE) || (ref = vantage_answer(v, (int)i)) == NULL)
			continue;
		if (badness(v, ref) == 0)
			ref_right = true;
		else
			ref_wrong = true;
	}
	if (!zone_holds || (ref_wrong && !ref_right))
		return;
	add_at(v, KV_F_DNS_CUSTOM_SERVER_NOT_FORWARDING, vnet, -1,
	    kv_arena_printf(a,
		"%s, which the clients of VNet %s use, answers %s for %s; the zone %s holds %s%s: the server has no "
		"conditional forwarder for %s",
		server_text(a, ans), vnet, answer_text(a, lk), t->fqdn, t->pl_zone,
		fmt_addrs(a, t->expected, t->n_expected), ref_right ? " (an inbound endpoint or Azure DNS answers it)" : "",
		cloud_suffix(t->cloud, t->kind)),
	    ans->kind == KV_PK_VM
		? kv_arena_printf(a,
		      "on the DNS VM %s (az network nic show --ids %s --query virtualMachine.id -o tsv), forward "
		      "vault.azure.net and vaultcore.azure.net to 168.63.129.16 "
		      "(unbound: forward-zone: name: \"vaultcore.azure.net\" forward-addr: 168.63.129.16; Windows DNS: "
		      "Add-DnsServerConditionalForwarderZone -Name vaultcore.azure.net -MasterServers 168.63.129.16)",
		      hp_text(a, &ans->server), sh(a, or_ph(ans->resource_id, "<nic-id>")))
		: kv_arena_printf(a,
		      "on %s, add conditional forwarders for vault.azure.net and vaultcore.azure.net to a DNS Private "
		      "Resolver inbound endpoint in a VNet linked to %s (az dns-resolver inbound-endpoint list "
		      "--resource-group <rg> --dns-resolver-name <resolver>), not to privatelink.vaultcore.azure.net",
		      hp_text(a, &ans->server), t->pl_zone));
}

/* Two resolvers of the same clients that answer differently. */
static void
rules_path_disagree(struct vctx *v, const struct kv_path_vnet *pv)
{
	struct kv_arena *a = v->a;

	for (size_t i = 0; i < pv->n_answers; i++) {
		const struct kv_dns_lookup *x = vantage_answer(v, pv->answers[i].vantage);
		for (size_t k = i + 1; x != NULL && k < pv->n_answers; k++) {
			const struct kv_dns_lookup *y = vantage_answer(v, pv->answers[k].vantage);
			/* one silent server is not a second answer: clients fail over */
			if (y == NULL || no_answer(x) || no_answer(y) || !answers_differ(x, y))
				continue;
			add_at(v, KV_F_VANTAGE_DISAGREES, pv->vnet_id, -1,
			    kv_arena_printf(a,
				"the clients of VNet %s use %s and %s, which answer %s and %s for %s: clients get one or the "
				"other; expected one answer, %s",
				pv->vnet_id, vantage_name(v, pv->answers[i].vantage), vantage_name(v, pv->answers[k].vantage),
				answer_text(a, x), answer_text(a, y), v->t->fqdn,
				v->t->n_expected ? fmt_addrs(a, v->t->expected, v->t->n_expected) : "a private address"),
			    kv_arena_printf(a,
				"az network vnet show --ids %s --query dhcpOptions.dnsServers; give every server the same "
				"conditional forwarders, or remove the one answering wrong (az network vnet update --ids %s "
				"--dns-servers <servers>)",
				sh(a, pv->vnet_id), sh(a, pv->vnet_id)));
			return;
		}
	}
}

/* Zones of the same name holding different records for the vault. */
static void
rules_path_split(struct vctx *v)
{
	const struct kv_target *t = v->t;
	struct kv_arena *a = v->a;
	const struct kv_path_zone *first = NULL, *other = NULL;

	for (size_t i = 0; i < t->n_path_zones && other == NULL; i++) {
		const struct kv_path_zone *z = &t->path_zones[i];
		struct kv_dns_lookup x, y;
		if (!z->has_record)
			continue;
		if (first == NULL) {
			first = z;
			continue;
		}
		memset(&x, 0, sizeof(x));
		memset(&y, 0, sizeof(y));
		x.addrs = first->addrs, x.n_addrs = first->n_addrs;
		y.addrs = z->addrs, y.n_addrs = z->n_addrs;
		if (answers_differ(&x, &y))
			other = z;
	}
	if (other == NULL)
		return;
	/* The stale one is the zone whose record the endpoint does not own. */
	if (t->n_expected > 0 && other->n_addrs > 0 && kv_addr_in_list(&other->addrs[0], t->expected, t->n_expected)) {
		const struct kv_path_zone *s = first;
		first = other;
		other = s;
	}
	add(v, KV_F_ZONE_SPLIT_BRAIN,
	    kv_arena_printf(a,
		"zones %s (linked to %s) and %s (linked to %s) both named %s hold %s and %s for %s; expected one record, %s",
		first->id, first->n_vnets ? fmt_list(a, first->vnets, first->n_vnets) : "no VNet", other->id,
		other->n_vnets ? fmt_list(a, other->vnets, other->n_vnets) : "no VNet", t->pl_zone,
		fmt_addrs(a, first->addrs, first->n_addrs), fmt_addrs(a, other->addrs, other->n_addrs), t->name,
		t->n_expected ? fmt_addrs(a, t->expected, t->n_expected) : "the endpoint's"),
	    kv_arena_printf(a,
		"keep one %s zone: az network private-dns record-set a delete --resource-group %s --zone-name %s "
		"--name %s --yes%s, then link the VNets of that zone to %s (az network private-dns link vnet create)",
		t->pl_zone, sh(a, or_ph(other->resource_group, PH_ZONE_RG)), t->pl_zone, sh(a, t->name),
		sub_flag(a, other->subscription), first->id));
}

/* Approved endpoints with different addresses, a zone holding only some. */
static void
rules_path_collision(struct vctx *v)
{
	const struct kv_target *t = v->t;
	struct kv_arena *a = v->a;

	for (size_t i = 0; i < t->n_path_zones; i++) {
		const struct kv_path_zone *z = &t->path_zones[i];
		bool some = false;
		if (!z->has_record)
			continue;
		for (size_t e = 0; e < t->n_endpoints; e++) {
			const struct kv_endpoint_view *ep = &t->endpoints[e];
			for (size_t k = 0; ep->state == KV_PE_APPROVED && k < ep->n_addrs; k++)
				some |= kv_addr_in_list(&ep->addrs[k], z->addrs, z->n_addrs);
		}
		for (size_t e = 0; some && e < t->n_endpoints; e++) {
			const struct kv_endpoint_view *ep = &t->endpoints[e];
			bool held = false;
			if (ep->state != KV_PE_APPROVED || ep->n_addrs == 0)
				continue;
			for (size_t k = 0; k < ep->n_addrs; k++)
				held |= kv_addr_in_list(&ep->addrs[k], z->addrs, z->n_addrs);
			if (held)
				continue;
			add(v, KV_F_ENDPOINT_RECORD_COLLISION,
			    kv_arena_printf(a,
				"%s has several approved endpoints; zone %s holds %s for it, leaving out endpoint %s (%s): the "
				"last zone group to write the record won; expected one record per endpoint's clients",
				t->name, z->id, fmt_addrs(a, z->addrs, z->n_addrs), or_ph(ep->pe_id, or_ph(ep->pe_name, "?")),
				fmt_addrs(a, ep->addrs, ep->n_addrs)),
			    kv_arena_printf(a,
				"az network private-endpoint dns-zone-group list --resource-group %s --endpoint-name %s; delete "
				"the zone group of the endpoint whose clients use another zone (az network private-endpoint "
				"dns-zone-group delete --resource-group %s --endpoint-name %s --name <group>), or give each "
				"VNet its own zone",
				sh(a, or_ph(ep->pe_resource_group, PH_RG)), sh(a, or_ph(ep->pe_name, "<endpoint>")),
				sh(a, or_ph(ep->pe_resource_group, PH_RG)), sh(a, or_ph(ep->pe_name, "<endpoint>"))));
			return;
		}
	}
}

static void
rules_path(struct vctx *v)
{
	const struct kv_target *t = v->t;
	struct kv_arena *a = v->a;
	bool approved = kv_target_approved(t) || t->expected_manual;
	bool zones = approved && t->zones_known;

	if (zones) {
		rules_path_split(v);
		rules_path_collision(v);
	}
	for (size_t p = 0; p < t->n_paths; p++) {
		const struct kv_path_vnet *pv = &t->paths[p];
		const char *vnet = pv->vnet_id;
		bool clients_wrong = false;
		for (size_t i = 0; i < pv->n_answers; i++)
			clients_wrong |= answer_wrong(v, vantage_answer(v, pv->answers[i].vantage));
		for (size_t i = 0; i < pv->n_answers; i++) {
			const struct kv_path_answer *ans = &pv->answers[i];
			bool own = ans->vnet_id != NULL && same_vnet(ans->vnet_id, vnet);
			if (zones && ans->vnet_id != NULL && !ans->zone_linked && ans->kind == KV_PK_AZURE && own)
				add_at(v, KV_F_ZONE_NOT_LINKED, vnet, -1,
				    kv_arena_printf(a,
					"the clients of VNet %s resolve with its Azure DNS, and no private DNS zone %s is linked to it",
					vnet, t->pl_zone),
				    link_create(v, vnet));
			else if (zones && ans->vnet_id != NULL && !ans->zone_linked && ans->kind != KV_PK_AZURE)
				add_at(v, KV_F_ZONE_NOT_LINKED_TO_RESOLVER_VNET, vnet, -1,
				    kv_arena_printf(a,
					"the clients of VNet %s resolve through %s, which resolves in VNet %s; no private DNS "
					"zone %s is linked to %s",
					vnet, server_text(a, ans), ans->vnet_id, t->pl_zone,
					ans->vnet_id),
				    link_create(v, ans->vnet_id));
			if (approved)
				rules_path_hops(v, vnet, ans, clients_wrong);
			if (zones)
				rules_path_custom(v, vnet, ans, vantage_answer(v, ans->vantage));
		}
		rules_path_disagree(v, pv);
	}
}

/* ---- probe rules ---- */

/* One probe's findings: the vault's own (the address DNS gave) or one of
 * an endpoint's addresses (spec: probes go to every address of every
 * approved endpoint); the messages name the address either way. */
static void
rules_probe_obs(struct vctx *v, const struct kv_probe_obs *p)
{
	const struct kv_target *t = v->t;
	struct kv_arena *a = v->a;
	char addr[KV_ADDR_STRLEN];

	if (p->result == KV_PR_NOT_RUN)
		return;
	kv_addr_format(&p->address, addr, sizeof(addr));
	switch (p->result) {
	case KV_PR_NOT_RUN:
	case KV_PR_CONNECTED:
		break;
	case KV_PR_TCP_FAILED:
		add(v, KV_F_PROBE_TCP_FAILED,
		    kv_arena_printf(a, "TCP connect to %s:443 (%s) failed: %s; expected a connection", addr, t->fqdn,
			or_ph(p->error, "no answer")),
		    kv_arena_printf(a,
			"allow TCP 443 from this host to %s: check the NSG of the endpoint's subnet and this host's routes "
			"(az network nic show-effective-route-table --ids <this-host-nic-id>; "
			"az network watcher test-ip-flow --direction Outbound --protocol TCP --local <this-host-ip>:* "
			"--remote %s:443 --vm <this-vm>)",
			addr, addr));
		break;
	case KV_PR_TLS_FAILED:
		add(v, KV_F_PROBE_TLS_FAILED,
		    kv_arena_printf(a, "TLS to %s at %s failed: %s; expected a certificate for %s from a trusted CA",
			t->fqdn, addr, or_ph(p->error, "handshake failed"), t->fqdn),
		    kv_arena_printf(a,
			"openssl s_client -connect %s:443 -servername %s -showcerts </dev/null; a TLS-inspecting proxy "
			"or firewall on the path must exempt %s, or add its CA with --ca-file",
			addr, t->fqdn, cloud_suffix(t->cloud, t->kind)));
		break;
	case KV_PR_VAULT:
		if (p->seen_addr != NULL) {
			struct kv_addr seen;
			bool ok = kv_addr_parse(p->seen_addr, &seen) == KV_OK;
			bool own = ok && kv_addr_eq(&seen, &p->local);
			if (ok && !own && !kv_addr_is_private(&seen, v->cfg->private_cidrs, v->cfg->n_private_cidrs)) {
				add(v, KV_F_PROBE_PUBLIC_PATH,
				    kv_arena_printf(a,
					"%s answered at %s but saw the request from public %s; expected this host's private address",
					t->fqdn, addr, p->seen_addr),
				    kv_arena_printf(a,
					"a proxy or NAT on the path sends %s traffic out to the public endpoint: check HTTPS_PROXY/no_proxy "
					"and the route table for %s (az network nic show-effective-route-table --ids <this-host-nic-id>)",
					cloud_suffix(t->cloud, t->kind), addr));
			}
		}
		break;
	case KV_PR_FORBIDDEN:
		add(v, KV_F_PROBE_UNEXPECTED_RESPONSE,
		    kv_arena_printf(a, "%s at %s answered HTTP %d %s; expected 401 with a Bearer challenge",
			t->fqdn, addr, p->http_status, or_ph(p->error_code, "Forbidden")),
		    kv_arena_printf(a,
			"the vault's firewall rejects this path; it should arrive through the private endpoint: "
			"az keyvault network-rule list --resource-group %s --name %s",
			sh(a, or_ph(t->resource_group, PH_RG)), sh(a, t->name)));
		break;
	case KV_PR_NOT_VAULT:
	case KV_PR_HTTP_FAILED:
		add(v, KV_F_PROBE_UNEXPECTED_RESPONSE,
		    kv_arena_printf(a, "%s at %s: %s%s; expected Key Vault's 401 with x-ms-keyvault-network-info",
			t->fqdn, addr, p->result == KV_PR_HTTP_FAILED ? "no HTTP answer: " : "answer is not Key Vault's: ",
			p->error ? p->error : (p->http_status ? kv_arena_printf(a, "HTTP %d", p->http_status) : "unknown")),
		    kv_arena_printf(a,
			"something other than the vault answers at %s:443 (proxy, captive portal, wrong record): "
			"curl -sv https://%s/healthstatus --resolve %s:443:%s",
			addr, t->fqdn, t->fqdn, addr));
		break;
	}
}

static void
rules_probe(struct vctx *v)
{
	rules_probe_obs(v, &v->r->probe);
	/* The address DNS gave shares the vault's probe: judged once above. */
	for (size_t i = 0; i < v->r->n_endpoint_probes; i++)
		if (!v->r->endpoint_probes[i].dns_answer)
			rules_probe_obs(v, &v->r->endpoint_probes[i].probe);
}

static int
finding_cmp(const void *x, const void *y)
{
	const struct kv_finding *a = x, *b = y;

	if (a->code != b->code)
		return (int)a->code - (int)b->code;
	if (a->vnet_id == NULL || b->vnet_id == NULL)
		return (a->vnet_id != NULL) - (b->vnet_id != NULL);
	return strcmp(a->vnet_id, b->vnet_id);
}

enum kv_err
verdict_vault(const struct verdict_cfg *cfg, struct kv_arena *a, struct kv_result *r)
{
	struct vctx v;
	bool error = false, fail = false;

	memset(&v, 0, sizeof(v));
	v.cfg = cfg;
	v.a = a;
	v.r = r;
	v.t = r->t;
	r->n_findings = 0;
	r->findings = NULL;
	if (r->t->incomplete == NULL) {
		rules_arm(&v);
		rules_dns(&v);
		rules_path(&v);
		rules_probe(&v);
	}
	if (v.oom)
		return KV_ENOMEM;
	if (v.n > 0) {
		qsort(v.found, v.n, sizeof(*v.found), finding_cmp);
		r->findings = kv_arena_memdup(a, v.found, v.n * sizeof(*v.found));
		if (r->findings == NULL)
			return KV_ENOMEM;
		r->n_findings = v.n;
	}
	for (size_t i = 0; i < r->n_findings; i++) {
		error |= finding_is_error(r->findings[i].code);
		fail |= kv_finding_severity(&r->findings[i]) >= KV_SEV_MEDIUM;
	}
	r->status = (error || r->t->incomplete != NULL) ? KV_ST_ERROR : fail ? KV_ST_FAIL : KV_ST_PASS;
	return KV_OK;
}

const char *
verdict_dns_unchecked(struct kv_arena *a, const struct kv_dns_obs *d)
{
	const struct kv_dns_lookup *lk = &d->a, *l6 = &d->aaaa;

	if (lk->rcode == KV_RC_TIMEOUT)
		return "no answer: the resolver timed out";
	if (verdict_lookup_failed(lk))
		return kv_arena_printf(a, "the resolver failed (%s)",
		    lk->rcode == KV_RC_ERROR ? or_ph(lk->error, "ERROR") : kv_lookup_rcode_text(a, lk));
	if (lk->chain_truncated)
		return kv_arena_printf(a, "not checked: the CNAME chain is longer than the %d names kvpe follows",
		    KV_DNS_CHAIN_MAX);
	if (lk->chain_incomplete)
		return "not checked: the CNAME chain's last name could not be learned";
	if (lk->rcode == KV_RC_NOERROR && verdict_lookup_failed(l6))
		return kv_arena_printf(a, "IPv6 not checked: the AAAA query failed (%s)",
		    l6->rcode == KV_RC_ERROR ? or_ph(l6->error, "ERROR") : kv_lookup_rcode_text(a, l6));
	return NULL;
}

const char *
verdict_dns_summary(const struct verdict_cfg *cfg, struct kv_arena *a, const struct kv_result *r)
{
	const struct kv_dns_lookup *lk = &r->dns.a;
	bool via_pl = verdict_chain_has(lk, r->t->pl_fqdn);
	const char *unchecked = verdict_dns_unchecked(a, &r->dns);
	size_t n_pub = 0;

	switch (lk->rcode) {
	case KV_RC_NONE:
		return "not resolved";
	case KV_RC_TIMEOUT:
	case KV_RC_SERVFAIL:
	case KV_RC_REFUSED:
	case KV_RC_ERROR:
		return unchecked != NULL ? unchecked : "the resolver failed"; /* callers print it: never NULL */
	case KV_RC_NXDOMAIN:
		return via_pl ? "private link zone answers, but holds no record for this vault (NXDOMAIN)"
			      : "the name does not exist (NXDOMAIN)";
	case KV_RC_NODATA:
		return "the name exists but has no address (NODATA)";
	case KV_RC_NOERROR:
		break;
	}
	for (size_t i = 0; i < lk->n_addrs; i++)
		if (!verdict_addr_private(cfg, r->t, &lk->addrs[i]))
			n_pub++;
	if (n_pub > 0 && !via_pl && chain_cut(lk))
		return "PUBLIC: resolves to a public address (the CNAME chain was cut, so its path is unknown)";
	if (n_pub > 0)
		return via_pl ? "PUBLIC: the private link alias exists but the private zone did not answer (zone not linked or forwarder missing)"
			      : "PUBLIC: no private link alias, so no approved private endpoint exists";
	if (unchecked != NULL)
		return unchecked;
	if (!via_pl)
		return "private, but through an override zone instead of the private link zone";
	return "private: resolves through the private link zone to a private address";
}
