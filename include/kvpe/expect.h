/* expect.h — expectations: what should be true for each vault, derived
 * purely from the inventory and the --vault names.  No I/O.
 *
 * The joins live here: a vault of the inventory with its private endpoint
 * connections, the endpoints' NIC addresses and DNS configs, and the records
 * and VNet links of the private DNS zones named like its private link zone,
 * into one struct kv_target (types.h).  The --vault names are read here too
 * (expect_parse_vault): they are expectations given by hand. */
#ifndef KVPE_EXPECT_H
#define KVPE_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "kvpe/addr.h"
#include "kvpe/arena.h"
#include "kvpe/cloud.h"
#include "kvpe/types.h"

struct kv_inv; /* inv.h */

/* One --vault NAME[=IP,...]. */
struct expect_vault {
	const char *name; /* lower-case short name */
	enum kv_kind kind;
	bool cloud_from_name; /* the name was a full FQDN */
	enum kv_cloud_id cloud;
	struct kv_addr *addrs; /* expected endpoint addresses, sorted */
	size_t n_addrs;
};

/* What the joins need besides the inventory. */
struct expect_cfg {
	enum kv_cloud_id cloud; /* --cloud: for vaults whose own URI does not say */
	const char *vnet_id;    /* --vnet, or NULL: zone links cannot be judged */
	const struct expect_vault *vaults; /* --vault */
	size_t n_vaults;
};

/* NAME, hsm:NAME or an FQDN (one trailing dot allowed), =IP[,IP...], into
 * *out (strings in `a`); on KV_EUSAGE *why (when not NULL) is a static
 * one-line reason. */
enum kv_err expect_parse_vault(struct kv_arena *a, const char *spec, struct expect_vault *out, const char **why);

/* Joins vault i of the inventory with its endpoints, NICs, zone records and
 * links into `t` (allocated in `a`), names included.  `t` shares the
 * inventory's strings, so `a` must be inv_arena(inv) for `t` to own them
 * (check_run builds its inventory in the report's arena); what it takes
 * from cfg is copied. */
enum kv_err expect_target(const struct kv_inv *inv, size_t i, const struct expect_cfg *cfg, struct kv_arena *a,
    struct kv_target *t);

/* One target per vault (inventory vaults, then --vault names not already
 * there), sorted by name, kind and cloud.  Allocated in `a`, strings from
 * cfg copied there: the targets outlive cfg (expect_target says what the
 * inventory must be for them to own its strings too). */
enum kv_err expect_targets(const struct expect_cfg *cfg, const struct kv_inv *inv, struct kv_arena *a,
    struct kv_target **out, size_t *n_out);

#endif
