/* cli.h — the tool's commands, options and JSON config file (agent/tool/).
 *
 * One table (CLI_OPT_LIST) feeds the argv parser, `--help`, the `--config`
 * loader and the man-page/README tests.  Precedence: flags > environment >
 * config file > defaults.  A struct kv_cfg owns everything it points to
 * (one arena); a reload parses a fresh one and swaps only on success.  The
 * library never sees a kv_cfg: cli_check_cfg gives it a struct check_cfg. */
#ifndef KVPE_CLI_H
#define KVPE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kvpe/addr.h"
#include "kvpe/arena.h"
#include "kvpe/check.h"
#include "kvpe/cloud.h"
#include "kvpe/common.h"
#include "kvpe/expect.h"
#include "kvpe/log.h"
#include "kvpe/report.h"
#include "kvpe/types.h"

enum cli_cmd { CLI_CMD_NONE, CLI_CMD_CHECK, CLI_CMD_AGENT, CLI_CMD_RESOLVE, CLI_CMD_TRACE, CLI_CMD_HELP, CLI_CMD_VERSION };

#define CLI_C 1u /* check */
#define CLI_A 2u /* agent */
#define CLI_R 4u /* resolve */
#define CLI_T 8u /* trace: check's sources and DNS options, one vault */

/* id, long name, short, argument (NULL = flag), commands, repeatable, help.
 * In help, {formats} stands for the report formats the command takes
 * (CLI_FORMAT_LIST) and {log-format} for its default log format. */
