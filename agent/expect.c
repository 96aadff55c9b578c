/* expect.c — see expect.h: the --vault names, the joins of one inventory
 * vault, and the merge of both into the sorted targets. */
#include "kvpe/expect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kvpe/inv.h"
#include "kvpe/map.h"

/* ---- --vault NAME[=IP,...] ---- */

enum kv_err
expect_parse_vault(struct kv_arena *a, const char *spec, struct expect_vault *out, const char **why)
{
	static const char usage[] = "expected NAME, hsm:NAME or a vault FQDN, optionally =IP[,IP...] "
				    "(names: 3-24 letters, digits, hyphens)";
	struct expect_vault v;
	const char *eq = strchr(spec, '=');
	size_t nlen = eq ? (size_t)(eq - spec) : strlen(spec);
	char name[256], label[64];
	const char *n = name;
	bool pl = false;

	memset(&v, 0, sizeof(v));
	if (why != NULL)
		*why = usage;
	/* Names compare without their trailing dot, in every form (contoso.,
	 * contoso.vault.azure.net., hsm:name.); one dot only. */
	if (nlen > 0 && spec[nlen - 1] == '.')
		nlen--;
	if (nlen == 0 || nlen >= sizeof(name) || spec[nlen - 1] == '.')
		return KV_EUSAGE;
	memcpy(name, spec, nlen);
	name[nlen] = '\0';
	if (strncasecmp(n, "hsm:", 4) == 0) {
		v.kind = KV_KIND_HSM;
		n += 4;
	}
	if (strchr(n, '.') != NULL) {
		enum kv_kind kind;
		if (!cloud_match_fqdn(n, label, sizeof(label), &kind, &v.cloud, &pl))
			return KV_EUSAGE;
		if (pl) {
			if (why != NULL)
				*why = "a private link name: give the vault's name or its FQDN (NAME.vault.azure.net)";
			return KV_EUSAGE;
		}
		/* hsm: with a Key Vault FQDN is a contradiction, not a vault. */
		if (v.kind == KV_KIND_HSM && kind != KV_KIND_HSM) {
			if (why != NULL)
				*why = "hsm: takes a Managed HSM name or a *.managedhsm.* FQDN, not a Key Vault FQDN";
			return KV_EUSAGE;
		}
		v.kind = kind; /* NAME.managedhsm.azure.net is an HSM without hsm: too */
		v.cloud_from_name = true;
		n = label;
	}
	if (!cloud_valid_name(n, v.kind))
		return KV_EUSAGE;
	v.name = kv_arena_lower(a, n);
	if (v.name == NULL)
		return KV_ENOMEM;
	if (eq != NULL) {
		const char *p = eq + 1;
		size_t cap = 1;
		for (const char *q = p; *q; q++)
			cap += *q == ',';
		v.addrs = kv_arena_calloc(a, cap, sizeof(*v.addrs));
		if (v.addrs == NULL)
			return KV_ENOMEM;
		while (*p != '\0') {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			char ip[KV_ADDR_STRLEN];
			if (len == 0 || len >= sizeof(ip))
				return KV_EUSAGE;
			memcpy(ip, p, len);
			ip[len] = '\0';
			if (kv_addr_parse(ip, &v.addrs[v.n_addrs]) != KV_OK)
				return KV_EUSAGE;
			v.n_addrs++;
			p += len + (comma ? 1 : 0);
			if (comma && *p == '\0')
				return KV_EUSAGE;
		}
		if (v.n_addrs == 0)
			return KV_EUSAGE;
		kv_addr_sort_unique(v.addrs, &v.n_addrs);
	}
	*out = v;
	return KV_OK;
}

/* ---- the join of one inventory vault ---- */

static bool
name_matches(const char *fqdn, const struct kv_target *t)
{
	return fqdn != NULL && (kv_streq_ci(fqdn, t->fqdn) || kv_streq_ci(fqdn, t->pl_fqdn));
}

/* The endpoint's addresses for this vault: NIC IPs (those whose private link
 * FQDNs name the vault, or all when the NIC does not say), DNS configs for
 * the vault's names, and static IP configurations. */
static enum kv_err
pe_addrs(const struct kv_inv *inv, struct kv_arena *a, const struct inv_pe *pe, const struct kv_target *t,
    struct kv_endpoint_view *e)
{
	size_t cap = pe->n_static, n = 0;
	const struct inv_nic *nic;
	struct kv_addr *v;

