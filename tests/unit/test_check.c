/* test_check.c — the check pipeline's own guarantees:
 * - the probe stage's work list (check_probe_targets): which results are
 *   probed and why the others are not, and its out-of-memory path (an arena
 *   printf failing once left an uncounted probe, and the stage wrote one past
 *   its array);
 * - a check report owns everything it points to: it is made from an
 *   inventory file, --vault names, --vnet, --arm-endpoint and a resolver, then
 *   the configuration and the check context are freed (as the agent's SIGHUP
 *   does) and every string reachable from the report is read and every format
 *   rendered.  Under AddressSanitizer a pointer left into the old
 *   configuration or context is a use-after-free report.  No network: the
 *   resolver is a closed loopback port, so the names fail fast. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "kvpe/arena.h"
#include "kvpe/buf.h"
#include "kvpe/check.h"
#include "kvpe/expect.h"
#include "kvpe/net.h"
#include "kvpe/report.h"

#define N_RESULTS 4

struct fixture {
	struct kv_target t[N_RESULTS];
	struct kv_result r[N_RESULTS];
	struct kv_addr addr;
	struct kv_result *todo[N_RESULTS];
};

/* NXDOMAIN (a skip reason that needs a printf), an address, not asked,
 * NOERROR with only an IPv6 address. */
static void
fixture_init(struct fixture *f)
{
	static const char *const names[N_RESULTS] = {"kv-nx.vault.azure.net", "kv-ok.vault.azure.net",
	    "kv-none.vault.azure.net", "kv-six.vault.azure.net"};

	memset(f, 0, sizeof(*f));
	assert_int_equal(kv_addr_parse("10.1.0.4", &f->addr), KV_OK);
	for (size_t i = 0; i < N_RESULTS; i++) {
		f->t[i].fqdn = names[i];
		f->r[i].t = &f->t[i];
		f->todo[i] = &f->r[i];
	}
	f->r[0].dns.a.rcode = KV_RC_NXDOMAIN;
	f->r[1].dns.a.rcode = KV_RC_NOERROR;
	f->r[1].dns.a.addrs = &f->addr;
	f->r[1].dns.a.n_addrs = 1;
	f->r[2].dns.a.rcode = KV_RC_NONE;
	f->r[3].dns.a.rcode = KV_RC_NODATA;
	f->r[3].dns.aaaa.rcode = KV_RC_NOERROR;
	f->r[3].dns.aaaa.addrs = calloc(1, sizeof(struct kv_addr));
	assert_non_null(f->r[3].dns.aaaa.addrs);
	assert_int_equal(kv_addr_parse("fd00::4", f->r[3].dns.aaaa.addrs), KV_OK);
	f->r[3].dns.aaaa.n_addrs = 1;
}

static void
fixture_free(struct fixture *f)
{
	free(f->r[3].dns.aaaa.addrs);
}

