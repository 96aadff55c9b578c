/* report.h — the report module (agent/report/): a run's struct kv_report,
 * its writers (table, JSON, JSONL, JUnit, SARIF, Prometheus, Nagios; table
 * and JSON also for `kvpe resolve`), and the atomic file write.
 *
 * Dependencies go one way: the dispatcher (report.c: report_write) calls
 * the writers (table.c, json.c, jsonl.c, junit.c, sarif.c, nagios.c,
 * prom.c), which call the summary helpers (summary.c), which call nothing
 * of the module.  Writers are pure: data in, text out; `now` and the exit
 * code are passed.  Every name starts with report_; a writer's entry point
 * is named after its file (report/json.c: report_json). */
#ifndef KVPE_REPORT_H
#define KVPE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kvpe/buf.h"
#include "kvpe/types.h"

#define REPORT_MAX (256u * 1024 * 1024) /* cap on one rendered report */

/* id, --format name (which commands write which format is the tool's:
 * cli_format_for) */
#define REPORT_FORMAT_LIST(X)                  \
	X(REPORT_TABLE, "table")               \
	X(REPORT_JSON, "json")                 \
	X(REPORT_JSONL, "jsonl")               \
	X(REPORT_JUNIT, "junit")               \
	X(REPORT_SARIF, "sarif")               \
	X(REPORT_PROMETHEUS, "prometheus")     \
	X(REPORT_NAGIOS, "nagios")

enum report_format {
#define REPORT_FORMAT_ENUM(id, name) id,
	REPORT_FORMAT_LIST(REPORT_FORMAT_ENUM)
#undef REPORT_FORMAT_ENUM
};

/* "table", "json", "jsonl", "junit", "sarif", "prometheus", "nagios". */
const char *report_format_name(enum report_format f);
enum kv_err report_format_parse(const char *s, enum report_format *out);

/* The run counters of the Prometheus exposition: the agent keeps them
 * across cycles; a one-shot check fills them from its single run. */
/* kvpe_dns_lookup_duration_seconds' upper bounds, in ms (then +Inf). */
#define REPORT_PROM_LOOKUP_BOUNDS_MS {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000}
#define REPORT_PROM_LOOKUP_BUCKETS 12

struct report_prom_state {
	unsigned long runs_total, run_failures_total;
	/* The vault names' A lookups of every cycle so far (stale verdicts
	 * excluded): cumulative counts per bound, then the total, and the sum. */
	uint64_t lookup_le[REPORT_PROM_LOOKUP_BUCKETS];
	uint64_t lookup_count;
	uint64_t lookup_sum_ms;
	unsigned long arm_requests_total, arm_failures_total, arm_throttled_total;
	int64_t last_run_ms, last_success_ms; /* wall clock; 0 = never */
	bool last_run_success;
	double run_duration_s;
	bool reload_ok;
	int64_t reload_ms;
	bool full; /* --metrics-detail full: the FULL and VANTAGE families too */
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
	const struct report_prom_state *prev; /* Prometheus: counters of the file replaced */
	bool metrics_full;   /* Prometheus: --metrics-detail full */
	/* SARIF's automationDetails.id: sarif_category when set (--sarif-category),
	 * else the pipeline's identity, else "kvpe/<host>/<name of vnet_id, or
	 * default>/". */
	const char *sarif_category;
	const char *vnet_id;
	const struct report_pipeline *pipeline; /* NULL outside Azure Pipelines */
};

/* ---- report.c: lifecycle, agent-mode carry, dispatch ---- */

/* Allocates an empty report with its own arena. */
enum kv_err report_new(struct kv_report **out);
/* Frees r, or only drops one reference while a later report holds it (the
 * stale verdicts it shows were made in r: report_carry_stale). */
void report_free(struct kv_report *r);

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

/* `r` in format `f` into `out` (the writers below). */
enum kv_err report_write(const struct kv_report *r, enum report_format f, const struct report_opts *o,
    struct kv_buf *out);

