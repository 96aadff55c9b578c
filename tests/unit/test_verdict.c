/* test_verdict.c — every rule from a table of cases (pure functions): the
 * DNS rules and their edges, the ARM cross-checks, and the connection probe
 * rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kvpe/expect.h"
#include "kvpe/verdict.h"

struct dns_case {
	const char *label;
	const char *vault;      /* short name; "hsm:" prefix for a Managed HSM */
	int cloud;
	const char *expected;   /* endpoint addresses (--vault NAME=IP), or NULL */
	enum kv_rcode rc;
	const char *chain;      /* space separated, as the resolver gave it */
	bool loop, truncated;
	const char *a;          /* A answers, comma separated */
	const char *aaaa;       /* AAAA answers */
	const char *cidrs;      /* --private-cidr, comma separated */
	const char *want;       /* finding codes, comma separated, sorted by code order */
	enum kv_status status;
};

#define PL ".privatelink.vaultcore.azure.net"
#define C_OK(v) v ".vault.azure.net " v PL
#define PUBCHAIN(v) v ".vault.azure.net " v PL " data-prod-weu.vaultcore.azure.net data-prod-weu-region.vaultcore.azure.net"
#define NOPECHAIN(v) v ".vault.azure.net data-prod-weu.vaultcore.azure.net data-prod-weu-region.vaultcore.azure.net"

static const struct dns_case dns_cases[] = {
	{"healthy", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0, "10.1.0.4", NULL, NULL, "", KV_ST_PASS},
	{"healthy, nothing expected", "kv", 0, NULL, KV_RC_NOERROR, C_OK("kv"), 0, 0, "10.1.0.4", NULL, NULL, "",
	    KV_ST_PASS},
	{"nxdomain", "kv", 0, "10.1.0.4", KV_RC_NXDOMAIN, C_OK("kv"), 0, 0, NULL, NULL, NULL, "DNS_NXDOMAIN",
	    KV_ST_FAIL},
	{"nodata", "kv", 0, NULL, KV_RC_NODATA, C_OK("kv"), 0, 0, NULL, NULL, NULL, "DNS_NO_ANSWER", KV_ST_FAIL},
	{"servfail is an error", "kv", 0, NULL, KV_RC_SERVFAIL, "kv.vault.azure.net", 0, 0, NULL, NULL, NULL,
	    "DNS_SERVFAIL", KV_ST_ERROR},
	{"refused counts as servfail", "kv", 0, NULL, KV_RC_REFUSED, "kv.vault.azure.net", 0, 0, NULL, NULL, NULL,
	    "DNS_SERVFAIL", KV_ST_ERROR},
	{"timeout is an error", "kv", 0, "10.1.0.4", KV_RC_TIMEOUT, "kv.vault.azure.net", 0, 0, NULL, NULL, NULL,
	    "DNS_TIMEOUT", KV_ST_ERROR},
	{"zone not linked: public via privatelink alias", "kv", 0, "10.1.0.4", KV_RC_NOERROR, PUBCHAIN("kv"), 0, 0,
	    "52.1.2.3", NULL, NULL, "DNS_PUBLIC_ADDRESS", KV_ST_FAIL},
	{"no endpoint: public without alias", "kv", 0, NULL, KV_RC_NOERROR, NOPECHAIN("kv"), 0, 0, "52.1.2.3", NULL,
	    NULL, "DNS_PUBLIC_ADDRESS,DNS_NO_PRIVATELINK_CNAME", KV_ST_FAIL},
	{"stale record", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0, "10.1.9.9", NULL, NULL,
	    "DNS_ADDRESS_MISMATCH", KV_ST_FAIL},
	{"stale among right ones", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0, "10.1.0.4,10.1.9.9", NULL,
	    NULL, "DNS_ADDRESS_MISMATCH", KV_ST_FAIL},
	{"mixed public and private: public is not also a mismatch", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0,
	    0, "10.1.0.4,52.1.2.3", NULL, NULL, "DNS_PUBLIC_ADDRESS", KV_ST_FAIL},
	{"mixed public and stale private: both", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0,
	    "10.1.9.9,52.1.2.3", NULL, NULL, "DNS_PUBLIC_ADDRESS,DNS_ADDRESS_MISMATCH", KV_ST_FAIL},
	{"override zone: right answer, no alias", "kv", 0, "10.1.0.4", KV_RC_NOERROR, "kv.vault.azure.net", 0, 0,
	    "10.1.0.4", NULL, NULL, "DNS_NO_PRIVATELINK_CNAME", KV_ST_FAIL},
	{"public AAAA beside a right A", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0, "10.1.0.4",
	    "2001:db8::8", NULL, "DNS_PUBLIC_IPV6", KV_ST_FAIL},
	{"ULA AAAA is private", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0, "10.1.0.4", "fd00::8", NULL, "",
	    KV_ST_PASS},
	{"100.64/10 is private", "kv", 0, NULL, KV_RC_NOERROR, C_OK("kv"), 0, 0, "100.64.0.4", NULL, NULL, "",
	    KV_ST_PASS},
	{"100.128/9 is not", "kv", 0, NULL, KV_RC_NOERROR, C_OK("kv"), 0, 0, "100.128.0.4", NULL, NULL,
	    "DNS_PUBLIC_ADDRESS", KV_ST_FAIL},
	{"172.32 is not RFC 1918", "kv", 0, NULL, KV_RC_NOERROR, C_OK("kv"), 0, 0, "172.32.0.4", NULL, NULL,
	    "DNS_PUBLIC_ADDRESS", KV_ST_FAIL},
	{"172.31 is", "kv", 0, NULL, KV_RC_NOERROR, C_OK("kv"), 0, 0, "172.31.255.4", NULL, NULL, "", KV_ST_PASS},
	{"--private-cidr adds a range", "kv", 0, NULL, KV_RC_NOERROR, C_OK("kv"), 0, 0, "172.32.0.4", NULL,
	    "172.32.0.0/16", "", KV_ST_PASS},
	{"--private-cidr IPv6", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0, "10.1.0.4", "2001:db8::8",
	    "2001:db8::/32", "", KV_ST_PASS},
	{"the endpoint's own address is never public", "kv", 0, "52.1.2.3", KV_RC_NOERROR, C_OK("kv"), 0, 0,
	    "52.1.2.3", NULL, NULL, "", KV_ST_PASS},
	{"upper-case chain names compare case-insensitively", "kv", 0, "10.1.0.4", KV_RC_NOERROR,
	    "KV.VAULT.AZURE.NET KV.PRIVATELINK.VAULTCORE.AZURE.NET", 0, 0, "10.1.0.4", NULL, NULL, "", KV_ST_PASS},
	{"a long chain through the alias", "kv", 0, "10.1.0.4", KV_RC_NOERROR,
	    "kv.vault.azure.net c1.x c2.x c3.x c4.x c5.x c6.x c7.x c8.x c9.x kv" PL, 0, 0, "10.1.0.4", NULL, NULL, "",
	    KV_ST_PASS},
	{"a long chain that never passes the alias", "kv", 0, "10.1.0.4", KV_RC_NOERROR,
	    "kv.vault.azure.net c1.x c2.x c3.x c4.x c5.x c6.x c7.x c8.x c9.x", 0, 0, "10.1.0.4", NULL, NULL,
	    "DNS_NO_PRIVATELINK_CNAME", KV_ST_FAIL},
	{"CNAME loop with no address", "kv", 0, NULL, KV_RC_NODATA, "kv.vault.azure.net kv" PL " kv.vault.azure.net",
	    1, 0, NULL, NULL, NULL, "DNS_NO_ANSWER", KV_ST_FAIL},
	{"China cloud alias", "kv", KV_CLOUD_CHINA, "10.1.0.4", KV_RC_NOERROR,
	    "kv.vault.azure.cn kv.privatelink.vaultcore.azure.cn", 0, 0, "10.1.0.4", NULL, NULL, "", KV_ST_PASS},
	{"China vault through the public cloud's alias", "kv", KV_CLOUD_CHINA, "10.1.0.4", KV_RC_NOERROR,
	    "kv.vault.azure.cn kv" PL, 0, 0, "10.1.0.4", NULL, NULL, "DNS_NO_PRIVATELINK_CNAME", KV_ST_FAIL},
	{"Managed HSM alias", "hsm:h1", 0, "10.1.2.4", KV_RC_NOERROR,
	    "h1.managedhsm.azure.net h1.privatelink.managedhsm.azure.net", 0, 0, "10.1.2.4", NULL, NULL, "",
	    KV_ST_PASS},
	{"HSM through the vault zone is not its alias", "hsm:h1", 0, "10.1.2.4", KV_RC_NOERROR,
	    "h1.managedhsm.azure.net h1" PL, 0, 0, "10.1.2.4", NULL, NULL, "DNS_NO_PRIVATELINK_CNAME", KV_ST_FAIL},
	{"not resolved at all: no DNS finding", "kv", 0, NULL, KV_RC_NONE, NULL, 0, 0, NULL, NULL, NULL, "",
	    KV_ST_PASS},
};

