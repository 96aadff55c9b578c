/* fuzz_report.c — every report writer over a report built from the input
 * by the real pipeline pieces, without network:
 *
 *   inventory JSON (as fuzz_inventory) -> expect_targets -> observations
 *   (made up per vault from a hash of its name, carrying the vault's own
 *   strings into DNS chains, probe errors, tenants...) -> verdict_vault ->
 *   report_write for table, json, jsonl, junit, sarif, prometheus, nagios.
 *
 * The inventory is freed before the verdict and the writers run, as in
 * check_run: targets must live in the report's arena alone.  Input that is
 * not an inventory gives a report with one run error carrying the parser's
 * message.
 *
 * Properties of the output, which catch escaping bugs in every writer:
 *   - every format renders (KV_OK) with no NUL byte inside;
 *   - json, sarif: cJSON parses it; RFC 8259 strictly: valid UTF-8, no raw
 *     control character inside a string, only defined escapes;
 *   - jsonl: every line is a JSON object, strictly as above;
 *   - junit: well-formed XML 1.0 (valid UTF-8, allowed characters only,
 *     balanced tags, quoted attributes, known entities);
 *   - prometheus: every line is a comment or `name{label="escaped"} value`,
 *     label values valid UTF-8 (Prometheus rejects the scrape otherwise);
 *   - nagios: valid UTF-8, no control characters but line feeds, exactly
 *     one '|' (the perfdata separator), first line within 200 bytes. */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "kvpe/arena.h"
#include "kvpe/buf.h"
#include "kvpe/dns.h"
#include "kvpe/expect.h"
#include "kvpe/inv.h"
#include "kvpe/report.h"
#include "kvpe/verdict.h"

/* Like a real run: manual vaults to merge with the inventory's, a VNet for
 * the zone-link rules, an extra private range. */
/* What a configuration of --vault, --vnet and --private-cidr gives the joins
 * and the verdict. */
static const char *const vault_specs[] = {"kv-manual=10.20.0.5", "hsm:hsm-manual", "kv-fqdn.vault.azure.cn"};
#define VNET_ID                                                                                          \
	"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/" \
	"Microsoft.Network/virtualNetworks/vnet-hub"
#define PRIVATE_CIDR "203.0.113.0/24"
#define NOW_S 1795000000

static const char *resolvers[] = {"10.0.0.4:53", "[fd00::53]:53"};

/* ---- checkers ---- */

static bool
utf8_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t ul = kv_utf8_len(p + i);
		if (ul == 0 || i + ul > len)
			return false;
		i += ul;
	}
	return true;
}

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 8259 strings inside a document cJSON accepted: no raw control
 * characters, only the defined escapes. */
static void
check_json_strict(const char *s, size_t len)
{
	bool in = false;

	FZ_CHECK(utf8_ok(s, len));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!in) {
			in = c == '"';
			continue;
		}
		FZ_CHECK(c >= 0x20);
		if (c == '"') {
			in = false;
		} else if (c == '\\') {
			FZ_CHECK(i + 1 < len && strchr("\"\\/bfnrtu", s[i + 1]) != NULL);
			if (s[i + 1] == 'u')
				FZ_CHECK(i + 5 < len && is_hex(s[i + 2]) && is_hex(s[i + 3]) && is_hex(s[i + 4]) &&
				    is_hex(s[i + 5]));
			i++;
		}
	}
	FZ_CHECK(!in);
}

static void
check_json(const char *s, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(s, len);

	FZ_CHECK(root != NULL && cJSON_IsObject(root));
	cJSON_Delete(root);
	check_json_strict(s, len);
}

static void
check_jsonl(const char *s, size_t len)
{
	size_t start = 0;

	FZ_CHECK(len == 0 || s[len - 1] == '\n');
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\n')
			continue;
		if (i > start)
			check_json(s + start, i - start);
		start = i + 1;
	}
}

/* ---- XML 1.0, the subset a writer produces ---- */

static bool
name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static bool
name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* An entity or character reference at s[i] ('&'); returns its length. */
static size_t
xml_ref(const char *s, size_t len, size_t i)
{
	static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
	size_t k = i + 2;

	for (size_t n = 0; n < sizeof(named) / sizeof(named[0]); n++)
		if (len - i >= strlen(named[n]) && strncmp(s + i, named[n], strlen(named[n])) == 0)
			return strlen(named[n]);
	FZ_CHECK(i + 1 < len && s[i + 1] == '#');
	if (k < len && s[k] == 'x') {
		for (k++; k < len && is_hex(s[k]); k++)
			;
	} else {
		for (; k < len && s[k] >= '0' && s[k] <= '9'; k++)
			;
	}
	FZ_CHECK(k < len && s[k] == ';' && k > i + 2);
	return k + 1 - i;
}

