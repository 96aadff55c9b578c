/* test_inv.c — ARM JSON into the inventory and the joins (expect_target): both shapes (ARM's
 * and az's flattened one), the quirks real ARM data has (IDs echoed in
 * lower case, a NIC address with a prefix, manual connections, free-form
 * publicNetworkAccess, hsmUri with a region label), wrong JSON types, and
 * saved files of several documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kvpe/arena.h"
#include "kvpe/expect.h"
#include "kvpe/inv.h"

#define SUB "/subscriptions/0000aaaa-0000-4000-8000-000000000001"
#define VID SUB "/resourceGroups/RG-Kv/providers/Microsoft.KeyVault/vaults/Contoso"
#define PEID SUB "/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/contoso-pe"
#define NICID SUB "/resourceGroups/rg-net/providers/Microsoft.Network/networkInterfaces/contoso-pe.nic.1"
#define ZID SUB "/resourceGroups/a/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net"
#define VNET SUB "/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/hub"

static const char vault_page[] =
    "{\"value\": [{\"id\": \"" VID "\", \"name\": \"Contoso\", \"type\": \"Microsoft.KeyVault/vaults\","
    " \"location\": \"westeurope\", \"properties\": {\"vaultUri\": \"https://contoso.vault.azure.cn/\","
    " \"publicNetworkAccess\": \"enabled\", \"networkAcls\": {\"defaultAction\": \"Deny\"},"
    " \"privateEndpointConnections\": [{\"id\": \"" VID "/privateEndpointConnections/conn1\","
    "   \"properties\": {\"privateEndpoint\": {\"id\": \"" PEID "\"},"
    "   \"privateLinkServiceConnectionState\": {\"status\": \"Approved\"}}}]}}],"
    " \"nextLink\": \"https://management.azure.com/next?page=2\"}";

/* The az network private-endpoint list shape: properties flattened, the
 * target ID echoed in lower case, the NIC address carrying a prefix. */
static const char pe_az[] =
    "[{\"id\": \"" PEID "\", \"name\": \"contoso-pe\", \"type\": \"Microsoft.Network/privateEndpoints\","
    " \"resourceGroup\": \"rg-net\", \"subnet\": {\"id\": \"" VNET "/subnets/pe\"},"
    " \"networkInterfaces\": [{\"id\": \"" NICID "\"}],"
    " \"customDnsConfigs\": [{\"fqdn\": \"contoso.vault.azure.cn\", \"ipAddresses\": [\"10.1.0.5\"]},"
    "                        {\"fqdn\": \"other.example\", \"ipAddresses\": [\"10.9.9.9\"]}],"
    " \"privateLinkServiceConnections\": [{\"name\": \"c\", \"privateLinkServiceId\": \"/subscriptions/0000aaaa-0000-4000-8000-000000000001/resourcegroups/rg-kv/providers/microsoft.keyvault/vaults/contoso\","
    "   \"privateLinkServiceConnectionState\": {\"status\": \"Approved\"}}]}]";

static const char nic_arm[] =
    "{\"id\": \"" NICID "\", \"type\": \"Microsoft.Network/networkInterfaces\", \"properties\": {\"ipConfigurations\": ["
    " {\"properties\": {\"privateIPAddress\": \"10.1.0.4/28\", \"privateLinkConnectionProperties\":"
    "   {\"fqdns\": [\"contoso.vault.azure.cn\"]}}},"
    " {\"properties\": {\"privateIPAddress\": \"10.1.0.77\", \"privateLinkConnectionProperties\":"
    "   {\"fqdns\": [\"someone-else.vault.azure.cn\"]}}}]}}";

static const char zone_graph[] =
    "{\"data\": [{\"id\": \"" ZID "\", \"name\": \"privatelink.vaultcore.azure.net\","
    " \"type\": \"microsoft.network/privatednszones\"}], \"count\": 1}";