/* Edges of the answer: a failed AAAA lookup, a chain kvpe could not read whole. */
struct dns_edge {
	struct dns_case c;
	enum kv_rcode aaaa_rc; /* the AAAA lookup's outcome (NONE: as dns_case says) */
	bool incomplete;       /* the chain's last name could not be learned */
};

static const struct dns_edge dns_edges[] = {
	/* No silent pass, no diagnosis from what was not seen: a cut chain. */
	{{"a chain cut at the limit: not checked, no override-zone diagnosis", "kv", 0, "10.1.0.4", KV_RC_NOERROR,
	     "kv.vault.azure.net c1.x c2.x c3.x c4.x c5.x c6.x c7.x c8.x c9.x", 0, 1, "10.1.0.4", NULL, NULL,
	     "DNS_CHAIN_INCOMPLETE", KV_ST_ERROR},
	    KV_RC_NONE, 0},
	{{"a cut chain through the alias, right answer: still not checked", "kv", 0, "10.1.0.4", KV_RC_NOERROR,
	     C_OK("kv") " c1.x c2.x", 0, 1, "10.1.0.4", NULL, NULL, "DNS_CHAIN_INCOMPLETE", KV_ST_ERROR},
	    KV_RC_NONE, 0},
	{{"a cut chain to a public address: public, not 'no endpoint'", "kv", 0, NULL, KV_RC_NOERROR,
	     "kv.vault.azure.net c1.x c2.x", 0, 1, "52.1.2.3", NULL, NULL, "DNS_CHAIN_INCOMPLETE,DNS_PUBLIC_ADDRESS",
	     KV_ST_ERROR},
	    KV_RC_NONE, 0},
	{{"a cut chain ending in NXDOMAIN", "kv", 0, "10.1.0.4", KV_RC_NXDOMAIN, "kv.vault.azure.net c1.x c2.x", 0, 1,
	     NULL, NULL, NULL, "DNS_NXDOMAIN,DNS_CHAIN_INCOMPLETE", KV_ST_ERROR},
	    KV_RC_NONE, 0},
	{{"the chain's last name unknown: not checked", "kv", 0, "10.1.0.4", KV_RC_NOERROR,
	     "kv.vault.azure.net c1.x c2.x", 0, 0, "10.1.0.4", NULL, NULL, "DNS_CHAIN_INCOMPLETE", KV_ST_ERROR},
	    KV_RC_NONE, 1},
	/* IPv6 not checked: a failed AAAA query beside a right A answer. */
	{{"AAAA SERVFAIL beside a right A", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0, "10.1.0.4", NULL,
	     NULL, "DNS_SERVFAIL", KV_ST_ERROR},
	    KV_RC_SERVFAIL, 0},
	{{"AAAA REFUSED beside a right A", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0, "10.1.0.4", NULL,
	     NULL, "DNS_SERVFAIL", KV_ST_ERROR},
	    KV_RC_REFUSED, 0},
	{{"AAAA timeout beside a right A", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0, "10.1.0.4", NULL,
	     NULL, "DNS_TIMEOUT", KV_ST_ERROR},
	    KV_RC_TIMEOUT, 0},
	{{"AAAA unreadable beside a right A", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0, "10.1.0.4", NULL,
	     NULL, "DNS_SERVFAIL", KV_ST_ERROR},
	    KV_RC_ERROR, 0},
	{{"AAAA SERVFAIL beside a public A: both said", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0,
	     "52.1.2.3", NULL, NULL, "DNS_SERVFAIL,DNS_PUBLIC_ADDRESS", KV_ST_ERROR},
	    KV_RC_SERVFAIL, 0},
	{{"AAAA SERVFAIL beside NXDOMAIN: the vault fails anyway", "kv", 0, "10.1.0.4", KV_RC_NXDOMAIN, C_OK("kv"), 0,
	     0, NULL, NULL, NULL, "DNS_NXDOMAIN", KV_ST_FAIL},
	    KV_RC_SERVFAIL, 0},
	{{"AAAA NXDOMAIN beside a right A is an answer", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0,
	     "10.1.0.4", NULL, NULL, "", KV_ST_PASS},
	    KV_RC_NXDOMAIN, 0},
	{{"AAAA NODATA beside a right A is an answer", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0,
	     "10.1.0.4", NULL, NULL, "", KV_ST_PASS},
	    KV_RC_NODATA, 0},
};

