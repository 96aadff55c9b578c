/* inv.c — the inventory model and its joins (see inv.h).
 *
 * Every lookup is by lower-cased ARM ID through a hash map, so building the
 * targets of N vaults is O(N), not O(N x endpoints). */
#include "kvpe/inv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kvpe/map.h"

/* An endpoint link to a target (vault) ID, chained per target. */
struct inv_target_ref {
	size_t pe;
	size_t next; /* SIZE_MAX ends the chain */
};

struct kv_inv {
	struct kv_arena *arena;
	bool own_arena;
	struct inv_vault *vaults;
	size_t n_vaults, cap_vaults;
	struct inv_pe *pes;
	size_t n_pes, cap_pes;
	struct inv_nic *nics;
	size_t n_nics, cap_nics;
	struct inv_zone *zones;
	size_t n_zones, cap_zones;
	struct inv_record *records;
	size_t n_records, cap_records;
	struct inv_link *links;
	size_t n_links, cap_links;
	struct inv_target_ref *refs;
	size_t n_refs, cap_refs;
	struct kv_map *vault_by_id, *pe_by_id, *nic_by_id, *zone_by_id, *record_by_key, *refs_by_target;
	struct kv_map *strings; /* inv_intern */
	struct kv_arena *keys;  /* composite index keys, freed with the inventory */
};

enum kv_err
inv_new(struct kv_arena *a, struct kv_inv **out)
{
	struct kv_inv *inv = calloc(1, sizeof(*inv));

	if (inv == NULL)
		return KV_ENOMEM;
	inv->own_arena = a == NULL;
	inv->arena = a ? a : kv_arena_new(256 * 1024);
	inv->vault_by_id = kv_map_new();
	inv->pe_by_id = kv_map_new();
	inv->nic_by_id = kv_map_new();
	inv->zone_by_id = kv_map_new();
	inv->record_by_key = kv_map_new();
	inv->refs_by_target = kv_map_new();
	inv->strings = kv_map_new();
	inv->keys = kv_arena_new(64 * 1024);
	if (inv->strings == NULL || inv->keys == NULL || inv->arena == NULL || inv->vault_by_id == NULL || inv->pe_by_id == NULL || inv->nic_by_id == NULL ||
	    inv->zone_by_id == NULL || inv->record_by_key == NULL || inv->refs_by_target == NULL) {
		inv_free(inv);
		return KV_ENOMEM;
	}
	*out = inv;
	return KV_OK;
}

void
inv_free(struct kv_inv *inv)
{
	if (inv == NULL)
		return;
	kv_map_free(inv->vault_by_id);
	kv_map_free(inv->pe_by_id);
	kv_map_free(inv->nic_by_id);
	kv_map_free(inv->zone_by_id);
	kv_map_free(inv->record_by_key);
	kv_map_free(inv->refs_by_target);
	kv_map_free(inv->strings);
	kv_arena_free(inv->keys);
	free(inv->vaults);
	free(inv->pes);
	free(inv->nics);
	free(inv->zones);
	free(inv->records);
	free(inv->links);
	free(inv->refs);
	if (inv->own_arena)
		kv_arena_free(inv->arena);
	free(inv);
}

struct kv_arena *
inv_arena(struct kv_inv *inv)
{
	return inv->arena;
}

size_t
inv_vault_count(const struct kv_inv *inv)
{
	return inv->n_vaults;
}

void
inv_mark_subscription(struct kv_inv *inv, const char *subscription, const char *why)
{
	for (size_t i = 0; i < inv->n_vaults; i++)
		if (inv->vaults[i].subscription != NULL && kv_streq_ci(inv->vaults[i].subscription, subscription))
			inv->vaults[i].error = why;
}

size_t
inv_pe_count(const struct kv_inv *inv)
{
	return inv->n_pes;
}

size_t
inv_nic_count(const struct kv_inv *inv)
{
	return inv->n_nics;
}

