/* arm.h — the live inventory from Azure Resource Manager.
 *
 * List calls per subscription (never one GET per vault): vaults, managed
 * HSMs, private endpoints, NICs, private DNS zones, then the A record sets and
 * VNet links of the private link zones only; for the DNS path, VNets, VMs,
 * DNS resolvers (then each one's inbound endpoints) and forwarding rulesets
 * (then each one's rules and VNet links), all in parallel.  Endpoints (and their NICs) that
 * vaults reference but that lie outside the subscriptions read are fetched by
 * ID afterwards.  Pages are parsed into the inventory as they arrive.
 * Requests run concurrently (bounded), retry 5xx and network errors with
 * exponential backoff and jitter, honour 429 Retry-After, and follow nextLink
 * only to the ARM host itself (the bearer token goes nowhere else). */
#ifndef KVPE_ARM_H
#define KVPE_ARM_H

#include <stddef.h>
#include <stdint.h>

#include "kvpe/arena.h"
#include "kvpe/cloud.h"
#include "kvpe/common.h"
#include "kvpe/cred.h"
#include "kvpe/http.h"
#include "kvpe/inv.h"
#include "kvpe/types.h"

#define ARM_API_SUBSCRIPTIONS "2022-12-01"
#define ARM_API_KEYVAULT "2025-05-01"
#define ARM_API_NETWORK "2025-05-01"
#define ARM_API_PRIVATEDNS "2024-06-01" /* the first with resolutionPolicy on zone links */
#define ARM_API_COMPUTE "2024-07-01"
#define ARM_API_DNSRESOLVER "2025-05-01"

struct arm_cfg {
	const char *endpoint; /* e.g. "https://management.azure.com/" (slash optional) */
	const char *const *subscriptions; /* none: every subscription the credential lists */
	size_t n_subscriptions;
	struct http_client *http;
	struct cred *cred;
	unsigned max_inflight;
	int64_t deadline_ms; /* monotonic; the whole ARM stage */
	long request_timeout_ms;
	int backoff_base_ms; /* first retry delay (tests shorten it) */
	const volatile int *cancel;
};

struct arm_stats {
	unsigned long requests, failures, throttled, retries, pages, subscriptions;
};

/* Fills `inv`.  Per-subscription failures become entries in *errs (in `a`)
 * and mark that subscription's vaults as not checkable; the rest goes on.
 * *srcs (in `a`) lists the subscriptions read, "subscription/<id>", each up
 * unless one of its requests failed.  Returns non-KV_OK only when nothing
 * could be read (no credential, the subscription list failed, every
 * subscription failed); `err` says why. */
enum kv_err arm_load(const struct arm_cfg *cfg, struct kv_inv *inv, struct kv_arena *a,
    struct kv_run_error **errs, size_t *n_errs, struct kv_source **srcs, size_t *n_srcs, struct arm_stats *st,
    char *err, size_t size);

#endif