/* A record set in a resource group named "a": the zone is the ID before the last "/A/". */
static const char record[] =
    "{\"value\": [{\"id\": \"" ZID "/A/contoso\", \"name\": \"contoso\", \"type\": \"Microsoft.Network/privateDnsZones/A\","
    " \"properties\": {\"ttl\": 10, \"fqdn\": \"contoso.privatelink.vaultcore.azure.net.\","
    " \"aRecords\": [{\"ipv4Address\": \"10.1.9.9\"}]}}]}";

static const char link[] =
    "[{\"id\": \"" ZID "/virtualNetworkLinks/l1\", \"type\": \"Microsoft.Network/privateDnsZones/virtualNetworkLinks\","
    " \"virtualNetwork\": {\"id\": \"" VNET "\"}, \"virtualNetworkLinkState\": \"Completed\"}]";

static struct kv_inv *
load(const char *const *docs, size_t n)
{
	struct kv_inv *inv = NULL;
	char err[200];
	size_t cnt;

	assert_int_equal(inv_new(NULL, &inv), KV_OK);
	for (size_t i = 0; i < n; i++) {
		enum kv_err rc = inv_json_load(inv, docs[i], strlen(docs[i]), "test", NULL, &cnt, err, sizeof(err));
		if (rc != KV_OK) {
			print_error("doc %zu: %s\n", i, err);
			fail();
		}
	}
	return inv;
}

static void
test_join(void **state)
{
	const char *docs[] = {vault_page, pe_az, nic_arm, zone_graph, record, link};
	struct kv_inv *inv = load(docs, KV_ARRAY_LEN(docs));
	struct kv_arena *a = kv_arena_new(4096);
	struct expect_cfg cfg;
	struct kv_target t;
	char buf[64];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.cloud = KV_CLOUD_PUBLIC;
	cfg.vnet_id = VNET;
	assert_int_equal(inv_vault_count(inv), 1);
	assert_int_equal(expect_target(inv, 0, &cfg, a, &t), KV_OK);
	assert_string_equal(t.name, "contoso");
	assert_int_equal(t.cloud, KV_CLOUD_CHINA); /* from vaultUri, not --cloud */
	assert_string_equal(t.fqdn, "contoso.vault.azure.cn");
	assert_string_equal(t.resource_group, "RG-Kv");
	assert_int_equal(t.public_access, KV_TRI_YES);
	assert_int_equal(t.acl_default_allow, KV_TRI_NO);
	assert_int_equal(t.n_endpoints, 1); /* the vault's connection and the PE's link are one endpoint */
	assert_true(t.endpoints[0].pe_found);
	assert_string_equal(t.endpoints[0].conn_name, "conn1");
	/* NIC IP for this vault (prefix dropped) + its DNS config; not the other vault's, not other.example's */
	assert_int_equal(t.endpoints[0].n_addrs, 2);
	kv_addr_format(&t.endpoints[0].addrs[0], buf, sizeof(buf));
	assert_string_equal(buf, "10.1.0.4");
	kv_addr_format(&t.endpoints[0].addrs[1], buf, sizeof(buf));
	assert_string_equal(buf, "10.1.0.5");
	assert_true(t.expected_known);
	assert_int_equal(t.n_expected, 2);
	/* the zone is privatelink.vaultcore.azure.net, but the vault is China's: not its zone */
	assert_int_equal(t.n_zones, 0);
	assert_false(t.zones_known);
	kv_arena_free(a);
	inv_free(inv);
}

static void
test_zone_join(void **state)
{
	const char *page = "{\"value\": [{\"id\": \"" SUB "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/contoso\","
			   " \"name\": \"contoso\", \"type\": \"Microsoft.KeyVault/vaults\", \"properties\": {}}]}";
	const char *docs[] = {page, zone_graph, record, link};
	struct kv_inv *inv = load(docs, KV_ARRAY_LEN(docs));
	struct kv_arena *a = kv_arena_new(4096);
	struct expect_cfg cfg;
	struct kv_target t;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.vnet_id = VNET;
	assert_int_equal(expect_target(inv, 0, &cfg, a, &t), KV_OK);
	assert_true(t.zones_known);
	assert_int_equal(t.n_zones, 1);
	assert_true(t.zones[0].has_record);
	assert_true(t.zones[0].linked);
	assert_string_equal(t.zones[0].resource_group, "a");
	assert_int_equal(t.zones[0].ttl, 10);
	assert_int_equal(t.n_endpoints, 0);
	assert_int_equal(t.public_access, KV_TRI_UNKNOWN); /* absent: ARM's default (enabled) */
	kv_arena_free(a);
	inv_free(inv);
}