/* `kvpe resolve`: the names asked and what their DNS said.  A name that is
 * a vault's carries the verdict on its target (r->t, r->findings). */
struct report_name {
	const char *name;          /* canonical: lower case, no trailing dot */
	bool vault;                /* a vault or Managed HSM name */
	const struct kv_result *r; /* dns.a, dns.aaaa and, for a vault, dns.pl */
	bool is_private;           /* every answer private, the DNS read whole */
	const char *diagnosis;     /* one line */
};

struct report_resolve {
	const char *const *resolvers; /* "ip:port" by kv_dns_lookup.server index */
	size_t n_resolvers;
	const struct report_name *names;
	size_t n_names;
};

/* The resolve result in `f`: table or JSON (kvpe.resolve/v1); any other
 * format is KV_EUSAGE. */
enum kv_err report_write_resolve(const struct report_resolve *rs, enum report_format f, const struct report_opts *o,
    struct kv_buf *out);

/* ---- trace.c: `kvpe trace NAME`, one vault's DNS path per VNet in scope ----
 * `r` is a check report narrowed to the vault (check_cfg.only); `x` its
 * result.  What is right is what the vault needs: its approved endpoints'
 * addresses (unknown without them). */

enum report_mark { REPORT_MARK_OK, REPORT_MARK_WRONG, REPORT_MARK_UNKNOWN };

/* What vantage `idx` (kv_report.vantages) answered for x; NULL: not asked. */
const struct kv_dns_lookup *report_trace_live(const struct kv_result *x, int idx);
/* The model's answer of one clients' resolver, and a live answer. */
enum report_mark report_trace_model_mark(const struct kv_target *t, const struct kv_path_answer *ans);
enum report_mark report_trace_live_mark(const struct kv_target *t, const struct kv_dns_lookup *lk);
/* The hop where the walk goes wrong (the model's, or a forwarding rule
 * whose target's live answer `lk` is wrong), or -1: the model is right or
 * cannot tell, and a wrong live answer marks the server itself. */
int report_trace_wrong_hop(const struct kv_target *t, const struct kv_path_answer *ans, const struct kv_dns_lookup *lk);
/* A VNet's finding (vnet_id), or a wrong answer of its clients' resolvers. */
bool report_trace_vnet_wrong(const struct kv_result *x, const struct kv_path_vnet *pv);
/* 0: the path is right in every VNet and the vault passed; else 1. */
int report_trace_exit(const struct kv_result *x);
/* Table or JSON (kvpe.trace/v1); any other format is KV_EUSAGE. */
enum kv_err report_write_trace(const struct kv_report *r, const struct kv_result *x, enum report_format f,
    const struct report_opts *o, struct kv_buf *out);
enum kv_err report_table_trace(const struct kv_report *r, const struct kv_result *x, const struct report_opts *o,
    struct kv_buf *out);
enum kv_err report_json_trace(const struct kv_report *r, const struct kv_result *x, const struct report_opts *o,
    struct kv_buf *out);

/* ---- summary.c: what writers and callers read off a whole report ---- */

struct report_summary {
	size_t vaults, passed, failed, errors;
	size_t stale; /* agent: verdicts kept from an earlier cycle (kv_result.origin) */
	size_t findings[KV_F_COUNT];
	size_t n_findings;
};

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

/* ---- the writers, one file each ---- */

enum kv_err report_table(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out);
enum kv_err report_table_resolve(const struct report_resolve *rs, const struct report_opts *o, struct kv_buf *out);
enum kv_err report_json(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out);
enum kv_err report_json_resolve(const struct report_resolve *rs, const struct report_opts *o, struct kv_buf *out);
enum kv_err report_jsonl(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out);
enum kv_err report_junit(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out);
enum kv_err report_sarif(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out);
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
/* Reads Azure Pipelines' predefined variables through `get` (getenv):
 * KV_OK with *out when TF_BUILD is true and every one kvpe needs is there
 * and well-formed; KV_ENOTFOUND outside a pipeline; KV_EPARSE, with `why`
 * naming the variable, when a pipeline's variables are missing or
 * malformed. */
