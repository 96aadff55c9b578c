/* test_check.c — the probe stage's work list (check_probe_targets): which
 * results are probed and why the others are not, and its out-of-memory path
 * (an arena printf failing once left an uncounted probe, and the stage wrote
 * one past its array). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kvpe/arena.h"
#include "kvpe/check.h"
#include "kvpe/net.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
