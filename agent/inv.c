/* inv.c — the inventory model (see inv.h).
 *
 * Every lookup is by ARM ID through a hash map, so the joins that build the
 * targets of N vaults (expect.c) are O(N), not O(N x endpoints). */
#include "kvpe/inv.h"

#include <stdio.h>
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
	/* the DNS path */
	struct inv_vnet *vnets;
	size_t n_vnets, cap_vnets;
	struct inv_vm *vms;
	size_t n_vms, cap_vms;
	struct inv_resolver *resolvers;
	size_t n_resolvers, cap_resolvers;
	struct inv_inbound *inbounds;
	size_t n_inbounds, cap_inbounds;
	struct inv_ruleset *rulesets;
	size_t n_rulesets, cap_rulesets;
	struct inv_rule *rules;
	size_t n_rules, cap_rules;
	struct inv_ruleset_link *rs_links;
	size_t n_rs_links, cap_rs_links;
	struct kv_map *vault_by_id, *pe_by_id, *nic_by_id, *zone_by_id, *record_by_key, *refs_by_target;
	struct kv_map *link_by_id, *vnet_by_id, *vm_by_id, *resolver_by_id, *inbound_by_id, *ruleset_by_id, *rule_by_id,
	    *rs_link_by_id;
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
	inv->link_by_id = kv_map_new();
	inv->vnet_by_id = kv_map_new();
	inv->vm_by_id = kv_map_new();
	inv->resolver_by_id = kv_map_new();
	inv->inbound_by_id = kv_map_new();
	inv->ruleset_by_id = kv_map_new();
	inv->rule_by_id = kv_map_new();
	inv->rs_link_by_id = kv_map_new();
	inv->strings = kv_map_new();
	inv->keys = kv_arena_new(64 * 1024);
	if (inv->strings == NULL || inv->keys == NULL || inv->arena == NULL || inv->vault_by_id == NULL || inv->pe_by_id == NULL || inv->nic_by_id == NULL ||
	    inv->zone_by_id == NULL || inv->record_by_key == NULL || inv->refs_by_target == NULL || inv->link_by_id == NULL ||
	    inv->vnet_by_id == NULL || inv->vm_by_id == NULL || inv->resolver_by_id == NULL || inv->inbound_by_id == NULL ||
	    inv->ruleset_by_id == NULL || inv->rule_by_id == NULL || inv->rs_link_by_id == NULL) {
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
	kv_map_free(inv->link_by_id);
	kv_map_free(inv->vnet_by_id);
	kv_map_free(inv->vm_by_id);
	kv_map_free(inv->resolver_by_id);
	kv_map_free(inv->inbound_by_id);
	kv_map_free(inv->ruleset_by_id);
	kv_map_free(inv->rule_by_id);
	kv_map_free(inv->rs_link_by_id);
	kv_map_free(inv->strings);
	kv_arena_free(inv->keys);
	free(inv->vaults);
	free(inv->pes);
	free(inv->nics);
	free(inv->zones);
	free(inv->records);
	free(inv->links);
	free(inv->refs);
	free(inv->vnets);
	free(inv->vms);
	free(inv->resolvers);
	free(inv->inbounds);
	free(inv->rulesets);
	free(inv->rules);
	free(inv->rs_links);
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
	size_t i;
	bool existed;
	enum kv_err rc;

	/* A link with an ID seen twice (a saved file beside live ARM) is one link. */
	if (l->id != NULL) {
		rc = slot(inv, inv->link_by_id, (void **)&inv->links, &inv->n_links, &inv->cap_links, sizeof(*inv->links),
		    l->id, &i, &existed);
		if (rc == KV_OK)
			inv->links[i] = *l;
		return rc;
	}
	rc = kv_grow((void **)&inv->links, &inv->cap_links, sizeof(*inv->links), inv->n_links + 1);
	if (rc == KV_OK)
		inv->links[inv->n_links++] = *l;
	return rc;
}

/* ---- the DNS path's types ---- */

/* The parent's ID of a child resource: the ID up to "/<child>/". */
static const char *
parent_of(struct kv_inv *inv, const char *given, const char *id, const char *child)
{
	size_t len;

	if (given != NULL || id == NULL)
		return given;
	len = inv_id_parent_len(id, child);
	return len > 0 ? inv_intern(inv, id, len) : NULL;
}