size_t
inv_zone_count(const struct kv_inv *inv)
{
	return inv->n_zones;
}

const struct inv_zone *
inv_zone_at(const struct kv_inv *inv, size_t i)
{
	return &inv->zones[i];
}

/* One copy of each string: a vault's ID recurs in its endpoints' links,
 * an endpoint's in its vault's connections, subscriptions and resource
 * groups in every ID; at 50,000 vaults the copies were most of the memory.
 * Exact match only: the same ID in another case keeps its own copy. */
const char *
inv_intern(struct kv_inv *inv, const char *s, size_t len)
{
	char buf[512];
	const char *have;
	char *copy;

	if (s == NULL)
		return NULL;
	if (len >= sizeof(buf))
		return kv_arena_strndup(inv->arena, s, len);
	memcpy(buf, s, len);
	buf[len] = '\0';
	have = kv_map_key(inv->strings, buf);
	if (have != NULL && strcmp(have, buf) == 0)
		return have;
	copy = kv_arena_strndup(inv->arena, s, len);
	if (copy != NULL && have == NULL && kv_map_put(inv->strings, copy, 0) != KV_OK)
		return NULL;
	return copy;
}

/* ---- ARM IDs ---- */

const char *
inv_id_segment_span(const char *id, const char *key, size_t *len)
{
	size_t kl = strlen(key);

	for (const char *p = id; p != NULL && *p != '\0'; p = strchr(p + 1, '/')) {
		if (*p == '/' && strncasecmp(p + 1, key, kl) == 0 && p[1 + kl] == '/') {
			const char *v = p + 2 + kl, *end = strchr(v, '/');
			*len = end ? (size_t)(end - v) : strlen(v);
			return v;
		}
	}
	return NULL;
}

const char *
inv_id_segment(struct kv_arena *a, const char *id, const char *key)
{
	size_t len;
	const char *v = inv_id_segment_span(id, key, &len);

	return v ? kv_arena_strndup(a, v, len) : NULL;
}

size_t
inv_id_parent_len(const char *id, const char *child)
{
	size_t cl = strlen(child);
	const char *last = NULL;

	/* The last "/<child>/": a resource group may be named like the child. */
	for (const char *p = id; (p = strchr(p, '/')) != NULL; p++)
		if (strncasecmp(p + 1, child, cl) == 0 && p[1 + cl] == '/')
			last = p;
	return last ? (size_t)(last - id) : 0;
}

const char *
inv_id_parent(struct kv_arena *a, const char *id, const char *child)
{
	size_t len = inv_id_parent_len(id, child);

	return len > 0 ? kv_arena_strndup(a, id, len) : NULL;
}

/* ---- adders ---- */

/* Finds or appends a slot for `id` in an array indexed by `map` (the ID,
 * which lives in the arena, is the key: the map ignores case). */
static enum kv_err
slot(struct kv_inv *inv, struct kv_map *map, void **arr, size_t *n, size_t *cap, size_t elem, const char *id,
    size_t *idx, bool *existed)
{
	const char *key = id;
	enum kv_err rc;

	KV_UNUSED(inv);
	if (id == NULL)
		return KV_EPARSE;
	if (kv_map_get(map, key, idx)) {
		*existed = true;
		return KV_OK;
	}
	if ((rc = kv_grow(arr, cap, elem, *n + 1)) != KV_OK)
		return rc;
	*idx = (*n)++;
	*existed = false;
	memset((char *)*arr + *idx * elem, 0, elem);
	return kv_map_put(map, key, *idx);
}

