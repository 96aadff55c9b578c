/* report.h — the report writers (table, JSON, JSONL, JUnit, SARIF,
 * Prometheus, Nagios) over one struct kv_report, and the atomic file write.
 * Writers are pure: data in, text out; `now` and the exit code are passed. */
#ifndef KVPE_REPORT_H
#define KVPE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "kvpe/buf.h"
#include "kvpe/cli.h"
#include "kvpe/types.h"

struct prom_state;

#define REPORT_MAX (256u * 1024 * 1024) /* cap on one rendered report */

struct report_summary {
	size_t vaults, passed, failed, errors;
	size_t stale; /* agent: verdicts kept from an earlier cycle (kv_result.origin) */
	size_t findings[KV_F_COUNT];
	size_t n_findings;
};

/* The Azure Pipelines build a report is made in, from its predefined
 * variables: GHAzDO ingestion attaches a SARIF run to its pipeline by
 * these (automationDetails.id and properties).  Pointers into the
 * environment. */
struct report_pipeline {
	char org[128];
	const char *project_id, *definition_id, *definition_name, *build_id;
	const char *phase_id, *phase_name, *branch;
};

struct report_opts {
	bool color;
	bool pretty;
	int exit_code;       /* for SARIF's invocation */
	const char *run_id;  /* JSONL: $INVOCATION_ID when set */
	const struct prom_state *prev; /* Prometheus: counters of the file replaced */
	/* SARIF's automationDetails.id: sarif_category when set (--sarif-category),
	 * else the pipeline's identity, else "kvpe/<host>/<name of vnet_id, or
	 * default>/". */
	const char *sarif_category;
	const char *vnet_id;
	const struct report_pipeline *pipeline; /* NULL outside Azure Pipelines */
};

/* Allocates an empty report with its own arena. */
enum kv_err report_new(struct kv_report **out);
/* Frees r, or only drops one reference while a later report holds it (the
 * stale verdicts it shows were made in r: report_carry_stale). */
void report_free(struct kv_report *r);

void report_summarize(const struct kv_report *r, struct report_summary *s);
/* The finding that names a vault's state: for an error the first
 * error-class code (NULL when the vault was not checked at all), else the
 * first finding in table order; NULL when there is none. */
const struct kv_finding *report_primary_finding(const struct kv_result *x);

/* True when the run could not read everything it was given: a source (a
 * subscription, an inventory file) or a resource it fetches by ID is named
 * in errors[].  Such a run is partial: check exits 2. */
bool report_partial(const struct kv_report *r);
/* check's exit code: 2 for a partial run, else 0 when every vault passed,
 * else 1. */
int report_exit_code(const struct kv_report *r);
/* r->errors ordered by scope (then as they came), so that a writer gives
 * each unread source one entry: report_scope_first(v, i) is true where a
 * scope starts.  *out is malloc'd (NULL when there is no error): free it.
 * *n_scopes is the number of distinct scopes, the sources not read. */
enum kv_err report_errors_by_scope(const struct kv_report *r, const struct kv_run_error ***out, size_t *n_scopes);
bool report_scope_first(const struct kv_run_error *const *v, size_t i);
/* One line for stderr: how many sources were not read, the first one and why. */
enum kv_err report_partial_reason(const struct kv_report *r, char *buf, size_t size);

/* Agent mode.  `cur` is this cycle's report, `prev` the one published
 * before (NULL at the first cycle).  Each source of cur that is down gets
 * down_since_ms (carried over from prev while it stays down); each vault
 * of a down subscription takes its verdict from prev instead, marked stale
 * (kv_result.origin, a reference cur holds), also when this cycle did not
 * list it at all.  Once the source has been down for stale_after_ms, such a
 * vault says so in its target's `incomplete` ("not checked since …") and a
 * pass becomes error: kvpe no longer vouches for it, while a fail keeps
 * failing so that no alert resolves before a cycle sees the vault fixed. */
