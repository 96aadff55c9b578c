/* fuzz_inventory.c — the inventory JSON loader (ARM list pages with
 * nextLink, arrays, single resources, the `az network ...` flattened shape,
 * Resource Graph {"data": [...]}) and the joins that turn it into targets;
 * then the same bytes as a saved file of several documents.
 *
 * Properties: no crash, no leak; an error message is NUL-terminated and
 * non-empty; loading the same document again merges by ID (counts do not
 * change); every target has its names filled.  As a file: a page that
 * loads with resources loads the same as a one-document file; an error
 * names the file and an offset within the input (the end, for a document
 * cut off). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kvpe/arena.h"
#include "kvpe/expect.h"
#include "kvpe/inv.h"

static void
exercise_targets(const struct kv_inv *inv, const struct expect_cfg *cfg)
{
	struct kv_arena *a = kv_arena_new(64 * 1024);
	const char **ids = NULL;
	size_t n = 0;

	if (a == NULL)
		return;
	for (size_t i = 0; i < inv_vault_count(inv); i++) {
		struct kv_target t;
		if (expect_target(inv, i, cfg, a, &t) != KV_OK)
			continue;
		FZ_CHECK(t.name != NULL && t.fqdn != NULL && t.pl_fqdn != NULL && t.pl_zone != NULL);
		FZ_CHECK(t.n_endpoints == 0 || t.endpoints != NULL);
		FZ_CHECK(t.n_expected == 0 || t.expected != NULL);
		for (size_t k = 0; k < t.n_endpoints; k++)
			FZ_CHECK(t.endpoints[k].n_addrs == 0 || t.endpoints[k].addrs != NULL);
		for (size_t k = 0; k < t.n_zones; k++)
			FZ_CHECK(t.zones[k].n_addrs == 0 || t.zones[k].addrs != NULL);
	}
	if (inv_missing_endpoints(inv, a, &ids, &n) == KV_OK) {
		for (size_t i = 0; i < n; i++)
			FZ_CHECK(ids[i] != NULL);
	}
	if (inv_missing_nics(inv, a, &ids, &n) == KV_OK) {
		for (size_t i = 0; i < n; i++)
			FZ_CHECK(ids[i] != NULL);
	}
	for (size_t i = 0; i < inv_zone_count(inv); i++)
		FZ_CHECK(inv_zone_at(inv, i)->id != NULL);
	kv_arena_free(a);
}

/* The number after `key` in err, or SIZE_MAX when absent. */
static size_t
number_after(const char *err, const char *key)
{
	const char *p = strstr(err, key);

	return p != NULL ? (size_t)strtoull(p + strlen(key), NULL, 10) : SIZE_MAX;
}

/* The input as --inventory FILE reads it: every document.  `page` is the
 * resource count of the one-document load, SIZE_MAX when it failed. */
static void
load_as_file(const char *text, size_t size, size_t page)
{
	struct kv_inv *inv = NULL;
	struct inv_json_stats st;
	char err[256];
	enum kv_err rc;

	if (inv_new(NULL, &inv) != KV_OK)
		return;
	memset(err, 'x', sizeof(err));
	memset(&st, 0, sizeof(st));
	rc = inv_json_load_text(inv, text, size, "fuzz", &st, err, sizeof(err));
	if (rc == KV_EPARSE) {
		size_t at = number_after(err, "at byte "), cut = number_after(err, "is cut off at byte ");
		FZ_CHECK(fz_terminated(err, sizeof(err)) && strncmp(err, "--inventory fuzz: ", 18) == 0);
		FZ_CHECK(at == SIZE_MAX || at <= size);
		FZ_CHECK(cut == SIZE_MAX || cut == size);
		FZ_CHECK(page == SIZE_MAX || page == 0);
	} else if (rc == KV_OK) {
		FZ_CHECK(st.documents >= 1 && st.resources + st.skipped >= 1);
		FZ_CHECK(st.skipped == 0 || st.skipped_type != NULL);
		FZ_CHECK(page == SIZE_MAX || (st.documents == 1 && st.resources == page));
	}
	inv_free(inv);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kv_inv *inv = NULL;
	struct expect_cfg cfg;
	const char *next = NULL;
	char err[256];
	char *text = fz_cstr(data, size);
	size_t n = 0, nv, npe, nnic, nzone;
	enum kv_err rc;

	if (text == NULL || inv_new(NULL, &inv) != KV_OK)
		goto out;
	err[0] = '\0';
	rc = inv_json_load(inv, text, size, "fuzz", &next, &n, err, sizeof(err));
	load_as_file(text, size, rc == KV_OK ? n : SIZE_MAX);
	if (rc != KV_OK) {
		/* inv.h: on KV_EPARSE, err says what was wrong. */
		FZ_CHECK(rc != KV_EPARSE || (fz_terminated(err, sizeof(err)) && err[0] != '\0'));
		goto out;
	}
	FZ_CHECK(next == NULL || next[0] != '\0');
	nv = inv_vault_count(inv);
	npe = inv_pe_count(inv);
	nnic = inv_nic_count(inv);
	nzone = inv_zone_count(inv);

	/* The joins, as `kvpe check` runs them: cloud 0, no VNet; then with a
	 * VNet, so the zone-link rules have something to compare. */
	memset(&cfg, 0, sizeof(cfg));
	exercise_targets(inv, &cfg);
	cfg.vnet_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/"
		      "Microsoft.Network/virtualNetworks/vnet-hub";
	exercise_targets(inv, &cfg);

	/* A second copy of the same page (ARM pages overlap; --inventory and
	 * ARM may both name a resource) merges by ID. */
	if (inv_json_load(inv, text, size, "fuzz-again", NULL, NULL, err, sizeof(err)) == KV_OK) {
		FZ_CHECK(inv_vault_count(inv) == nv);
		FZ_CHECK(inv_pe_count(inv) == npe);
		FZ_CHECK(inv_nic_count(inv) == nnic);
		FZ_CHECK(inv_zone_count(inv) == nzone);
		memset(&cfg, 0, sizeof(cfg));
		exercise_targets(inv, &cfg);
	}
out:
	inv_free(inv);
	free(text);
	return 0;
}