static void
test_hsm_and_manual(void **state)
{
	const char *hsm =
	    "{\"id\": \"" SUB "/resourceGroups/rg/providers/Microsoft.KeyVault/managedHSMs/hsm1\", \"name\": \"hsm1\","
	    " \"type\": \"Microsoft.KeyVault/managedHSMs\", \"properties\": {\"hsmUri\": \"https://westus.hsm1.managedhsm.azure.net\","
	    " \"publicNetworkAccess\": \"SecuredByPerimeter\"}}";
	const char *pe =
	    "{\"id\": \"" PEID "\", \"type\": \"Microsoft.Network/privateEndpoints\", \"properties\": {"
	    " \"privateLinkServiceConnections\": [], \"manualPrivateLinkServiceConnections\": [{\"name\": \"m1\","
	    " \"properties\": {\"privateLinkServiceId\": \"" SUB "/resourceGroups/rg/providers/Microsoft.KeyVault/managedHSMs/hsm1\","
	    " \"privateLinkServiceConnectionState\": {\"status\": \"Pending\"}}}],"
	    " \"networkInterfaces\": [{\"id\": \"/subscriptions/x/resourceGroups/rg1/provders/Microsoft.Network/networkInterfaces/n\"}]}}";
	const char *docs[] = {hsm, pe};
	struct kv_inv *inv = load(docs, KV_ARRAY_LEN(docs));
	struct kv_arena *a = kv_arena_new(4096);
	struct expect_cfg cfg;
	struct kv_target t;
	const char **missing;
	size_t n;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(expect_target(inv, 0, &cfg, a, &t), KV_OK);
	assert_int_equal(t.kind, KV_KIND_HSM);
	assert_string_equal(t.fqdn, "hsm1.managedhsm.azure.net");
	assert_int_equal(t.public_access, KV_TRI_NO);
	/* the manual connection, found from the endpoint's side */
	assert_int_equal(t.n_endpoints, 1);
	assert_int_equal(t.endpoints[0].state, KV_PE_PENDING);
	assert_string_equal(t.endpoints[0].conn_name, "m1");
	assert_false(t.expected_known);
	assert_int_equal(inv_missing_endpoints(inv, a, &missing, &n), KV_OK);
	assert_int_equal(n, 0);
	kv_arena_free(a);
	inv_free(inv);
}

static void
test_missing(void **state)
{
	const char *docs[] = {vault_page};
	struct kv_inv *inv = load(docs, 1);
	struct kv_arena *a = kv_arena_new(4096);
	const char **ids;
	size_t n;

	(void)state;
	assert_int_equal(inv_missing_endpoints(inv, a, &ids, &n), KV_OK);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], PEID);
	kv_arena_free(a);
	inv_free(inv);
}

static const char *
or_none(const char *s)
{
	return s ? s : "-";
}

/* Everything the loads and joins fill, as one line to compare. */
static void
target_sig(const struct kv_target *t, const char *next, char *buf, size_t size)
{
	size_t o = (size_t)snprintf(buf, size, "%s %s %s %s %s %s %s next=%s eps=%zu zones=%zu exp=%zu", or_none(t->name),
	    or_none(t->id), or_none(t->subscription), or_none(t->resource_group), or_none(t->location), or_none(t->fqdn),
	    or_none(t->incomplete), or_none(next), t->n_endpoints, t->n_zones, t->n_expected);
	for (size_t i = 0; i < t->n_endpoints && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, " [%s %s %s %s %s %zu]", or_none(t->endpoints[i].pe_id),
		    or_none(t->endpoints[i].pe_name), or_none(t->endpoints[i].pe_subscription),
		    or_none(t->endpoints[i].subnet_id), or_none(t->endpoints[i].conn_name), t->endpoints[i].n_addrs);
	for (size_t i = 0; i < t->n_zones && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, " {%s %s %s %d %zu %d}", or_none(t->zones[i].id),
		    or_none(t->zones[i].name), or_none(t->zones[i].resource_group), t->zones[i].has_record,
		    t->zones[i].n_addrs, t->zones[i].linked);
}

