/* test_dns_parse.c — answer → chain/addresses extraction through c-ares'
 * parsers, from packets built here: CNAME chains, loops, long chains,
 * upper-case, 100+ and 4,000-address answers, malformed packets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kvpe/dns.h"

/* A tiny DNS response builder for the tests (uncompressed names). */
struct pkt {
	unsigned char b[65536];
	size_t n;
	unsigned ancount;
};

static void
put8(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (unsigned char)v;
}

static void
put16(struct pkt *p, unsigned v)
{
	put8(p, (v >> 8) & 0xff);
	put8(p, v & 0xff);
}

static void
put_name(struct pkt *p, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);
		put8(p, (unsigned)len);
		memcpy(p->b + p->n, name, len);
		p->n += len;
		name += len + (dot ? 1 : 0);
	}
	put8(p, 0);
}

static void
pkt_start(struct pkt *p, const char *qname, unsigned qtype, unsigned rcode)
{
	memset(p, 0, sizeof(*p));
	put16(p, 0x1234);
	put16(p, 0x8180 | rcode);
	put16(p, 1); /* qd */
	put16(p, 0); /* an, patched */
	put16(p, 0);
	put16(p, 0);
	put_name(p, qname);
	put16(p, qtype);
	put16(p, 1);
}

static void
rr_header(struct pkt *p, const char *owner, unsigned type, unsigned ttl, unsigned rdlen)
{
	put_name(p, owner);
	put16(p, type);
	put16(p, 1);
	put16(p, ttl >> 16);
	put16(p, ttl & 0xffff);
	put16(p, rdlen);
	p->ancount++;
	p->b[6] = (unsigned char)(p->ancount >> 8);
	p->b[7] = (unsigned char)(p->ancount & 0xff);
}

static void
rr_cname(struct pkt *p, const char *owner, const char *target, unsigned ttl)
{
	struct pkt tmp;
	memset(&tmp, 0, sizeof(tmp));
	put_name(&tmp, target);
	rr_header(p, owner, 5, ttl, (unsigned)tmp.n);
	memcpy(p->b + p->n, tmp.b, tmp.n);
	p->n += tmp.n;
}

static void
rr_a(struct pkt *p, const char *owner, unsigned a, unsigned b, unsigned c, unsigned d, unsigned ttl)
{
	rr_header(p, owner, 1, ttl, 4);
	put8(p, a);
	put8(p, b);
	put8(p, c);
	put8(p, d);
}

static void
rr_aaaa(struct pkt *p, const char *owner, unsigned last, unsigned ttl)
{
	rr_header(p, owner, 28, ttl, 16);
	put16(p, 0x2001);
	put16(p, 0x0db8);
	for (int i = 0; i < 5; i++)
		put16(p, 0);
	put16(p, last);
}

static struct kv_dns_lookup
parse(struct kv_arena *a, struct pkt *p, enum dns_qtype qt, const char *qname, const char **need, enum kv_err *rc)
{
	struct kv_dns_lookup lk;

	memset(&lk, 0, sizeof(lk));
	lk.qname = qname;
	*rc = dns_parse_answer(p->b, (int)p->n, qt, a, &lk, need);
	return lk;
}

static void
test_one_cname(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct pkt p;
	const char *need;
	enum kv_err rc;
	struct kv_dns_lookup lk;
	char buf[64];

	(void)state;
	pkt_start(&p, "kv.vault.azure.net", 1, 0);
	rr_cname(&p, "kv.vault.azure.net", "kv.privatelink.vaultcore.azure.net", 60);
	rr_a(&p, "kv.privatelink.vaultcore.azure.net", 10, 1, 0, 4, 10);
	lk = parse(a, &p, DNS_QA, "kv.vault.azure.net", &need, &rc);
	assert_int_equal(rc, KV_OK);
	assert_null(need);
	assert_int_equal(lk.n_chain, 2);
	assert_string_equal(lk.chain[0], "kv.vault.azure.net");
	assert_string_equal(lk.chain[1], "kv.privatelink.vaultcore.azure.net");
	assert_int_equal(lk.n_addrs, 1);
	kv_addr_format(&lk.addrs[0], buf, sizeof(buf));
	assert_string_equal(buf, "10.1.0.4");
	assert_int_equal(lk.ttl, 10); /* the smallest along the answer */
	kv_arena_free(a);
}

