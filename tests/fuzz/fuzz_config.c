/* fuzz_config.c — the JSON config file (--config, agent reloads on SIGHUP)
 * through cli_parse_config_text, for `kvpe agent` and `kvpe check`.
 *
 * Properties: no crash, no leak (cli_free releases everything); a usage
 * error has a NUL-terminated, non-empty message; what a successful parse
 * holds is consistent (lists with their counts, values in their ranges). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "kvpe/cli.h"

static void
run(enum cli_cmd cmd, const char *text, size_t len)
{
	struct kv_cfg *cfg = NULL;
	char err[256];
	enum kv_err rc;

	memset(err, 'x', sizeof(err));
	rc = cli_parse_config_text(cmd, text, len, &cfg, err, sizeof(err));
	if (rc != KV_OK) {
		FZ_CHECK(cfg == NULL);
		FZ_CHECK(fz_terminated(err, sizeof(err)));
		FZ_CHECK(rc != KV_EUSAGE || err[0] != '\0');
		return;
	}
	FZ_CHECK(cfg != NULL && cfg->arena != NULL);
	for (size_t i = 0; i < cfg->n_vaults; i++) {
		FZ_CHECK(cfg->vaults[i].name != NULL);
		FZ_CHECK(cfg->vaults[i].n_addrs == 0 || cfg->vaults[i].addrs != NULL);
	}
	for (size_t i = 0; i < cfg->n_inventories; i++)
		FZ_CHECK(cfg->inventories[i] != NULL);
	for (size_t i = 0; i < cfg->n_subscriptions; i++)
		FZ_CHECK(cfg->subscriptions[i] != NULL);
	for (size_t i = 0; i < cfg->n_private_cidrs; i++)
		FZ_CHECK(cfg->private_cidrs[i].bits <= (cfg->private_cidrs[i].base.family == 4 ? 32 : 128));
	for (size_t i = 0; i < cfg->n_reports; i++)
		FZ_CHECK(cfg->reports[i].path != NULL);
	FZ_CHECK(cfg->n_dns_servers == 0 || cfg->dns_servers != NULL);
	FZ_CHECK(cfg->concurrency >= 1);
	FZ_CHECK(cfg->listen != NULL);
	cli_free(cfg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_cstr(data, size);

	if (text == NULL)
		return 0;
	run(CLI_CMD_AGENT, text, size);
	run(CLI_CMD_CHECK, text, size);
	free(text);
	return 0;
}
