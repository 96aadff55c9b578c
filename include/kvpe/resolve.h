/* resolve.h — `kvpe resolve NAME...` (the tool): the DNS of any names, no ARM. */
#ifndef KVPE_RESOLVE_H
#define KVPE_RESOLVE_H

#include "kvpe/cli.h"

/* Resolves cfg->names, writes the table or JSON, returns the exit code:
 * 0 every name resolved to private addresses only, 1 some did not, 2 the
 * resolver is unusable. */
int resolve_main(const struct kv_cfg *cfg);

#endif