static void
check_xml(const char *s, size_t len)
{
	const char *stack[32];
	size_t stack_len[32], depth = 0, i = 0, roots = 0;

	FZ_CHECK(utf8_ok(s, len));
	for (size_t k = 0; k < len; k++) {
		unsigned char c = (unsigned char)s[k];
		FZ_CHECK(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
		/* U+FFFE and U+FFFF are not XML characters. */
		FZ_CHECK(!(c == 0xef && k + 2 < len && (unsigned char)s[k + 1] == 0xbf && (unsigned char)s[k + 2] >= 0xbe));
	}
	if (len >= 5 && strncmp(s, "<?xml", 5) == 0) {
		const char *end = strstr(s, "?>");
		FZ_CHECK(end != NULL);
		i = (size_t)(end - s) + 2;
	}
	while (i < len) {
		if (s[i] == '&') {
			i += xml_ref(s, len, i);
		} else if (s[i] != '<') {
			FZ_CHECK(len - i < 3 || strncmp(s + i, "]]>", 3) != 0);
			FZ_CHECK(depth > 0 || s[i] == '\n' || s[i] == ' ');
			i++;
		} else if (len - i >= 4 && strncmp(s + i, "<!--", 4) == 0) {
			const char *end = strstr(s + i + 4, "-->");
			FZ_CHECK(end != NULL);
			i = (size_t)(end - s) + 3;
		} else if (len - i >= 9 && strncmp(s + i, "<![CDATA[", 9) == 0) {
			const char *end = strstr(s + i + 9, "]]>");
			FZ_CHECK(end != NULL && depth > 0);
			i = (size_t)(end - s) + 3;
		} else if (i + 1 < len && s[i + 1] == '/') {
			size_t n = 0;
			i += 2;
			while (i + n < len && name_char(s[i + n]))
				n++;
			FZ_CHECK(depth > 0 && n == stack_len[depth - 1] && strncmp(s + i, stack[depth - 1], n) == 0);
			depth--;
			i += n;
			while (i < len && (s[i] == ' ' || s[i] == '\n'))
				i++;
			FZ_CHECK(i < len && s[i] == '>');
			i++;
		} else {
			size_t n = 0;
			bool empty = false;
			i++;
			FZ_CHECK(i < len && name_start(s[i]));
			while (i + n < len && name_char(s[i + n]))
				n++;
			FZ_CHECK(depth < sizeof(stack) / sizeof(stack[0]));
			FZ_CHECK(depth > 0 || roots++ == 0);
			stack[depth] = s + i;
			stack_len[depth] = n;
			i += n;
			for (;;) {
				size_t an = 0;
				while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t'))
					i++;
				FZ_CHECK(i < len);
				if (s[i] == '>') {
					i++;
					break;
				}
				if (s[i] == '/') {
					FZ_CHECK(i + 1 < len && s[i + 1] == '>');
					i += 2;
					empty = true;
					break;
				}
				while (i + an < len && name_char(s[i + an]))
					an++;
				FZ_CHECK(an > 0 && name_start(s[i]));
				i += an;
				FZ_CHECK(i + 1 < len && s[i] == '=' && (s[i + 1] == '"' || s[i + 1] == '\''));
				{
					char q = s[i + 1];
					for (i += 2; i < len && s[i] != q;) {
						FZ_CHECK(s[i] != '<');
						if (s[i] == '&')
							i += xml_ref(s, len, i);
						else
							i++;
					}
					FZ_CHECK(i < len);
					i++;
				}
			}
			if (!empty)
				depth++;
		}
	}
	FZ_CHECK(depth == 0 && roots == 1);
}

/* ---- Prometheus text format 0.0.4 ---- */

static bool
metric_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static bool
metric_char(char c)
{
	return metric_start(c) || (c >= '0' && c <= '9');
}

static void
check_prom_line(const char *s, size_t len)
{
	size_t i = 0;

	if (len > 0 && s[0] == '#') {
		FZ_CHECK((len > 7 && strncmp(s, "# HELP ", 7) == 0) || (len > 7 && strncmp(s, "# TYPE ", 7) == 0));
		FZ_CHECK(utf8_ok(s, len));
		return;
	}
	FZ_CHECK(len > 0 && metric_start(s[0]));
	while (i < len && metric_char(s[i]))
		i++;
	if (i < len && s[i] == '{') {
		i++;
		for (;;) {
			size_t v0;
			FZ_CHECK(i < len && metric_start(s[i]) && s[i] != ':');
			while (i < len && metric_char(s[i]) && s[i] != ':')
				i++;
			FZ_CHECK(i + 1 < len && s[i] == '=' && s[i + 1] == '"');
			i += 2;
			v0 = i;
			while (i < len && s[i] != '"') {
				if (s[i] == '\\') {
					FZ_CHECK(i + 1 < len && (s[i + 1] == '\\' || s[i + 1] == '"' || s[i + 1] == 'n'));
					i++;
				}
				i++;
			}
			FZ_CHECK(i < len);
#ifndef FUZZ_REPORT_ALLOW_PROM_BAD_UTF8 /* to fuzz past that bug until it is fixed */
			FZ_CHECK(utf8_ok(s + v0, i - v0));
#else
			(void)v0;
#endif
			i++;
			FZ_CHECK(i < len && (s[i] == ',' || s[i] == '}'));
			if (s[i++] == '}')
				break;
		}
	}
	FZ_CHECK(i < len && s[i] == ' ');
	i++;
	FZ_CHECK(i < len);
	for (; i < len; i++)
		FZ_CHECK(s[i] != ' ' && s[i] != '"' && s[i] != '{');
}

static void
check_prom(const char *s, size_t len)
{
	size_t start = 0;

	FZ_CHECK(len > 0 && s[len - 1] == '\n');
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\n')
			continue;
		check_prom_line(s + start, i - start);
		start = i + 1;
	}
}

