/* sched.h — `kvpe agent` (the tool): the check cycle on a schedule, the
 * OpenBSD way.
 *
 * Signal handlers only set flags; SIGTERM/SIGINT stop within a second (a
 * running cycle is cancelled), SIGHUP re-reads the options and config into a
 * fresh kv_cfg that replaces the old one only when it is valid.  Each cycle
 * publishes a finished report by swapping whole rendered bodies; a cycle that
 * cannot complete (ARM unreachable, resolver down, credential failing) never
 * stops the agent: it is counted, logged, and the last good report stays
 * served with its age (the report owns all it shows, so it outlives the
 * configuration a SIGHUP replaced).  Under systemd the main loop feeds the
 * watchdog between cycles and after each, failed or not; never during one. */
#ifndef KVPE_SCHED_H
#define KVPE_SCHED_H

#include "kvpe/cli.h"

/* Runs the agent; takes ownership of cfg.  argc/argv are re-parsed on
 * SIGHUP.  Returns the exit code: 0 clean stop (or --once with a completed
 * cycle that read every source), 1 fatal start-up error or --once with a
 * failed or partial cycle, 2 usage. */
int sched_run(int argc, char **argv, struct kv_cfg *cfg);

#endif
