/* inv.c — the inventory model and its joins. */
#include "kvpe/inv.h"

#include <stdlib.h>

struct kv_inv {
	struct kv_arena *arena;
	size_t n_vaults;
};

enum kv_err
inv_new(struct kv_inv **out)
{
	struct kv_inv *inv = calloc(1, sizeof(*inv));

	if (inv == NULL || (inv->arena = kv_arena_new(64 * 1024)) == NULL) {
		free(inv);
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
	kv_arena_free(inv->arena);
	free(inv);
}

size_t
inv_vault_count(const struct kv_inv *inv)
{
	return inv->n_vaults;
}

enum kv_err
inv_target(const struct kv_inv *inv, size_t i, const struct kv_cfg *cfg, struct kv_arena *a, struct kv_target *t)
{
	KV_UNUSED(inv);
	KV_UNUSED(i);
	KV_UNUSED(cfg);
	KV_UNUSED(a);
	KV_UNUSED(t);
	return KV_EINTERNAL;
}