/* Loads every page and joins the vault with the arena failing after
 * `fail_after` allocations (-1: never). */
static enum kv_err
load_with_failing_arena(long fail_after, char *sig, size_t size, unsigned long *refused)
{
	const char *docs[] = {vault_page, pe_az, nic_arm, zone_graph, record, link};
	struct kv_arena *a = kv_arena_new(1024);
	struct kv_inv *inv = NULL;
	struct expect_cfg cfg;
	struct kv_target t;
	const char *next = NULL;
	enum kv_err rc;
	char err[200];

	memset(&cfg, 0, sizeof(cfg));
	cfg.cloud = KV_CLOUD_PUBLIC;
	cfg.vnet_id = VNET;
	assert_non_null(a);
	assert_int_equal(inv_new(a, &inv), KV_OK);
	kv_arena_fail_after(a, fail_after);
	rc = inv_json_load(inv, vault_page, strlen(vault_page), "t", &next, NULL, err, sizeof(err));
	for (size_t i = 1; i < KV_ARRAY_LEN(docs) && rc == KV_OK; i++)
		rc = inv_json_load(inv, docs[i], strlen(docs[i]), "t", NULL, NULL, err, sizeof(err));
	if (rc == KV_OK)
		rc = expect_target(inv, 0, &cfg, a, &t);
	if (rc == KV_OK)
		target_sig(&t, next, sig, size);
	if (rc == KV_ENOMEM && strcmp(err, "out of memory") != 0 && err[0] != '\0')
		print_message("note: %s\n", err);
	*refused = kv_arena_refused(a);
	inv_free(inv);
	kv_arena_free(a);
	return rc;
}

/* Fault injection: the arena fails at every allocation in turn.  Each run
 * ends in KV_ENOMEM, or succeeds with nothing refused and the very result
 * of the unhindered run: a failed copy never reads as an absent field. */
static void
test_load_out_of_memory(void **state)
{
	char want[2048], got[2048];
	unsigned long refused = 0;
	long n;

	(void)state;
	assert_int_equal(load_with_failing_arena(-1, want, sizeof(want), &refused), KV_OK);
	for (n = 0; n < 100000; n++) {
		enum kv_err rc = load_with_failing_arena(n, got, sizeof(got), &refused);
		if (rc == KV_ENOMEM) {
			assert_true(refused > 0);
			continue;
		}
		assert_int_equal(rc, KV_OK);
		assert_int_equal(refused, 0);
		assert_string_equal(got, want);
		break;
	}
	assert_true(n > 10); /* the loads did allocate, and every failure counted */
}

static void
test_next_link_and_counts(void **state)
{
	struct kv_inv *inv = NULL;
	const char *next = NULL;
	size_t n = 0;
	char err[100];

	(void)state;
	assert_int_equal(inv_new(NULL, &inv), KV_OK);
	assert_int_equal(inv_json_load(inv, vault_page, strlen(vault_page), "t", &next, &n, err, sizeof(err)), KV_OK);
	assert_string_equal(next, "https://management.azure.com/next?page=2");
	assert_int_equal(n, 1);
	inv_free(inv);
}