	for (size_t i = 0; i < pe->n_dns; i++)
		cap += pe->dns[i].n_addrs;
	for (size_t i = 0; i < pe->n_nics; i++)
		if ((nic = inv_nic_find(inv, pe->nic_ids[i])) != NULL)
			cap += nic->n_ips;
	v = kv_arena_calloc(a, cap ? cap : 1, sizeof(*v));
	if (v == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < pe->n_nics; i++) {
		if ((nic = inv_nic_find(inv, pe->nic_ids[i])) == NULL)
			continue;
		for (size_t k = 0; k < nic->n_ips; k++) {
			bool take = nic->ips[k].n_fqdns == 0;
			for (size_t f = 0; f < nic->ips[k].n_fqdns && !take; f++)
				take = name_matches(nic->ips[k].fqdns[f], t);
			if (take)
				v[n++] = nic->ips[k].addr;
		}
	}
	for (size_t i = 0; i < pe->n_dns; i++)
		if (name_matches(pe->dns[i].fqdn, t))
			for (size_t k = 0; k < pe->dns[i].n_addrs; k++)
				v[n++] = pe->dns[i].addrs[k];
	for (size_t i = 0; i < pe->n_static; i++)
		v[n++] = pe->static_addrs[i];
	kv_addr_sort_unique(v, &n);
	e->addrs = v;
	e->n_addrs = n;
	return KV_OK;
}

static enum kv_err
endpoint_view(const struct kv_inv *inv, struct kv_arena *a, const struct kv_target *t, const char *pe_id,
    const char *conn_name, enum kv_pe_state state, struct kv_endpoint_view *e)
{
	const struct inv_pe *pe = inv_pe_find(inv, pe_id);

	memset(e, 0, sizeof(*e));
	e->pe_id = pe_id;
	e->conn_name = conn_name;
	e->state = state;
	if (pe != NULL) {
		e->pe_found = true;
		e->subnet_id = pe->subnet_id;
		e->pe_subscription = pe->subscription;
		e->pe_resource_group = pe->resource_group;
		e->pe_name = pe->name != NULL ? pe->name : inv_id_segment(a, pe_id, "privateEndpoints");
		return pe_addrs(inv, a, pe, t, e);
	}
	e->pe_name = inv_id_segment(a, pe_id, "privateEndpoints");
	e->pe_subscription = inv_id_segment(a, pe_id, "subscriptions");
	e->pe_resource_group = inv_id_segment(a, pe_id, "resourceGroups");
	return KV_OK;
}

static bool
listed_by_vault(const struct inv_vault *v, const char *pe_id)
{
	for (size_t k = 0; k < v->n_conns; k++)
		if (v->conns[k].pe_id != NULL && kv_streq_ci(v->conns[k].pe_id, pe_id))
			return true;
	return false;
}

static enum kv_err
join_endpoints(const struct kv_inv *inv, const struct inv_vault *v, struct kv_arena *a, struct kv_target *t)
{
	size_t cap = v->n_conns, n = 0;
	enum kv_err rc;

	/* Exact size: an endpoint usually appears both in the vault's list and
	 * as a link to it, and is counted once. */
	for (size_t r = inv_ref_first(inv, v->id); r != SIZE_MAX; r = inv_ref_next(inv, r))
		cap += !listed_by_vault(v, inv_ref_pe(inv, r)->id);
	t->endpoints = kv_arena_calloc(a, cap ? cap : 1, sizeof(*t->endpoints));
	if (t->endpoints == NULL)
		return KV_ENOMEM;
	for (size_t k = 0; k < v->n_conns; k++) {
		if (v->conns[k].pe_id == NULL)
			continue;
		if ((rc = endpoint_view(inv, a, t, v->conns[k].pe_id, v->conns[k].name, v->conns[k].state,
			 &t->endpoints[n])) != KV_OK)
			return rc;
		n++;
	}
	/* Endpoints whose own connection targets this vault, when the vault's
	 * list does not name them (e.g. a manual request still pending). */
	for (size_t r = inv_ref_first(inv, v->id); r != SIZE_MAX; r = inv_ref_next(inv, r)) {
		const struct inv_pe *pe = inv_ref_pe(inv, r);
		bool dup = false;
		for (size_t k = 0; k < n && !dup; k++)
			dup = kv_streq_ci(t->endpoints[k].pe_id, pe->id);
		if (dup)
			continue;
		for (size_t l = 0; l < pe->n_links; l++) {
			if (pe->links[l].target_id == NULL || !kv_streq_ci(pe->links[l].target_id, v->id))
				continue;
			if ((rc = endpoint_view(inv, a, t, pe->id, pe->links[l].name, pe->links[l].state,
				 &t->endpoints[n])) != KV_OK)
				return rc;
			n++;
			break;
		}
	}
	t->n_endpoints = n;
	return KV_OK;
}