static struct kv_addr *
parse_addrs(struct kv_arena *a, const char *list, size_t *n)
{
	struct kv_addr *v;
	char *copy, *tok, *save = NULL;

	*n = 0;
	if (list == NULL)
		return NULL;
	v = kv_arena_calloc(a, 64, sizeof(*v));
	copy = kv_arena_strdup(a, list);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		assert_int_equal(kv_addr_parse(tok, &v[(*n)++]), KV_OK);
	kv_addr_sort_unique(v, n);
	return v;
}

static void
build(struct kv_arena *a, const struct dns_case *c, struct kv_target *t, struct kv_result *r,
    struct verdict_cfg *vc, struct kv_cidr *cidrs)
{
	char *copy, *tok, *save = NULL;

	memset(t, 0, sizeof(*t));
	memset(r, 0, sizeof(*r));
	memset(vc, 0, sizeof(*vc));
	t->kind = strncmp(c->vault, "hsm:", 4) == 0 ? KV_KIND_HSM : KV_KIND_VAULT;
	t->name = c->vault + (t->kind == KV_KIND_HSM ? 4 : 0);
	t->cloud = (enum kv_cloud_id)c->cloud;
	assert_int_equal(kv_target_names(a, t), KV_OK);
	if (c->expected) {
		t->expected = parse_addrs(a, c->expected, &t->n_expected);
		t->expected_known = t->expected_manual = true;
	}
	r->t = t;
	r->dns.a.rcode = c->rc;
	r->dns.a.server = -1;
	r->dns.a.chain = kv_arena_calloc(a, KV_DNS_CHAIN_MAX, sizeof(char *));
	if (c->chain) {
		copy = kv_arena_strdup(a, c->chain);
		for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			r->dns.a.chain[r->dns.a.n_chain++] = tok;
	}
	r->dns.a.chain_loop = c->loop;
	r->dns.a.chain_truncated = c->truncated;
	r->dns.a.wire_rcode = -1;
	r->dns.aaaa.server = -1;
	r->dns.aaaa.wire_rcode = -1;
	r->dns.a.addrs = parse_addrs(a, c->a, &r->dns.a.n_addrs);
	if (c->aaaa) {
		r->dns.aaaa.rcode = KV_RC_NOERROR;
		r->dns.aaaa.addrs = parse_addrs(a, c->aaaa, &r->dns.aaaa.n_addrs);
	}
	if (c->cidrs) {
		copy = kv_arena_strdup(a, c->cidrs);
		save = NULL;
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			assert_int_equal(kv_cidr_parse(tok, &cidrs[vc->n_private_cidrs++]), KV_OK);
		vc->private_cidrs = cidrs;
	}
}

