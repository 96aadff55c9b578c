/* cli.c — argv, environment and --config into one struct kv_cfg. */
#include "kvpe/cli.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvpe/jsonr.h"

#define CLI_CONFIG_MAX (1024 * 1024)

static const struct cli_opt_info opt_table[] = {
#define CLI_OPT_ROW(id, name, sh, arg, cmds, rep, help) {name, sh, arg, cmds, rep, help},
	CLI_OPT_LIST(CLI_OPT_ROW)
#undef CLI_OPT_ROW
};

/* The commands that write each format (resolve, trace: table and json). */
static const unsigned format_cmds[] = {
    [REPORT_TABLE] = CLI_C | CLI_R | CLI_T,
    [REPORT_JSON] = CLI_C | CLI_R | CLI_T,
    [REPORT_JSONL] = CLI_C,
    [REPORT_JUNIT] = CLI_C,
    [REPORT_SARIF] = CLI_C,
    [REPORT_PROMETHEUS] = CLI_C,
    [REPORT_NAGIOS] = CLI_C,
};

static unsigned cmd_mask(enum cli_cmd cmd);
static bool takes_names(enum cli_cmd cmd);

bool
cli_format_for(enum report_format f, enum cli_cmd cmd)
{
	return (size_t)f < KV_ARRAY_LEN(format_cmds) && (format_cmds[f] & cmd_mask(cmd)) != 0;
}