#define CLI_OPT_LIST(X)                                                                                 \
	X(VAULT, "vault", 0, "NAME[=IP,...]", CLI_C | CLI_A | CLI_T, true,                                   \
	    "check this vault by name, without ARM: its DNS, then the --probe connection "          \
	    "(hsm:NAME for a Managed HSM, or a full FQDN; a trailing dot is ignored); "               \
	    "IPs are the endpoint's own addresses")                                                 \
	X(INVENTORY, "inventory", 0, "FILE", CLI_C | CLI_A | CLI_T, true,                                    \
	    "read ARM JSON saved earlier (az rest / az ... -o json output; every document "         \
	    "in the file; - for standard input)")                                                      \
	X(SUBSCRIPTION, "subscription", 0, "ID", CLI_C | CLI_A | CLI_T, true,                                \
	    "live ARM: this subscription (default: every subscription the credential lists)")        \
	X(CLOUD, "cloud", 0, "NAME", CLI_C | CLI_A | CLI_R | CLI_T, false,                                   \
	    "AzureCloud (default), AzureChinaCloud or AzureUSGovernment")                              \
	X(ARM_ENDPOINT, "arm-endpoint", 0, "URL", CLI_C | CLI_A | CLI_T, false, "override the cloud's ARM endpoint") \
	X(ARM_TIMEOUT, "arm-timeout", 0, "DURATION", CLI_C | CLI_A | CLI_T, false,                             \
	    "limit for one ARM or token request (default 60s; the ARM stage gets 10x that)")            \
	X(VNET, "vnet", 0, "ID", CLI_C | CLI_A | CLI_T, true,                                                  \
	    "ARM ID of a VNet whose clients' view to check (default: this VM's, from the instance "  \
	    "metadata service); the first also enables ZONE_NOT_LINKED")                               \
	X(DNS_SERVER, "dns-server", 0, "ADDR[:PORT]", CLI_C | CLI_A | CLI_R | CLI_T, true,                   \
	    "ask this resolver (IPv4 or [IPv6]:port) instead of /etc/resolv.conf")                    \
	X(VANTAGE, "vantage", 0, "SERVER", CLI_C | CLI_A | CLI_T, true,                                       \
	    "also ask this DNS server (ADDR[:PORT], IPv4 or [IPv6]:port) directly about every vault, "  \
	    "beside the resolvers on the path; off: ask only the resolver(s) this host uses")           \
	X(DNS_QPS, "dns-qps", 0, "N", CLI_C | CLI_A | CLI_R | CLI_T, false,                                   \
	    "DNS queries per second (default 900, under Azure DNS's 1,000/s per VM; 0 = unlimited)") \
	X(PRIVATE_CIDR, "private-cidr", 0, "CIDR", CLI_C | CLI_A | CLI_R | CLI_T, true,                      \
	    "also count this range as private (default: RFC 1918, 100.64.0.0/10, fc00::/7)")          \
	X(PROBE, "probe", 0, "LEVEL", CLI_C | CLI_A, false,                                          \
	    "off, tcp, tls or https (default): how far to go toward each vault")                      \
	X(CA_FILE, "ca-file", 0, "FILE", CLI_C | CLI_A | CLI_T, false,                                       \
	    "trust these CAs too (PEM), for ARM, token endpoints and probes")                         \
	X(FORMAT, "format", 0, "FMT", CLI_C | CLI_R | CLI_T, false,                                          \
	    "{formats} (default: table on a terminal, json otherwise)")                               \
	X(OUTPUT, "output", 'o', "FILE", CLI_C | CLI_R | CLI_T, false,                                      \
	    "write the report here (atomically: temp file, then rename; jsonl is appended)")          \
	X(REPORT, "report", 0, "FORMAT=PATH", CLI_C, true,                                            \
	    "also write FORMAT ({formats}) to PATH from the same run")                                 \
	X(SARIF_CATEGORY, "sarif-category", 0, "ID", CLI_C, false,                                    \
	    "the SARIF run's automationDetails.id (default: the Azure Pipelines build inside one, "  \
	    "else kvpe/<host>/<--vnet name or default>/)")                                           \
	X(NO_COLOR, "no-color", 0, NULL, CLI_C | CLI_R | CLI_T, false, "no colour in the table (also NO_COLOR)") \
	X(CONFIG, "config", 'c', "FILE", CLI_C | CLI_A | CLI_R | CLI_T, false,                               \
	    "read options from this JSON file (keys are the long option names)")                      \
	X(CONCURRENCY, "concurrency", 0, "N", CLI_C | CLI_A | CLI_R | CLI_T, false,                          \
	    "DNS queries and probes in flight at most (default 200)")                                  \
	X(TIMEOUT, "timeout", 0, "DURATION", CLI_C | CLI_A | CLI_R | CLI_T, false,                           \
	    "time budget per name and per probe, 100ms to 10m (default 5s; a bare number is "        \
	    "milliseconds)")                                                                           \
	X(WAIT, "wait", 0, "DURATION", CLI_C, false,                                                  \
	    "re-check failing vaults (no faster than their TTLs) until all pass or DURATION ends")    \
	X(INTERVAL, "interval", 0, "DURATION", CLI_A, false, "agent: time between checks (default 5m)") \
	X(STALE_AFTER, "stale-after", 0, "DURATION", CLI_A, false,                                   \
	    "agent: how long vaults of a source that cannot be read keep their last verdict, marked stale " \
	    "(default 3 intervals)")                                                                   \
	X(LISTEN, "listen", 0, "ADDR:PORT", CLI_A, false,                                            \
	    "agent: serve /metrics, /healthz and /v1/report here (default 127.0.0.1:9712)")            \
	X(TEXTFILE, "textfile", 0, "FILE", CLI_A, false,                                               \
	    "agent: also write the metrics to FILE (.prom) for node_exporter")                         \
	X(METRICS_DETAIL, "metrics-detail", 0, "LEVEL", CLI_C | CLI_A, false,                        \
	    "basic (default: per vault only its status series and present findings) or full "       \
	    "(also its DNS, probe, ARM and per-server series)")                                        \
	X(ONCE, "once", 0, NULL, CLI_A, false, "agent: run one cycle, write outputs, exit")              \
	X(LOG_FORMAT, "log-format", 0, "FMT", CLI_C | CLI_A | CLI_R | CLI_T, false,                          \
	    "text or logfmt (default: {log-format}; the journal's own format when stderr is the journal)") \
	X(VERBOSE, "verbose", 'v', NULL, CLI_C | CLI_A | CLI_R | CLI_T, false, "log more (debug)")               \
	X(QUIET, "quiet", 'q', NULL, CLI_C | CLI_A | CLI_R | CLI_T, false, "log warnings and errors only")       \
	X(VERSION, "version", 'V', NULL, CLI_C | CLI_A | CLI_R | CLI_T, false, "show the version")           \
	X(HELP, "help", 'h', NULL, CLI_C | CLI_A | CLI_R | CLI_T, false, "show this help")

