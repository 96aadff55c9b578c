/* inv.h — the inventory: vaults, private endpoints, NICs, private DNS zones,
 * their A records and VNet links, as plain structs indexed by lower-cased
 * ARM resource ID.  Filled from ARM responses (arm.h) or saved ARM JSON
 * (--inventory); cJSON trees never leave inv_json.c. */
#ifndef KVPE_INV_H
#define KVPE_INV_H

#include <stddef.h>

#include "kvpe/arena.h"
#include "kvpe/cli.h"
#include "kvpe/types.h"

struct kv_inv;

enum kv_err inv_new(struct kv_inv **out);
void inv_free(struct kv_inv *inv);

size_t inv_vault_count(const struct kv_inv *inv);
/* Joins vault i with its endpoints, NICs, zone records and links into `t`
 * (allocated in `a`); names (fqdn, ...) are left to expect_names(). */
enum kv_err inv_target(const struct kv_inv *inv, size_t i, const struct kv_cfg *cfg, struct kv_arena *a,
    struct kv_target *t);

#endif