enum kv_err
inv_add_vault(struct kv_inv *inv, const struct inv_vault *v)
{
	size_t i;
	bool existed;
	enum kv_err rc = slot(inv, inv->vault_by_id, (void **)&inv->vaults, &inv->n_vaults, &inv->cap_vaults,
	    sizeof(*inv->vaults), v->id, &i, &existed);

	if (rc != KV_OK)
		return rc;
	/* A properties-less duplicate (az keyvault list) never hides the full one. */
	if (existed && inv->vaults[i].has_properties && !v->has_properties)
		return KV_OK;
	if (existed && inv->vaults[i].n_conns > 0 && v->n_conns == 0) {
		struct inv_conn *keep = inv->vaults[i].conns;
		size_t nk = inv->vaults[i].n_conns;
		inv->vaults[i] = *v;
		inv->vaults[i].conns = keep;
		inv->vaults[i].n_conns = nk;
		return KV_OK;
	}
	inv->vaults[i] = *v;
	return KV_OK;
}

enum kv_err
inv_add_vault_conn(struct kv_inv *inv, const char *vault_id, const struct inv_conn *c)
{
	struct inv_vault *v;
	struct inv_conn *nc;
	size_t i;

	if (!kv_map_get(inv->vault_by_id, vault_id, &i))
		return KV_ENOTFOUND;
	v = &inv->vaults[i];
	for (size_t k = 0; k < v->n_conns; k++)
		if (v->conns[k].pe_id && c->pe_id && kv_streq_ci(v->conns[k].pe_id, c->pe_id))
			return KV_OK;
	nc = kv_arena_calloc(inv->arena, v->n_conns + 1, sizeof(*nc));
	if (nc == NULL)
		return KV_ENOMEM;
	if (v->n_conns)
		memcpy(nc, v->conns, v->n_conns * sizeof(*nc));
	nc[v->n_conns] = *c;
	v->conns = nc;
	v->n_conns++;
	return KV_OK;
}

enum kv_err
inv_add_pe(struct kv_inv *inv, const struct inv_pe *pe)
{
	size_t i;
	bool existed;
	enum kv_err rc = slot(inv, inv->pe_by_id, (void **)&inv->pes, &inv->n_pes, &inv->cap_pes, sizeof(*inv->pes),
	    pe->id, &i, &existed);

	if (rc != KV_OK)
		return rc;
	inv->pes[i] = *pe;
	for (size_t k = 0; k < pe->n_links; k++) {
		const char *tkey = pe->links[k].target_id;
		size_t head = SIZE_MAX;
		if (tkey == NULL)
			continue;
		if ((rc = kv_grow((void **)&inv->refs, &inv->cap_refs, sizeof(*inv->refs), inv->n_refs + 1)) != KV_OK)
			return rc;
		(void)kv_map_get(inv->refs_by_target, tkey, &head);
		inv->refs[inv->n_refs].pe = i;
		inv->refs[inv->n_refs].next = head;
		if ((rc = kv_map_put(inv->refs_by_target, tkey, inv->n_refs)) != KV_OK)
			return rc;
		inv->n_refs++;
	}
	return KV_OK;
}

enum kv_err
inv_add_nic(struct kv_inv *inv, const struct inv_nic *nic)
{
	size_t i;
	bool existed;
	enum kv_err rc = slot(inv, inv->nic_by_id, (void **)&inv->nics, &inv->n_nics, &inv->cap_nics,
	    sizeof(*inv->nics), nic->id, &i, &existed);

	if (rc == KV_OK)
		inv->nics[i] = *nic;
	return rc;
}

enum kv_err
inv_add_zone(struct kv_inv *inv, const struct inv_zone *z)
{
	size_t i;
	bool existed;
	enum kv_err rc = slot(inv, inv->zone_by_id, (void **)&inv->zones, &inv->n_zones, &inv->cap_zones,
	    sizeof(*inv->zones), z->id, &i, &existed);

	if (rc == KV_OK)
		inv->zones[i] = *z;
	return rc;
}

/* "<zone id>|<record name>" into buf; false when it does not fit. */
static bool
record_key(char *buf, size_t size, const char *zone_id, const char *name)
{
	return (size_t)snprintf(buf, size, "%s|%s", zone_id, name) < size;
}

