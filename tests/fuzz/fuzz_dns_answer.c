/* fuzz_dns_answer.c — a raw DNS response packet through dns_parse_answer
 * (c-ares' ares_parse_a_reply / ares_parse_aaaa_reply, then our chain and
 * address extraction), the private-link lookup read off the chain, and the
 * verdict over the result.
 *
 * Properties: no crash, no leak; the chain starts with the question name,
 * never exceeds KV_DNS_CHAIN_MAX and holds lower-case names (types.h);
 * addresses are sorted, unique and of the asked family. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "kvpe/addr.h"
#include "kvpe/arena.h"
#include "kvpe/dns.h"
#include "kvpe/types.h"
#include "kvpe/verdict.h"

#define QNAME "x.vault.azure.net"
#define PL_NAME "x.privatelink.vaultcore.azure.net"

static void
check_lookup(const struct kv_dns_lookup *lk, int family)
{
	FZ_CHECK(lk->n_chain <= KV_DNS_CHAIN_MAX);
	FZ_CHECK(lk->n_chain == 0 || strcmp(lk->chain[0], lk->qname) == 0);
	for (size_t i = 0; i < lk->n_chain; i++) {
		size_t len = strlen(lk->chain[i]);
		for (size_t k = 0; k < len; k++)
			FZ_CHECK(lk->chain[i][k] < 'A' || lk->chain[i][k] > 'Z');
	}
	FZ_CHECK(lk->n_addrs == 0 || lk->addrs != NULL);
	for (size_t i = 0; i < lk->n_addrs; i++) {
		FZ_CHECK(lk->addrs[i].family == family);
		FZ_CHECK(i == 0 || kv_addr_cmp(&lk->addrs[i - 1], &lk->addrs[i]) < 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kv_arena *a = kv_arena_new(16 * 1024);
	struct kv_dns_lookup lk, lk6, pl;
	struct kv_target t;
	struct kv_result r;
	struct verdict_cfg vc;
	const char *need = NULL, *need6 = NULL;
	enum kv_err rc, rc6;

	if (a == NULL || size > 65535)
		goto out;

	memset(&lk, 0, sizeof(lk));
	lk.qname = QNAME;
	rc = dns_parse_answer(data, (int)size, DNS_QA, a, &lk, &need);
	if (rc == KV_OK)
		check_lookup(&lk, 4);

	memset(&lk6, 0, sizeof(lk6));
	lk6.qname = QNAME;
	rc6 = dns_parse_answer(data, (int)size, DNS_QAAAA, a, &lk6, &need6);
	if (rc6 == KV_OK)
		check_lookup(&lk6, 6);

	memset(&pl, 0, sizeof(pl));
	if (rc == KV_OK && dns_lookup_from(&lk, PL_NAME, &pl)) {
		FZ_CHECK(pl.n_chain >= 1 && pl.n_chain <= lk.n_chain);
		FZ_CHECK(strcmp(pl.qname, PL_NAME) == 0);
	}

	/* The verdict over what the packet said, as check would see it. */
	memset(&t, 0, sizeof(t));
	t.name = "x";
	t.kind = KV_KIND_VAULT;
	t.cloud = KV_CLOUD_PUBLIC;
	t.source = "manual";
	if (kv_target_names(a, &t) != KV_OK)
		goto out;
	memset(&r, 0, sizeof(r));
	r.t = &t;
	r.probe.tcp_ms = r.probe.tls_ms = r.probe.http_ms = -1;
	if (rc == KV_OK) {
		r.dns.a = lk;
		r.dns.a.rcode = lk.n_addrs > 0 ? KV_RC_NOERROR : KV_RC_NXDOMAIN;
	} else {
		r.dns.a.rcode = KV_RC_ERROR;
		r.dns.a.qname = QNAME;
		r.dns.a.error = "malformed answer";
	}
	r.dns.a.server = -1;
	if (rc6 == KV_OK) {
		r.dns.aaaa = lk6;
		r.dns.aaaa.rcode = lk6.n_addrs > 0 ? KV_RC_NOERROR : KV_RC_NODATA;
		r.dns.aaaa.server = -1;
	}
	if (pl.qname != NULL) {
		r.dns.pl = pl;
		r.dns.pl.rcode = pl.n_addrs > 0 ? KV_RC_NOERROR : KV_RC_NXDOMAIN;
		r.dns.pl_from_chain = true;
	}
	memset(&vc, 0, sizeof(vc));
	if (verdict_vault(&vc, a, &r) == KV_OK) {
		FZ_CHECK(r.n_findings <= KV_F_COUNT);
		for (size_t i = 0; i < r.n_findings; i++)
			FZ_CHECK(r.findings[i].message != NULL && r.findings[i].remediation != NULL);
		FZ_CHECK(verdict_dns_summary(&vc, a, &r) != NULL);
	}
out:
	kv_arena_free(a);
	return 0;
}
