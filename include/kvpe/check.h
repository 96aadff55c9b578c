/* check.h — one check cycle, the library's pipeline: sources →
 * expectations → DNS → probes → verdict → report.  The context holds what
 * outlives a cycle (resolver, credential cache, connections); the report
 * owns everything of one cycle. */
#ifndef KVPE_CHECK_H
#define KVPE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvpe/addr.h"
#include "kvpe/expect.h"
#include "kvpe/types.h"

struct check_ctx;
struct dns_batch;
struct dns_resolver;
struct kv_arena;
struct net_target;

/* What a cycle needs of the configuration; the tool fills it from its
 * options (cli_check_cfg).  Everything it points to is the caller's and
 * needs to live only through the call it is passed to: the report copies
 * what it keeps. */
struct check_cfg {
	/* sources: with none of the three, the live ARM inventory */
	const char *const *inventories; /* --inventory files; "-" is standard input */
	size_t n_inventories;
	const char *const *subscriptions; /* live ARM: these subscriptions */
	size_t n_subscriptions;
	struct expect_cfg expect; /* --cloud, --vnet and the --vault names */
	const char *arm_endpoint; /* NULL: the cloud's */
	int64_t arm_timeout_ms;   /* one ARM or token request; the ARM stage gets 10x */
	/* DNS and probes */
	const struct kv_hostport *dns_servers; /* none: /etc/resolv.conf */
	size_t n_dns_servers;
	unsigned dns_qps;     /* 0: unlimited */
	unsigned concurrency; /* queries and probes in flight at most */
	unsigned timeout_ms;  /* per name and per probe */
	enum kv_probe_level probe;
	const char *ca_file; /* extra CAs, or NULL */
	/* verdict */
	const struct kv_cidr *private_cidrs;
	size_t n_private_cidrs;
	/* the DNS path (path.h): VNets in scope besides the agent's own, the
	 * servers to ask besides the model's, or none at all */
	const char *const *vnet_ids; /* --vnet */
	size_t n_vnet_ids;
	const struct kv_hostport *vantages; /* --vantage ADDR[:PORT] */
	size_t n_vantages;
	bool vantage_off; /* --vantage off */
	/* `kvpe trace NAME`: the cycle is narrowed to this one vault (name,
	 * kind, and cloud when the name gave it) right after the sources are
	 * read; NULL: every vault. */
	const struct expect_vault *only;
};

/* The resolver the configuration asks for (its servers or the system's,
 * pacing, window, time budget), shared by check, agent and resolve; `err`
 * says why it is unusable. */
enum kv_err check_dns_new(const struct check_cfg *cfg, struct dns_resolver **out, char *err, size_t size);

enum kv_err check_ctx_new(const struct check_cfg *cfg, struct check_ctx **out, char *err, size_t size);
/* A flag a signal handler sets: every stage stops soon after (KV_ECANCELED). */
void check_ctx_set_cancel(struct check_ctx *ctx, const volatile int *cancel);
/* True when the resolver answered none of the names (down or unreachable):
 * the agent treats that cycle as failed and keeps its last good report. */
bool check_dns_down(const struct kv_report *r);
void check_ctx_free(struct check_ctx *ctx);

/* One full cycle.  Vault failures are data in *out; a non-KV_OK return means
 * the run itself could not proceed (exit code 2) and `err` says why. */
enum kv_err check_run(struct check_ctx *ctx, const struct check_cfg *cfg, struct kv_report **out, char *err,
    size_t size);

/* After a vault name's A answer `a`: its private link name (x->dns.pl)
 * read off the answer's chain when the chain passes it, else asked in the
 * same batch; nothing after a timeout.  KV_ENOMEM when it could not be
 * queued.  (check's DNS stage and `kvpe resolve`.) */
enum kv_err check_privatelink(struct dns_batch *b, struct kv_result *x, const struct kv_dns_lookup *a);

/* The probe stage's work list: a target (calloc'd; the caller frees it)
 * for each result DNS gave an address to, in order; the others get
 * probe.skipped saying why (in `a`).  KV_ENOMEM leaves nothing to free. */
enum kv_err check_probe_targets(enum kv_probe_level level, struct kv_arena *a, struct kv_result **todo, size_t n,
    struct net_target **out, size_t *n_out);

/* --wait: asks the SOA of each zone that answered NXDOMAIN or NODATA for a
 * failing vault, so check_wait_ms() knows how long resolvers may cache that. */
enum kv_err check_negative_ttls(struct check_ctx *ctx, struct kv_report *r);

/* --wait: how long to wait before checking `r` again — the longest DNS TTL
 * among its failing vaults (what a resolver may still serve from cache),
 * the zone's negative TTL for NXDOMAIN/NODATA (check_negative_ttls), 5 s for a
 * failed answer; plus 1.1 s as caches count whole seconds; at
 * least 1 s and at most 60 s. */
int64_t check_wait_ms(const struct kv_report *r);

#endif