enum kv_err
inv_add_record(struct kv_inv *inv, const struct inv_record *r)
{
	char tmp[1024];
	const char *key;
	size_t i;
	enum kv_err rc;

	if (!record_key(tmp, sizeof(tmp), r->zone_id, r->name))
		return KV_OK; /* a name no vault can have */
	if (!kv_map_get(inv->record_by_key, tmp, &i)) {
		/* The key is the index's alone: it goes with the inventory. */
		if ((key = kv_arena_strdup(inv->keys, tmp)) == NULL)
			return KV_ENOMEM;
		if ((rc = kv_grow((void **)&inv->records, &inv->cap_records, sizeof(*inv->records), inv->n_records + 1)) != KV_OK)
			return rc;
		i = inv->n_records++;
		if ((rc = kv_map_put(inv->record_by_key, key, i)) != KV_OK)
			return rc;
	}
	inv->records[i] = *r;
	return KV_OK;
}

enum kv_err
inv_add_link(struct kv_inv *inv, const struct inv_link *l)
{
	enum kv_err rc = kv_grow((void **)&inv->links, &inv->cap_links, sizeof(*inv->links), inv->n_links + 1);

	if (rc == KV_OK)
		inv->links[inv->n_links++] = *l;
	return rc;
}

/* ---- what ARM must still be asked for ---- */

static enum kv_err
push_unique(struct kv_arena *a, struct kv_map *seen, const char ***ids, size_t *n, size_t *cap, const char *id)
{
	size_t dummy;

	KV_UNUSED(a);
	if (kv_map_get(seen, id, &dummy))
		return KV_OK;
	if (kv_map_put(seen, id, 0) != KV_OK || kv_grow((void **)ids, cap, sizeof(**ids), *n + 1) != KV_OK)
		return KV_ENOMEM;
	(*ids)[(*n)++] = id;
	return KV_OK;
}

/* Copies a malloc'd list into the arena (callers own nothing malloc'd). */
static enum kv_err
to_arena(struct kv_arena *a, const char **list, size_t n, const char ***out)
{
	*out = n ? kv_arena_memdup(a, list, n * sizeof(*list)) : NULL;
	return (n && *out == NULL) ? KV_ENOMEM : KV_OK;
}

/* The endpoint IDs vaults reference that the inventory lacks or, with
 * `nics`, the NIC IDs of the referenced endpoints that it has. */
static enum kv_err
missing_ids(const struct kv_inv *inv, struct kv_arena *a, bool nics, const char ***ids, size_t *n)
{
	struct kv_map *seen = kv_map_new();
	const char **list = NULL;
	size_t cnt = 0, cap = 0, p;
	enum kv_err rc = seen ? KV_OK : KV_ENOMEM;

	for (size_t i = 0; i < inv->n_vaults && rc == KV_OK; i++) {
		for (size_t k = 0; k < inv->vaults[i].n_conns && rc == KV_OK; k++) {
			const char *id = inv->vaults[i].conns[k].pe_id;
			bool have;
			if (id == NULL)
				continue;
			have = kv_map_get(inv->pe_by_id, id, &p);
			if (!nics) {
				if (!have)
					rc = push_unique(a, seen, &list, &cnt, &cap, id);
				continue;
			}
			for (size_t j = 0; have && j < inv->pes[p].n_nics && rc == KV_OK; j++) {
				size_t dummy;
				if (!kv_map_get(inv->nic_by_id, inv->pes[p].nic_ids[j], &dummy))
					rc = push_unique(a, seen, &list, &cnt, &cap, inv->pes[p].nic_ids[j]);
			}
		}
	}
	if (rc == KV_OK)
		rc = to_arena(a, list, cnt, ids);
	if (rc == KV_OK)
		*n = cnt;
	free(list);
	kv_map_free(seen);
	return rc;
}