/* Wrong JSON types anywhere are read as "absent": no crash, no invented data. */
static void
test_wrong_types(void **state)
{
	static const char *const docs[] = {
	    "{\"value\": [{\"id\": 5, \"type\": \"Microsoft.KeyVault/vaults\", \"name\": \"x\"}]}",
	    "{\"value\": [{\"id\": \"" VID "\", \"type\": \"Microsoft.KeyVault/vaults\", \"name\": [1],"
	    " \"properties\": \"text\"}]}",
	    "[{\"id\": \"" VID "\", \"type\": \"Microsoft.KeyVault/vaults\", \"name\": \"kv1\", \"properties\": {"
	    "  \"privateEndpointConnections\": {\"a\": 1}, \"publicNetworkAccess\": 7, \"networkAcls\": []}}]",
	    "[{\"id\": \"" PEID "\", \"type\": \"Microsoft.Network/privateEndpoints\", \"properties\": {"
	    "  \"customDnsConfigs\": [{\"fqdn\": 1, \"ipAddresses\": [1, null, \"x\", \"10.0.0.1\"]}, 3],"
	    "  \"networkInterfaces\": [\"str\", {\"id\": {}}], \"privateLinkServiceConnections\": [null, {\"properties\": 2}],"
	    "  \"subnet\": \"s\", \"ipConfigurations\": [{\"properties\": {\"privateIPAddress\": 10}}]}}]",
	    "[{\"id\": \"" NICID "\", \"type\": \"Microsoft.Network/networkInterfaces\", \"properties\": {"
	    "  \"ipConfigurations\": [{\"properties\": {\"privateIPAddress\": \"10.0.0.2\", \"privateLinkConnectionProperties\":"
	    "  {\"fqdns\": [1, \"a\"]}}}, 5]}}]",
	    "[{\"id\": \"" ZID "/A/r\", \"type\": \"Microsoft.Network/privateDnsZones/A\", \"name\": \"r\","
	    "  \"properties\": {\"ttl\": -5, \"aRecords\": [{\"ipv4Address\": 3}, \"x\"]}}]",
	    "[{\"type\": \"Microsoft.Network/privateDnsZones/virtualNetworkLinks\", \"id\": \"" ZID "/virtualNetworkLinks/l\","
	    "  \"properties\": {\"virtualNetwork\": {\"id\": \"" VNET "\"}}}, 7, null, \"x\", [1]]",
	    "{\"type\": \"Something.Else/entirely\", \"id\": \"/x\"}",
	};
	struct kv_arena *a = kv_arena_new(4096);
	struct expect_cfg cfg;
	struct kv_target t;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	for (size_t i = 0; i < KV_ARRAY_LEN(docs); i++) {
		struct kv_inv *inv = NULL;
		char err[200];
		size_t n;
		assert_int_equal(inv_new(NULL, &inv), KV_OK);
		assert_int_equal(inv_json_load(inv, docs[i], strlen(docs[i]), "t", NULL, &n, err, sizeof(err)), KV_OK);
		for (size_t v = 0; v < inv_vault_count(inv); v++)
			assert_int_equal(expect_target(inv, v, &cfg, a, &t), KV_OK);
		inv_free(inv);
	}
	kv_arena_free(a);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {"", "{", "{\"value\": [", "{\"value\": {}}", "42", "\"x\"", "{\"a\": 1}",
	    "[{\"type\": \"Microsoft.KeyVault/vaults\"", "\xff\xfe"};
	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(bad); i++) {
		struct kv_inv *inv = NULL;
		char err[200] = "";
		assert_int_equal(inv_new(NULL, &inv), KV_OK);
		assert_int_equal(inv_json_load(inv, bad[i], strlen(bad[i]), "t", NULL, NULL, err, sizeof(err)), KV_EPARSE);
		assert_true(strlen(err) > 5);
		inv_free(inv);
	}
}

/* A saved inventory: every document of the text, whatever their layout;
 * anything that is not whole JSON names its byte offset; resources of
 * other types are skipped and counted; no ARM resource at all is an error. */
#define VNET_RES "{\"id\": \"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg\"," \
		 " \"name\": \"nsg\", \"type\": \"Microsoft.Network/networkSecurityGroups\"}"
#define VAULT_RES(n)                                                                                         \
	"{\"id\": \"" SUB "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/" n "\", \"name\": \"" n "\","  \
	" \"type\": \"Microsoft.KeyVault/vaults\", \"properties\": {}}"

