/* test_cli.c — the tool's command line: argv + config file precedence, a
 * list option on the command line replacing the file's, usage errors that
 * say the allowed range, --help after a command, standard input read once,
 * resolve's names.  It links the tool archive (libkvpe-tool.a); the other
 * unit tests link the library alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kvpe/check.h"
#include "kvpe/cli.h"

static void
test_argv_and_config(void **state)
{
	char path[] = "/tmp/kvpe-cfg-XXXXXX";
	int fd = mkstemp(path);
	const char *json = "{\"vault\": [\"from-config\"], \"dns_qps\": 50, \"probe\": \"tcp\", \"no-color\": true,"
			   " \"dns-server\": \"127.0.0.1:5353\"}";
	char err[256];
	struct kv_cfg *cfg = NULL;
	char *argv1[] = {"kvpe", "check", "--config", path, "--vault", "from-flags", "--dns-qps=7", NULL};
	char *argv2[] = {"kvpe", "check", "--config", path, NULL};
	char *argv3[] = {"kvpe", "check", "--vault", "kv-1", "--timeout", "50", NULL};
	char *argv4[] = {"kvpe", "check", "--help", NULL};
	char *argv5[] = {"kvpe", "check", "--inventory", "-", "--inventory", "-", NULL};
	char *argv6[] = {"kvpe", "resolve", "contoso.vault.azure.net.", "kv1.", NULL};
	char *argv7[] = {"kvpe", "resolve", "..", NULL};

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	/* flags beat the file; a repeated option on the command line replaces the file's list */
	assert_int_equal(cli_parse(7, argv1, &cfg, err, sizeof(err)), KV_OK);
	assert_int_equal(cfg->n_vaults, 1);
	assert_string_equal(cfg->vaults[0].name, "from-flags");
	assert_int_equal(cfg->dns_qps, 7);
	assert_int_equal(cfg->probe, KV_PROBE_TCP);
	assert_false(cfg->color);
	assert_int_equal(cfg->n_dns_servers, 1);
	cli_free(cfg);
	assert_int_equal(cli_parse(4, argv2, &cfg, err, sizeof(err)), KV_OK);
	assert_string_equal(cfg->vaults[0].name, "from-config");
	assert_int_equal(cfg->dns_qps, 50);
	cli_free(cfg);
	assert_int_equal(cli_parse(6, argv3, &cfg, err, sizeof(err)), KV_EUSAGE);
	assert_non_null(strstr(err, "--timeout '50': expected a duration from 100ms to 10m"));
	assert_int_equal(cli_parse(3, argv4, &cfg, err, sizeof(err)), KV_OK);
	assert_true(cfg->help);
	cli_free(cfg);
	/* standard input can be read once */
	assert_int_equal(cli_parse(6, argv5, &cfg, err, sizeof(err)), KV_EUSAGE);
	assert_string_equal(err, "--inventory - given 2 times: standard input can be read only once");
	assert_int_equal(cli_parse(4, argv6, &cfg, err, sizeof(err)), KV_OK);
	assert_int_equal(cfg->n_names, 2);
	cli_free(cfg);
	assert_int_equal(cli_parse(3, argv7, &cfg, err, sizeof(err)), KV_EUSAGE);
	assert_non_null(strstr(err, "'..' is not a DNS name"));
	unlink(path);
}

/* argv for cli_parse; returns the parse result and frees nothing. */
static enum kv_err
parse_args(struct kv_cfg **cfg, char *err, size_t size, int argc, ...)
{
	char *argv[16];
	va_list ap;

	va_start(ap, argc);
	for (int i = 0; i < argc && i < 16; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	return cli_parse(argc, argv, cfg, err, size);
}

/* --timeout: a bare number is milliseconds (as it always was), a duration
 * is a duration; 100ms to 10m either way. */
static void
test_timeout_option(void **state)
{
	static const struct {
		const char *arg;
		unsigned ms; /* 0: refused */
	} cases[] = {{"5000", 5000}, {"100", 100}, {"600000", 600000}, {"5s", 5000}, {"500ms", 500},
	    {"1m30s", 90000}, {"10m", 600000}, {"99", 0}, {"99ms", 0}, {"600001", 0}, {"11m", 0}, {"-1", 0},
	    {"5x", 0}, {"", 0}, {"s", 0}};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kv_cfg *cfg = NULL;
		enum kv_err rc = parse_args(&cfg, err, sizeof(err), 6, "kvpe", "check", "--vault", "kv-1", "--timeout",
		    (char *)cases[i].arg);
		if (cases[i].ms == 0) {
			assert_int_equal(rc, KV_EUSAGE);
			assert_non_null(strstr(err, "expected a duration from 100ms to 10m"));
		} else {
			assert_int_equal(rc, KV_OK);
			assert_int_equal(cfg->timeout_ms, cases[i].ms);
			cli_free(cfg);
		}
	}
}

/* --vnet is repeatable: every VNet in order, each once (IDs compare without
 * case), the first kept for ZONE_NOT_LINKED; a config file's string or list,
 * replaced by the flags. */