static const char *
codes_of(struct kv_arena *a, const struct kv_result *r)
{
	char *s = kv_arena_alloc(a, 1024);

	for (size_t i = 0; i < r->n_findings; i++)
		snprintf(s + strlen(s), 1024 - strlen(s), "%s%s", i ? "," : "", finding_name(r->findings[i].code));
	return s;
}

/* Judges r and fails the test unless its codes and status are the case's. */
static void
judge(struct kv_arena *a, const struct verdict_cfg *vc, struct kv_result *r, const char *label, const char *want,
    enum kv_status status)
{
	const char *got;

	assert_int_equal(verdict_vault(vc, a, r), KV_OK);
	got = codes_of(a, r);
	if (strcmp(got, want) != 0 || r->status != status) {
		print_error("case '%s': got [%s] status %s, want [%s] status %s\n", label, got, kv_status_name(r->status),
		    want, kv_status_name(status));
		fail();
	}
}

/* Judges one case; `edge` adds the AAAA outcome and the chain's end. */
static void
run_case(const struct dns_case *c, const struct dns_edge *edge)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct kv_target t;
	struct kv_result r;
	struct verdict_cfg vc;
	struct kv_cidr cidrs[8];

	build(a, c, &t, &r, &vc, cidrs);
	if (edge != NULL) {
		if (edge->aaaa_rc != KV_RC_NONE)
			r.dns.aaaa.rcode = edge->aaaa_rc;
		r.dns.a.chain_incomplete = edge->incomplete;
	}
	judge(a, &vc, &r, c->label, c->want, c->status);
	for (size_t k = 0; k < r.n_findings; k++) {
		assert_non_null(r.findings[k].message);
		assert_true(strlen(r.findings[k].message) > 10);
		assert_non_null(r.findings[k].remediation);
		assert_true(strlen(r.findings[k].remediation) > 10);
	}
	/* What kvpe resolve says agrees: never "private" for an unchecked name. */
	if (r.status == KV_ST_ERROR)
		assert_null(strstr(verdict_dns_summary(&vc, a, &r), "private: "));
	kv_arena_free(a);
}

static void
test_dns_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(dns_cases); i++)
		run_case(&dns_cases[i], NULL);
}

static void
test_dns_edges(void **state)
{
	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(dns_edges); i++)
		run_case(&dns_edges[i].c, &dns_edges[i]);
}

/* Messages name the observed and the expected values; remediations fill in
 * the names the target knows. */
static void
test_messages(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct kv_target t;
	struct kv_result r;
	struct verdict_cfg vc;
	struct kv_cidr cidrs[1];
	const struct dns_case stale = {"stale", "contoso", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("contoso"), 0, 0,
	    "10.1.9.9", NULL, NULL, "DNS_ADDRESS_MISMATCH", KV_ST_FAIL};

	(void)state;
	build(a, &stale, &t, &r, &vc, cidrs);
	assert_int_equal(verdict_vault(&vc, a, &r), KV_OK);
	assert_int_equal(r.n_findings, 1);
	assert_non_null(strstr(r.findings[0].message, "10.1.9.9"));
	assert_non_null(strstr(r.findings[0].message, "10.1.0.4"));
	assert_non_null(strstr(r.findings[0].remediation, "--record-set-name contoso"));
	assert_non_null(strstr(r.findings[0].remediation, "remove-record"));
	assert_non_null(strstr(r.findings[0].remediation, "--ipv4-address 10.1.9.9"));
	assert_non_null(strstr(r.findings[0].remediation, "--ipv4-address 10.1.0.4"));
	kv_arena_free(a);
}

static void
test_summary_line(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct kv_target t;
	struct kv_result r;
	struct verdict_cfg vc;
	struct kv_cidr cidrs[1];
	const struct dns_case c = {"nx", "kv", 0, NULL, KV_RC_NXDOMAIN, C_OK("kv"), 0, 0, NULL, NULL, NULL, "", 0};

	(void)state;
	build(a, &c, &t, &r, &vc, cidrs);
	assert_int_equal(verdict_vault(&vc, a, &r), KV_OK);
	assert_non_null(strstr(verdict_dns_summary(&vc, a, &r), "NXDOMAIN"));
	kv_arena_free(a);
}

/* The edges name what went wrong: the reply code, the refused connection,
 * the failed AAAA query, the cut chain; and kvpe resolve says the same. */