static void
test_load_text(void **state)
{
	static const struct {
		const char *text;
		size_t vaults, resources, skipped, docs;
		const char *err;
	} cases[] = {
	    {VAULT_RES("kv-a") VAULT_RES("kv-b"), 2, 2, 0, 2, NULL},                       /* concatenated */
	    {VAULT_RES("kv-a") "\n" VAULT_RES("kv-b") "\n" VAULT_RES("kv-c") "\n", 3, 3, 0, 3, NULL}, /* NDJSON */
	    {"{\n  \"value\": [\n    " VAULT_RES("kv-a") "\n  ]\n}\n{\n  \"value\": [\n    " VAULT_RES("kv-b") "\n  ]\n}\n",
		2, 2, 0, 2, NULL}, /* pretty-printed, appended twice */
	    {"[" VAULT_RES("kv-a") "]\n" VAULT_RES("kv-b"), 2, 2, 0, 2, NULL}, /* array, then object */
	    {"[" VNET_RES "]\n" VAULT_RES("kv-a"), 1, 1, 1, 2, NULL},          /* a type kvpe does not read */
	    {"[" VNET_RES ", " VNET_RES "]", 0, 0, 2, 1, NULL},                /* only such types: counted */
	    {VAULT_RES("kv-a") "\n" VAULT_RES("kv-b") "garbage\n", 0, 0, 0, 0, "--inventory t.json: not valid JSON at byte "},
	    {VAULT_RES("kv-a") "\n{\"value\": [", 0, 0, 0, 0, "--inventory t.json: not valid JSON: the document that starts at byte "},
	    {"", 0, 0, 0, 0, "--inventory t.json: empty, no JSON document"},
	    {"\n \n", 0, 0, 0, 0, "--inventory t.json: no JSON document, only whitespace"},
	    {"[]", 0, 0, 0, 0, "--inventory t.json: no ARM resource in it"},
	    {"[{\"name\": \"sub\", \"id\": \"x\"}]\n{\"value\": []}", 0, 0, 0, 0, "no ARM resource in it"},
	    {VAULT_RES("kv-a") "\n42\n", 0, 0, 0, 0, "--inventory t.json: the document at byte 1"},
	};
	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(cases); i++) {
		struct kv_inv *inv = NULL;
		struct inv_json_stats st;
		char err[300] = "";
		enum kv_err rc;
		memset(&st, 0, sizeof(st));
		assert_int_equal(inv_new(NULL, &inv), KV_OK);
		rc = inv_json_load_text(inv, cases[i].text, strlen(cases[i].text), "t.json", &st, err, sizeof(err));
		if (cases[i].err != NULL) {
			if (rc != KV_EPARSE || strstr(err, cases[i].err) == NULL) {
				print_error("case %zu: rc %d, err '%s'\n", i, rc, err);
				fail();
			}
		} else if (rc != KV_OK || inv_vault_count(inv) != cases[i].vaults || st.resources != cases[i].resources ||
			   st.skipped != cases[i].skipped || st.documents != cases[i].docs) {
			print_error("case %zu: rc %d (%s), %zu vaults, %zu/%zu/%zu\n", i, rc, err, inv_vault_count(inv),
			    st.resources, st.skipped, st.documents);
			fail();
		}
		if (cases[i].skipped > 0)
			assert_string_equal(st.skipped_type, "Microsoft.Network/networkSecurityGroups");
		inv_free(inv);
	}
}

/* The exact offsets: of trailing garbage, of a NUL file's first byte, of
 * the end of a cut-off document. */