static void
test_long_chain_needs_final(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct pkt p;
	const char *need;
	enum kv_err rc;
	struct kv_dns_lookup lk;

	(void)state;
	pkt_start(&p, "kv.vault.azure.net", 1, 0);
	rr_cname(&p, "kv.vault.azure.net", "kv.privatelink.vaultcore.azure.net", 60);
	rr_cname(&p, "kv.privatelink.vaultcore.azure.net", "data-prod-weu.vaultcore.azure.net", 60);
	rr_cname(&p, "data-prod-weu.vaultcore.azure.net", "data-prod-weu-region.vaultcore.azure.net", 60);
	rr_a(&p, "data-prod-weu-region.vaultcore.azure.net", 52, 1, 2, 3, 30);
	lk = parse(a, &p, DNS_QA, "kv.vault.azure.net", &need, &rc);
	assert_int_equal(rc, KV_OK);
	/* c-ares 1.18's hostent does not name the last target: a follow-up asks. */
	assert_non_null(need);
	assert_string_equal(need, "data-prod-weu.vaultcore.azure.net");
	assert_int_equal(lk.n_chain, 3);
	assert_string_equal(lk.chain[2], "data-prod-weu.vaultcore.azure.net");
	assert_int_equal(lk.ttl, 30);
	kv_arena_free(a);
}

static void
test_nxdomain_keeps_chain(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct pkt p;
	const char *need;
	enum kv_err rc;
	struct kv_dns_lookup lk;

	(void)state;
	pkt_start(&p, "kv.vault.azure.net", 1, 3);
	rr_cname(&p, "kv.vault.azure.net", "kv.privatelink.vaultcore.azure.net", 60);
	lk = parse(a, &p, DNS_QA, "kv.vault.azure.net", &need, &rc);
	assert_int_equal(rc, KV_OK);
	assert_int_equal(lk.n_chain, 2);
	assert_int_equal(lk.n_addrs, 0);
	kv_arena_free(a);
}

static void
test_no_answers(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct pkt p;
	const char *need;
	enum kv_err rc;
	struct kv_dns_lookup lk;

	(void)state;
	pkt_start(&p, "kv.vault.azure.net", 1, 3);
	lk = parse(a, &p, DNS_QA, "kv.vault.azure.net", &need, &rc);
	assert_int_equal(rc, KV_OK);
	assert_int_equal(lk.n_chain, 1);
	assert_int_equal(lk.n_addrs, 0);
	kv_arena_free(a);
}

static void
test_upper_case_is_lowered(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct pkt p;
	const char *need;
	enum kv_err rc;
	struct kv_dns_lookup lk;

	(void)state;
	pkt_start(&p, "KV.Vault.Azure.NET", 1, 0);
	rr_cname(&p, "KV.Vault.Azure.NET", "KV.PrivateLink.VaultCore.Azure.NET", 60);
	rr_a(&p, "KV.PrivateLink.VaultCore.Azure.NET", 10, 1, 0, 4, 10);
	lk = parse(a, &p, DNS_QA, "kv.vault.azure.net", &need, &rc);
	assert_int_equal(rc, KV_OK);
	assert_int_equal(lk.n_chain, 2);
	assert_string_equal(lk.chain[1], "kv.privatelink.vaultcore.azure.net");
	kv_arena_free(a);
}

static void
test_loop_detected(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct pkt p;
	const char *need;
	enum kv_err rc;
	struct kv_dns_lookup lk;

	(void)state;
	pkt_start(&p, "a.vault.azure.net", 1, 0);
	rr_cname(&p, "a.vault.azure.net", "b.vault.azure.net", 60);
	rr_cname(&p, "b.vault.azure.net", "a.vault.azure.net", 60);
	rr_cname(&p, "a.vault.azure.net", "b.vault.azure.net", 60);
	lk = parse(a, &p, DNS_QA, "a.vault.azure.net", &need, &rc);
	assert_int_equal(rc, KV_OK);
	assert_true(lk.chain_loop);
	assert_null(need); /* no follow-up for a loop */
	assert_int_equal(lk.n_addrs, 0);
	kv_arena_free(a);
}