static void
test_vnet_repeatable(void **state)
{
#define VN(x) "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/" x
	char path[] = "/tmp/kvpe-cfg-XXXXXX";
	int fd = mkstemp(path);
	const char *json = "{\"vault\": [\"kv-1\"], \"vnet\": [\"" VN("c1") "\", \"" VN("c2") "\"]}";
	struct kv_cfg *cfg = NULL;
	struct check_cfg cc;
	char err[256];

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	if (parse_args(&cfg, err, sizeof(err), 10, "kvpe", "check", "--vault", "kv-1", "--vnet", VN("hub"), "--vnet",
		VN("spoke"), "--vnet", VN("HUB")) != KV_OK)
		print_error("%s\n", err);
	assert_non_null(cfg);
	assert_int_equal(cfg->n_vnet_ids, 2);
	assert_string_equal(cfg->vnet_ids[1], VN("spoke"));
	cli_check_cfg(cfg, &cc);
	assert_int_equal(cc.n_vnet_ids, 2);
	assert_string_equal(cc.vnet_ids[0], VN("hub"));
	assert_string_equal(cc.expect.vnet_id, VN("hub"));
	cli_free(cfg);
	assert_int_equal(parse_args(&cfg, err, sizeof(err), 4, "kvpe", "check", "--config", path), KV_OK);
	assert_int_equal(cfg->n_vnet_ids, 2);
	assert_string_equal(cfg->vnet_id, VN("c1"));
	cli_free(cfg);
	assert_int_equal(parse_args(&cfg, err, sizeof(err), 6, "kvpe", "check", "--config", path, "--vnet", VN("f")),
	    KV_OK);
	assert_int_equal(cfg->n_vnet_ids, 1);
	assert_string_equal(cfg->vnet_id, VN("f"));
	cli_free(cfg);
	assert_int_equal(parse_args(&cfg, err, sizeof(err), 6, "kvpe", "check", "--vault", "kv-1", "--vnet", "hub"),
	    KV_EUSAGE);
	assert_non_null(strstr(err, "--vnet 'hub': expected a VNet resource ID"));
	unlink(path);
#undef VN
}

/* --format takes what the command writes (one table): resolve table and
 * json only; --report every check format; --version after a command. */
static void
test_formats_per_command(void **state)
{
	struct kv_cfg *cfg = NULL;
	char err[256];

	(void)state;
	assert_int_equal(parse_args(&cfg, err, sizeof(err), 5, "kvpe", "resolve", "--format", "sarif", "x.example"),
	    KV_EUSAGE);
	assert_string_equal(err, "--format 'sarif': expected table or json");
	assert_int_equal(parse_args(&cfg, err, sizeof(err), 5, "kvpe", "check", "--format", "yaml", "--vault=kv-1"),
	    KV_EUSAGE);
	assert_string_equal(err, "--format 'yaml': expected table, json, jsonl, junit, sarif, prometheus or nagios");
	assert_int_equal(parse_args(&cfg, err, sizeof(err), 5, "kvpe", "resolve", "--format", "json", "x.example"),
	    KV_OK);
	assert_int_equal(cfg->format, REPORT_JSON);
	cli_free(cfg);
	assert_int_equal(parse_args(&cfg, err, sizeof(err), 5, "kvpe", "check", "--report", "nagios=/dev/null",
			     "--vault=kv-1"),
	    KV_OK);
	cli_free(cfg);
	assert_true(cli_format_for(REPORT_NAGIOS, CLI_CMD_CHECK));
	assert_false(cli_format_for(REPORT_NAGIOS, CLI_CMD_RESOLVE));
	assert_false(cli_format_for(REPORT_JSON, CLI_CMD_AGENT));
	assert_int_equal(parse_args(&cfg, err, sizeof(err), 4, "kvpe", "check", "--version", "--bogus"), KV_OK);
	assert_true(cfg->version);
	cli_free(cfg);
	assert_int_equal(parse_args(&cfg, err, sizeof(err), 4, "kvpe", "check", "--sarif-category", "a/b/"), KV_OK);
	assert_string_equal(cfg->sarif_category, "a/b/");
	cli_free(cfg);
}

/* `kvpe CMD --help`, malloc'd. */
static char *
usage_text(enum cli_cmd cmd)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	cli_usage(f, cmd);
	fclose(f);
	return text;
}

/* Help says per command what it takes and what its default is. */
static void
test_help_per_command(void **state)
{
	char *text = usage_text(CLI_CMD_RESOLVE);

	(void)state;
	assert_non_null(strstr(text, "--format FMT               table or json (default: table on a terminal"));
	assert_non_null(strstr(text, "text or logfmt (default: text;"));
	assert_null(strstr(text, "{"));
	free(text);
	text = usage_text(CLI_CMD_AGENT);
	assert_non_null(strstr(text, "text or logfmt (default: logfmt;"));
	free(text);
	text = usage_text(CLI_CMD_CHECK);
	assert_non_null(strstr(text, "table, json, jsonl, junit, sarif, prometheus or nagios (default"));
	assert_null(strstr(text, "(repeatable) (repeatable)"));
	assert_null(strstr(text, "DNS only"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_argv_and_config), cmocka_unit_test(test_timeout_option), cmocka_unit_test(test_vnet_repeatable),
	    cmocka_unit_test(test_formats_per_command), cmocka_unit_test(test_help_per_command),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