static void
test_load_text_offsets(void **state)
{
	static const char two[] = VAULT_RES("kv-a") "\n" VAULT_RES("kv-b");
	char text[sizeof(two) + 16], want[200], err[300];
	struct kv_inv *inv = NULL;
	size_t n = strlen(two);

	(void)state;
	assert_int_equal(inv_new(NULL, &inv), KV_OK);
	snprintf(text, sizeof(text), "%s}", two);
	assert_int_equal(inv_json_load_text(inv, text, n + 1, "t", NULL, err, sizeof(err)), KV_EPARSE);
	snprintf(want, sizeof(want), "--inventory t: not valid JSON at byte %zu", n);
	assert_string_equal(err, want);
	memset(text, 0, sizeof(text));
	assert_int_equal(inv_json_load_text(inv, text, 100, "t", NULL, err, sizeof(err)), KV_EPARSE); /* 100 NULs */
	assert_string_equal(err, "--inventory t: not valid JSON at byte 0 (control character 0x00)");
	memcpy(text, two, n - 10);
	text[n - 10] = '\0';
	assert_int_equal(inv_json_load_text(inv, text, n - 10, "-", NULL, err, sizeof(err)), KV_EPARSE);
	snprintf(want, sizeof(want), "--inventory - (standard input): not valid JSON: the document that starts at byte %zu "
	    "is cut off at byte %zu", strlen(VAULT_RES("kv-a")) + 1, n - 10);
	assert_string_equal(err, want);
	/* An ARM page is one document: a second one fails the page. */
	snprintf(text, sizeof(text), "%s", two);
	assert_int_equal(inv_json_load(inv, text, n, "arm", NULL, NULL, err, sizeof(err)), KV_EPARSE);
	snprintf(want, sizeof(want), "not valid JSON: more data after the document, at byte %zu", strlen(VAULT_RES("kv-a")) + 1);
	assert_string_equal(err, want);
	inv_free(inv);
}

static void
test_id_helpers(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);

	(void)state;
	assert_string_equal(inv_id_segment(a, VID, "resourcegroups"), "RG-Kv");
	assert_string_equal(inv_id_segment(a, VID, "subscriptions"), "0000aaaa-0000-4000-8000-000000000001");
	assert_null(inv_id_segment(a, VID, "nope"));
	assert_string_equal(inv_id_parent(a, ZID "/A/a", "A"), ZID);
	assert_null(inv_id_parent(a, "/x/y", "A"));
	kv_arena_free(a);
}

/* One copy per exact string; another case is another string (the report
 * shows IDs as ARM gave them). */
static void
test_intern(void **state)
{
	struct kv_inv *inv = NULL;
	char longer[700];
	const char *a, *b, *c, *d;

	(void)state;
	assert_int_equal(inv_new(NULL, &inv), KV_OK);
	a = inv_intern(inv, VID "/tail", strlen(VID));
	b = inv_intern(inv, VID, strlen(VID));
	c = inv_intern(inv, "/SUBSCRIPTIONS/0000aaaa", 23);
	d = inv_intern(inv, "/subscriptions/0000aaaa", 23);
	assert_ptr_equal(a, b);
	assert_string_equal(a, VID);
	assert_ptr_not_equal(c, d);
	assert_string_equal(c, "/SUBSCRIPTIONS/0000aaaa");
	assert_string_equal(d, "/subscriptions/0000aaaa");
	assert_ptr_equal(inv_intern(inv, "/SUBSCRIPTIONS/0000aaaa", 23), c);
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_string_equal(inv_intern(inv, longer, strlen(longer)), longer); /* too long to index: a plain copy */
	assert_null(inv_intern(inv, NULL, 0));
	inv_free(inv);
}

/* The DNS path's types: added, found by ID without case, a child's parent
 * from its own ID, NICs and inbound endpoints found by address, zone links
 * by zone and VNet with their resolution policy. */
