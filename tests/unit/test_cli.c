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
	assert_non_null(strstr(err, "--timeout: '50' is not a number from 100 to 600000 (milliseconds)"));
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_argv_and_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