enum kv_err report_sarif_pipeline(char *(*get)(const char *), struct report_pipeline *out, char *why, size_t size);

/* ---- prom.c: the Prometheus text exposition (format 0.0.4) ----
 *
 * Of a report and of the run counters.  Metric names follow
 * blackbox_exporter's precedent; one table (REPORT_PROM_METRICS) drives the
 * writer, its HELP and TYPE lines, and the README test.  Families are sorted
 * by name, HELP and TYPE come before the samples, label values are escaped,
 * no timestamps. */

/* name, type, detail, help — sorted by name.  detail: RUN (agent and run
 * series, always), VAULT (per vault, always: the status ones; at most 4 for a
 * healthy vault), FULL (per vault, --metrics-detail full only), VANTAGE (per
 * vault and DNS server asked directly, --metrics-detail full only). */
#define REPORT_PROM_METRICS(X)                                                                                                           \
	X(kvpe_arm_request_failures_total, counter, RUN, "ARM requests that failed after retries.")                                      \
	X(kvpe_arm_requests_total, counter, RUN, "ARM and token requests sent.")                                                         \
	X(kvpe_arm_throttled_total, counter, RUN, "ARM requests answered 429 Too Many Requests.")                                        \
	X(kvpe_build_info, gauge, RUN, "Always 1; the labels name the kvpe build.")                                                      \
	X(kvpe_config_last_reload_success_timestamp_seconds, gauge, RUN, "When the configuration was last loaded.")                      \
	X(kvpe_config_last_reload_successful, gauge, RUN, "1 if the last configuration reload (SIGHUP) succeeded.")                      \
	X(kvpe_dns_address_match, gauge, FULL, "1 if every A answer is one of the endpoint's addresses (only when known).")              \
	X(kvpe_dns_answer_private, gauge, FULL, "1 if every A and AAAA answer is private.")                                              \
	X(kvpe_dns_answer_rrs, gauge, FULL, "Number of A answers for the vault name.")                                                   \
	X(kvpe_dns_lookup_duration_seconds, histogram, RUN, "Time to resolve the vault names (A), over every cycle.")            \
	X(kvpe_dns_lookup_seconds, gauge, FULL, "Time to resolve the vault name (A).")                                                   \
	X(kvpe_dns_privatelink_cname, gauge, FULL, "1 if the CNAME chain passes the private link name.")                                 \
	X(kvpe_dns_ttl_seconds, gauge, FULL, "TTL of the vault name's answer (private zone records are 10 s).")                          \
	X(kvpe_dns_vantage_address_match, gauge, VANTAGE, "1 if the server's A answers are the endpoint's addresses (only when known).") \
	X(kvpe_dns_vantage_answer_rrs, gauge, VANTAGE, "Number of A answers the server gave for the vault name.")                        \
	X(kvpe_dns_vantage_ip_addr_hash, gauge, VANTAGE, "Hash of the server's A answers: changes when they do.")                        \
	X(kvpe_dns_vantage_lookup_seconds, gauge, VANTAGE, "Time the server took to resolve the vault name (A).")                        \
	X(kvpe_dns_vantage_resolved, gauge, VANTAGE, "1 if the server answered the vault name with addresses.")                          \
	X(kvpe_findings, gauge, RUN, "Current findings per code over all vaults; every code, 0 included.")                               \
	X(kvpe_ip_addr_hash, gauge, FULL, "Hash of the vault name's answers: changes when the endpoint address does.")                   \
	X(kvpe_last_run_success, gauge, RUN, "1 if the last cycle completed and read every source, else 0.")                             \
	X(kvpe_last_run_timestamp_seconds, gauge, RUN, "End of the last cycle.")                                                         \
	X(kvpe_last_success_timestamp_seconds, gauge, RUN, "End of the last cycle that completed.")                                      \
	X(kvpe_private_endpoint_approved, gauge, FULL, "1 if the vault has at least one Approved private endpoint (ARM).")               \
	X(kvpe_probe_duration_seconds, gauge, FULL, "Duration of each probe phase (connect, tls, http).")                                \
	X(kvpe_probe_http_status_code, gauge, FULL, "HTTP status of the probe's request (Key Vault answers 401 or 200).")                \
	X(kvpe_public_network_access_enabled, gauge, FULL, "1 if public network access is enabled (ARM).")                               \
	X(kvpe_run_duration_seconds, gauge, RUN, "Duration of the last cycle.")                                                          \
	X(kvpe_run_failures_total, counter, RUN, "Cycles that could not complete.")                                                      \
	X(kvpe_runs_total, counter, RUN, "Cycles started.")                                                                              \
	X(kvpe_source_up, gauge, RUN, "1 if the source (subscription, inventory file, manual) was read completely.")                     \
	X(kvpe_tls_cert_not_after_timestamp_seconds, gauge, FULL, "Expiry of the vault's TLS leaf certificate.")                         \
	X(kvpe_vault_findings, gauge, VAULT, "Current findings of each code for the vault (present codes only).")                        \
	X(kvpe_vault_stale, gauge, VAULT, "1 while the vault's verdict is an earlier cycle's: its source is down (agent).")              \
	X(kvpe_vault_status, gauge, VAULT, "1 for the vault's current status (pass, fail or error), 0 for the others.")                  \
	X(kvpe_vault_up, gauge, VAULT, "1 if the vault passed the last cycle.")                                                          \
	X(kvpe_vaults, gauge, RUN, "Vaults checked in the last cycle.")