/* "table, json, ... or nagios": the formats of `cmd`, for help and errors. */
static void
format_list(enum cli_cmd cmd, char *buf, size_t size)
{
	size_t n = 0, k = 0, o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < KV_ARRAY_LEN(format_cmds); i++)
		n += cli_format_for((enum report_format)i, cmd);
	for (size_t i = 0; i < KV_ARRAY_LEN(format_cmds) && o < size; i++) {
		int w;
		if (!cli_format_for((enum report_format)i, cmd))
			continue;
		k++;
		w = snprintf(buf + o, size - o, "%s%s", k == 1 ? "" : k == n ? " or " : ", ",
		    report_format_name((enum report_format)i));
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

static enum kv_err
fail(char *err, size_t size, const char *fmt, ...) KV_PRINTF(3, 4);

static enum kv_err
fail(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return KV_EUSAGE;
}

/* ---- applying one option value ---- */

/* Appends to an arena array; capacities are powers of two, so a full array
 * is one whose length is a power of two (amortised O(1), no realloc). */
#define PUSH(cfg, arr, n, val)                                                             \
	do {                                                                                \
		if ((n) == 0 || ((n) & ((n) - 1)) == 0) {                                    \
			void *nv_ = kv_arena_calloc((cfg)->arena, (n) ? 2 * (n) : 1, sizeof(*(arr))); \
			if (nv_ == NULL)                                                     \
				return KV_ENOMEM;                                            \
			if ((n) > 0)                                                         \
				memcpy(nv_, (arr), (n) * sizeof(*(arr)));                      \
			(arr) = nv_;                                                         \
		}                                                                            \
		(arr)[(n)++] = (val);                                                        \
	} while (0)

static enum kv_err
apply_unsigned(const char *v, long min, long max, unsigned *out, const char *name, char *err, size_t size)
{
	long n;

	/* The message states the range that is really allowed. */
	if (kv_parse_long(v, min, max, &n) != KV_OK)
		return fail(err, size, "--%s: '%s' is not a number from %ld to %ld", name, v, min, max);
	*out = (unsigned)n;
	return KV_OK;
}

/* A DNS server: IPv4[:PORT], an IPv6 address alone or [IPv6]:PORT. */
static enum kv_err
parse_server(const char *name, const char *v, struct kv_hostport *out, char *err, size_t size)
{
	if (kv_hostport_ambiguous(v)) {
		int host = (int)(strrchr(v, ':') - v);
		return fail(err, size,
		    "--%s '%s': an IPv6 address with a port needs brackets: write [%.*s]:%s for a port, "
		    "or [%s] for the address %s on port 53", name, v, host, v, v + host + 1, v, v);
	}
	if (kv_hostport_parse(v, 53, out) != KV_OK)
		return fail(err, size, "--%s '%s': expected IPv4[:PORT] or [IPv6]:PORT%s", name, v,
		    strcmp(name, "vantage") == 0 ? ", or off" : "");
	return KV_OK;
}

static enum kv_err
apply(struct kv_cfg *cfg, enum cli_opt_id id, const char *v, char *err, size_t size)
{
	struct kv_arena *a = cfg->arena;
	const char *name = opt_table[id].name;
	const char *copy;
	enum kv_err rc;

	switch (id) {
	case CLI_OPT_VAULT: {
		struct expect_vault cv;
		const char *why = NULL;
		rc = expect_parse_vault(a, v, &cv, &why);
		if (rc == KV_ENOMEM)
			return rc;
		if (rc != KV_OK)
			return fail(err, size, "--vault '%s': %s", v, why);
		PUSH(cfg, cfg->vaults, cfg->n_vaults, cv);
		return KV_OK;
	}
	case CLI_OPT_INVENTORY:
		if ((rc = kv_arena_strdup_to(a, v, &copy)) != KV_OK)
			return rc;
		PUSH(cfg, cfg->inventories, cfg->n_inventories, copy);
		return KV_OK;
	case CLI_OPT_SUBSCRIPTION:
		if (v[0] == '\0' || strchr(v, '/') != NULL)
			return fail(err, size, "--subscription '%s': expected a subscription ID", v);
		if ((rc = kv_arena_strdup_to(a, v, &copy)) != KV_OK)
			return rc;
		PUSH(cfg, cfg->subscriptions, cfg->n_subscriptions, copy);
		return KV_OK;
	case CLI_OPT_CLOUD:
		if (cloud_parse(v, &cfg->cloud) != KV_OK)
			return fail(err, size, "--cloud '%s': expected AzureCloud, AzureChinaCloud or AzureUSGovernment", v);
		return KV_OK;
	case CLI_OPT_ARM_ENDPOINT:
		if (strncmp(v, "https://", 8) != 0)
			return fail(err, size, "--arm-endpoint '%s': expected an https:// URL", v);
		return kv_arena_strdup_to(a, v, &cfg->arm_endpoint);
	case CLI_OPT_ARM_TIMEOUT:
		if (kv_parse_duration_ms(v, &cfg->arm_timeout_ms) != KV_OK || cfg->arm_timeout_ms < 100 ||
		    cfg->arm_timeout_ms > 3600 * 1000)
			return fail(err, size, "--arm-timeout '%s': expected a duration from 100ms to 1h, such as 30s", v);
		return KV_OK;
	case CLI_OPT_VNET:
		if (strstr(v, "/virtualNetworks/") == NULL && strstr(v, "/virtualnetworks/") == NULL)
			return fail(err, size, "--vnet '%s': expected a VNet resource ID (.../virtualNetworks/NAME)", v);
		for (size_t i = 0; i < cfg->n_vnet_ids; i++)
			if (kv_streq_ci(cfg->vnet_ids[i], v))
				return KV_OK; /* ARM IDs compare without case: one VNet */
		if ((rc = kv_arena_strdup_to(a, v, &copy)) != KV_OK)
			return rc;
		PUSH(cfg, cfg->vnet_ids, cfg->n_vnet_ids, copy);
		cfg->vnet_id = cfg->vnet_ids[0];
		return KV_OK;
	case CLI_OPT_DNS_SERVER: {
		struct kv_hostport hp;
		if (cfg->n_dns_servers >= KV_DNS_SERVERS_MAX)
			return fail(err, size, "--dns-server '%s': at most %d --dns-server (kvpe asks them in turn)", v,
			    KV_DNS_SERVERS_MAX);
		if ((rc = parse_server(name, v, &hp, err, size)) != KV_OK)
			return rc;
		PUSH(cfg, cfg->dns_servers, cfg->n_dns_servers, hp);
		return KV_OK;
	}
	case CLI_OPT_VANTAGE: {
		struct kv_hostport hp;
		if (strcmp(v, "off") == 0 || cfg->vantage_off) {
			if (cfg->n_vantages > 0 || strcmp(v, "off") != 0)
				return fail(err, size, "--vantage '%s': off asks no server but this host's resolvers; "
				    "give either off or servers", v);
			cfg->vantage_off = true;
			return KV_OK;
		}
		/* Each vantage is a resolver of its own (sockets, a batch). */
		if (cfg->n_vantages >= KV_DNS_SERVERS_MAX)
			return fail(err, size, "--vantage '%s': at most %d --vantage", v, KV_DNS_SERVERS_MAX);
		if ((rc = parse_server(name, v, &hp, err, size)) != KV_OK)
			return rc;
		PUSH(cfg, cfg->vantages, cfg->n_vantages, hp);
		return KV_OK;
	}
	case CLI_OPT_DNS_QPS:
		return apply_unsigned(v, 0, 10000000, &cfg->dns_qps, name, err, size);
	case CLI_OPT_PRIVATE_CIDR: {
		struct kv_cidr c;
		if (kv_cidr_parse(v, &c) != KV_OK)
			return fail(err, size, "--private-cidr '%s': expected ADDRESS/BITS", v);
		PUSH(cfg, cfg->private_cidrs, cfg->n_private_cidrs, c);
		return KV_OK;
	}
	case CLI_OPT_PROBE:
		if (strcmp(v, "off") == 0)
			cfg->probe = KV_PROBE_OFF;
		else if (strcmp(v, "tcp") == 0)
			cfg->probe = KV_PROBE_TCP;
		else if (strcmp(v, "tls") == 0)
			cfg->probe = KV_PROBE_TLS;
		else if (strcmp(v, "https") == 0)
			cfg->probe = KV_PROBE_HTTPS;
		else
			return fail(err, size, "--probe '%s': expected off, tcp, tls or https", v);
		return KV_OK;
	case CLI_OPT_CA_FILE:
		return kv_arena_strdup_to(a, v, &cfg->ca_file);
	case CLI_OPT_FORMAT: {
		/* The agent writes no report: a shared config file's "format" is
		 * not its business.  check, resolve and trace take their own formats. */
		enum cli_cmd for_cmd = takes_names(cfg->cmd) ? cfg->cmd : CLI_CMD_CHECK;
		char list[128];
		if (report_format_parse(v, &cfg->format) != KV_OK || !cli_format_for(cfg->format, for_cmd)) {
			format_list(for_cmd, list, sizeof(list));
			return fail(err, size, "--format '%s': expected %s", v, list);
		}
		cfg->format_set = true;
		return KV_OK;
	}
	case CLI_OPT_OUTPUT:
		if (v[0] == '\0')
			return fail(err, size, "--output needs a file name (- for stdout)");
		return kv_arena_strdup_to(a, v, &cfg->output);
	case CLI_OPT_REPORT: {
		struct cli_report_spec rs;
		const char *eq = strchr(v, '=');
		char fmt[16];
		if (eq == NULL || eq == v || (size_t)(eq - v) >= sizeof(fmt) || eq[1] == '\0')
			return fail(err, size, "--report '%s': expected FORMAT=PATH", v);
		memcpy(fmt, v, (size_t)(eq - v));
		fmt[eq - v] = '\0';
		if (report_format_parse(fmt, &rs.format) != KV_OK || !cli_format_for(rs.format, CLI_CMD_CHECK)) {
			char list[128];
			format_list(CLI_CMD_CHECK, list, sizeof(list));
			return fail(err, size, "--report '%s': unknown format '%s' (expected %s)", v, fmt, list);
		}
		if ((rc = kv_arena_strdup_to(a, eq + 1, &rs.path)) != KV_OK)
			return rc;
		PUSH(cfg, cfg->reports, cfg->n_reports, rs);
		return KV_OK;
	}
	case CLI_OPT_SARIF_CATEGORY:
		if (v[0] == '\0')
			return fail(err, size, "--sarif-category needs a value, such as kvpe/prod-weu/");
		return kv_arena_strdup_to(a, v, &cfg->sarif_category);
	case CLI_OPT_NO_COLOR:
		cfg->color = false;
		return KV_OK;
	case CLI_OPT_CONFIG:
		return KV_OK; /* read before everything else */
	case CLI_OPT_CONCURRENCY:
		return apply_unsigned(v, 1, 100000, &cfg->concurrency, name, err, size);
	case CLI_OPT_TIMEOUT: {
		/* A bare number is milliseconds, as --timeout always took; a
		 * duration (500ms, 5s, 2m) as every other duration option. */
		int64_t ms;
		long n;
		if (kv_parse_long(v, 100, 600000, &n) == KV_OK)
			ms = n;
		else if (v[0] < '0' || v[0] > '9' || v[strspn(v, "0123456789")] == '\0' ||
		    kv_parse_duration_ms(v, &ms) != KV_OK || ms < 100 || ms > 600000)
			return fail(err, size, "--timeout '%s': expected a duration from 100ms to 10m, such as 5s "
					       "(a bare number is milliseconds: 100 to 600000)", v);
		cfg->timeout_ms = (unsigned)ms;
		return KV_OK;
	}
	case CLI_OPT_WAIT:
		if (kv_parse_duration_ms(v, &cfg->wait_ms) != KV_OK)
			return fail(err, size, "--wait '%s': expected a duration such as 90s, 5m or 1h", v);
		return KV_OK;
	case CLI_OPT_INTERVAL:
		if (kv_parse_duration_ms(v, &cfg->interval_ms) != KV_OK || cfg->interval_ms < 10)
			return fail(err, size, "--interval '%s': expected a duration such as 30s, 5m or 1h", v);
		return KV_OK;
	case CLI_OPT_STALE_AFTER:
		if (kv_parse_duration_ms(v, &cfg->stale_after_ms) != KV_OK)
			return fail(err, size, "--stale-after '%s': expected a duration such as 15m or 1h (0: not kept)", v);
		return KV_OK;
	case CLI_OPT_LISTEN: {
		struct kv_hostport hp;
		if (kv_hostport_parse(v, 0, &hp) != KV_OK || hp.port == 0)
			return fail(err, size, "--listen '%s': expected ADDR:PORT such as 127.0.0.1:9712", v);
		return kv_arena_strdup_to(a, v, &cfg->listen);
	}
	case CLI_OPT_TEXTFILE:
		if (v[0] == '\0')
			return fail(err, size, "--textfile needs a file name ending in .prom");
		return kv_arena_strdup_to(a, v, &cfg->textfile);
	case CLI_OPT_METRICS_DETAIL:
		if (strcmp(v, "basic") != 0 && strcmp(v, "full") != 0)
			return fail(err, size, "--metrics-detail '%s': expected basic or full", v);
		cfg->metrics_full = v[0] == 'f';
		return KV_OK;
	case CLI_OPT_ONCE:
		cfg->once = true;
		return KV_OK;
	case CLI_OPT_LOG_FORMAT:
		if (strcmp(v, "text") == 0)
			cfg->log_format = KV_LOG_TEXT;
		else if (strcmp(v, "logfmt") == 0)
			cfg->log_format = KV_LOG_LOGFMT;
		else
			return fail(err, size, "--log-format '%s': expected text or logfmt", v);
		cfg->log_format_set = true;
		return KV_OK;
	case CLI_OPT_VERBOSE:
		cfg->log_level = KV_LOG_DEBUG;
		return KV_OK;
	case CLI_OPT_QUIET:
		cfg->log_level = KV_LOG_WARN;
		return KV_OK;
	case CLI_OPT_HELP:
		cfg->cmd = CLI_CMD_HELP;
		return KV_OK;
	case CLI_OPT_VERSION:
		cfg->version = true;
		return KV_OK;
	case CLI_OPT_COUNT:
		break;
	}
	return fail(err, size, "internal: unknown option");
}

static void
clear_list(struct kv_cfg *cfg, enum cli_opt_id id)
{
	switch (id) {
	case CLI_OPT_VAULT:
		cfg->n_vaults = 0;
		break;
	case CLI_OPT_INVENTORY:
		cfg->n_inventories = 0;
		break;
	case CLI_OPT_SUBSCRIPTION:
		cfg->n_subscriptions = 0;
		break;
	case CLI_OPT_DNS_SERVER:
		cfg->n_dns_servers = 0;
		break;
	case CLI_OPT_VANTAGE:
		cfg->n_vantages = 0;
		cfg->vantage_off = false;
		break;
	case CLI_OPT_PRIVATE_CIDR:
		cfg->n_private_cidrs = 0;
		break;
	case CLI_OPT_REPORT:
		cfg->n_reports = 0;
		break;
	case CLI_OPT_VNET:
		cfg->n_vnet_ids = 0;
		cfg->vnet_id = NULL;
		break;
	default:
		break;
	}
}

static int
find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < KV_ARRAY_LEN(opt_table); i++)
		if (strlen(opt_table[i].name) == len && strncmp(opt_table[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static int
find_short(char c)
{
	for (size_t i = 0; i < KV_ARRAY_LEN(opt_table); i++)
		if (opt_table[i].short_name == c && c != 0)
			return (int)i;
	return -1;
}

static const char *
cmd_name(enum cli_cmd cmd)
{
	switch (cmd) {
	case CLI_CMD_CHECK:
		return "check";
	case CLI_CMD_AGENT:
		return "agent";
	case CLI_CMD_RESOLVE:
		return "resolve";
	case CLI_CMD_TRACE:
		return "trace";
	default:
		return "kvpe";
	}
}

static unsigned
cmd_mask(enum cli_cmd cmd)
{
	return cmd == CLI_CMD_CHECK ? CLI_C : cmd == CLI_CMD_AGENT ? CLI_A : cmd == CLI_CMD_RESOLVE ? CLI_R
	    : cmd == CLI_CMD_TRACE ? CLI_T : 0;
}

/* ---- config file ---- */

static enum kv_err
config_value(struct kv_cfg *cfg, enum cli_opt_id id, const cJSON *item, const char *path, char *err, size_t size)
{
	char num[32];

	if (cJSON_IsString(item))
		return apply(cfg, id, item->valuestring, err, size);
	if (cJSON_IsNumber(item)) {
		snprintf(num, sizeof(num), "%.0f", item->valuedouble);
		return apply(cfg, id, num, err, size);
	}
	if (cJSON_IsBool(item) && opt_table[id].arg == NULL) {
		if (cJSON_IsTrue(item))
			return apply(cfg, id, "", err, size);
		if (id == CLI_OPT_NO_COLOR)
			cfg->color = true;
		return KV_OK;
	}
	return fail(err, size, "%s: \"%s\" has the wrong type", path, opt_table[id].name);
}

/* The options of a config document; `path` names it in messages. */
static enum kv_err
config_apply(struct kv_cfg *cfg, const char *text, size_t len, const char *path, char *err, size_t size)
{
	cJSON *root = NULL;
	const cJSON *item;
	char perr[200];
	enum kv_err rc = KV_OK;

	/* One object, nothing after it: a second object would be ignored. */
	if (jr_parse(text, len, &root, perr, sizeof(perr)) != KV_OK) {
		rc = fail(err, size, "--config %s: %s", path, perr);
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		rc = fail(err, size, "--config %s: not a JSON object", path);
		goto out;
	}
	cJSON_ArrayForEach(item, root) {
		char key[64];
		int id;
		size_t kl = strlen(item->string);
		if (kl >= sizeof(key)) {
			rc = fail(err, size, "%s: unknown option \"%.40s...\"", path, item->string);
			goto out;
		}
		for (size_t i = 0; i <= kl; i++)
			key[i] = item->string[i] == '_' ? '-' : item->string[i];
		id = find_long(key, kl);
		if (id < 0 || id == CLI_OPT_CONFIG || id == CLI_OPT_HELP || id == CLI_OPT_VERSION) {
			rc = fail(err, size, "%s: unknown option \"%s\"", path, item->string);
			goto out;
		}
		if (cJSON_IsArray(item)) {
			const cJSON *el;
			if (!opt_table[id].repeatable) {
				rc = fail(err, size, "%s: \"%s\" takes one value, not a list", path, item->string);
				goto out;
			}
			cJSON_ArrayForEach(el, item) {
				if ((rc = config_value(cfg, (enum cli_opt_id)id, el, path, err, size)) != KV_OK)
					goto out;
			}
		} else if ((rc = config_value(cfg, (enum cli_opt_id)id, item, path, err, size)) != KV_OK) {
			goto out;
		}
	}
out:
	cJSON_Delete(root);
	return rc;
}

static enum kv_err
config_load(struct kv_cfg *cfg, const char *path, char *err, size_t size)
{
	struct stat st;
	char *text = NULL, rerr[160];
	size_t len = 0;
	enum kv_err rc;

	if ((rc = kv_read_file(path, CLI_CONFIG_MAX, &text, &len, rerr, sizeof(rerr))) != KV_OK) {
		if (rc == KV_ENOMEM)
			return rc;
		return fail(err, size, "--config %s: %s", path, rerr);
	}
	/* Others could change what this agent checks, or where it writes. */
	if (stat(path, &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)))
		fprintf(stderr, "kvpe: warning: --config %s is writable by other users (mode %04o); chmod go-w it\n", path,
		    (unsigned)(st.st_mode & 07777));
	rc = config_apply(cfg, text, len, path, err, size);
	free(text);
	return rc;
}

/* The first config file that exists, or NULL in *out (none: defaults). */
static enum kv_err
default_config_path(struct kv_arena *a, const char **out)
{
	const char *env = getenv("KVPE_CONFIG");
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	const char *cand[3] = {NULL, NULL, "/etc/kvpe/config.json"};

	*out = NULL;
	if (env != NULL && env[0] != '\0') {
		*out = env;
		return KV_OK;
	}
	/* A path we could not build must not skip the user's file silently. */
	if (xdg != NULL && xdg[0] != '\0' && (cand[0] = kv_arena_printf(a, "%s/kvpe/config.json", xdg)) == NULL)
		return KV_ENOMEM;
	if ((xdg == NULL || xdg[0] == '\0') && home != NULL && home[0] != '\0' &&
	    (cand[1] = kv_arena_printf(a, "%s/.config/kvpe/config.json", home)) == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < KV_ARRAY_LEN(cand); i++) {
		if (cand[i] != NULL && access(cand[i], R_OK) == 0) {
			*out = cand[i];
			break;
		}
	}
	return KV_OK;
}

/* ---- argv ---- */

/* A configuration holding the defaults. */
static struct kv_cfg *
cfg_new(void)
{
	struct kv_cfg *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL || (cfg->arena = kv_arena_new(16 * 1024)) == NULL) {
		free(cfg);
		return NULL;
	}
	cfg->cloud = KV_CLOUD_PUBLIC;
	cfg->dns_qps = 900;
	cfg->probe = KV_PROBE_HTTPS;
	cfg->format = REPORT_JSON;
	cfg->color = true;
	cfg->concurrency = 200;
	cfg->timeout_ms = 5000;
	cfg->interval_ms = 5 * 60 * 1000;
	cfg->stale_after_ms = -1;
	cfg->arm_timeout_ms = 60 * 1000;
	cfg->listen = "127.0.0.1:9712";
	cfg->log_level = KV_LOG_INFO;
	cfg->log_format = KV_LOG_TEXT;
	return cfg;
}

static enum kv_err
add_name(struct kv_cfg *cfg, const char *name, char *err, size_t size)
{
	const char **nv;
	size_t n = strlen(name);

	if (cfg->cmd == CLI_CMD_TRACE && cfg->n_names > 0)
		return fail(err, size, "trace: unexpected argument '%s': trace takes one vault NAME", name);
	/* One trailing dot is the root (resolve compares without it); an
	 * empty label (".", "..", "a..b", ".a") names nothing. */
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || name[0] == '.' || name[n - 1] == '.' || strstr(name, "..") != NULL)
		return fail(err, size, "%s: '%s' is not a DNS name (empty label)", cmd_name(cfg->cmd), name);
	nv = kv_arena_calloc(cfg->arena, cfg->n_names + 1, sizeof(*nv));
	if (nv == NULL)
		return KV_ENOMEM;
	if (cfg->n_names > 0)
		memcpy(nv, cfg->names, cfg->n_names * sizeof(*nv));
	nv[cfg->n_names++] = kv_arena_strdup(cfg->arena, name);
	cfg->names = nv;
	return nv[cfg->n_names - 1] ? KV_OK : KV_ENOMEM;
}