enum kv_err report_carry_stale(struct kv_report *cur, struct kv_report *prev, int64_t now_ms,
    int64_t stale_after_ms);

enum kv_err report_write(const struct kv_report *r, enum report_format f, const struct report_opts *o,
    struct kv_buf *out);

/* A report file being written: the bytes go to a temp file in the same
 * directory and appear under `path` only at report_file_commit (fsync,
 * chmod 0644, rename, fsync of the directory); report_file_abort removes
 * the temp file.  The temp file is created exclusively (O_EXCL|O_NOFOLLOW)
 * under a random name, ".<file>.tmp.XXXXXX", mode 0600 until the commit.
 * "-" means stdout, written as the bytes come; so is a path that is not a
 * regular file (a device, a FIFO).  A symbolic link is followed (its target
 * is replaced) when it belongs to us, root or its directory's owner, and
 * refused otherwise.
 * REPORT_FILE_APPEND (JSONL logs) appends to the file itself instead,
 * creating it if missing: the file is locked (flock) from the first byte to
 * the commit, and an abort cuts the lines written so far off again. */
enum report_file_mode { REPORT_FILE_REPLACE, REPORT_FILE_APPEND };

struct report_file {
	char *path, *tmp, *dir;
	int fd;
	bool direct;  /* not a regular file (/dev/null, a FIFO): written in place */
	bool append;  /* REPORT_FILE_APPEND on a regular file */
	bool locked;  /* append: flock held, our lines start at `start` */
	bool created; /* append: the file did not exist before */
	off_t start;
	char err[256]; /* why a write failed, for the caller's message */
};

/* Opens everything a report will need (the temp file, or the file to
 * append to), so a path that cannot be written fails before any report is. */
enum kv_err report_file_open(struct report_file *f, const char *path, enum report_file_mode mode, char *err,
    size_t size);
/* A kv_buf sink (kv_buf_set_sink) writing to the file. */
enum kv_err report_file_sink(void *f, const char *data, size_t len);
enum kv_err report_file_commit(struct report_file *f, char *err, size_t size);
void report_file_abort(struct report_file *f);

/* report_file_open + one write + commit, for text already rendered. */
enum kv_err report_write_file(const char *path, const char *data, size_t len, char *err, size_t size);

struct jw;
/* A lookup's failure in JSON, beside its "rcode": "rcode_num" (the reply
 * code a server failure came with, e.g. 9 for NOTAUTH), "error" (what went
 * wrong without an answer), and "chain_incomplete" when true.  Nothing for
 * a lookup that did not fail. */
void report_json_lookup_failure(struct jw *w, const struct kv_dns_lookup *l);

/* Reads Azure Pipelines' predefined variables through `get` (getenv):
 * KV_OK with *out when TF_BUILD is true and every one kvpe needs is there
 * and well-formed; KV_ENOTFOUND outside a pipeline; KV_EPARSE, with `why`
 * naming the variable, when a pipeline's variables are missing or
 * malformed. */
enum kv_err report_sarif_pipeline(char *(*get)(const char *), struct report_pipeline *out, char *why, size_t size);

/* Per-format writers (report_*.c). */
enum kv_err report_json(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out);
enum kv_err report_table(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out);
enum kv_err report_junit(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out);
enum kv_err report_sarif(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out);
enum kv_err report_jsonl(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out);
enum kv_err report_nagios(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out);
/* The Nagios plugin state of a report, for `check --format nagios`'s exit
 * code: 0 OK (every vault passed without a finding), 1 WARNING (only medium
 * or low findings), 2 CRITICAL (a high finding, a vault in error, or a
 * source that could not be read), 3 UNKNOWN (no source could be read and no
 * vault was seen failing). */
int report_nagios_state(const struct kv_report *r);
/* "KVPE UNKNOWN - <reason>\n", ASCII, one line: what a plugin prints when
 * it cannot tell (bad usage, no credential, --help). */
enum kv_err report_nagios_unknown(const char *reason, struct kv_buf *out);

#endif
