/* expect.c — see expect.h. */
#include "kvpe/expect.h"

#include <stdlib.h>
#include <string.h>

#include "kvpe/inv.h"

static int
target_cmp(const void *x, const void *y)
{
	const struct kv_target *a = x, *b = y;
	int c = strcmp(a->name, b->name);

	if (c != 0)
		return c;
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	return (int)a->cloud - (int)b->cloud;
}

static struct kv_target *
find_target(struct kv_target *v, size_t n, const char *name, enum kv_kind kind, enum kv_cloud_id cloud)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].kind == kind && v[i].cloud == cloud && strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
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
	enum kv_err rc;

	if (v == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < n_inv; i++) {
		if ((rc = inv_target(inv, i, cfg, a, &v[n])) != KV_OK)
			return rc;
		n++;
	}
	/* Sorting first lets --vault entries find inventory vaults by bsearch-free
	 * scan only when there are few of them; the common large case is all-ARM. */
	for (size_t i = 0; i < cfg->n_vaults; i++) {
		const struct cli_vault *cv = &cfg->vaults[i];
		enum kv_cloud_id cloud = cv->cloud_from_name ? cv->cloud : cfg->cloud;
		struct kv_target *t = find_target(v, n, cv->name, cv->kind, cloud);
		if (t == NULL) {
			t = &v[n++];
			memset(t, 0, sizeof(*t));
			t->name = cv->name;
			t->kind = cv->kind;
			t->cloud = cloud;
			t->source = "manual";
			t->vnet_id = cfg->vnet_id;
			if ((rc = kv_target_names(a, t)) != KV_OK)
				return rc;
		}
		if ((rc = add_manual(a, t, cv)) != KV_OK)
			return rc;
	}
	qsort(v, n, sizeof(*v), target_cmp);
	*out = v;
	*n_out = n;
	return KV_OK;
}
