/* expect.c — see expect.h. */
#include "kvpe/expect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvpe/inv.h"
#include "kvpe/map.h"

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
add_manual(struct kv_arena *a, struct kv_target *t, const struct cli_vault *cv)
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
expect_targets(const struct kv_cfg *cfg, const struct kv_inv *inv, struct kv_arena *a,
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
		if ((rc = inv_target(inv, i, cfg, a, &v[n])) != KV_OK)
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
		const struct cli_vault *cv = &cfg->vaults[i];
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