/* One adder per type: the same slot-and-copy, the index by ID. */
#define INV_ADDER(fn, type, arr, n, cap, map)                                                                 \
	enum kv_err fn(struct kv_inv *inv, const struct type *x)                                               \
	{                                                                                                      \
		size_t i;                                                                                      \
		bool existed;                                                                                  \
		enum kv_err rc = slot(inv, inv->map, (void **)&inv->arr, &inv->n, &inv->cap, sizeof(*inv->arr), \
		    x->id, &i, &existed);                                                                      \
		if (rc == KV_OK)                                                                               \
			inv->arr[i] = *x;                                                                      \
		return rc;                                                                                     \
	}

INV_ADDER(inv_add_vnet, inv_vnet, vnets, n_vnets, cap_vnets, vnet_by_id)
INV_ADDER(inv_add_vm, inv_vm, vms, n_vms, cap_vms, vm_by_id)
INV_ADDER(inv_add_resolver, inv_resolver, resolvers, n_resolvers, cap_resolvers, resolver_by_id)
INV_ADDER(inv_add_ruleset, inv_ruleset, rulesets, n_rulesets, cap_rulesets, ruleset_by_id)

enum kv_err
inv_add_inbound(struct kv_inv *inv, const struct inv_inbound *e)
{
	struct inv_inbound c = *e;
	size_t i;
	bool existed;
	enum kv_err rc;

	c.resolver_id = parent_of(inv, e->resolver_id, e->id, "inboundEndpoints");
	rc = slot(inv, inv->inbound_by_id, (void **)&inv->inbounds, &inv->n_inbounds, &inv->cap_inbounds,
	    sizeof(*inv->inbounds), e->id, &i, &existed);
	if (rc == KV_OK)
		inv->inbounds[i] = c;
	return rc;
}

enum kv_err
inv_add_rule(struct kv_inv *inv, const struct inv_rule *r)
{
	struct inv_rule c = *r;
	size_t i;
	bool existed;
	enum kv_err rc;

	c.ruleset_id = parent_of(inv, r->ruleset_id, r->id, "forwardingRules");
	rc = slot(inv, inv->rule_by_id, (void **)&inv->rules, &inv->n_rules, &inv->cap_rules, sizeof(*inv->rules), r->id,
	    &i, &existed);
	if (rc == KV_OK)
		inv->rules[i] = c;
	return rc;
}

