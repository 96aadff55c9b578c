/* prom.h — the Prometheus text exposition (format 0.0.4) of a report and of
 * the agent's run counters.  Metric names follow blackbox_exporter's
 * precedent; one table (PROM_METRICS) drives the writer, its HELP and TYPE
 * lines, and the README test.  Families are sorted by name, HELP and TYPE come
 * before the samples, label values are escaped, no timestamps. */
#ifndef KVPE_PROM_H
#define KVPE_PROM_H

#include <stdbool.h>
#include <stdint.h>

#include "kvpe/buf.h"
#include "kvpe/types.h"

/* name, type, help — sorted by name. */
#define PROM_METRICS(X)                                                                                            \
	X(kvpe_arm_request_failures_total, counter, "ARM requests that failed after retries.")                         \
	X(kvpe_arm_requests_total, counter, "ARM and token requests sent.")                                             \
	X(kvpe_arm_throttled_total, counter, "ARM requests answered 429 Too Many Requests.")                           \
	X(kvpe_build_info, gauge, "Always 1; the labels name the kvpe build.")                                         \
	X(kvpe_config_last_reload_success_timestamp_seconds, gauge, "When the configuration was last loaded.")        \
	X(kvpe_config_last_reload_successful, gauge, "1 if the last configuration reload (SIGHUP) succeeded.")        \
	X(kvpe_dns_address_match, gauge, "1 if every A answer is one of the endpoint's addresses (only when known).") \
	X(kvpe_dns_answer_private, gauge, "1 if every A and AAAA answer is private.")                                   \
	X(kvpe_dns_answer_rrs, gauge, "Number of A answers for the vault name.")                                       \
	X(kvpe_dns_lookup_seconds, gauge, "Time to resolve the vault name (A).")                                       \
	X(kvpe_dns_privatelink_cname, gauge, "1 if the CNAME chain passes the private link name.")                     \
	X(kvpe_dns_ttl_seconds, gauge, "TTL of the vault name's answer (private zone records are 10 s).")            \
	X(kvpe_findings, gauge, "Current findings per code over all vaults; every code, 0 included.")                 \
	X(kvpe_ip_addr_hash, gauge, "Hash of the vault name's answers: changes when the endpoint address does.")      \
	X(kvpe_last_run_success, gauge, "1 if the last cycle completed and read every source, else 0.")             \
	X(kvpe_last_run_timestamp_seconds, gauge, "End of the last cycle.")                                            \
	X(kvpe_last_success_timestamp_seconds, gauge, "End of the last cycle that completed.")                        \
	X(kvpe_private_endpoint_approved, gauge, "1 if the vault has at least one Approved private endpoint (ARM).")  \
	X(kvpe_probe_duration_seconds, gauge, "Duration of each probe phase (connect, tls, http).")                    \
	X(kvpe_probe_http_status_code, gauge, "HTTP status of the probe's request (Key Vault answers 401 or 200).")  \
	X(kvpe_public_network_access_enabled, gauge, "1 if public network access is enabled (ARM).")                  \
	X(kvpe_run_duration_seconds, gauge, "Duration of the last cycle.")                                             \
	X(kvpe_run_failures_total, counter, "Cycles that could not complete.")                                         \
	X(kvpe_runs_total, counter, "Cycles started.")                                                                 \
	X(kvpe_source_up, gauge, "1 if the source (subscription, inventory file, manual) was read completely.")     \
	X(kvpe_tls_cert_not_after_timestamp_seconds, gauge, "Expiry of the vault's TLS leaf certificate.")           \
	X(kvpe_vault_findings, gauge, "Current findings of each code for the vault (present codes only).")           \
	X(kvpe_vault_stale, gauge, "1 while the vault's verdict is an earlier cycle's: its source is down (agent).")  \
	X(kvpe_vault_status, gauge, "1 for the vault's current status (pass, fail or error), 0 for the others.")      \
	X(kvpe_vault_up, gauge, "1 if the vault passed the last cycle.")                                               \
	X(kvpe_vaults, gauge, "Vaults checked in the last cycle.")

/* The run counters: the agent keeps them across cycles; a one-shot check
 * fills them from its single run. */
struct prom_state {
	unsigned long runs_total, run_failures_total;
	unsigned long arm_requests_total, arm_failures_total, arm_throttled_total;
	int64_t last_run_ms, last_success_ms; /* wall clock; 0 = never */
	bool last_run_success;
	double run_duration_s;
	bool reload_ok;
	int64_t reload_ms;
};

/* The exposition of `r` (may be NULL: run metrics only) and `st`. */
enum kv_err prom_write(const struct kv_report *r, const struct prom_state *st, struct kv_buf *out);
/* Prometheus label-value escaping (\\, \", \n) into out. */
enum kv_err prom_escape(struct kv_buf *out, const char *value);
/* A one-run state for `kvpe check --format prometheus`. */
void prom_state_from_report(const struct kv_report *r, struct prom_state *st);

/* One-shot runs (a timer writing node_exporter's textfile) carry the run
 * counters on from the file they replace, so `_total` never goes back and
 * rate() sees every run.  prom_state_read takes the counters (and the last
 * success time) from `path` only when it is whole kvpe exposition: a regular
 * file under 256 MB ending in a newline, with kvpe_build_info, each counter
 * once, after its TYPE line, as a plain decimal below 2^53.  KV_ENOTFOUND:
 * no such file; KV_EPARSE: something else (`err` says what), to be ignored. */
enum kv_err prom_state_read(const char *path, struct prom_state *out, char *err, size_t size);
/* Adds `prev`'s counters to st's; a run that did not complete keeps prev's
 * last success time. */
void prom_state_carry(struct prom_state *st, const struct prom_state *prev);

/* A sample value as the exposition writes it: whole numbers exactly, others
 * in the fewest digits that read back the same; prom_format_ms writes
 * milliseconds as exact seconds ("1796401770.123"). */
enum kv_err prom_format_value(double value, char *buf, size_t size);
enum kv_err prom_format_ms(int64_t ms, char *buf, size_t size);

#endif