static void
test_probe_targets(void **state)
{
	struct kv_arena *a = kv_arena_new(1024);
	struct net_target *t = NULL;
	struct fixture f;
	size_t m = 99;

	(void)state;
	fixture_init(&f);
	assert_int_equal(check_probe_targets(KV_PROBE_HTTPS, a, f.todo, N_RESULTS, &t, &m), KV_OK);
	assert_int_equal(m, 2);
	assert_string_equal(t[0].fqdn, "kv-ok.vault.azure.net");
	assert_ptr_equal(t[0].out, &f.r[1].probe);
	assert_string_equal(t[1].fqdn, "kv-six.vault.azure.net");
	assert_int_equal(t[1].addr.family, 6);
	assert_string_equal(f.r[0].probe.skipped, "DNS gave no address to probe (NXDOMAIN)");
	assert_string_equal(f.r[2].probe.skipped, "not resolved");
	assert_null(f.r[1].probe.skipped);
	free(t);
	fixture_free(&f);

	/* --probe off: nothing to probe, each says why. */
	fixture_init(&f);
	assert_int_equal(check_probe_targets(KV_PROBE_OFF, a, f.todo, N_RESULTS, &t, &m), KV_OK);
	assert_int_equal(m, 0);
	for (size_t i = 0; i < N_RESULTS; i++)
		assert_string_equal(f.r[i].probe.skipped, "--probe off");
	free(t);
	fixture_free(&f);

	/* The skip reason's printf fails: KV_ENOMEM and nothing to free, never
	 * a target list that disagrees with its count (ASan sees any write past
	 * it). */
	fixture_init(&f);
	t = NULL;
	m = 99;
	kv_arena_fail_after(a, 0);
	assert_int_equal(check_probe_targets(KV_PROBE_HTTPS, a, f.todo, N_RESULTS, &t, &m), KV_ENOMEM);
	assert_int_equal(kv_arena_refused(a), 1);
	assert_null(t); /* out-parameters untouched */
	assert_int_equal(m, 99);
	fixture_free(&f);
	kv_arena_free(a);
}

#define SUB "/subscriptions/0000aaaa-0000-4000-8000-000000000001"
#define VID SUB "/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-inv"
#define PEID SUB "/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/kv-inv-pe"
#define NICID SUB "/resourceGroups/rg-net/providers/Microsoft.Network/networkInterfaces/kv-inv-pe.nic"
#define ZID SUB "/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net"
#define VNET SUB "/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/hub"
#define ARM "https://127.0.0.1:9/arm-owned"

static const char inventory[] =
    "[{\"id\": \"" VID "\", \"name\": \"kv-inv\", \"type\": \"Microsoft.KeyVault/vaults\", \"location\": \"westeurope\","
    "  \"properties\": {\"vaultUri\": \"https://kv-inv.vault.azure.net/\", \"publicNetworkAccess\": \"Disabled\","
    "  \"privateEndpointConnections\": [{\"id\": \"" VID "/privateEndpointConnections/c1\", \"name\": \"c1\","
    "    \"properties\": {\"privateEndpoint\": {\"id\": \"" PEID "\"},"
    "    \"privateLinkServiceConnectionState\": {\"status\": \"Approved\"}}}]}},"
    " {\"id\": \"" PEID "\", \"name\": \"kv-inv-pe\", \"type\": \"Microsoft.Network/privateEndpoints\","
    "  \"properties\": {\"subnet\": {\"id\": \"" VNET "/subnets/pe\"}, \"networkInterfaces\": [{\"id\": \"" NICID "\"}]}},"
    " {\"id\": \"" NICID "\", \"type\": \"Microsoft.Network/networkInterfaces\", \"properties\": {\"ipConfigurations\": ["
    "  {\"properties\": {\"privateIPAddress\": \"10.1.0.4\", \"privateLinkConnectionProperties\":"
    "   {\"fqdns\": [\"kv-inv.vault.azure.net\"]}}}]}},"
    " {\"id\": \"" ZID "\", \"name\": \"privatelink.vaultcore.azure.net\", \"type\": \"Microsoft.Network/privateDnsZones\"},"
    " {\"id\": \"" ZID "/A/kv-inv\", \"name\": \"kv-inv\", \"type\": \"Microsoft.Network/privateDnsZones/A\","
    "  \"properties\": {\"ttl\": 10, \"aRecords\": [{\"ipv4Address\": \"10.1.0.4\"}]}},"
    " {\"id\": \"" ZID "/virtualNetworkLinks/l1\", \"type\": \"Microsoft.Network/privateDnsZones/virtualNetworkLinks\","
    "  \"properties\": {\"virtualNetwork\": {\"id\": \"" VNET "\"}}}]";