/* The exposition of `r` (may be NULL: run metrics only) and `st`. */
enum kv_err report_prom(const struct kv_report *r, const struct report_prom_state *st, struct kv_buf *out);
/* Prometheus label-value escaping (\\, \", \n) into out. */
enum kv_err report_prom_escape(struct kv_buf *out, const char *value);
/* A one-run state for `kvpe check --format prometheus`. */
void report_prom_state_from_report(const struct kv_report *r, struct report_prom_state *st);
/* Adds the A lookups of r's fresh verdicts to st's histogram (once per cycle). */
void report_prom_observe(struct report_prom_state *st, const struct kv_report *r);

/* One-shot runs (a timer writing node_exporter's textfile) carry the run
 * counters on from the file they replace, so `_total` never goes back and
 * rate() sees every run.  report_prom_state_read takes the counters (and
 * the last success time) from `path` only when it is whole kvpe exposition:
 * a regular file under 256 MB ending in a newline, with kvpe_build_info,
 * each counter once, after its TYPE line, as a plain decimal below 2^53
 * (the lookup histogram too when the file has it: a file of an older kvpe
 * starts it from this run).
 * KV_ENOTFOUND: no such file; KV_EPARSE: something else (`err` says what),
 * to be ignored. */
enum kv_err report_prom_state_read(const char *path, struct report_prom_state *out, char *err, size_t size);
/* Adds `prev`'s counters to st's; a run that did not complete keeps prev's
 * last success time. */
void report_prom_state_carry(struct report_prom_state *st, const struct report_prom_state *prev);

/* A sample value as the exposition writes it: whole numbers exactly, others
 * in the fewest digits that read back the same; report_prom_format_ms
 * writes milliseconds as exact seconds ("1796401770.123"). */
enum kv_err report_prom_format_value(double value, char *buf, size_t size);
enum kv_err report_prom_format_ms(int64_t ms, char *buf, size_t size);

/* ---- report.c: report files ---- */

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

#endif