/* Standard input can be read once: `--inventory -` at most once. */
static enum kv_err
check_stdin(const struct kv_cfg *cfg, char *err, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_inventories; i++)
		n += strcmp(cfg->inventories[i], "-") == 0;
	if (n > 1)
		return fail(err, size, "--inventory - given %zu times: standard input can be read only once", n);
	return KV_OK;
}

/* An option of the command line, applied after the config file. */
struct pending {
	enum cli_opt_id id;
	const char *value;
};

/* The command, argv[1]: *stop when it is --help or --version (nothing
 * follows). */
static enum kv_err
scan_command(struct kv_cfg *cfg, int argc, char **argv, bool *stop, char *err, size_t size)
{
	*stop = false;
	if (argc < 2)
		return fail(err, size, "missing command: expected check, agent, resolve or trace (see kvpe --help)");
	if (strcmp(argv[1], "check") == 0) {
		cfg->cmd = CLI_CMD_CHECK;
	} else if (strcmp(argv[1], "agent") == 0) {
		cfg->cmd = CLI_CMD_AGENT;
	} else if (strcmp(argv[1], "resolve") == 0) {
		cfg->cmd = CLI_CMD_RESOLVE;
	} else if (strcmp(argv[1], "trace") == 0) {
		cfg->cmd = CLI_CMD_TRACE;
	} else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		cfg->cmd = CLI_CMD_HELP;
		*stop = true;
	} else if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "version") == 0) {
		cfg->cmd = CLI_CMD_VERSION;
		*stop = true;
	} else {
		return fail(err, size, "unknown command '%s': expected check, agent, resolve or trace (see kvpe --help)", argv[1]);
	}
	return KV_OK;
}

