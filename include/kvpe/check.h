/* check.h — one check cycle: sources → expectations → DNS → probes →
 * verdict → report.  The context holds what outlives a cycle (resolver,
 * credential cache, connections); the report owns everything of one cycle. */
#ifndef KVPE_CHECK_H
#define KVPE_CHECK_H

#include <stddef.h>

#include "kvpe/cli.h"
#include "kvpe/types.h"

struct check_ctx;

enum kv_err check_ctx_new(const struct kv_cfg *cfg, struct check_ctx **out, char *err, size_t size);
void check_ctx_free(struct check_ctx *ctx);

/* One full cycle.  Vault failures are data in *out; a non-KV_OK return means
 * the run itself could not proceed (exit code 2) and `err` says why. */
enum kv_err check_run(struct check_ctx *ctx, const struct kv_cfg *cfg, struct kv_report **out, char *err,
    size_t size);

/* Re-checks (DNS, probes, verdict) only the vaults of `prev` that did not
 * pass, keeping the passing ones; used by --wait.  *out is a new report. */
enum kv_err check_rerun(struct check_ctx *ctx, const struct kv_cfg *cfg, const struct kv_report *prev,
    struct kv_report **out, char *err, size_t size);

#endif