/* A loopback UDP port with nothing listening: queries are refused at once. */
static int
closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), port;

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Reads s through: a freed string is an ASan report here. */
static size_t
touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static size_t
touch_lookup(const struct kv_dns_lookup *lk)
{
	size_t n = touch(lk->qname) + touch(lk->error);

	for (size_t i = 0; i < lk->n_chain; i++)
		n += touch(lk->chain[i]);
	return n;
}

static size_t
touch_target(const struct kv_target *t)
{
	size_t n = touch(t->name) + touch(t->id) + touch(t->subscription) + touch(t->resource_group) +
	    touch(t->location) + touch(t->fqdn) + touch(t->pl_fqdn) + touch(t->pl_zone) + touch(t->source) +
	    touch(t->incomplete) + touch(t->vnet_id);

	for (size_t i = 0; i < t->n_endpoints; i++) {
		const struct kv_endpoint_view *e = &t->endpoints[i];
		n += touch(e->pe_id) + touch(e->pe_name) + touch(e->pe_subscription) + touch(e->pe_resource_group) +
		    touch(e->conn_name) + touch(e->subnet_id);
	}
	for (size_t i = 0; i < t->n_zones; i++) {
		const struct kv_zone_view *z = &t->zones[i];
		n += touch(z->id) + touch(z->name) + touch(z->subscription) + touch(z->resource_group);
	}
	return n;
}

/* Every string reachable from the report. */
static size_t
touch_report(const struct kv_report *r)
{
	size_t n = touch(r->host) + touch(r->cloud) + touch(r->version) + touch(r->credential) + touch(r->arm_endpoint);

	for (size_t i = 0; i < r->n_resolvers; i++)
		n += touch(r->resolvers[i]);
	for (size_t i = 0; i < r->n_errors; i++)
		n += touch(r->errors[i].scope) + touch(r->errors[i].message);
	for (size_t i = 0; i < r->n_results; i++) {
		const struct kv_result *x = &r->results[i];
		n += touch_target(x->t) + touch_lookup(&x->dns.a) + touch_lookup(&x->dns.aaaa) + touch_lookup(&x->dns.pl);
		n += touch(x->probe.skipped) + touch(x->probe.error) + touch(x->probe.seen_addr) + touch(x->probe.tenant) +
		    touch(x->probe.error_code);
		for (size_t k = 0; k < x->n_findings; k++)
			n += touch(x->findings[k].message) + touch(x->findings[k].remediation);
	}
	return n;
}

static const struct kv_result *
result(const struct kv_report *r, const char *name)
{
	for (size_t i = 0; i < r->n_results; i++)
		if (strcmp(r->results[i].t->name, name) == 0)
			return &r->results[i];
	fail_msg("no result for %s", name);
	return NULL;
}

/* The configuration of `kvpe check --inventory FILE --vault kv-manual=10.1.0.9
 * --vault hsm:hsm-manual --vnet VNET --arm-endpoint ARM --dns-server DNS
 * --timeout 500 --probe off`, every string and array in the arena it
 * returns (as the tool's kv_cfg keeps them in its own), the rest the
 * command's defaults. */
static struct kv_arena *
config(struct check_cfg *cc, const char *inv_path, const char *dns)
{
	struct kv_arena *a = kv_arena_new(4096);
	const char **inv = kv_arena_calloc(a, 1, sizeof(*inv));
	struct expect_vault *v = kv_arena_calloc(a, 2, sizeof(*v));
	struct kv_hostport *hp = kv_arena_calloc(a, 1, sizeof(*hp));

	assert_true(inv != NULL && v != NULL && hp != NULL);
	memset(cc, 0, sizeof(*cc));
	inv[0] = kv_arena_strdup(a, inv_path);
	assert_non_null(inv[0]);
	cc->inventories = inv;
	cc->n_inventories = 1;
	assert_int_equal(expect_parse_vault(a, "kv-manual=10.1.0.9", &v[0], NULL), KV_OK);
	assert_int_equal(expect_parse_vault(a, "hsm:hsm-manual", &v[1], NULL), KV_OK);
	cc->expect.cloud = KV_CLOUD_PUBLIC;
	cc->expect.vaults = v;
	cc->expect.n_vaults = 2;
	cc->expect.vnet_id = kv_arena_strdup(a, VNET);
	cc->arm_endpoint = kv_arena_strdup(a, ARM);
	assert_true(cc->expect.vnet_id != NULL && cc->arm_endpoint != NULL);
	cc->arm_timeout_ms = 60 * 1000;
	assert_int_equal(kv_hostport_parse(dns, 53, hp), KV_OK);
	cc->dns_servers = hp;
	cc->n_dns_servers = 1;
	cc->dns_qps = 900;
	cc->concurrency = 200;
	cc->timeout_ms = 500;
	cc->probe = KV_PROBE_OFF;
	return a;
}