/* resolve NAME..., trace NAME */
static bool
takes_names(enum cli_cmd cmd)
{
	return cmd == CLI_CMD_RESOLVE || cmd == CLI_CMD_TRACE;
}

/* The options after the command into pend[] (applied later, over the
 * config file), resolve's names into cfg; --config is noted at once.
 * *stop at --help after the command: nothing else is read. */
static enum kv_err
scan_argv(struct kv_cfg *cfg, int argc, char **argv, struct pending *pend, size_t *n_pend, bool *stop, char *err,
    size_t size)
{
	enum kv_err rc;

	*stop = false;
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i], *val = NULL;
		int id;
		if (strcmp(arg, "--") == 0) {
			for (i++; i < argc; i++) {
				if (!takes_names(cfg->cmd))
					return fail(err, size, "%s: unexpected argument '%s'", cmd_name(cfg->cmd), argv[i]);
				if ((rc = add_name(cfg, argv[i], err, size)) != KV_OK)
					return rc;
			}
			break;
		}
		if (strncmp(arg, "--", 2) == 0) {
			const char *eq = strchr(arg + 2, '=');
			size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
			id = find_long(arg + 2, len);
			if (id < 0)
				return fail(err, size, "%s: unknown option '%.*s' (see kvpe %s --help)", cmd_name(cfg->cmd),
				    (int)(len + 2), arg, cmd_name(cfg->cmd));
			if (eq != NULL)
				val = eq + 1;
		} else if (arg[0] == '-' && arg[1] != '\0' && arg[2] == '\0') {
			id = find_short(arg[1]);
			if (id < 0)
				return fail(err, size, "%s: unknown option '%s' (see kvpe %s --help)", cmd_name(cfg->cmd), arg,
				    cmd_name(cfg->cmd));
		} else {
			if (!takes_names(cfg->cmd))
				return fail(err, size, "%s: unexpected argument '%s'", cmd_name(cfg->cmd), arg);
			if ((rc = add_name(cfg, arg, err, size)) != KV_OK)
				return rc;
			continue;
		}
		if (!(opt_table[id].cmds & cmd_mask(cfg->cmd)))
			return fail(err, size, "%s: option --%s does not apply to this command", cmd_name(cfg->cmd),
			    opt_table[id].name);
		if (opt_table[id].arg != NULL && val == NULL) {
			if (i + 1 >= argc)
				return fail(err, size, "--%s needs a value: %s", opt_table[id].name, opt_table[id].arg);
			val = argv[++i];
		} else if (opt_table[id].arg == NULL && val != NULL) {
			return fail(err, size, "--%s takes no value", opt_table[id].name);
		}
		if (id == CLI_OPT_HELP) {
			cfg->help = true; /* `kvpe check --help`: that command's options */
			*stop = true;
			return KV_OK;
		}
		if (id == CLI_OPT_VERSION) {
			cfg->version = true; /* for plugins: `kvpe check --version` */
			*stop = true;
			return KV_OK;
		}
		if (id == CLI_OPT_CONFIG && (rc = kv_arena_strdup_to(cfg->arena, val, &cfg->config_path)) != KV_OK)
			return rc;
		pend[*n_pend].id = (enum cli_opt_id)id;
		pend[*n_pend].value = val ? val : "";
		(*n_pend)++;
	}
	return KV_OK;
}