static void
check_nagios(const char *s, size_t len)
{
	const char *nl = memchr(s, '\n', len);
	size_t bars = 0;

	FZ_CHECK(utf8_ok(s, len));
	FZ_CHECK(len > 0 && s[len - 1] == '\n');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		FZ_CHECK(c == '\n' || (c >= 0x20 && c != 0x7f));
		bars += c == '|';
	}
	FZ_CHECK(bars == 1 && nl != NULL && memchr(s, '|', (size_t)(nl - s)) != NULL);
	/* The status text (before the perfdata) is short, the line ASCII. */
	FZ_CHECK((size_t)((const char *)memchr(s, '|', (size_t)(nl - s)) - s) <= 201);
	for (const char *p = s; p < nl; p++)
		FZ_CHECK((unsigned char)*p < 0x80);
}

/* ---- made-up observations ---- */

static uint32_t
hash_str(uint32_t h, const char *s)
{
	for (; s != NULL && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* Some string of the vault's own, from the input, to carry into places
 * a real run fills from the network. */
static const char *
own_text(const struct kv_target *t)
{
	return t->location ? t->location : t->resource_group ? t->resource_group : t->id ? t->id : t->name;
}

static struct kv_addr *
addr1(struct kv_arena *a, const char *text)
{
	struct kv_addr *v = kv_arena_calloc(a, 1, sizeof(*v));

	if (v != NULL && kv_addr_parse(text, v) != KV_OK)
		return NULL;
	return v;
}

static void
chain_add(struct kv_dns_lookup *lk, const char *name)
{
	if (name != NULL && lk->n_chain < KV_DNS_CHAIN_MAX)
		lk->chain[lk->n_chain++] = name;
}

/* What DNS and the probe could have seen for t: one of eight stories. */
static bool
observe(struct kv_arena *a, struct kv_result *x)
{
	const struct kv_target *t = x->t;
	struct kv_dns_lookup *lk = &x->dns.a;
	struct kv_probe_obs *p = &x->probe;
	uint32_t h = hash_str(hash_str(2166136261u, t->name), t->id);
	const char *own = own_text(t);

	lk->qname = t->fqdn;
	lk->chain = kv_arena_calloc(a, KV_DNS_CHAIN_MAX, sizeof(*lk->chain));
	if (lk->chain == NULL)
		return false;
	chain_add(lk, t->fqdn);
	lk->server = (int)(h >> 8) % 3 - 1; /* -1, 0 or 1 */
	lk->ms = h % 997;
	lk->attempts = 1 + h % 3;
	p->level = KV_PROBE_HTTPS;
	p->result = KV_PR_NOT_RUN;
	switch (h % 8) {
	case 0: /* not resolved */
		lk->rcode = KV_RC_NONE;
		p->level = KV_PROBE_OFF;
		p->skipped = "probing is off";
		break;
	case 1: /* private through the private link zone; the vault answered */
		lk->rcode = KV_RC_NOERROR;
		chain_add(lk, t->pl_fqdn);
		if (t->n_expected > 0) {
			lk->addrs = t->expected;
			lk->n_addrs = t->n_expected;
		} else {
			lk->addrs = addr1(a, "10.1.0.4");
			lk->n_addrs = lk->addrs ? 1 : 0;
		}
		lk->ttl = 10;
		p->result = KV_PR_VAULT;
		if (lk->n_addrs > 0)
			p->address = lk->addrs[0];
		(void)kv_addr_parse("10.0.0.9", &p->local);
		p->tcp_ms = 1;
		p->tls_ms = 4;
		p->http_ms = 9;
		p->http_status = 401;
		p->network_info = true;
		p->seen_addr = (h & 0x100) ? own : "10.0.0.9";
		p->bearer = true;
		p->tenant = own;
		p->cert_not_after = NOW_S + 86400 * 90;
		break;
	case 2: /* public, through a chain with the vault's own strings */
		lk->rcode = KV_RC_NOERROR;
		chain_add(lk, own);
		chain_add(lk, "data-prod-weu.vaultcore.azure.net");
		lk->addrs = addr1(a, "52.1.2.3");
		lk->n_addrs = lk->addrs ? 1 : 0;
		lk->ttl = 60;
		p->result = KV_PR_FORBIDDEN;
		if (lk->addrs)
			p->address = lk->addrs[0];
		p->http_status = 403;
		p->network_info = true;
		p->seen_addr = own;
		p->error_code = own;
		break;
	case 3: /* NXDOMAIN in the private link zone, the chain looping */
		lk->rcode = KV_RC_NXDOMAIN;
		chain_add(lk, t->pl_fqdn);
		chain_add(lk, t->fqdn);
		lk->chain_loop = (h & 0x100) != 0;
		lk->neg_ttl = 300;
		p->skipped = "DNS gave no address to probe (NXDOMAIN)";
		break;
	case 4: /* timeout */
		lk->rcode = KV_RC_TIMEOUT;
		lk->n_chain = 0;
		lk->server = -1;
		p->skipped = "DNS gave no address to probe (TIMEOUT)";
		break;
	case 5: /* resolver error, with the library's text */
		lk->rcode = (h & 0x100) ? KV_RC_ERROR : KV_RC_SERVFAIL;
		lk->error = own;
		lk->server = 7; /* not a known resolver */
		p->skipped = own;
		break;
	case 6: /* private but not the endpoint's; public AAAA; TLS broken */
		lk->rcode = KV_RC_NOERROR;
		chain_add(lk, t->pl_fqdn);
		lk->addrs = addr1(a, "10.99.0.7");
		lk->n_addrs = lk->addrs ? 1 : 0;
		x->dns.aaaa.rcode = KV_RC_NOERROR;
		x->dns.aaaa.qname = t->fqdn;
		x->dns.aaaa.addrs = addr1(a, "2001:db8::1");
		x->dns.aaaa.n_addrs = x->dns.aaaa.addrs ? 1 : 0;
		x->dns.aaaa.server = 1;
		p->result = (h & 0x100) ? KV_PR_TLS_FAILED : KV_PR_TCP_FAILED;
		if (lk->addrs)
			p->address = lk->addrs[0];
		p->tcp_ms = 2;
		p->error = own;
		p->verify_result = 20;
		break;
	default: /* no data; a long chain cut short; something else answered */
		lk->rcode = KV_RC_NODATA;
		while (lk->n_chain < KV_DNS_CHAIN_MAX)
			chain_add(lk, (lk->n_chain & 1) ? own : t->pl_fqdn);
		lk->chain_truncated = true;
		p->result = (h & 0x100) ? KV_PR_NOT_VAULT : KV_PR_HTTP_FAILED;
		(void)kv_addr_parse("fd00::4", &p->address);
		p->http_status = (h & 0x200) ? 302 : 0;
		p->error = (h & 0x400) ? own : NULL;
		break;
	}
	/* The private link name read off the chain, as the DNS stage does. */
	if (dns_lookup_from(lk, t->pl_fqdn, &x->dns.pl))
		x->dns.pl_from_chain = true;
	return true;
}

/* ---- the harness ---- */

static void
render(const struct kv_report *rep)
{
	static const enum report_format formats[] = {REPORT_TABLE, REPORT_JSON, REPORT_JSONL, REPORT_JUNIT,
	    REPORT_SARIF, REPORT_PROMETHEUS, REPORT_NAGIOS};
	struct report_opts o;
	struct kv_buf b;

	memset(&o, 0, sizeof(o));
	o.exit_code = report_exit_code(rep);
	o.run_id = "run-\"fuzz\"\n\\";
	kv_buf_init(&b, REPORT_MAX);
	for (size_t k = 0; k < 2 * sizeof(formats) / sizeof(formats[0]); k++) {
		enum report_format f = formats[k % (sizeof(formats) / sizeof(formats[0]))];
		o.pretty = o.color = k >= sizeof(formats) / sizeof(formats[0]);
		if (o.pretty && f != REPORT_JSON && f != REPORT_TABLE && f != REPORT_SARIF)
			continue; /* the others ignore these options */
		kv_buf_reset(&b);
		FZ_CHECK(report_write(rep, f, &o, &b) == KV_OK);
		FZ_CHECK(b.len > 0 && b.data != NULL && strlen(b.data) == b.len);
		switch (f) {
		case REPORT_JSON:
		case REPORT_SARIF:
			check_json(b.data, b.len);
			break;
		case REPORT_JSONL:
			check_jsonl(b.data, b.len);
			break;
		case REPORT_JUNIT:
			check_xml(b.data, b.len);
			break;
		case REPORT_PROMETHEUS:
			check_prom(b.data, b.len);
			break;
		case REPORT_NAGIOS:
			check_nagios(b.data, b.len);
			break;
		case REPORT_TABLE:
			break;
		}
	}
	kv_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kv_report *rep = NULL;
	struct kv_inv *inv = NULL;
	struct expect_vault vaults[KV_ARRAY_LEN(vault_specs)];
	struct expect_cfg ec = {KV_CLOUD_PUBLIC, VNET_ID, vaults, KV_ARRAY_LEN(vault_specs)};
	struct kv_cidr cidr;
	struct kv_target *targets = NULL;
	struct verdict_cfg vc;
	size_t n = 0;
	char err[256];
	char *text = fz_cstr(data, size);
	enum kv_err rc;

	if (text == NULL || report_new(&rep) != KV_OK || inv_new(rep->arena, &inv) != KV_OK)
		goto out;
	for (size_t i = 0; i < KV_ARRAY_LEN(vault_specs); i++)
		FZ_CHECK(expect_parse_vault(rep->arena, vault_specs[i], &vaults[i], NULL) == KV_OK);
	FZ_CHECK(kv_cidr_parse(PRIVATE_CIDR, &cidr) == KV_OK);
	rep->started_ms = (int64_t)NOW_S * 1000;
	rep->duration_ms = 1234;
	rep->host = "fuzz-host";
	rep->cloud = "AzureCloud";
	rep->resolvers = resolvers;
	rep->n_resolvers = 2;
	rep->credential = "environment (client secret)";
	rep->arm_endpoint = "https://management.azure.com/";
	rep->arm_requests = 7;
	rep->dns_queries = 11;

	err[0] = '\0';
	rc = inv_json_load(inv, text, size, "fuzz.json", NULL, NULL, err, sizeof(err));
	if ((rep->sources = kv_arena_calloc(rep->arena, 1, sizeof(*rep->sources))) == NULL)
		goto out;
	rep->sources[0].name = "inventory/fuzz.json";
	rep->sources[0].up = rc == KV_OK;
	rep->n_sources = 1;
	if (rc != KV_OK) {
		/* What check reports for a source it could not read. */
		rep->errors = kv_arena_calloc(rep->arena, 1, sizeof(*rep->errors));
		if (rep->errors == NULL)
			goto out;
		rep->errors[0].scope = "inventory/fuzz.json";
		rep->errors[0].message = kv_arena_strdup(rep->arena, err);
		rep->n_errors = 1;
		inv_free(inv);
		inv = NULL;
		if (inv_new(rep->arena, &inv) != KV_OK)
			goto out;
	}
	if (expect_targets(&ec, inv, rep->arena, &targets, &n) != KV_OK)
		goto out;
	inv_free(inv); /* as check_run does before the report is written */
	inv = NULL;

	rep->results = kv_arena_calloc(rep->arena, n ? n : 1, sizeof(*rep->results));
	if (rep->results == NULL)
		goto out;
	rep->n_results = n;
	memset(&vc, 0, sizeof(vc));
	vc.private_cidrs = &cidr;
	vc.n_private_cidrs = 1;
	vc.resolvers = resolvers;
	vc.n_resolvers = 2;
	vc.now_s = NOW_S;
	for (size_t i = 0; i < n; i++) {
		struct kv_result *x = &rep->results[i];
		x->t = &targets[i];
		x->probe.tcp_ms = x->probe.tls_ms = x->probe.http_ms = -1;
		x->dns.a.server = x->dns.aaaa.server = x->dns.pl.server = -1;
		if (x->t->incomplete == NULL && !observe(rep->arena, x))
			goto out;
		if (verdict_vault(&vc, rep->arena, x) != KV_OK)
			goto out;
	}
	render(rep);
out:
	inv_free(inv);
	report_free(rep);
	free(text);
	return 0;
}