static enum kv_err
join_expected(struct kv_arena *a, struct kv_target *t)
{
	size_t cap = 0, n = 0;

	for (size_t i = 0; i < t->n_endpoints; i++)
		if (t->endpoints[i].state == KV_PE_APPROVED)
			cap += t->endpoints[i].n_addrs;
	t->expected = kv_arena_calloc(a, cap ? cap : 1, sizeof(*t->expected));
	if (t->expected == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < t->n_endpoints; i++) {
		const struct kv_endpoint_view *e = &t->endpoints[i];
		if (e->state != KV_PE_APPROVED)
			continue;
		if (e->pe_found && e->n_addrs > 0)
			t->expected_known = true;
		for (size_t k = 0; k < e->n_addrs; k++)
			t->expected[n++] = e->addrs[k];
	}
	kv_addr_sort_unique(t->expected, &n);
	t->n_expected = n;
	return KV_OK;
}

static enum kv_err
join_zones(const struct kv_inv *inv, struct kv_arena *a, struct kv_target *t)
{
	size_t cap = 0, n = 0, linked = 0, n_inv = inv_zone_count(inv);

	for (size_t z = 0; z < n_inv; z++)
		if (kv_streq_ci(inv_zone_at(inv, z)->name, t->pl_zone))
			cap++;
	if (cap == 0)
		return KV_OK; /* the zone may live outside the subscriptions read: unknown, not missing */
	t->zones = kv_arena_calloc(a, cap, sizeof(*t->zones));
	if (t->zones == NULL)
		return KV_ENOMEM;
	for (size_t z = 0; z < n_inv; z++) {
		const struct inv_zone *zone = inv_zone_at(inv, z);
		const struct inv_record *r;
		struct kv_zone_view *zv;
		if (!kv_streq_ci(zone->name, t->pl_zone))
			continue;
		zv = &t->zones[n++];
		zv->id = zone->id;
		zv->name = zone->name;
		zv->subscription = zone->subscription;
		zv->resource_group = zone->resource_group;
		if ((r = inv_record_find(inv, zone->id, t->name)) != NULL) {
			zv->has_record = true;
			zv->addrs = r->addrs;
			zv->n_addrs = r->n_addrs;
			zv->ttl = r->ttl;
		}
		zv->linked = t->vnet_id != NULL && inv_zone_linked(inv, zone->id, t->vnet_id);
		linked += zv->linked;
	}
	/* With the VNet known, only the zones linked to it answer its clients. */
	if (t->vnet_known && linked > 0) {
		size_t o = 0;
		for (size_t i = 0; i < n; i++)
			if (t->zones[i].linked)
				t->zones[o++] = t->zones[i];
		n = o;
	}
	t->n_zones = n;
	t->zones_known = true;
	return KV_OK;
}

enum kv_err
expect_target(const struct kv_inv *inv, size_t i, const struct expect_cfg *cfg, struct kv_arena *a,
    struct kv_target *t)
{
	const struct inv_vault *v = inv_vault_at(inv, i);
	enum kv_err rc;

	memset(t, 0, sizeof(*t));
	t->name = v->name;
	t->kind = v->kind;
	t->cloud = v->cloud_known ? v->cloud : cfg->cloud;
	t->id = v->id;
	t->subscription = v->subscription;
	t->resource_group = v->resource_group;
	t->location = v->location;
	t->source = (v->origin && strcmp(v->origin, "arm") == 0) ? "arm" : "inventory";
	t->vnet_known = cfg->vnet_id != NULL;
	t->vnet_id = t->vnet_known ? kv_arena_strdup(a, cfg->vnet_id) : NULL; /* cfg may go first (SIGHUP) */
	if (t->vnet_known && t->vnet_id == NULL)
		return KV_ENOMEM;
	if ((rc = kv_target_names(a, t)) != KV_OK)
		return rc;
	if (v->error != NULL) {
		t->incomplete = kv_arena_strdup(a, v->error);
		return t->incomplete ? KV_OK : KV_ENOMEM;
	}
	if (!v->has_properties) {
		t->incomplete = kv_arena_printf(a,
		    "the inventory entry for %s has no properties (the shape `az keyvault list` prints), so its private "
		    "endpoints are unknown; save `az %s show %s %s` or the ARM list `az rest --url "
		    "/subscriptions/%s/providers/Microsoft.KeyVault/%s?api-version=2024-11-01` instead",
		    v->name, "keyvault", v->kind == KV_KIND_HSM ? "--hsm-name" : "--name", v->name,
		    v->subscription ? v->subscription : "<subscription>", v->kind == KV_KIND_HSM ? "managedHSMs" : "vaults");
		return t->incomplete ? KV_OK : KV_ENOMEM;
	}
	t->arm_known = true;
	t->public_access = v->public_access;
	t->acl_default_allow = v->acl_default_allow;
	if ((rc = join_endpoints(inv, v, a, t)) != KV_OK || (rc = join_expected(a, t)) != KV_OK)
		return rc;
	return join_zones(inv, a, t);
}

