/* trace.h — `kvpe trace NAME` (the tool): one vault's DNS path, hop by
 * hop, as a client of each VNet in scope walks it. */
#ifndef KVPE_TRACE_H
#define KVPE_TRACE_H

#include "kvpe/cli.h"

/* Runs the check pipeline narrowed to cfg->names[0] (check_cfg.only, no
 * probes), writes the table or JSON, returns the exit code: 0 the path is
 * right in every VNet in scope, 1 a hop is wrong (or the vault does not
 * pass), 2 it could not run (usage, unknown vault, a source not read) with
 * a one-line reason on stderr. */
int trace_main(const struct kv_cfg *cfg);

#endif