enum kv_err
inv_add_ruleset_link(struct kv_inv *inv, const struct inv_ruleset_link *l)
{
	struct inv_ruleset_link c = *l;
	size_t i;
	bool existed;
	enum kv_err rc;

	c.ruleset_id = parent_of(inv, l->ruleset_id, l->id, "virtualNetworkLinks");
	rc = slot(inv, inv->rs_link_by_id, (void **)&inv->rs_links, &inv->n_rs_links, &inv->cap_rs_links,
	    sizeof(*inv->rs_links), l->id, &i, &existed);
	if (rc == KV_OK)
		inv->rs_links[i] = c;
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

/* ---- readers (expect.c joins through these) ---- */

const struct inv_vault *
inv_vault_at(const struct kv_inv *inv, size_t i)
{
	return &inv->vaults[i];
}

const struct inv_pe *
inv_pe_find(const struct kv_inv *inv, const char *id)
{
	size_t i;

	return kv_map_get(inv->pe_by_id, id, &i) ? &inv->pes[i] : NULL;
}

const struct inv_nic *
inv_nic_find(const struct kv_inv *inv, const char *id)
{
	size_t i;

	return kv_map_get(inv->nic_by_id, id, &i) ? &inv->nics[i] : NULL;
}

const struct inv_record *
inv_record_find(const struct kv_inv *inv, const char *zone_id, const char *name)
{
	char key[1024];
	size_t i;

	if (!record_key(key, sizeof(key), zone_id, name) || !kv_map_get(inv->record_by_key, key, &i))
		return NULL;
	return &inv->records[i];
}

size_t
inv_ref_first(const struct kv_inv *inv, const char *target_id)
{
	size_t head;

	return kv_map_get(inv->refs_by_target, target_id, &head) ? head : SIZE_MAX;
}

size_t
inv_ref_next(const struct kv_inv *inv, size_t ref)
{
	return inv->refs[ref].next;
}

const struct inv_pe *
inv_ref_pe(const struct kv_inv *inv, size_t ref)
{
	return &inv->pes[inv->refs[ref].pe];
}

bool
inv_zone_linked(const struct kv_inv *inv, const char *zone_id, const char *vnet_id)
{
	return inv_link_find(inv, zone_id, vnet_id) != NULL;
}

const struct inv_link *
inv_link_find(const struct kv_inv *inv, const char *zone_id, const char *vnet_id)
{
	for (size_t l = 0; l < inv->n_links; l++)
		if (inv->links[l].zone_id != NULL && inv->links[l].vnet_id != NULL &&
		    kv_streq_ci(inv->links[l].zone_id, zone_id) && kv_streq_ci(inv->links[l].vnet_id, vnet_id))
			return &inv->links[l];
	return NULL;
}

size_t
inv_link_count(const struct kv_inv *inv)
{
	return inv->n_links;
}

const struct inv_link *
inv_link_at(const struct kv_inv *inv, size_t i)
{
	return &inv->links[i];
}

/* count/at/find for each of the DNS path's types. */
#define INV_READERS(type, arr, n, map, count_fn, at_fn, find_fn)                 \
	size_t count_fn(const struct kv_inv *inv)                               \
	{                                                                       \
		return inv->n;                                                  \
	}                                                                       \
	const struct type *at_fn(const struct kv_inv *inv, size_t i)            \
	{                                                                       \
		return &inv->arr[i];                                            \
	}                                                                       \
	const struct type *find_fn(const struct kv_inv *inv, const char *id)    \
	{                                                                       \
		size_t i;                                                       \
		return id != NULL && kv_map_get(inv->map, id, &i) ? &inv->arr[i] : NULL; \
	}

INV_READERS(inv_vnet, vnets, n_vnets, vnet_by_id, inv_vnet_count, inv_vnet_at, inv_vnet_find)
INV_READERS(inv_vm, vms, n_vms, vm_by_id, inv_vm_count, inv_vm_at, inv_vm_find)
INV_READERS(inv_resolver, resolvers, n_resolvers, resolver_by_id, inv_resolver_count, inv_resolver_at,
    inv_resolver_find)
INV_READERS(inv_ruleset, rulesets, n_rulesets, ruleset_by_id, inv_ruleset_count, inv_ruleset_at, inv_ruleset_find)

const struct inv_zone *
inv_zone_find(const struct kv_inv *inv, const char *id)
{
	size_t i;

	return id != NULL && kv_map_get(inv->zone_by_id, id, &i) ? &inv->zones[i] : NULL;
}

const struct inv_nic *
inv_nic_at(const struct kv_inv *inv, size_t i)
{
	return &inv->nics[i];
}

/* A walk, not an index: asked once per DNS server, of a few thousand NICs. */
const struct inv_nic *
inv_nic_by_addr(const struct kv_inv *inv, const struct kv_addr *addr, size_t *ip)
{
	for (size_t n = 0; n < inv->n_nics; n++) {
		for (size_t k = 0; k < inv->nics[n].n_ips; k++) {
			if (kv_addr_eq(&inv->nics[n].ips[k].addr, addr)) {
				if (ip != NULL)
					*ip = k;
				return &inv->nics[n];
			}
		}
	}
	return NULL;
}

size_t
inv_inbound_count(const struct kv_inv *inv)
{
	return inv->n_inbounds;
}

const struct inv_inbound *
inv_inbound_at(const struct kv_inv *inv, size_t i)
{
	return &inv->inbounds[i];
}

const struct inv_inbound *
inv_inbound_by_addr(const struct kv_inv *inv, const struct kv_addr *addr)
{
	for (size_t n = 0; n < inv->n_inbounds; n++)
		if (kv_addr_in_list(addr, inv->inbounds[n].addrs, inv->inbounds[n].n_addrs))
			return &inv->inbounds[n];
	return NULL;
}

size_t
inv_rule_count(const struct kv_inv *inv)
{
	return inv->n_rules;
}

const struct inv_rule *
inv_rule_at(const struct kv_inv *inv, size_t i)
{
	return &inv->rules[i];
}

size_t
inv_ruleset_link_count(const struct kv_inv *inv)
{
	return inv->n_rs_links;
}

const struct inv_ruleset_link *
inv_ruleset_link_at(const struct kv_inv *inv, size_t i)
{
	return &inv->rs_links[i];
}