static void
test_edge_messages(void **state)
{
	static const struct {
		enum kv_rcode a_rc, aaaa_rc;
		int wire;
		const char *error;
		bool truncated;
		const char *code, *in_message, *not_in_message, *summary;
	} cases[] = {
	    {KV_RC_SERVFAIL, KV_RC_NONE, 9, NULL, false, "DNS_SERVFAIL", "answered rcode 9 NOTAUTH", NULL,
		"the resolver failed (rcode 9 NOTAUTH)"},
	    {KV_RC_SERVFAIL, KV_RC_NONE, 6, NULL, false, "DNS_SERVFAIL", "answered rcode 6 YXDOMAIN", NULL,
		"rcode 6 YXDOMAIN"},
	    {KV_RC_SERVFAIL, KV_RC_NONE, 12, NULL, false, "DNS_SERVFAIL", "answered rcode 12 (unassigned)", NULL,
		"rcode 12"},
	    {KV_RC_SERVFAIL, KV_RC_NONE, 1, NULL, false, "DNS_SERVFAIL", "answered rcode 1 FORMERR", NULL, "FORMERR"},
	    {KV_RC_SERVFAIL, KV_RC_NONE, 2, NULL, false, "DNS_SERVFAIL", "answered SERVFAIL", "rcode", "SERVFAIL"},
	    {KV_RC_ERROR, KV_RC_NONE, -1, "connection refused: nothing listens on that port", false, "DNS_SERVFAIL",
		"no answer from 10.0.0.4:53: connection refused", "answered", "connection refused"},
	    {KV_RC_NOERROR, KV_RC_SERVFAIL, 2, NULL, false, "DNS_SERVFAIL", "IPv6 not checked", NULL,
		"IPv6 not checked: the AAAA query failed (SERVFAIL)"},
	    {KV_RC_NOERROR, KV_RC_TIMEOUT, -1, NULL, false, "DNS_TIMEOUT", "IPv6 not checked", NULL,
		"IPv6 not checked: the AAAA query failed (TIMEOUT)"},
	    {KV_RC_NOERROR, KV_RC_NONE, 0, NULL, true, "DNS_CHAIN_INCOMPLETE", "longer than the 16 names kvpe follows",
		NULL, "not checked: the CNAME chain is longer than the 16 names"},
	};
	const char *const resolvers[] = {"10.0.0.4:53"};

	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(cases); i++) {
		struct kv_arena *a = kv_arena_new(4096);
		struct kv_target t;
		struct kv_result r;
		struct verdict_cfg vc;
		struct kv_cidr cidrs[1];
		const struct dns_case c = {"edge", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0, "10.1.0.4", NULL,
		    NULL, "", 0};
		const char *summary;

		build(a, &c, &t, &r, &vc, cidrs);
		vc.resolvers = resolvers;
		vc.n_resolvers = 1;
		r.dns.a.server = r.dns.aaaa.server = 0;
		r.dns.a.attempts = r.dns.aaaa.attempts = 1;
		if (cases[i].aaaa_rc != KV_RC_NONE) {
			r.dns.aaaa.rcode = cases[i].aaaa_rc;
			r.dns.aaaa.wire_rcode = cases[i].wire;
		} else {
			r.dns.a.rcode = cases[i].a_rc;
			r.dns.a.wire_rcode = cases[i].wire;
			r.dns.a.error = cases[i].error;
			r.dns.a.chain_truncated = cases[i].truncated;
			if (cases[i].a_rc != KV_RC_NOERROR)
				r.dns.a.n_addrs = 0;
		}
		assert_int_equal(verdict_vault(&vc, a, &r), KV_OK);
		assert_int_equal(r.status, KV_ST_ERROR);
		assert_int_equal(r.n_findings, 1);
		assert_string_equal(finding_name(r.findings[0].code), cases[i].code);
		if (strstr(r.findings[0].message, cases[i].in_message) == NULL ||
		    (cases[i].not_in_message && strstr(r.findings[0].message, cases[i].not_in_message) != NULL)) {
			print_error("case %zu: message '%s'\n", i, r.findings[0].message);
			fail();
		}
		summary = verdict_dns_summary(&vc, a, &r);
		if (strstr(summary, cases[i].summary) == NULL) {
			print_error("case %zu: summary '%s'\n", i, summary);
			fail();
		}
		assert_non_null(verdict_dns_unchecked(a, &r.dns));
		kv_arena_free(a);
	}
}

/* 1,100 answers: the odd public address is found first or last, and the
 * message names it; a long list is counted, not cut silently. */
static void
test_big_answer(void **state)
{
	struct kv_arena *a = kv_arena_new(64 * 1024);
	struct kv_target t;
	struct kv_result r;
	struct verdict_cfg vc;
	struct kv_cidr cidrs[1];
	const struct dns_case c = {"big", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0, NULL, NULL, NULL, "", 0};
	struct kv_addr *v = kv_arena_calloc(a, 1100, sizeof(*v));

	(void)state;
	for (int where = 0; where < 2; where++) {
		build(a, &c, &t, &r, &vc, cidrs);
		for (unsigned i = 0; i < 1100; i++) {
			char buf[32];
			snprintf(buf, sizeof(buf), "10.50.%u.%u", i / 250, 1 + i % 250);
			assert_int_equal(kv_addr_parse(buf, &v[i]), KV_OK);
		}
		assert_int_equal(kv_addr_parse("52.1.2.3", &v[where ? 1099 : 0]), KV_OK);
		r.dns.a.addrs = v;
		r.dns.a.n_addrs = 1100;
		kv_addr_sort_unique(r.dns.a.addrs, &r.dns.a.n_addrs);
		assert_int_equal(verdict_vault(&vc, a, &r), KV_OK);
		assert_string_equal(codes_of(a, &r), "DNS_PUBLIC_ADDRESS,DNS_ADDRESS_MISMATCH");
		assert_non_null(strstr(r.findings[0].message, "public 52.1.2.3 via"));
		assert_non_null(strstr(r.findings[1].message, " and 1083 more, which the endpoint does not own"));
		assert_non_null(strstr(verdict_dns_summary(&vc, a, &r), "PUBLIC"));
	}
	kv_arena_free(a);
}

/* ---- ARM cross-checks ---- */