static void
test_chain_capped(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct pkt p;
	const char *need;
	enum kv_err rc;
	struct kv_dns_lookup lk;
	char owner[64], target[64];

	(void)state;
	pkt_start(&p, "c0.example", 1, 0);
	for (int i = 0; i < 30; i++) {
		snprintf(owner, sizeof(owner), "c%d.example", i);
		snprintf(target, sizeof(target), "c%d.example", i + 1);
		rr_cname(&p, owner, target, 60);
	}
	rr_a(&p, "c30.example", 10, 0, 0, 1, 60);
	lk = parse(a, &p, DNS_QA, "c0.example", &need, &rc);
	assert_int_equal(rc, KV_OK);
	assert_true(lk.chain_truncated);
	assert_int_equal(lk.n_chain, KV_DNS_CHAIN_MAX);
	assert_null(need);
	assert_int_equal(lk.n_addrs, 1);
	kv_arena_free(a);
}

static void
test_many_addresses(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct pkt p;
	const char *need;
	enum kv_err rc;
	struct kv_dns_lookup lk;

	(void)state;
	pkt_start(&p, "kv.privatelink.vaultcore.azure.net", 1, 0);
	for (unsigned i = 0; i < 150; i++)
		rr_a(&p, "kv.privatelink.vaultcore.azure.net", 10, 1, i / 250, 1 + i % 250, 10);
	lk = parse(a, &p, DNS_QA, "kv.privatelink.vaultcore.azure.net", &need, &rc);
	assert_int_equal(rc, KV_OK);
	assert_int_equal(lk.n_addrs, 150);
	for (size_t i = 1; i < lk.n_addrs; i++)
		assert_true(kv_addr_cmp(&lk.addrs[i - 1], &lk.addrs[i]) < 0); /* sorted, unique */
	kv_arena_free(a);
}

/* An A or AAAA record owned by the question name through a compression
 * pointer (2 bytes), so that 4,000 fit one 64 KB message. */
static void
rr_at_question(struct pkt *p, unsigned type, const unsigned char *rdata, unsigned rdlen, unsigned ttl)
{
	put16(p, 0xC00C);
	put16(p, type);
	put16(p, 1);
	put16(p, ttl >> 16);
	put16(p, ttl & 0xffff);
	put16(p, rdlen);
	memcpy(p->b + p->n, rdata, rdlen);
	p->n += rdlen;
	p->ancount++;
	p->b[6] = (unsigned char)(p->ancount >> 8);
	p->b[7] = (unsigned char)(p->ancount & 0xff);
}

/* Answers larger than any fixed array: every address and every TTL is read
 * (c-ares 1.18 silently stops filling its TTL array at the size given, and
 * kvpe once kept only the first 1,024 addresses).  The odd address is the
 * first record, then the last. */
static void
test_big_answers(void **state)
{
	static const struct {
		unsigned qtype, count;
		bool pub_first, pub_last;
	} cases[] = {
	    {1, 1100, true, false}, {1, 1100, false, true}, {1, 4000, false, true},
	    {28, 1100, true, false}, {28, 1100, false, true}, {28, 2300, false, true},
	};

	(void)state;
	for (size_t c = 0; c < KV_ARRAY_LEN(cases); c++) {
		struct kv_arena *a = kv_arena_new(64 * 1024);
		struct pkt *p = calloc(1, sizeof(*p));
		const char *need;
		enum kv_err rc;
		struct kv_dns_lookup lk;
		struct kv_addr pub;
		bool aaaa = cases[c].qtype == 28;
		unsigned n = cases[c].count;

		assert_non_null(p);
		assert_int_equal(kv_addr_parse(aaaa ? "2001:db8::52" : "52.1.2.3", &pub), KV_OK);
		pkt_start(p, "kv.privatelink.vaultcore.azure.net", cases[c].qtype, 0);
		for (unsigned i = 0; i < n; i++) {
			bool odd = (i == 0 && cases[c].pub_first) || (i == n - 1 && cases[c].pub_last);
			unsigned char rd[16] = {0xfd, 0};
			if (odd)
				memcpy(rd, pub.b, aaaa ? 16 : 4);
			else if (aaaa) {
				rd[14] = (unsigned char)(i >> 8);
				rd[15] = (unsigned char)(i & 0xff);
			} else {
				rd[0] = 10;
				rd[1] = 50;
				rd[2] = (unsigned char)(i / 250);
				rd[3] = (unsigned char)(1 + i % 250);
			}
			/* The smallest TTL sits on the last record. */
			rr_at_question(p, cases[c].qtype, rd, aaaa ? 16 : 4, i == n - 1 ? 7 : 30);
		}
		assert_true(p->n <= 65535);
		memset(&lk, 0, sizeof(lk));
		lk.qname = "kv.privatelink.vaultcore.azure.net";
		rc = dns_parse_answer(p->b, (int)p->n, aaaa ? DNS_QAAAA : DNS_QA, a, &lk, &need);
		assert_int_equal(rc, KV_OK);
		assert_int_equal(lk.n_addrs, n);
		assert_true(kv_addr_in_list(&pub, lk.addrs, lk.n_addrs));
		for (size_t i = 1; i < lk.n_addrs; i++)
			assert_true(kv_addr_cmp(&lk.addrs[i - 1], &lk.addrs[i]) < 0);
		assert_int_equal(lk.ttl, 7);
		free(p);
		kv_arena_free(a);
	}
}