static void
test_path_types(void **state)
{
	struct kv_inv *inv = NULL;
	struct kv_addr a1, a2, other;
	size_t ip = 99;
	const char *rs = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/dnsForwardingRulesets/rs1";
	const char *res = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/dnsResolvers/r1";
	const char *hub = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub";
	const char *zone = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/"
			   "privatelink.vaultcore.azure.net";

	(void)state;
	assert_int_equal(kv_addr_parse("10.0.0.4", &a1), KV_OK);
	assert_int_equal(kv_addr_parse("10.0.2.4", &a2), KV_OK);
	assert_int_equal(kv_addr_parse("10.9.9.9", &other), KV_OK);
	assert_int_equal(inv_new(NULL, &inv), KV_OK);
	{
		struct inv_vnet v = {.id = hub, .name = "hub"};
		assert_int_equal(inv_add_vnet(inv, &v), KV_OK);
	}
	{
		/* what an inventory holds lives in its arena */
		struct inv_nic_ip *nip = kv_arena_calloc(inv_arena(inv), 1, sizeof(*nip));
		struct inv_nic n = {.id = "/subscriptions/s/nic1", .ips = nip, .n_ips = 1, .vm_id = "/vm1"};
		assert_non_null(nip);
		nip->addr = a1;
		nip->subnet_id = "/x/subnets/default";
		assert_int_equal(inv_add_nic(inv, &n), KV_OK);
	}
	{
		struct inv_resolver r = {.id = res, .name = "r1", .vnet_id = hub};
		struct inv_inbound e = {.id = NULL, .addrs = kv_arena_memdup(inv_arena(inv), &a2, sizeof(a2)), .n_addrs = 1};
		char eid[256];
		snprintf(eid, sizeof(eid), "%s/inboundEndpoints/in1", res);
		e.id = kv_arena_strdup(inv_arena(inv), eid);
		assert_int_equal(inv_add_resolver(inv, &r), KV_OK);
		assert_int_equal(inv_add_inbound(inv, &e), KV_OK);
	}
	{
		struct inv_ruleset r = {.id = rs, .name = "rs1"};
		struct inv_rule rule = {.id = NULL, .domain = "vault.azure.net", .enabled = true};
		struct inv_ruleset_link l = {.id = NULL, .vnet_id = hub};
		char id[256];
		assert_int_equal(inv_add_ruleset(inv, &r), KV_OK);
		snprintf(id, sizeof(id), "%s/forwardingRules/kv", rs);
		rule.id = kv_arena_strdup(inv_arena(inv), id);
		assert_int_equal(inv_add_rule(inv, &rule), KV_OK);
		snprintf(id, sizeof(id), "%s/virtualNetworkLinks/hub", rs);
		l.id = kv_arena_strdup(inv_arena(inv), id);
		assert_int_equal(inv_add_ruleset_link(inv, &l), KV_OK);
		assert_int_equal(inv_add_ruleset_link(inv, &l), KV_OK); /* seen twice: one */
	}
	{
		struct inv_link l = {.zone_id = zone, .vnet_id = hub, .completed = true, .id = "/l1", .nxdomain_redirect = true};
		assert_int_equal(inv_add_link(inv, &l), KV_OK);
		assert_int_equal(inv_add_link(inv, &l), KV_OK);
	}
	assert_int_equal(inv_vnet_count(inv), 1);
	assert_string_equal(inv_vnet_find(inv, "/SUBSCRIPTIONS/s/resourceGroups/RG/providers/Microsoft.Network/"
					       "virtualNetworks/HUB")->name, "hub");
	assert_null(inv_vnet_find(inv, "/nope"));
	assert_non_null(inv_nic_by_addr(inv, &a1, &ip));
	assert_int_equal(ip, 0);
	assert_null(inv_nic_by_addr(inv, &other, NULL));
	assert_int_equal(inv_inbound_count(inv), 1);
	assert_string_equal(inv_inbound_by_addr(inv, &a2)->resolver_id, res);
	assert_string_equal(inv_resolver_find(inv, res)->vnet_id, hub);
	assert_int_equal(inv_rule_count(inv), 1);
	assert_string_equal(inv_rule_at(inv, 0)->ruleset_id, rs);
	assert_int_equal(inv_ruleset_link_count(inv), 1);
	assert_string_equal(inv_ruleset_link_at(inv, 0)->ruleset_id, rs);
	assert_non_null(inv_ruleset_find(inv, rs));
	assert_int_equal(inv_link_count(inv), 1);
	assert_true(inv_link_find(inv, zone, hub)->nxdomain_redirect);
	assert_null(inv_link_find(inv, zone, "/other"));
	inv_free(inv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_join),          cmocka_unit_test(test_zone_join),
	    cmocka_unit_test(test_hsm_and_manual), cmocka_unit_test(test_missing),
	    cmocka_unit_test(test_next_link_and_counts), cmocka_unit_test(test_wrong_types),
	    cmocka_unit_test(test_malformed),     cmocka_unit_test(test_id_helpers),
	    cmocka_unit_test(test_intern),        cmocka_unit_test(test_load_text),
	    cmocka_unit_test(test_load_text_offsets),
	    cmocka_unit_test(test_load_out_of_memory), cmocka_unit_test(test_path_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
