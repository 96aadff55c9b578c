/* expect.h — expectations: what should be true for each vault, derived
 * purely from the inventory and the --vault options.  No I/O. */
#ifndef KVPE_EXPECT_H
#define KVPE_EXPECT_H

#include <stddef.h>

#include "kvpe/arena.h"
#include "kvpe/cli.h"
#include "kvpe/types.h"

struct kv_inv; /* inv.h */

/* One target per vault (inventory vaults, then --vault names not already
 * there), sorted by name, kind and cloud.  Allocated in `a`, strings from
 * cfg copied there: the targets outlive cfg (inv_target says what the
 * inventory must be for them to own its strings too). */
enum kv_err expect_targets(const struct kv_cfg *cfg, const struct kv_inv *inv, struct kv_arena *a,
    struct kv_target **out, size_t *n_out);

#endif