/* Precedence: the config file (--config, else the first default one that
 * exists; resolve reads only --config), then the environment, then the
 * flags, a list on the command line replacing the file's; then what holds
 * only for the whole (stdin once, AZURE_SUBSCRIPTION_ID as the fallback
 * source, the agent's logfmt, resolve's names). */
static enum kv_err
merge(struct kv_cfg *cfg, const struct pending *pend, size_t n_pend, char *err, size_t size)
{
	bool seen[CLI_OPT_COUNT] = {false};
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
	const char *env_sub = getenv("AZURE_SUBSCRIPTION_ID");
	enum kv_err rc;

	if (cfg->config_path == NULL && cfg->cmd != CLI_CMD_RESOLVE &&
	    (rc = default_config_path(cfg->arena, &cfg->config_path)) != KV_OK)
		return rc;
	if (cfg->config_path != NULL) {
		if ((rc = kv_arena_strdup_to(cfg->arena, cfg->config_path, &cfg->config_path)) != KV_OK ||
		    (rc = config_load(cfg, cfg->config_path, err, size)) != KV_OK)
			return rc;
	}
	/* Environment, between the config file and the flags. */
	if ((no_color != NULL && no_color[0] != '\0') || (term != NULL && strcmp(term, "dumb") == 0))
		cfg->color = false;
	for (size_t k = 0; k < n_pend; k++) {
		if (opt_table[pend[k].id].repeatable && !seen[pend[k].id])
			clear_list(cfg, pend[k].id); /* flags replace the config file's list */
		seen[pend[k].id] = true;
		if ((rc = apply(cfg, pend[k].id, pend[k].value, err, size)) != KV_OK)
			return rc;
	}
	if ((rc = check_stdin(cfg, err, size)) != KV_OK)
		return rc;
	if (cfg->n_subscriptions == 0 && env_sub != NULL && env_sub[0] != '\0' && cfg->n_inventories == 0 &&
	    cfg->n_vaults == 0 && (rc = apply(cfg, CLI_OPT_SUBSCRIPTION, env_sub, err, size)) != KV_OK)
		return rc;
	/* The agent logs logfmt lines unless told otherwise (log collectors). */
	if (cfg->cmd == CLI_CMD_AGENT && !cfg->log_format_set)
		cfg->log_format = KV_LOG_LOGFMT;
	if (cfg->cmd == CLI_CMD_RESOLVE && cfg->n_names == 0)
		return fail(err, size, "resolve: expected at least one NAME");
	if (cfg->cmd == CLI_CMD_TRACE && cfg->n_names == 0)
		return fail(err, size, "trace: expected a vault NAME (name, hsm:NAME or FQDN)");
	return KV_OK;
}