static void
test_aaaa(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct pkt p;
	const char *need;
	enum kv_err rc;
	struct kv_dns_lookup lk;
	char buf[64];

	(void)state;
	pkt_start(&p, "kv.vault.azure.net", 28, 0);
	rr_cname(&p, "kv.vault.azure.net", "kv.privatelink.vaultcore.azure.net", 60);
	rr_aaaa(&p, "kv.privatelink.vaultcore.azure.net", 8, 10);
	lk = parse(a, &p, DNS_QAAAA, "kv.vault.azure.net", &need, &rc);
	assert_int_equal(rc, KV_OK);
	assert_int_equal(lk.n_addrs, 1);
	kv_addr_format(&lk.addrs[0], buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::8");
	kv_arena_free(a);
}

static void
test_malformed(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct pkt p;
	const char *need;
	enum kv_err rc;

	(void)state;
	pkt_start(&p, "kv.vault.azure.net", 1, 0);
	rr_cname(&p, "kv.vault.azure.net", "kv.privatelink.vaultcore.azure.net", 60);
	rr_a(&p, "kv.privatelink.vaultcore.azure.net", 10, 1, 0, 4, 10);
	for (size_t cut = 0; cut < p.n; cut++) {
		struct pkt q = p;
		q.n = cut;
		(void)parse(a, &q, DNS_QA, "kv.vault.azure.net", &need, &rc);
		assert_true(rc == KV_OK || rc == KV_EPARSE);
	}
	p.n = 5;
	(void)parse(a, &p, DNS_QA, "kv.vault.azure.net", &need, &rc);
	assert_int_equal(rc, KV_EPARSE);
	kv_arena_free(a);
}

static void
test_lookup_from(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct pkt p;
	const char *need;
	enum kv_err rc;
	struct kv_dns_lookup lk, pl;

	(void)state;
	pkt_start(&p, "kv.vault.azure.net", 1, 0);
	rr_cname(&p, "kv.vault.azure.net", "kv.privatelink.vaultcore.azure.net", 60);
	rr_a(&p, "kv.privatelink.vaultcore.azure.net", 10, 1, 0, 4, 10);
	lk = parse(a, &p, DNS_QA, "kv.vault.azure.net", &need, &rc);
	assert_true(dns_lookup_from(&lk, "KV.privatelink.vaultcore.azure.net", &pl));
	assert_int_equal(pl.n_chain, 1);
	assert_int_equal(pl.n_addrs, 1);
	assert_false(dns_lookup_from(&lk, "other.privatelink.vaultcore.azure.net", &pl));
	kv_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_cname),
	    cmocka_unit_test(test_long_chain_needs_final),
	    cmocka_unit_test(test_nxdomain_keeps_chain),
	    cmocka_unit_test(test_no_answers),
	    cmocka_unit_test(test_upper_case_is_lowered),
	    cmocka_unit_test(test_loop_detected),
	    cmocka_unit_test(test_chain_capped),
	    cmocka_unit_test(test_many_addresses),
	    cmocka_unit_test(test_big_answers),
	    cmocka_unit_test(test_aaaa),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_lookup_from),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