struct arm_case {
	const char *label;
	const char *eps;       /* "A:10.1.0.4" approved with address, "P:" pending, "R:" rejected, "X" approved
				* endpoint outside the inventory, "A:" approved without address; ';' separated */
	int zones;             /* -1: no zone in the inventory; else the zone's record: 0 none, 1 right, 2 stale */
	int vnet;              /* 0 unknown, 1 known and the zone linked, 2 known and not linked */
	const char *pna;       /* publicNetworkAccess: NULL absent, "Enabled", "Disabled" */
	const char *acl;       /* defaultAction: NULL absent, "Allow", "Deny" */
	const char *want;
	enum kv_status status;
};

static const struct arm_case arm_cases[] = {
	{"healthy", "A:10.1.0.4", 1, 1, "Disabled", NULL, "", KV_ST_PASS},
	{"no endpoint", "", -1, 0, "Disabled", NULL, "NO_PRIVATE_ENDPOINT", KV_ST_FAIL},
	{"pending only", "P:10.1.0.4", 1, 0, "Disabled", NULL, "ENDPOINT_NOT_APPROVED", KV_ST_FAIL},
	{"rejected only", "R:10.1.0.4", -1, 0, "Disabled", NULL, "ENDPOINT_NOT_APPROVED", KV_ST_FAIL},
	{"rejected beside approved", "R:10.1.0.5;A:10.1.0.4", 1, 0, "Disabled", NULL, "", KV_ST_PASS},
	{"approved without address", "A:", -1, 0, "Disabled", NULL, "ENDPOINT_NO_ADDRESS", KV_ST_FAIL},
	{"endpoint outside the inventory: unknown, not missing", "X", -1, 0, "Disabled", NULL, "", KV_ST_PASS},
	{"zone without the record", "A:10.1.0.4", 0, 0, "Disabled", NULL, "ZONE_RECORD_MISSING", KV_ST_FAIL},
	{"zone record stale", "A:10.1.0.4", 2, 0, "Disabled", NULL, "ZONE_RECORD_STALE", KV_ST_FAIL},
	{"no zone anywhere: unknown, not missing", "A:10.1.0.4", -1, 0, "Disabled", NULL, "", KV_ST_PASS},
	{"zone not linked to this VNet", "A:10.1.0.4", 1, 2, "Disabled", NULL, "ZONE_NOT_LINKED", KV_ST_FAIL},
	{"zone rules concern approved endpoints only", "P:10.1.0.4", 0, 2, "Disabled", NULL, "ENDPOINT_NOT_APPROVED",
	    KV_ST_FAIL},
	{"public access absent = enabled, acl absent = allow", "A:10.1.0.4", 1, 0, NULL, NULL, "PUBLIC_NETWORK_ENABLED",
	    KV_ST_PASS},
	{"public access Enabled with Allow", "A:10.1.0.4", 1, 0, "Enabled", "Allow", "PUBLIC_NETWORK_ENABLED",
	    KV_ST_PASS},
	{"public access enabled (lower case)", "A:10.1.0.4", 1, 0, "enabled", NULL, "PUBLIC_NETWORK_ENABLED",
	    KV_ST_PASS},
	{"public access Enabled with Deny", "A:10.1.0.4", 1, 0, "Enabled", "Deny", "", KV_ST_PASS},
	{"public access Disabled", "A:10.1.0.4", 1, 0, "Disabled", "Allow", "", KV_ST_PASS},
	{"everything wrong at once", "P:10.1.0.4", -1, 0, NULL, NULL, "ENDPOINT_NOT_APPROVED,PUBLIC_NETWORK_ENABLED",
	    KV_ST_FAIL},
};

static enum kv_tri
tri(const char *s, const char *yes)
{
	if (s == NULL)
		return KV_TRI_UNKNOWN;
	return kv_streq_ci(s, yes) ? KV_TRI_YES : KV_TRI_NO;
}

static void
build_arm(struct kv_arena *a, const struct arm_case *c, struct kv_target *t, struct kv_result *r)
{
	char *copy = kv_arena_strdup(a, c->eps), *tok, *save = NULL;
	struct kv_addr *exp = kv_arena_calloc(a, 8, sizeof(*exp));

	memset(t, 0, sizeof(*t));
	memset(r, 0, sizeof(*r));
	t->name = "contoso";
	assert_int_equal(kv_target_names(a, t), KV_OK);
	t->arm_known = true;
	t->id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/contoso";
	t->resource_group = "rg";
	t->subscription = "s";
	t->public_access = c->pna ? (kv_streq_ci(c->pna, "Enabled") ? KV_TRI_YES : KV_TRI_NO) : KV_TRI_UNKNOWN;
	t->acl_default_allow = tri(c->acl, "Allow");
	t->endpoints = kv_arena_calloc(a, 8, sizeof(*t->endpoints));
	for (tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		struct kv_endpoint_view *e = &t->endpoints[t->n_endpoints++];
		e->pe_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe";
		e->pe_name = "pe";
		e->conn_name = "pe.conn";
		e->state = tok[0] == 'P' ? KV_PE_PENDING : tok[0] == 'R' ? KV_PE_REJECTED : KV_PE_APPROVED;
		e->pe_found = tok[0] != 'X';
		if (tok[0] != 'X' && tok[2] != '\0') {
			e->addrs = kv_arena_calloc(a, 1, sizeof(*e->addrs));
			assert_int_equal(kv_addr_parse(tok + 2, &e->addrs[0]), KV_OK);
			e->n_addrs = 1;
			if (e->state == KV_PE_APPROVED) {
				exp[t->n_expected++] = e->addrs[0];
				t->expected_known = true;
			}
		}
	}
	t->expected = exp;
	if (c->zones >= 0) {
		t->zones_known = true;
		t->zones = kv_arena_calloc(a, 1, sizeof(*t->zones));
		t->n_zones = 1;
		t->zones[0].name = t->pl_zone;
		t->zones[0].resource_group = "rg-dns";
		t->zones[0].linked = c->vnet == 1;
		if (c->zones > 0) {
			t->zones[0].has_record = true;
			t->zones[0].addrs = kv_arena_calloc(a, 1, sizeof(struct kv_addr));
			t->zones[0].n_addrs = 1;
			assert_int_equal(kv_addr_parse(c->zones == 1 ? "10.1.0.4" : "10.1.9.9", &t->zones[0].addrs[0]), KV_OK);
		}
	}
	if (c->vnet != 0) {
		t->vnet_known = true;
		t->vnet_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet";
	}
	r->t = t;
}