enum kv_err
cli_parse(int argc, char **argv, struct kv_cfg **out, char *err, size_t size)
{
	struct kv_cfg *cfg = NULL;
	struct pending *pend = NULL;
	size_t n_pend = 0;
	bool stop = false;
	enum kv_err rc = KV_OK;

	err[0] = '\0';
	if ((cfg = cfg_new()) == NULL || (pend = calloc((size_t)argc + 1, sizeof(*pend))) == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	if ((rc = scan_command(cfg, argc, argv, &stop, err, size)) != KV_OK || stop)
		goto out;
	if ((rc = scan_argv(cfg, argc, argv, pend, &n_pend, &stop, err, size)) != KV_OK || stop)
		goto out;
	rc = merge(cfg, pend, n_pend, err, size);
out:
	free(pend);
	if (rc != KV_OK) {
		cli_free(cfg);
		return rc;
	}
	*out = cfg;
	return KV_OK;
}

enum kv_err
cli_parse_config_text(enum cli_cmd cmd, const char *text, size_t len, struct kv_cfg **out, char *err, size_t size)
{
	struct kv_cfg *cfg = cfg_new();
	enum kv_err rc;

	if (cfg == NULL)
		return KV_ENOMEM;
	cfg->cmd = cmd;
	err[0] = '\0';
	rc = config_apply(cfg, text, len, "config", err, size);
	if (rc == KV_OK)
		rc = check_stdin(cfg, err, size);
	if (rc != KV_OK) {
		cli_free(cfg);
		return rc;
	}
	*out = cfg;
	return KV_OK;
}

void
cli_free(struct kv_cfg *cfg)
{
	if (cfg == NULL)
		return;
	kv_arena_free(cfg->arena);
	free(cfg);
}

void
cli_check_cfg(const struct kv_cfg *cfg, struct check_cfg *out)
{
	memset(out, 0, sizeof(*out));
	out->inventories = cfg->inventories;
	out->n_inventories = cfg->n_inventories;
	out->subscriptions = cfg->subscriptions;
	out->n_subscriptions = cfg->n_subscriptions;
	out->expect.cloud = cfg->cloud;
	out->expect.vnet_id = cfg->vnet_id;
	out->vnet_ids = cfg->vnet_ids;
	out->n_vnet_ids = cfg->n_vnet_ids;
	out->expect.vaults = cfg->vaults;
	out->expect.n_vaults = cfg->n_vaults;
	out->arm_endpoint = cfg->arm_endpoint;
	out->arm_timeout_ms = cfg->arm_timeout_ms;
	out->dns_servers = cfg->dns_servers;
	out->n_dns_servers = cfg->n_dns_servers;
	out->vantages = cfg->vantages;
	out->n_vantages = cfg->n_vantages;
	out->vantage_off = cfg->vantage_off;
	out->dns_qps = cfg->dns_qps;
	out->concurrency = cfg->concurrency;
	out->timeout_ms = cfg->timeout_ms;
	out->probe = cfg->probe;
	out->ca_file = cfg->ca_file;
	out->private_cidrs = cfg->private_cidrs;
	out->n_private_cidrs = cfg->n_private_cidrs;
}

int64_t
cli_stale_after_ms(const struct kv_cfg *cfg)
{
	if (cfg->stale_after_ms >= 0)
		return cfg->stale_after_ms;
	return cfg->interval_ms > INT64_MAX / 3 ? INT64_MAX : 3 * cfg->interval_ms;
}

/* An option's help for `cmd`: {formats} becomes the formats it writes,
 * {log-format} its default log format (the agent's is logfmt). */
static void
help_expand(const char *help, enum cli_cmd cmd, char *buf, size_t size)
{
	size_t o = 0;

	while (*help != '\0' && o + 1 < size) {
		char val[128];
		const char *v = NULL;
		size_t skip = 0;
		if (strncmp(help, "{formats}", 9) == 0) {
			format_list(takes_names(cmd) ? cmd : CLI_CMD_CHECK, val, sizeof(val));
			v = val;
			skip = 9;
		} else if (strncmp(help, "{log-format}", 12) == 0) {
			v = cmd == CLI_CMD_AGENT ? "logfmt" : "text";
			skip = 12;
		}
		if (v == NULL) {
			buf[o++] = *help++;
			continue;
		}
		for (; *v != '\0' && o + 1 < size; v++)
			buf[o++] = *v;
		help += skip;
	}
	buf[o] = '\0';
}

void
cli_usage(FILE *f, enum cli_cmd cmd)
{
	unsigned mask = cmd_mask(cmd);

	if (mask == 0) {
		fprintf(f,
		    "kvpe %s — prove Azure Key Vaults are reachable only through their private endpoints\n\n"
		    "usage:\n"
		    "  kvpe check   [SOURCES] [DNS] [PROBE] [OUTPUT]   one-shot validation (exit 0 pass, 1 findings, 2 error)\n"
		    "  kvpe agent   [SOURCES] [DNS] [PROBE] --interval 5m [--listen ADDR:PORT] [--textfile FILE]\n"
		    "  kvpe resolve NAME... [DNS]                      diagnose the DNS of names, no ARM\n"
		    "  kvpe trace   NAME [SOURCES] [DNS]               one vault's DNS path, hop by hop, per VNet\n"
		    "  kvpe --help | --version\n\n"
		    "Run 'kvpe check --help' (or agent, resolve, trace) for the options of a command.\n"
		    "Without --vault or --inventory, check and agent read the live ARM inventory with the\n"
		    "Azure credential chain (environment, workload identity, managed identity, Azure CLI).\n",
		    KV_VERSION);
		return;
	}
	fprintf(f, "usage: kvpe %s %s[OPTIONS]\n\noptions:\n", cmd_name(cmd),
	    cmd == CLI_CMD_RESOLVE ? "NAME... " : cmd == CLI_CMD_TRACE ? "NAME " : "");
	for (size_t i = 0; i < KV_ARRAY_LEN(opt_table); i++) {
		const struct cli_opt_info *o = &opt_table[i];
		char left[64], help[512];
		if (!(o->cmds & mask))
			continue;
		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
			    o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		help_expand(o->help, cmd, help, sizeof(help));
		fprintf(f, "  %-30s %s%s\n", left, help, o->repeatable ? " (repeatable)" : "");
	}
	if (cmd == CLI_CMD_CHECK)
		fprintf(f, "\nexit status: 0 every vault passed, 1 a vault failed or could not be checked,\n"
			   "2 the run could not proceed (usage, unreadable input, no credential, ARM unreachable)\n");
	if (cmd == CLI_CMD_TRACE)
		fprintf(f, "\nexit status: 0 the path is right in every VNet in scope, 1 a hop is wrong (or the vault\n"
			   "fails), 2 it could not run (usage, unknown vault, sources not read)\n");
}