static void
test_report_outlives_config(void **state)
{
	char inv_path[] = "/tmp/kvpe-test-inv.XXXXXX", dns[64], err[512];
	const enum report_format formats[] = {REPORT_TABLE, REPORT_JSON, REPORT_JSONL, REPORT_JUNIT, REPORT_SARIF,
	    REPORT_PROMETHEUS, REPORT_NAGIOS};
	struct check_cfg cc;
	struct kv_arena *cfg_arena;
	struct check_ctx *ctx = NULL;
	struct kv_report *rep = NULL;
	struct report_prom_state st;
	struct report_opts o;
	struct kv_buf b;
	int fd;

	(void)state;
	fd = mkstemp(inv_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, inventory, sizeof(inventory) - 1), (ssize_t)(sizeof(inventory) - 1));
	close(fd);
	snprintf(dns, sizeof(dns), "127.0.0.1:%d", closed_port());
	cfg_arena = config(&cc, inv_path, dns);
	if (check_ctx_new(&cc, &ctx, err, sizeof(err)) != KV_OK)
		fail_msg("check_ctx_new: %s", err);
	if (check_run(ctx, &cc, &rep, err, sizeof(err)) != KV_OK)
		fail_msg("check_run: %s", err);
	/* What SIGHUP does to the agent's last good report. */
	check_ctx_free(ctx);
	kv_arena_free(cfg_arena);
	memset(&cc, 0, sizeof(cc));
	unlink(inv_path);

	assert_true(touch_report(rep) > 0);
	assert_int_equal(rep->n_results, 3);
	assert_string_equal(rep->arm_endpoint, ARM);
	assert_int_equal(rep->n_resolvers, 1);
	assert_string_equal(rep->resolvers[0], dns);
	assert_string_equal(result(rep, "kv-inv")->t->vnet_id, VNET);
	assert_int_equal(result(rep, "kv-inv")->t->n_zones, 1);
	assert_string_equal(result(rep, "kv-manual")->t->vnet_id, VNET);
	assert_string_equal(result(rep, "hsm-manual")->t->fqdn, "hsm-manual.managedhsm.azure.net");
	memset(&o, 0, sizeof(o));
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		kv_buf_init(&b, 4 * 1024 * 1024);
		assert_int_equal(report_write(rep, formats[i], &o, &b), KV_OK);
		assert_true(b.len > 0);
		kv_buf_free(&b);
	}
	kv_buf_init(&b, 4 * 1024 * 1024);
	memset(&st, 0, sizeof(st));
	assert_int_equal(report_prom(rep, &st, &b), KV_OK);
	assert_non_null(strstr(b.data, "kvpe_vault_up{vault=\"kv-manual\"}"));
	kv_buf_free(&b);
	kv_buf_init(&b, 4 * 1024 * 1024);
	assert_int_equal(report_write(rep, REPORT_SARIF, &o, &b), KV_OK);
	assert_non_null(strstr(b.data, "127.0.0.1:9/arm-owned"));
	kv_buf_free(&b);
	report_free(rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe_targets),
	    cmocka_unit_test(test_report_outlives_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
