/* verdict.h — pure rules from (expectation, observations) to findings.
 *
 * No I/O, no clock, no globals: every rule is tested from tables of cases
 * (tests/unit/test_verdict.c: the ARM, DNS and probe tables).
 * Messages name the observed and the expected values; remediations are `az`
 * commands with the real names filled in where the target knows them. */
#ifndef KVPE_VERDICT_H
#define KVPE_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "kvpe/addr.h"
#include "kvpe/arena.h"
#include "kvpe/types.h"

struct verdict_cfg {
	const struct kv_cidr *private_cidrs; /* --private-cidr, added to the defaults */
	size_t n_private_cidrs;
	const char *const *resolvers; /* "ip:port" by kv_dns_lookup.server index */
	size_t n_resolvers;
	int64_t now_s; /* for certificate expiry */
	/* The DNS path (path.h): the report's vantages and VNets in scope, which
	 * kv_result.vantages and kv_target.paths index. */
	const struct kv_vantage *vantages;
	size_t n_vantages;
	const struct kv_vnet_scope *vnets;
	size_t n_vnets;
};

/* Fills r->findings (allocated in `a`, sorted by code, then VNet) and
 * r->status from r->t, r->dns, r->probe and, for the DNS path, r->t->paths
 * (the model), r->vantages (each vantage's answer) and the report's
 * vantages and VNets in cfg.  Per-VNet findings carry vnet_id; a code is
 * reported at most once per VNet (once for the vault when not per VNet).
 * KV_ENOMEM is the only failure. */
enum kv_err verdict_vault(const struct verdict_cfg *cfg, struct kv_arena *a, struct kv_result *r);

/* An answer counts as private when it is one of the addresses the endpoint
 * owns (ARM or --vault NAME=IP), or in a private range. */
bool verdict_addr_private(const struct verdict_cfg *cfg, const struct kv_target *t,
    const struct kv_addr *addr);

/* True when the chain of `lk` passes through `pl_fqdn`. */
bool verdict_chain_has(const struct kv_dns_lookup *lk, const char *name);

/* A lookup that failed (TIMEOUT, SERVFAIL, REFUSED, ERROR): no answer to judge. */
bool verdict_lookup_failed(const struct kv_dns_lookup *lk);

/* Why the DNS of a name could not be checked whole (its A lookup failed,
 * its chain was cut, its AAAA query failed beside a good A answer), or NULL. */
const char *verdict_dns_unchecked(struct kv_arena *a, const struct kv_dns_obs *d);

/* One-line diagnosis of a vault's DNS, for `kvpe resolve`. */
const char *verdict_dns_summary(const struct verdict_cfg *cfg, struct kv_arena *a,
    const struct kv_result *r);

#endif