static void
test_arm_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(arm_cases); i++) {
		const struct arm_case *c = &arm_cases[i];
		struct kv_arena *a = kv_arena_new(4096);
		struct kv_target t;
		struct kv_result r;
		struct verdict_cfg vc;

		memset(&vc, 0, sizeof(vc));
		build_arm(a, c, &t, &r);
		judge(a, &vc, &r, c->label, c->want, c->status);
		kv_arena_free(a);
	}
}

/* An incomplete inventory entry is "error" with no findings, whatever else. */
static void
test_incomplete(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct kv_target t;
	struct kv_result r;
	struct verdict_cfg vc;

	(void)state;
	memset(&vc, 0, sizeof(vc));
	build_arm(a, &arm_cases[1], &t, &r);
	t.incomplete = "no properties";
	assert_int_equal(verdict_vault(&vc, a, &r), KV_OK);
	assert_int_equal(r.n_findings, 0);
	assert_int_equal(r.status, KV_ST_ERROR);
	kv_arena_free(a);
}

/* Names from the inventory are quoted for the shell in remediation commands. */
static void
test_shell_quoting(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct kv_target t;
	struct kv_result r;
	struct verdict_cfg vc;
	const struct arm_case pub = {"public", "A:10.1.0.4", 1, 0, NULL, NULL, "PUBLIC_NETWORK_ENABLED", KV_ST_PASS};

	(void)state;
	memset(&vc, 0, sizeof(vc));
	build_arm(a, &pub, &t, &r);
	t.resource_group = "rg (prod) & it's";
	assert_int_equal(verdict_vault(&vc, a, &r), KV_OK);
	assert_int_equal(r.n_findings, 1);
	assert_non_null(strstr(r.findings[0].remediation, "--resource-group 'rg (prod) & it'\\''s' --name contoso "));
	kv_arena_free(a);
}

/* ---- connection probe rules ---- */

struct probe_case {
	const char *label;
	enum kv_probe_level level;
	enum kv_probe_result result;
	int http_status;
	const char *error;      /* connect/TLS/HTTP error text */
	const char *error_code; /* from a 403 body */
	const char *seen;       /* x-ms-keyvault-network-info addr= */
	const char *local;      /* our end of the connection */
	const char *cidrs;      /* --private-cidr */
	const char *want;
	enum kv_status status;
};