enum kv_err
inv_missing_endpoints(const struct kv_inv *inv, struct kv_arena *a, const char ***ids, size_t *n)
{
	return missing_ids(inv, a, false, ids, n);
}

enum kv_err
inv_missing_nics(const struct kv_inv *inv, struct kv_arena *a, const char ***ids, size_t *n)
{
	return missing_ids(inv, a, true, ids, n);
}

/* ---- the join ---- */

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
	size_t cap = pe->n_static, n = 0, idx;
	struct kv_addr *v;

	for (size_t i = 0; i < pe->n_dns; i++)
		cap += pe->dns[i].n_addrs;
	for (size_t i = 0; i < pe->n_nics; i++)
		if (kv_map_get(inv->nic_by_id, pe->nic_ids[i], &idx))
			cap += inv->nics[idx].n_ips;
	v = kv_arena_calloc(a, cap ? cap : 1, sizeof(*v));
	if (v == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < pe->n_nics; i++) {
		const struct inv_nic *nic;
		if (!kv_map_get(inv->nic_by_id, pe->nic_ids[i], &idx))
			continue;
		nic = &inv->nics[idx];
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
	size_t idx;

	memset(e, 0, sizeof(*e));
	e->pe_id = pe_id;
	e->conn_name = conn_name;
	e->state = state;
	if (kv_map_get(inv->pe_by_id, pe_id, &idx)) {
		const struct inv_pe *pe = &inv->pes[idx];
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
	size_t cap = v->n_conns, head, n = 0;
	const char *vkey = v->id;
	enum kv_err rc;

	/* Exact size: an endpoint usually appears both in the vault's list and
	 * as a link to it, and is counted once. */
	if (kv_map_get(inv->refs_by_target, vkey, &head))
		for (size_t r = head; r != SIZE_MAX; r = inv->refs[r].next)
			cap += !listed_by_vault(v, inv->pes[inv->refs[r].pe].id);
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
	if (kv_map_get(inv->refs_by_target, vkey, &head)) {
		for (size_t r = head; r != SIZE_MAX; r = inv->refs[r].next) {
			const struct inv_pe *pe = &inv->pes[inv->refs[r].pe];
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
	size_t cap = 0, n = 0, linked = 0;

	for (size_t z = 0; z < inv->n_zones; z++)
		if (kv_streq_ci(inv->zones[z].name, t->pl_zone))
			cap++;
	if (cap == 0)
		return KV_OK; /* the zone may live outside the subscriptions read: unknown, not missing */
	t->zones = kv_arena_calloc(a, cap, sizeof(*t->zones));
	if (t->zones == NULL)
		return KV_ENOMEM;
	for (size_t z = 0; z < inv->n_zones; z++) {
		const struct inv_zone *zone = &inv->zones[z];
		struct kv_zone_view *zv;
		char key[1024];
		size_t ri;
		if (!kv_streq_ci(zone->name, t->pl_zone))
			continue;
		zv = &t->zones[n++];
		zv->id = zone->id;
		zv->name = zone->name;
		zv->subscription = zone->subscription;
		zv->resource_group = zone->resource_group;
		if (record_key(key, sizeof(key), zone->id, t->name) && kv_map_get(inv->record_by_key, key, &ri)) {
			const struct inv_record *r = &inv->records[ri];
			zv->has_record = true;
			zv->addrs = r->addrs;
			zv->n_addrs = r->n_addrs;
			zv->ttl = r->ttl;
		}
		for (size_t l = 0; l < inv->n_links && t->vnet_id != NULL; l++)
			if (kv_streq_ci(inv->links[l].zone_id, zone->id) && kv_streq_ci(inv->links[l].vnet_id, t->vnet_id))
				zv->linked = true;
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
inv_target(const struct kv_inv *inv, size_t i, const struct kv_cfg *cfg, struct kv_arena *a, struct kv_target *t)
{
	const struct inv_vault *v = &inv->vaults[i];
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