enum cli_opt_id {
#define CLI_OPT_ENUM(id, ...) CLI_OPT_##id,
	CLI_OPT_LIST(CLI_OPT_ENUM)
#undef CLI_OPT_ENUM
	CLI_OPT_COUNT
};

struct cli_opt_info {
	const char *name;
	char short_name;
	const char *arg;
	unsigned cmds;
	bool repeatable;
	const char *help;
};

struct cli_report_spec {
	enum report_format format;
	const char *path;
};

struct kv_cfg {
	struct kv_arena *arena; /* owns every pointer below */
	enum cli_cmd cmd;
	bool help;    /* --help after a command */
	bool version; /* --version after a command */
	const char *config_path;

	struct expect_vault *vaults;
	size_t n_vaults;
	const char **inventories;
	size_t n_inventories;
	const char **subscriptions;
	size_t n_subscriptions;
	enum kv_cloud_id cloud;
	const char *arm_endpoint;
	const char *vnet_id; /* the first --vnet (ZONE_NOT_LINKED, the SARIF category) */
	const char **vnet_ids; /* every --vnet, in order, each once */
	size_t n_vnet_ids;
	int64_t arm_timeout_ms;

	struct kv_hostport *dns_servers;
	size_t n_dns_servers;
	struct kv_hostport *vantages; /* --vantage ADDR[:PORT] */
	size_t n_vantages;
	bool vantage_off;             /* --vantage off */
	unsigned dns_qps;
	struct kv_cidr *private_cidrs;
	size_t n_private_cidrs;

	enum kv_probe_level probe;
	const char *ca_file;

	enum report_format format;
	bool format_set;
	const char *output;
	struct cli_report_spec *reports;
	size_t n_reports;
	bool color;
	const char *sarif_category;

	unsigned concurrency;
	unsigned timeout_ms;
	int64_t wait_ms;

	int64_t interval_ms;
	int64_t stale_after_ms; /* -1: 3 × interval_ms (cli_stale_after_ms) */
	const char *listen;
	const char *textfile;
	bool metrics_full; /* --metrics-detail full */
	bool once;

	enum kv_log_level log_level;
	enum kv_log_format log_format;
	bool log_format_set;

	const char **names; /* resolve NAME..., trace NAME */
	size_t n_names;
};

/* Parses argv (argv[0] is the program).  On KV_EUSAGE, `err` (size bytes)
 * says what was wrong.  *out is set only on KV_OK. */
enum kv_err cli_parse(int argc, char **argv, struct kv_cfg **out, char *err, size_t size);
void cli_free(struct kv_cfg *cfg);
/* The options of a config document (JSON text), over the defaults of `cmd`;
 * for the fuzzer and tests.  No file is read. */
enum kv_err cli_parse_config_text(enum cli_cmd cmd, const char *text, size_t len, struct kv_cfg **out, char *err,
    size_t size);

/* The library's view of cfg for one cycle (check_run) or the resolver
 * (check_dns_new); it points into cfg. */
void cli_check_cfg(const struct kv_cfg *cfg, struct check_cfg *out);

/* --stale-after, or its default: 3 intervals. */
int64_t cli_stale_after_ms(const struct kv_cfg *cfg);

/* `kvpe --help` / `kvpe check --help` text. */
void cli_usage(FILE *f, enum cli_cmd cmd);

/* Does `cmd` write format f?  (resolve and trace: table and json only.) */
bool cli_format_for(enum report_format f, enum cli_cmd cmd);

#endif