static const struct probe_case probe_cases[] = {
	{"not run: no probe finding", KV_PROBE_HTTPS, KV_PR_NOT_RUN, 0, NULL, NULL, NULL, NULL, NULL, "", KV_ST_PASS},
	{"tcp level connected", KV_PROBE_TCP, KV_PR_CONNECTED, 0, NULL, NULL, NULL, "10.1.0.50", NULL, "", KV_ST_PASS},
	{"tls level connected", KV_PROBE_TLS, KV_PR_CONNECTED, 0, NULL, NULL, NULL, "10.1.0.50", NULL, "", KV_ST_PASS},
	{"vault saw our private address", KV_PROBE_HTTPS, KV_PR_VAULT, 401, NULL, NULL, "10.1.0.50", "10.1.0.50", NULL,
	    "", KV_ST_PASS},
	{"vault saw another private address (NAT inside the VNet)", KV_PROBE_HTTPS, KV_PR_VAULT, 401, NULL, NULL,
	    "10.9.0.7", "10.1.0.50", NULL, "", KV_ST_PASS},
	{"vault saw our own public address: the host is public itself", KV_PROBE_HTTPS, KV_PR_VAULT, 401, NULL, NULL,
	    "52.1.2.9", "52.1.2.9", NULL, "", KV_ST_PASS},
	{"Bearer challenge without network info", KV_PROBE_HTTPS, KV_PR_VAULT, 401, NULL, NULL, NULL, "10.1.0.50", NULL,
	    "", KV_ST_PASS},
	{"network info that is no address", KV_PROBE_HTTPS, KV_PR_VAULT, 401, NULL, NULL, "not-an-ip", "10.1.0.50", NULL,
	    "", KV_ST_PASS},
	{"tcp failed", KV_PROBE_HTTPS, KV_PR_TCP_FAILED, 0, "Connection refused", NULL, NULL, NULL, NULL,
	    "PROBE_TCP_FAILED", KV_ST_FAIL},
	{"tcp timed out, no error text", KV_PROBE_TCP, KV_PR_TCP_FAILED, 0, NULL, NULL, NULL, NULL, NULL,
	    "PROBE_TCP_FAILED", KV_ST_FAIL},
	{"tls failed", KV_PROBE_TLS, KV_PR_TLS_FAILED, 0, "SSL certificate problem: unable to get local issuer", NULL,
	    NULL, "10.1.0.50", NULL, "PROBE_TLS_FAILED", KV_ST_FAIL},
	{"vault saw a public address", KV_PROBE_HTTPS, KV_PR_VAULT, 401, NULL, NULL, "52.1.2.9", "10.1.0.50", NULL,
	    "PROBE_PUBLIC_PATH", KV_ST_FAIL},
	{"vault saw a public IPv6 address", KV_PROBE_HTTPS, KV_PR_VAULT, 401, NULL, NULL, "2001:db8::9", "fd00::50", NULL,
	    "PROBE_PUBLIC_PATH", KV_ST_FAIL},
	{"vault saw a ULA address", KV_PROBE_HTTPS, KV_PR_VAULT, 401, NULL, NULL, "fd00::9", "fd00::50", NULL, "",
	    KV_ST_PASS},
	{"--private-cidr covers what the vault saw", KV_PROBE_HTTPS, KV_PR_VAULT, 401, NULL, NULL, "52.1.2.9",
	    "10.1.0.50", "52.1.0.0/16", "", KV_ST_PASS},
	{"403 ForbiddenByConnection", KV_PROBE_HTTPS, KV_PR_FORBIDDEN, 403, NULL, "ForbiddenByConnection", "10.1.0.50",
	    "10.1.0.50", NULL, "PROBE_UNEXPECTED_RESPONSE", KV_ST_FAIL},
	{"403 without an error code", KV_PROBE_HTTPS, KV_PR_FORBIDDEN, 403, NULL, NULL, "10.1.0.50", "10.1.0.50", NULL,
	    "PROBE_UNEXPECTED_RESPONSE", KV_ST_FAIL},
	{"something else answered", KV_PROBE_HTTPS, KV_PR_NOT_VAULT, 200,
	    "HTTP 200 without x-ms-keyvault-network-info or a Bearer challenge", NULL, NULL, "10.1.0.50", NULL,
	    "PROBE_UNEXPECTED_RESPONSE", KV_ST_FAIL},
	{"something else answered, no text", KV_PROBE_HTTPS, KV_PR_NOT_VAULT, 502, NULL, NULL, NULL, "10.1.0.50", NULL,
	    "PROBE_UNEXPECTED_RESPONSE", KV_ST_FAIL},
	{"connection broke after TLS", KV_PROBE_HTTPS, KV_PR_HTTP_FAILED, 0, "Operation timed out", NULL, NULL,
	    "10.1.0.50", NULL, "PROBE_UNEXPECTED_RESPONSE", KV_ST_FAIL},
};

static void
test_probe_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(probe_cases); i++) {
		const struct probe_case *c = &probe_cases[i];
		/* A right DNS answer: only the probe can find anything. */
		const struct dns_case d = {"healthy", "kv", 0, "10.1.0.4", KV_RC_NOERROR, C_OK("kv"), 0, 0, "10.1.0.4",
		    NULL, c->cidrs, "", KV_ST_PASS};
		struct kv_arena *a = kv_arena_new(4096);
		struct kv_target t;
		struct kv_result r;
		struct verdict_cfg vc;
		struct kv_cidr cidrs[2];

		build(a, &d, &t, &r, &vc, cidrs);
		r.probe.level = c->level;
		r.probe.result = c->result;
		r.probe.http_status = c->http_status;
		r.probe.error = c->error;
		r.probe.error_code = c->error_code;
		r.probe.seen_addr = c->seen;
		r.probe.network_info = c->seen != NULL;
		r.probe.tcp_ms = r.probe.tls_ms = r.probe.http_ms = -1;
		assert_int_equal(kv_addr_parse("10.1.0.4", &r.probe.address), KV_OK);
		if (c->local != NULL)
			assert_int_equal(kv_addr_parse(c->local, &r.probe.local), KV_OK);
		judge(a, &vc, &r, c->label, c->want, c->status);
		for (size_t k = 0; k < r.n_findings; k++) {
			/* Messages name the address probed and the vault; fixes are commands. */
			assert_non_null(strstr(r.findings[k].message, "10.1.0.4"));
			assert_non_null(strstr(r.findings[k].message, t.fqdn));
			assert_true(strlen(r.findings[k].remediation) > 10);
			if (c->seen != NULL && r.findings[k].code == KV_F_PROBE_PUBLIC_PATH)
				assert_non_null(strstr(r.findings[k].message, c->seen));
			if (c->error != NULL)
				assert_non_null(strstr(r.findings[k].message, c->error));
		}
		kv_arena_free(a);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dns_rules),
	    cmocka_unit_test(test_dns_edges),
	    cmocka_unit_test(test_messages),
	    cmocka_unit_test(test_summary_line),
	    cmocka_unit_test(test_edge_messages),
	    cmocka_unit_test(test_big_answer),
	    cmocka_unit_test(test_arm_rules),
	    cmocka_unit_test(test_incomplete),
	    cmocka_unit_test(test_shell_quoting),
	    cmocka_unit_test(test_probe_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