/* ---- every target ---- */

static int
target_cmp(const void *x, const void *y)
{
	return kv_target_cmp(x, y);
}

/* The index key of a vault: the same name is another vault in another
 * cloud or as a Managed HSM. */
static bool
target_key(char *buf, size_t size, const char *name, enum kv_kind kind, enum kv_cloud_id cloud)
{
	return (size_t)snprintf(buf, size, "%d|%d|%s", (int)kind, (int)cloud, name) < size;
}

/* Indexes v[i] under its key unless a vault of that key is indexed already
 * (the first one is the one --vault entries merge into). */
static enum kv_err
index_target(struct kv_map *idx, struct kv_arena *keys, const struct kv_target *v, size_t i)
{
	char key[512];
	const char *copy;
	size_t have;

	if (!target_key(key, sizeof(key), v[i].name, v[i].kind, v[i].cloud) || kv_map_get(idx, key, &have))
		return KV_OK;
	if ((copy = kv_arena_strdup(keys, key)) == NULL)
		return KV_ENOMEM;
	return kv_map_put(idx, copy, i);
}

/* Adds the endpoint's own addresses from --vault NAME=IP. */
static enum kv_err
add_manual(struct kv_arena *a, struct kv_target *t, const struct expect_vault *cv)
{
	struct kv_addr *all;
	size_t n;

	if (cv->n_addrs == 0)
		return KV_OK;
	n = t->n_expected + cv->n_addrs;
	all = kv_arena_calloc(a, n, sizeof(*all));
	if (all == NULL)
		return KV_ENOMEM;
	if (t->n_expected)
		memcpy(all, t->expected, t->n_expected * sizeof(*all));
	memcpy(all + t->n_expected, cv->addrs, cv->n_addrs * sizeof(*all));
	kv_addr_sort_unique(all, &n);
	t->expected = all;
	t->n_expected = n;
	t->expected_known = true;
	t->expected_manual = true;
	return KV_OK;
}

enum kv_err
expect_targets(const struct expect_cfg *cfg, const struct kv_inv *inv, struct kv_arena *a,
    struct kv_target **out, size_t *n_out)
{
	size_t n_inv = inv ? inv_vault_count(inv) : 0;
	size_t cap = n_inv + cfg->n_vaults, n = 0;
	struct kv_target *v = kv_arena_calloc(a, cap ? cap : 1, sizeof(*v));
	struct kv_map *idx = NULL;
	struct kv_arena *keys = NULL;
	enum kv_err rc = KV_OK;

	if (v == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < n_inv; i++) {
		if ((rc = expect_target(inv, i, cfg, a, &v[n])) != KV_OK)
			return rc;
		n++;
	}
	if (cfg->n_vaults > 0) {
		/* --vault entries merge into the inventory's vault of the same name
		 * through an index: 10,000 names against 10,000 vaults is not a scan. */
		idx = kv_map_new();
		keys = kv_arena_new(64 * 1024);
		if (idx == NULL || keys == NULL) {
			rc = KV_ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < n && rc == KV_OK; i++)
			rc = index_target(idx, keys, v, i);
	}
	for (size_t i = 0; i < cfg->n_vaults && rc == KV_OK; i++) {
		const struct expect_vault *cv = &cfg->vaults[i];
		enum kv_cloud_id cloud = cv->cloud_from_name ? cv->cloud : cfg->cloud;
		struct kv_target *t = NULL;
		char key[512];
		size_t at;
		if (target_key(key, sizeof(key), cv->name, cv->kind, cloud) && kv_map_get(idx, key, &at))
			t = &v[at];
		if (t == NULL) {
			t = &v[n++];
			memset(t, 0, sizeof(*t));
			t->kind = cv->kind;
			t->cloud = cloud;
			t->source = "manual";
			/* Copies, not the option's strings: the agent's last report
			 * outlives its configuration (SIGHUP). */
			t->name = kv_arena_strdup(a, cv->name);
			t->vnet_id = cfg->vnet_id ? kv_arena_strdup(a, cfg->vnet_id) : NULL;
			if (t->name == NULL || (cfg->vnet_id != NULL && t->vnet_id == NULL)) {
				rc = KV_ENOMEM;
				goto out;
			}
			if ((rc = kv_target_names(a, t)) != KV_OK || (rc = index_target(idx, keys, v, n - 1)) != KV_OK)
				goto out;
		}
		rc = add_manual(a, t, cv);
	}
	if (rc == KV_OK) {
		qsort(v, n, sizeof(*v), target_cmp);
		*out = v;
		*n_out = n;
	}
out:
	kv_map_free(idx);
	kv_arena_free(keys);
	return rc;
}
