/* test_report.c — the JUnit, SARIF, JSONL and Nagios writers over a report
 * built by hand: one vault that passes (with a low finding), one that fails
 * with two findings, one in error (DNS_TIMEOUT); names, messages and
 * remediations carry <&"'>, a newline, a tab, a control byte and an invalid
 * UTF-8 byte.  Each output is checked the way its consumer reads it: SARIF
 * and JSONL through cJSON, JUnit through a strict little XML checker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "kvpe/arena.h"
#include "kvpe/report.h"

#define NASTY "<&\"'>"
#define STARTED 1795856400000LL /* 2026-11-28T09:00:00Z */
#define FAIL_ID "/subscriptions/Sub-1/resourceGroups/RG" NASTY "/providers/Microsoft.KeyVault/vaults/kv-fail"
#define FAIL_MSG "kv-fail.vault.azure.net resolves to public 52.1.2.3 " NASTY "\nline two\tcol \x01 bad \xff end | pipe"
#define FAIL_FIX "az network private-dns link vnet create --zone-name \"z\" --name 'l' " NASTY
#define ERR_NAME "kv-error" NASTY
#define ERR_NAME_PROM "kv-error<&\\\"'>" /* as a Prometheus label value */
#define FFFD "\xef\xbf\xbd"

/* ---- building a report ---- */

static struct kv_addr *
addrs(struct kv_arena *a, const char *s, size_t *n)
{
	char tmp[256], *save = NULL;
	struct kv_addr *v = kv_arena_calloc(a, 8, sizeof(*v));

	*n = 0;
	snprintf(tmp, sizeof(tmp), "%s", s);
	for (char *tok = strtok_r(tmp, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
		assert_int_equal(kv_addr_parse(tok, &v[(*n)++]), KV_OK);
	return v;
}

static void
add_finding(struct kv_arena *a, struct kv_result *x, enum kv_finding_code c, const char *msg, const char *fix)
{
	if (x->findings == NULL)
		x->findings = kv_arena_calloc(a, KV_F_COUNT, sizeof(*x->findings));
	x->findings[x->n_findings].code = c;
	x->findings[x->n_findings].message = kv_arena_strdup(a, msg);
	x->findings[x->n_findings].remediation = fix ? kv_arena_strdup(a, fix) : NULL;
	x->n_findings++;
}

static struct kv_target *
target(struct kv_arena *a, const char *name, const char *id, const char *sub, const char *rg, const char *source)
{
	struct kv_target *t = kv_arena_calloc(a, 1, sizeof(*t));

	t->name = kv_arena_strdup(a, name);
	t->fqdn = kv_arena_printf(a, "%s.vault.azure.net", name);
	t->pl_fqdn = kv_arena_printf(a, "%s.privatelink.vaultcore.azure.net", name);
	t->pl_zone = "privatelink.vaultcore.azure.net";
	t->id = id ? kv_arena_strdup(a, id) : NULL;
	t->subscription = sub;
	t->resource_group = rg;
	t->source = source;
	return t;
}

static const char *resolvers[] = {"10.0.0.4:53", "10.0.0.5:53"};

static struct kv_report *
make_report(size_t n_vaults)
{
	struct kv_report *r = NULL;
	struct kv_arena *a;
	struct kv_result *x;
	struct kv_target *t;
	static const char *chain_fail[] = {"kv-fail.vault.azure.net", "kv-fail.privatelink.vaultcore.azure.net",
	    "data-prod-weu.vaultcore.azure.net"};
	static const char *chain_pass[] = {"kv-pass.vault.azure.net", "kv-pass.privatelink.vaultcore.azure.net"};

	assert_int_equal(report_new(&r), KV_OK);
	a = r->arena;
	r->started_ms = STARTED;
	r->duration_ms = 812;
	r->host = "host" NASTY;
	r->cloud = "AzureCloud";
	r->resolvers = resolvers;
	r->n_resolvers = 2;
	r->arm_endpoint = "https://management.azure.com"; /* no trailing slash */
	if (n_vaults == 0)
		return r;
	r->results = kv_arena_calloc(a, 3, sizeof(*r->results));
	r->n_results = 3;

	/* 0: error, manual source, no ARM id */
	x = &r->results[0];
	x->t = target(a, ERR_NAME, NULL, NULL, NULL, "manual");
	x->dns.a.rcode = KV_RC_TIMEOUT;
	x->dns.a.server = -1;
	x->dns.a.ms = 1500;
	x->probe.level = KV_PROBE_HTTPS;
	x->probe.result = KV_PR_NOT_RUN;
	x->probe.skipped = "no address to probe";
	add_finding(a, x, KV_F_DNS_TIMEOUT, "no answer from 10.0.0.4:53 within 1500 ms",
	    "dig @10.0.0.4 " ERR_NAME ".vault.azure.net");
	x->status = KV_ST_ERROR;

	/* 1: fail, ARM id with odd characters, two findings, a probe */
	x = &r->results[1];
	x->t = t = target(a, "kv-fail", FAIL_ID, "Sub-1", "RG" NASTY, "arm");
	x->dns.a.rcode = KV_RC_NOERROR;
	x->dns.a.chain = chain_fail;
	x->dns.a.n_chain = 3;
	x->dns.a.addrs = addrs(a, "52.1.2.3", &x->dns.a.n_addrs);
	x->dns.a.ttl = 10;
	x->dns.a.server = 0;
	x->dns.a.ms = 3;
	x->dns.pl.rcode = KV_RC_NOERROR;
	x->dns.pl.addrs = addrs(a, "52.1.2.3", &x->dns.pl.n_addrs);
	t->expected_known = true;
	t->expected = addrs(a, "10.1.0.4", &t->n_expected);
	x->probe.level = KV_PROBE_HTTPS;
	x->probe.result = KV_PR_FORBIDDEN;
	assert_int_equal(kv_addr_parse("52.1.2.3", &x->probe.address), KV_OK);
	x->probe.tcp_ms = 4;
	x->probe.tls_ms = 11;
	x->probe.http_ms = 20;
	x->probe.http_status = 403;
	add_finding(a, x, KV_F_DNS_PUBLIC_ADDRESS, FAIL_MSG, FAIL_FIX);
	add_finding(a, x, KV_F_DNS_NO_PRIVATELINK_CNAME, "the chain never passes kv-fail.privatelink", NULL);
	x->status = KV_ST_FAIL;

	/* 2: pass with a low finding; ARM id, resource group unknown */
	x = &r->results[2];
	x->t = target(a, "kv-pass", "/subscriptions/sub-2/providers/Microsoft.KeyVault/vaults/kv-pass", "sub-2", NULL,
	    "inventory");
	x->dns.a.rcode = KV_RC_NOERROR;
	x->dns.a.chain = chain_pass;
	x->dns.a.n_chain = 2;
	x->dns.a.addrs = addrs(a, "10.1.0.5", &x->dns.a.n_addrs);
	x->dns.a.server = 1;
	x->dns.a.ms = 2;
	x->probe.level = KV_PROBE_OFF;
	add_finding(a, x, KV_F_PUBLIC_NETWORK_ENABLED, "public network access is Enabled",
	    "az keyvault update --name kv-pass --public-network-access Disabled");
	x->status = KV_ST_PASS;
	return r;
}

static char *
render(const struct kv_report *r, enum report_format f, int exit_code, const char *run_id)
{
	struct report_opts o;
	struct kv_buf b;

	memset(&o, 0, sizeof(o));
	o.pretty = true;
	o.exit_code = exit_code;
	o.run_id = run_id;
	kv_buf_init(&b, REPORT_MAX);
	assert_int_equal(report_write(r, f, &o, &b), KV_OK);
	if (getenv("TEST_REPORT_DUMP") != NULL) /* to look at the outputs */
		fprintf(stderr, "----- %s\n%s", report_format_name(f), b.data != NULL ? b.data : "");
	return kv_buf_steal(&b, NULL);
}

static size_t
count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

static bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0 || (n == 2 && *p < 0xc2))
			return false;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

/* ---- a strict little XML checker ---- */

/* Checks character data or an attribute value up to `end`: no '<', every '&'
 * a known entity, no forbidden control characters; appends the unescaped
 * text to `un` (size bytes) when given. */
static bool
xml_chars(const char *p, const char *end, bool in_attr, char *un, size_t size)
{
	size_t o = 0;

	while (p < end) {
		unsigned char c = (unsigned char)*p;
		char out = (char)c;
		if (c == '<' || (in_attr && c == '"'))
			return false;
		if (c < 0x20 && c != '\t' && c != '\n')
			return false;
		if (in_attr && (c == '\t' || c == '\n'))
			return false; /* would be normalised to a space */
		if (c == '&') {
			const char *semi = memchr(p, ';', (size_t)(end - p));
			if (semi == NULL)
				return false;
			if (strncmp(p, "&amp;", 5) == 0)
				out = '&';
			else if (strncmp(p, "&lt;", 4) == 0)
				out = '<';
			else if (strncmp(p, "&gt;", 4) == 0)
				out = '>';
			else if (strncmp(p, "&quot;", 6) == 0)
				out = '"';
			else if (strncmp(p, "&apos;", 6) == 0)
				out = '\'';
			else if (p[1] == '#') {
				long v = strtol(p + 2, NULL, 10);
				if (v != 9 && v != 10 && v != 13 && v != 127)
					return false;
				out = (char)v;
			} else
				return false;
			p = semi + 1;
		} else {
			p++;
		}
		if (un != NULL && o + 1 < size)
			un[o++] = out;
	}
	if (un != NULL)
		un[o] = '\0';
	return true;
}

/* Well-formedness: balanced tags, quoted attributes, clean text. */
static bool
xml_check(const char *doc)
{
	const char *stack[16];
	size_t slen[16];
	int depth = 0;
	const char *p = doc;

	if (strncmp(p, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) != 0)
		return false;
	p += 39;
	while (*p != '\0') {
		const char *lt = strchr(p, '<');
		if (lt == NULL)
			lt = p + strlen(p);
		if (!xml_chars(p, lt, false, NULL, 0))
			return false;
		if (*lt == '\0')
			break;
		p = lt + 1;
		if (*p == '/') {
			const char *gt = strchr(p, '>');
			if (gt == NULL || depth == 0)
				return false;
			depth--;
			if ((size_t)(gt - p - 1) != slen[depth] || strncmp(p + 1, stack[depth], slen[depth]) != 0)
				return false;
			p = gt + 1;
			continue;
		}
		const char *name = p;
		while ((*p >= 'a' && *p <= 'z') || *p == '-')
			p++;
		if (p == name || depth >= 16)
			return false;
		stack[depth] = name;
		slen[depth] = (size_t)(p - name);
		for (;;) {
			if (*p == ' ') {
				p++;
				while ((*p >= 'a' && *p <= 'z') || *p == '-' || *p == '.')
					p++;
				if (p[0] != '=' || p[1] != '"')
					return false;
				const char *v = p + 2, *q = strchr(v, '"');
				if (q == NULL || !xml_chars(v, q, true, NULL, 0))
					return false;
				p = q + 1;
			} else if (p[0] == '/' && p[1] == '>') {
				p += 2;
				break;
			} else if (*p == '>') {
				p++;
				depth++;
				break;
			} else {
				return false;
			}
		}
	}
	return depth == 0;
}

/* The unescaped value of attribute `name` in the first tag `<tag` after
 * `from`. */
static bool
xml_attr(const char *from, const char *tag, const char *name, char *out, size_t size)
{
	char pat[64];
	const char *t = strstr(from, tag), *gt, *a, *q;

	if (t == NULL || (gt = strchr(t, '>')) == NULL)
		return false;
	snprintf(pat, sizeof(pat), " %s=\"", name);
	a = strstr(t, pat);
	if (a == NULL || a > gt)
		return false;
	a += strlen(pat);
	q = strchr(a, '"');
	return q != NULL && xml_chars(a, q, true, out, size);
}

/* ---- JUnit ---- */

static void
test_junit(void **state)
{
	struct kv_report *r = make_report(3);
	char *x = render(r, REPORT_JUNIT, 1, NULL);
	char v[1024];
	const char *tc;

	KV_UNUSED(state);
	assert_true(utf8_valid(x));
	assert_true(xml_check(x));
	assert_non_null(strstr(x, "<testsuite name=\"kvpe\" hostname=\"host&lt;&amp;&quot;&apos;&gt;\" "
				  "timestamp=\"2026-11-28T09:00:00Z\" tests=\"3\" failures=\"1\" errors=\"1\" "
				  "skipped=\"0\" time=\"0.812\">"));
	assert_int_equal(count_of(x, "<testsuite "), 1);
	assert_int_equal(count_of(x, "<testcase "), 3);
	assert_int_equal(count_of(x, "</testcase>"), 3);
	assert_int_equal(count_of(x, "<failure "), 1);
	assert_int_equal(count_of(x, "<error "), 1);
	assert_int_equal(count_of(x, "<system-out>"), 3);
	assert_non_null(strstr(x, "<property name=\"cloud\" value=\"AzureCloud\"/>"));
	assert_non_null(strstr(x, "<property name=\"resolvers\" value=\"10.0.0.4:53,10.0.0.5:53\"/>"));
	assert_non_null(strstr(x, "<property name=\"agent.version\" value=\"" KV_VERSION "\"/>"));

	/* error: manual source, DNS_TIMEOUT */
	tc = strstr(x, "<testcase name=\"kv-error&lt;&amp;&quot;&apos;&gt;.vault.azure.net\" classname=\"kvpe.manual\" "
		       "time=\"1.500\">");
	assert_non_null(tc);
	assert_true(xml_attr(tc, "<error", "type", v, sizeof(v)));
	assert_string_equal(v, "DNS_TIMEOUT");
	assert_true(xml_attr(tc, "<error", "message", v, sizeof(v)));
	assert_string_equal(v, "no answer from 10.0.0.4:53 within 1500 ms");

	/* fail: classname from the ARM parts, time = DNS + probe phases */
	tc = strstr(x, "<testcase name=\"kv-fail.vault.azure.net\" "
		       "classname=\"kvpe.Sub-1.RG&lt;&amp;&quot;&apos;&gt;\" time=\"0.038\">");
	assert_non_null(tc);
	assert_true(xml_attr(tc, "<failure", "type", v, sizeof(v)));
	assert_string_equal(v, "DNS_PUBLIC_ADDRESS");
	assert_true(xml_attr(tc, "<failure", "message", v, sizeof(v)));
	/* newline and tab survive as references; the control byte and the
	 * invalid byte become U+FFFD */
	assert_string_equal(v, "kv-fail.vault.azure.net resolves to public 52.1.2.3 " NASTY "\nline two\tcol " FFFD
			       " bad " FFFD " end | pipe");
	assert_non_null(strstr(tc, "&#10;line two&#9;col"));
	assert_non_null(strstr(tc, "DNS_PUBLIC_ADDRESS (high): kv-fail.vault.azure.net resolves to public 52.1.2.3 "
				   "&lt;&amp;&quot;&apos;&gt;\nline two\tcol"));
	assert_non_null(strstr(tc, "\n  fix: az network private-dns link vnet create --zone-name &quot;z&quot;"));
	assert_non_null(strstr(tc, "DNS_NO_PRIVATELINK_CNAME (medium): the chain never passes"));
	assert_non_null(strstr(tc, "chain: kv-fail.vault.azure.net -&gt; kv-fail.privatelink.vaultcore.azure.net -&gt; "
				   "data-prod-weu.vaultcore.azure.net"));
	assert_non_null(strstr(tc, "answers: 52.1.2.3 (ttl 10)"));
	assert_non_null(strstr(tc, "dns: NOERROR from 10.0.0.4:53 in 3 ms"));
	assert_non_null(strstr(tc, "probe: https to 52.1.2.3: forbidden, tcp 4 ms, tls 11 ms, http 20 ms, HTTP 403"));

	/* pass: no failure, missing resource group is "unknown", low finding in system-out */
	tc = strstr(x, "<testcase name=\"kv-pass.vault.azure.net\" classname=\"kvpe.sub-2.unknown\" time=\"0.002\">\n"
		       "      <system-out>");
	assert_non_null(tc);
	assert_non_null(strstr(tc, "PUBLIC_NETWORK_ENABLED (low): public network access is Enabled"));
	assert_non_null(strstr(tc, "probe: off"));
	free(x);
	report_free(r);
}

/* ---- SARIF ---- */

static const cJSON *
get(const cJSON *o, const char *path)
{
	char key[64];

	while (o != NULL && *path != '\0') {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		if (key[0] >= '0' && key[0] <= '9')
			o = cJSON_GetArrayItem(o, atoi(key));
		else
			o = cJSON_GetObjectItemCaseSensitive(o, key);
		path += n + (dot ? 1 : 0);
	}
	return o;
}

static const char *
str(const cJSON *o, const char *path)
{
	const cJSON *v = get(o, path);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool
hex64(const char *s)
{
	if (s == NULL || strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static void
sha256_hex(const char *in, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;

	assert_int_equal(EVP_Digest(in, strlen(in), d, &dl, EVP_sha256(), NULL), 1);
	for (unsigned i = 0; i < dl; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void
test_sarif(void **state)
{
	struct kv_report *r = make_report(3);
	char *x = render(r, REPORT_SARIF, 1, NULL);
	cJSON *doc = cJSON_Parse(x);
	const cJSON *run, *rules, *results;
	char want[65], lower[512];

	KV_UNUSED(state);
	assert_true(utf8_valid(x));
	assert_non_null(doc);
	assert_string_equal(str(doc, "$schema"), "https://json.schemastore.org/sarif-2.1.0.json");
	assert_string_equal(str(doc, "version"), "2.1.0");
	assert_int_equal(cJSON_GetArraySize(get(doc, "runs")), 1);
	run = get(doc, "runs.0");
	assert_string_equal(str(run, "tool.driver.name"), "kvpe");
	assert_string_equal(str(run, "tool.driver.version"), KV_VERSION);
	assert_non_null(str(run, "tool.driver.informationUri"));
	assert_string_equal(str(run, "originalUriBaseIds.ARM.uri"), "https://management.azure.com/");
	assert_null(get(run, "originalUriBaseIds.ARM_CN")); /* only the clouds in use */
	assert_string_equal(str(run, "tool.driver.fullName"), "kvpe " KV_VERSION ", Key Vault private endpoint checker");
	assert_string_equal(str(run, "automationDetails.id"), "kvpe/host" NASTY "/default/");
	assert_true(cJSON_IsTrue(get(run, "invocations.0.executionSuccessful")));
	assert_int_equal(get(run, "invocations.0.exitCode")->valueint, 1);

	rules = get(run, "tool.driver.rules");
	assert_int_equal(cJSON_GetArraySize(rules), KV_F_COUNT);
	for (int i = 0; i < KV_F_COUNT; i++) {
		const cJSON *rule = cJSON_GetArrayItem(rules, i);
		enum kv_finding_code c = (enum kv_finding_code)i;
		enum kv_severity sev = finding_severity(c);
		char anchor[80];
		assert_string_equal(str(rule, "id"), finding_name(c));
		assert_string_equal(str(rule, "shortDescription.text"), finding_cause(c));
		/* GitHub (GH2012) and GHAzDO want fullDescription and help: cause and fix */
		assert_string_equal(str(rule, "fullDescription.markdown"), finding_help_cause(c));
		assert_true(strlen(finding_help_fix(c)) > 10);
		assert_null(strchr(str(rule, "fullDescription.text"), '`'));
		assert_non_null(strstr(str(rule, "help.markdown"), finding_help_fix(c)));
		assert_non_null(strstr(str(rule, "help.text"), "\n\nFix: "));
		assert_true(strlen(str(rule, "name")) > 0);
		snprintf(anchor, sizeof(anchor), "#%s", finding_name(c));
		kv_lower_inplace(anchor);
		assert_non_null(strstr(str(rule, "helpUri"), anchor));
		assert_string_equal(str(rule, "defaultConfiguration.level"),
		    sev == KV_SEV_HIGH ? "error" : sev == KV_SEV_MEDIUM ? "warning" : "note");
		assert_string_equal(str(rule, "properties.security-severity"),
		    sev == KV_SEV_HIGH ? "8.0" : sev == KV_SEV_MEDIUM ? "5.5" : "2.0");
		assert_string_equal(str(rule, "properties.precision"), "very-high");
		assert_string_equal(str(rule, "properties.tags.0"), "security");
		assert_string_equal(str(rule, "properties.tags.2"), "key-vault");
		assert_non_null(str(rule, "properties.tags.3"));
	}

	results = get(run, "results");
	assert_int_equal(cJSON_GetArraySize(results), 4);
	for (int i = 0; i < 4; i++) {
		const cJSON *res = cJSON_GetArrayItem(results, i);
		enum kv_finding_code c;
		const char *uri = str(res, "locations.0.physicalLocation.artifactLocation.uri");
		assert_int_equal(finding_parse(str(res, "ruleId"), &c), KV_OK);
		assert_int_equal(get(res, "ruleIndex")->valueint, (int)c);
		assert_string_equal(str(cJSON_GetArrayItem(rules, (int)c), "id"), str(res, "ruleId"));
		assert_non_null(uri);
		assert_true(uri[0] != '\0' && uri[0] != '/');
		assert_null(strpbrk(uri, "<>\" "));
		assert_string_equal(str(res, "locations.0.physicalLocation.artifactLocation.uriBaseId"), "ARM");
		assert_int_equal(get(res, "locations.0.physicalLocation.region.startLine")->valueint, 1);
		assert_string_equal(str(res, "locations.0.logicalLocations.0.kind"), "resource");
		assert_true(hex64(str(res, "partialFingerprints.kvpeFinding/v1")));
	}
	/* results follow the vaults' order: error, fail x2, pass */
	assert_string_equal(str(results, "0.ruleId"), "DNS_TIMEOUT");
	assert_string_equal(str(results, "0.level"), "error");
	assert_string_equal(str(results, "0.locations.0.physicalLocation.artifactLocation.uri"),
	    "vaults/kv-error%3C&%22'%3E");
	assert_string_equal(str(results, "0.locations.0.logicalLocations.0.fullyQualifiedName"),
	    ERR_NAME ".vault.azure.net");
	sha256_hex("DNS_TIMEOUT|kv-error" NASTY ".vault.azure.net", want);
	assert_string_equal(str(results, "0.partialFingerprints.kvpeFinding/v1"), want);

	assert_string_equal(str(results, "1.ruleId"), "DNS_PUBLIC_ADDRESS");
	assert_string_equal(str(results, "1.message.text"),
	    "kv-fail.vault.azure.net resolves to public 52.1.2.3 " NASTY "\nline two\tcol \x01 bad " FFFD
	    " end | pipe Fix: " FAIL_FIX);
	assert_string_equal(str(results, "1.locations.0.physicalLocation.artifactLocation.uri"),
	    "subscriptions/Sub-1/resourceGroups/RG%3C&%22'%3E/providers/Microsoft.KeyVault/vaults/kv-fail");
	assert_string_equal(str(results, "1.locations.0.logicalLocations.0.fullyQualifiedName"), FAIL_ID);
	assert_string_equal(str(results, "1.locations.0.logicalLocations.0.name"), "kv-fail");
	snprintf(lower, sizeof(lower), "DNS_PUBLIC_ADDRESS|%s", FAIL_ID);
	kv_lower_inplace(lower + strlen("DNS_PUBLIC_ADDRESS|"));
	sha256_hex(lower, want);
	assert_string_equal(str(results, "1.partialFingerprints.kvpeFinding/v1"), want);
	assert_string_equal(str(results, "2.ruleId"), "DNS_NO_PRIVATELINK_CNAME");
	assert_string_equal(str(results, "2.level"), "warning");
	assert_string_equal(str(results, "2.message.text"), "the chain never passes kv-fail.privatelink");
	assert_string_equal(str(results, "3.ruleId"), "PUBLIC_NETWORK_ENABLED");
	assert_string_equal(str(results, "3.level"), "note");
	cJSON_Delete(doc);
	free(x);
	report_free(r);
}

/* The SARIF of r with these options, parsed. */
static cJSON *
sarif_doc(const struct kv_report *r, const struct report_opts *o)
{
	struct kv_buf b;
	cJSON *doc;

	kv_buf_init(&b, REPORT_MAX);
	assert_int_equal(report_write(r, REPORT_SARIF, o, &b), KV_OK);
	doc = cJSON_Parse(b.data);
	kv_buf_free(&b);
	assert_non_null(doc);
	return doc;
}

/* Vaults of three clouds: each location under its own cloud's ARM
 * endpoint; the run's own cloud under --arm-endpoint when given.  The
 * category: --vnet's name, --sarif-category, or the pipeline's identity. */
static void
test_sarif_clouds_category(void **state)
{
	struct kv_report *r = make_report(3);
	struct report_opts o;
	struct report_pipeline p;
	cJSON *doc;

	KV_UNUSED(state);
	r->arm_endpoint = "https://127.0.0.1:8443"; /* a stand-in for the run's cloud */
	((struct kv_target *)r->results[0].t)->cloud = KV_CLOUD_CHINA;
	((struct kv_target *)r->results[2].t)->cloud = KV_CLOUD_USGOV;
	memset(&o, 0, sizeof(o));
	o.vnet_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-a/";
	doc = sarif_doc(r, &o);
	assert_string_equal(str(doc, "runs.0.originalUriBaseIds.ARM.uri"), "https://127.0.0.1:8443/");
	assert_string_equal(str(doc, "runs.0.originalUriBaseIds.ARM_CN.uri"), "https://management.chinacloudapi.cn/");
	assert_string_equal(str(doc, "runs.0.originalUriBaseIds.ARM_USGOV.uri"), "https://management.usgovcloudapi.net/");
	assert_string_equal(str(doc, "runs.0.results.0.locations.0.physicalLocation.artifactLocation.uriBaseId"), "ARM_CN");
	assert_string_equal(str(doc, "runs.0.results.1.locations.0.physicalLocation.artifactLocation.uriBaseId"), "ARM");
	assert_string_equal(str(doc, "runs.0.results.3.locations.0.physicalLocation.artifactLocation.uriBaseId"), "ARM_USGOV");
	assert_string_equal(str(doc, "runs.0.automationDetails.id"), "kvpe/host" NASTY "/vnet-a/");
	cJSON_Delete(doc);

	o.sarif_category = "mine";
	doc = sarif_doc(r, &o);
	assert_string_equal(str(doc, "runs.0.automationDetails.id"), "mine");
	assert_null(get(doc, "runs.0.automationDetails.properties"));
	cJSON_Delete(doc);

	memset(&p, 0, sizeof(p));
	snprintf(p.org, sizeof(p.org), "contoso");
	p.project_id = "p";
	p.definition_id = "7";
	p.definition_name = "nightly";
	p.build_id = "99";
	p.phase_id = "ph";
	p.phase_name = "Job";
	p.branch = "refs/heads/main";
	o.sarif_category = NULL;
	o.pipeline = &p;
	doc = sarif_doc(r, &o);
	assert_string_equal(str(doc, "runs.0.automationDetails.id"), "azuredevops/pipeline/build/contoso/p/7/ph/refs/heads/main/99");
	assert_string_equal(str(doc, "runs.0.automationDetails.properties.azuredevops/pipeline/build/buildDefinitionId"), "7");
	assert_string_equal(str(doc, "runs.0.automationDetails.properties.azuredevops/pipeline/build/phaseName"), "Job");
	assert_string_equal(str(doc, "runs.0.automationDetails.properties.kvpe/category"), "kvpe/host" NASTY "/vnet-a/");
	cJSON_Delete(doc);
	report_free(r);
}

/* A fake environment for report_sarif_pipeline. */
static const char *const *fake_env;

static char *
fake_getenv(const char *name)
{
	size_t n = strlen(name);

	for (const char *const *e = fake_env; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return (char *)(*e + n + 1);
	return NULL;
}

static void
test_sarif_pipeline_env(void **state)
{
	static const char *const full[] = {"TF_BUILD=True", "SYSTEM_COLLECTIONURI=https://contoso.visualstudio.com/",
	    "SYSTEM_TEAMPROJECTID=0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b", "SYSTEM_DEFINITIONID=42",
	    "BUILD_DEFINITIONNAME=n", "BUILD_BUILDID=5", "SYSTEM_PHASEID=9a8b7c6d-5e4f-4321-8fed-cba987654321",
	    "SYSTEM_JOBNAME=J", "BUILD_SOURCEBRANCH=refs/pull/1/merge", NULL};
	static const char *const none[] = {"TF_BUILD=True", NULL};
	static const char *const off[] = {"SYSTEM_COLLECTIONURI=https://dev.azure.com/x/", NULL};
	static const char *const zero_guid[] = {"TF_BUILD=1", "SYSTEM_COLLECTIONURI=https://dev.azure.com/x/",
	    "SYSTEM_TEAMPROJECTID=00000000-0000-0000-0000-000000000000", NULL};
	static const char *const bad_host[] = {"TF_BUILD=true", "SYSTEM_COLLECTIONURI=https://example.com/x/", NULL};
	struct report_pipeline p;
	char why[160];

	KV_UNUSED(state);
	fake_env = full;
	assert_int_equal(report_sarif_pipeline(fake_getenv, &p, why, sizeof(why)), KV_OK);
	assert_string_equal(p.org, "contoso");
	assert_string_equal(p.definition_id, "42");
	assert_string_equal(p.phase_name, "J");
	assert_string_equal(p.branch, "refs/pull/1/merge");
	fake_env = none;
	assert_int_equal(report_sarif_pipeline(fake_getenv, &p, why, sizeof(why)), KV_ENOTFOUND);
	fake_env = off;
	assert_int_equal(report_sarif_pipeline(fake_getenv, &p, why, sizeof(why)), KV_ENOTFOUND);
	fake_env = zero_guid;
	assert_int_equal(report_sarif_pipeline(fake_getenv, &p, why, sizeof(why)), KV_EPARSE);
	assert_string_equal(why, "SYSTEM_TEAMPROJECTID is not a GUID");
	fake_env = bad_host;
	assert_int_equal(report_sarif_pipeline(fake_getenv, &p, why, sizeof(why)), KV_EPARSE);
	assert_non_null(strstr(why, "SYSTEM_COLLECTIONURI"));
}

/* ---- JSONL ---- */

static const char *jsonl_keys[] = {"type", "time", "host", "run_id", "vault", "id", "fqdn", "code", "severity",
    "status", "message", "remediation"};

/* Splits x into lines, parses each; returns the count. */
static size_t
jsonl_parse(char *x, cJSON **lines, size_t max)
{
	size_t n = 0;
	char *p = x;

	assert_true(utf8_valid(x));
	while (*p != '\0') {
		char *nl = strchr(p, '\n');
		assert_non_null(nl); /* every line newline-terminated */
		*nl = '\0';
		assert_true(n < max);
		lines[n] = cJSON_Parse(p);
		assert_non_null(lines[n]);
		assert_true(cJSON_IsObject(lines[n]));
		for (size_t k = 0; k < KV_ARRAY_LEN(jsonl_keys); k++)
			assert_non_null(cJSON_GetObjectItemCaseSensitive(lines[n], jsonl_keys[k]));
		n++;
		p = nl + 1;
	}
	return n;
}

static void
test_jsonl(void **state)
{
	struct kv_report *r = make_report(3);
	char *x = render(r, REPORT_JSONL, 1, "0123abcd");
	cJSON *l[16];
	size_t n;

	KV_UNUSED(state);
	assert_null(strstr(x, "\n ")); /* no pretty-printing */
	n = jsonl_parse(x, l, 16);
	assert_int_equal(n, 7); /* 4 findings, then 3 vaults */
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(str(l[i], "type"), i < 4 ? "finding" : "vault");
		assert_string_equal(str(l[i], "time"), "2026-11-28T09:00:00Z");
		assert_string_equal(str(l[i], "host"), "host" NASTY);
		assert_string_equal(str(l[i], "run_id"), "0123abcd");
		assert_non_null(str(l[i], "status"));
		assert_non_null(str(l[i], "fqdn"));
	}
	assert_string_equal(str(l[0], "vault"), ERR_NAME);
	assert_true(cJSON_IsNull(get(l[0], "id")));
	assert_string_equal(str(l[0], "code"), "DNS_TIMEOUT");
	assert_string_equal(str(l[0], "status"), "error");
	assert_string_equal(str(l[1], "id"), FAIL_ID);
	assert_string_equal(str(l[1], "severity"), "high");
	assert_string_equal(str(l[1], "message"),
	    "kv-fail.vault.azure.net resolves to public 52.1.2.3 " NASTY "\nline two\tcol \x01 bad " FFFD " end | pipe");
	assert_string_equal(str(l[1], "remediation"), FAIL_FIX);
	assert_true(cJSON_IsNull(get(l[2], "remediation")));
	assert_string_equal(str(l[3], "code"), "PUBLIC_NETWORK_ENABLED");
	assert_string_equal(str(l[3], "status"), "pass");
	/* vault lines: status, count, the code that names the state */
	assert_string_equal(str(l[4], "code"), "DNS_TIMEOUT");
	assert_int_equal(get(l[4], "findings")->valueint, 1);
	assert_string_equal(str(l[5], "vault"), "kv-fail");
	assert_string_equal(str(l[5], "status"), "fail");
	assert_string_equal(str(l[5], "code"), "DNS_PUBLIC_ADDRESS");
	assert_int_equal(get(l[5], "findings")->valueint, 2);
	assert_string_equal(str(l[6], "status"), "pass");
	assert_true(cJSON_IsNull(get(l[6], "code")));
	assert_true(cJSON_IsNull(get(l[6], "message")));
	assert_int_equal(get(l[6], "findings")->valueint, 1);
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(l[i]);
	free(x);

	/* no run id: null */
	x = render(r, REPORT_JSONL, 1, NULL);
	n = jsonl_parse(x, l, 16);
	assert_int_equal(n, 7);
	assert_true(cJSON_IsNull(get(l[0], "run_id")));
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(l[i]);
	free(x);
	report_free(r);
}

/* ---- Nagios ---- */

static bool
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static size_t
first_line_len(const char *x)
{
	const char *nl = strchr(x, '\n');

	return nl ? (size_t)(nl - x) : strlen(x);
}

/* The status text: the first line before its perfdata. */
static size_t
status_text_len(const char *x)
{
	const char *bar = strstr(x, " | ");

	return bar != NULL && bar < x + first_line_len(x) ? (size_t)(bar - x) : first_line_len(x);
}

static void
test_nagios(void **state)
{
	struct kv_report *r = make_report(3);
	char *x = render(r, REPORT_NAGIOS, 1, NULL);

	KV_UNUSED(state);
	assert_int_equal(report_nagios_state(r), 2);
	assert_true(utf8_valid(x));
	assert_int_equal(strncmp(x, "KVPE CRITICAL - 2 of 3 vaults failing (1 not checked): kv-error" NASTY
				    " (DNS_TIMEOUT), kv-fail (DNS_PUBLIC_ADDRESS) | vaults=3;;;0 passed=1;;;0 "
				    "failed=1;;;0 errors=1;;;0 sources_unread=0;;;0\n",
			     first_line_len(x) + 1),
	    0);
	assert_true(status_text_len(x) <= 200);
	assert_int_equal(count_of(x, "\n"), 3);
	assert_int_equal(count_of(x, "|"), 1); /* only the perfdata separator */
	assert_non_null(strstr(x, "\nkv-error" NASTY ": DNS_TIMEOUT: no answer from 10.0.0.4:53 within 1500 ms\n"));
	assert_non_null(strstr(x, "\nkv-fail: DNS_PUBLIC_ADDRESS: kv-fail.vault.azure.net resolves to public 52.1.2.3 " NASTY
				  " line two col   bad " FFFD " end / pipe (+1 more: DNS_NO_PRIVATELINK_CNAME)\n"));
	free(x);

	/* only the medium finding left: WARNING */
	r->results[0].status = KV_ST_PASS;
	r->results[0].n_findings = 0;
	r->results[1].findings[0] = r->results[1].findings[1];
	r->results[1].n_findings = 1;
	assert_int_equal(report_nagios_state(r), 1);
	x = render(r, REPORT_NAGIOS, 1, NULL);
	assert_true(starts_with(x, "KVPE WARNING - 1 of 3 vaults failing: kv-fail (DNS_NO_PRIVATELINK_CNAME) | "));
	free(x);

	/* only a low finding: WARNING (conventions R1, README) */
	r->results[1].status = KV_ST_PASS;
	r->results[1].n_findings = 0;
	assert_int_equal(report_nagios_state(r), 1);
	x = render(r, REPORT_NAGIOS, 0, NULL);
	assert_string_equal(x, "KVPE WARNING - 3 of 3 vaults passing (1 low finding) | vaults=3;;;0 passed=3;;;0 "
			       "failed=0;;;0 errors=0;;;0 sources_unread=0;;;0\n");
	free(x);

	/* no finding at all: OK */
	for (size_t i = 0; i < r->n_results; i++)
		r->results[i].n_findings = 0;
	assert_int_equal(report_nagios_state(r), 0);
	report_free(r);
}

/* The status line is ASCII whatever a name holds (long output keeps it);
 * a run that read no source is UNKNOWN; main's UNKNOWN line is one line. */
static void
test_nagios_ascii_unknown(void **state)
{
	struct kv_report *r = make_report(3);
	struct kv_buf b;
	char *x;

	KV_UNUSED(state);
	r->results[1].t = target(r->arena, "kv-f\xc3\xa4il", NULL, NULL, NULL, "manual");
	x = render(r, REPORT_NAGIOS, 0, NULL);
	assert_non_null(strstr(x, ", kv-f?il (DNS_PUBLIC_ADDRESS) | "));
	assert_non_null(strstr(x, "\nkv-f\xc3\xa4il: DNS_PUBLIC_ADDRESS: "));
	for (size_t i = 0; i < first_line_len(x); i++)
		assert_true(x[i] >= 0x20 && x[i] < 0x7f);
	free(x);

	/* every source down, no vault seen failing: UNKNOWN */
	r->sources = kv_arena_calloc(r->arena, 2, sizeof(*r->sources));
	r->sources[0].name = "subscription/a";
	r->sources[1].name = "subscription/b";
	r->n_sources = 2;
	r->results[1].status = KV_ST_ERROR;
	assert_int_equal(report_nagios_state(r), 3);
	x = render(r, REPORT_NAGIOS, 0, NULL);
	assert_true(starts_with(x, "KVPE UNKNOWN - "));
	free(x);
	r->sources[1].up = true; /* one read: a partial run, CRITICAL */
	assert_int_equal(report_nagios_state(r), 2);
	r->sources[1].up = false;
	r->results[1].status = KV_ST_FAIL; /* a vault seen failing: CRITICAL */
	assert_int_equal(report_nagios_state(r), 2);
	report_free(r);

	kv_buf_init(&b, 4096);
	assert_int_equal(report_nagios_unknown("--vault 'k\xc3\xa4\nx|y': bad", &b), KV_OK);
	assert_string_equal(b.data, "KVPE UNKNOWN - --vault 'k? x/y': bad\n");
	kv_buf_reset(&b);
	assert_int_equal(report_nagios_unknown(NULL, &b), KV_OK);
	assert_string_equal(b.data, "KVPE UNKNOWN - the check could not run\n");
	kv_buf_reset(&b);
	{
		char long_reason[600];
		memset(long_reason, 'a', sizeof(long_reason) - 1);
		long_reason[sizeof(long_reason) - 1] = '\0';
		assert_int_equal(report_nagios_unknown(long_reason, &b), KV_OK);
		assert_int_equal(b.len, 201);
		assert_string_equal(b.data + 197, "...\n");
	}
	kv_buf_free(&b);
}

/* Many failing vaults: the first line stays short and says how many were cut. */
static void
test_nagios_cut(void **state)
{
	struct kv_report *r = make_report(0);
	char *x, want[64];
	size_t n = 40, listed;

	KV_UNUSED(state);
	r->results = kv_arena_calloc(r->arena, n, sizeof(*r->results));
	r->n_results = n;
	for (size_t i = 0; i < n; i++) {
		struct kv_result *v = &r->results[i];
		v->t = target(r->arena, kv_arena_printf(r->arena, "kv-long-vault-name-%05zu", i), NULL, NULL, NULL,
		    "manual");
		add_finding(r->arena, v, KV_F_NO_PRIVATE_ENDPOINT, "no endpoint", NULL);
		v->status = KV_ST_FAIL;
	}
	x = render(r, REPORT_NAGIOS, 1, NULL);
	assert_true(status_text_len(x) <= 200);
	listed = count_of(x, " (NO_PRIVATE_ENDPOINT)");
	assert_true(listed >= 1 && listed < n);
	snprintf(want, sizeof(want), " ...and %zu more | vaults=40;;;0", n - listed);
	assert_non_null(strstr(x, want));
	assert_int_equal(count_of(x, "\n"), n + 1);
	free(x);
	report_free(r);
}

/* An incomplete vault and a run error: errors everywhere. */
static void
test_incomplete_and_run_error(void **state)
{
	struct kv_report *r = make_report(0);
	struct kv_result *v;
	struct kv_target *t;
	cJSON *l[8];
	char *x;
	size_t n;

	KV_UNUSED(state);
	r->results = kv_arena_calloc(r->arena, 1, sizeof(*r->results));
	r->n_results = 1;
	v = &r->results[0];
	t = target(r->arena, "kv-inc", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-inc", "s",
	    "rg", "inventory");
	t->incomplete = "the inventory entry has no properties";
	v->t = t;
	v->status = KV_ST_ERROR;
	r->errors = kv_arena_calloc(r->arena, 1, sizeof(*r->errors));
	r->n_errors = 1;
	r->errors[0].scope = "subscription/s2";
	r->errors[0].message = "HTTP 403 <AuthorizationFailed>";

	x = render(r, REPORT_JUNIT, 1, NULL);
	assert_true(xml_check(x));
	assert_non_null(strstr(x, "tests=\"2\" failures=\"0\" errors=\"2\""));
	assert_non_null(strstr(x, "<error type=\"INCOMPLETE\" message=\"the inventory entry has no properties\">"));
	assert_non_null(strstr(x, "<testcase name=\"subscription/s2\" classname=\"kvpe.run\""));
	assert_non_null(strstr(x, "<error type=\"RUN_ERROR\" message=\"HTTP 403 &lt;AuthorizationFailed&gt;\">"));
	free(x);

	x = render(r, REPORT_SARIF, 1, NULL);
	cJSON *doc = cJSON_Parse(x);
	assert_non_null(doc);
	assert_int_equal(cJSON_GetArraySize(get(doc, "runs.0.results")), 0);
	assert_int_equal(cJSON_GetArraySize(get(doc, "runs.0.invocations.0.toolExecutionNotifications")), 2);
	assert_string_equal(str(doc, "runs.0.invocations.0.toolExecutionNotifications.0.message.text"),
	    "subscription/s2 not read: HTTP 403 <AuthorizationFailed>");
	cJSON_Delete(doc);
	free(x);

	x = render(r, REPORT_JSONL, 1, NULL);
	n = jsonl_parse(x, l, 8);
	assert_int_equal(n, 2);
	assert_string_equal(str(l[0], "type"), "vault");
	assert_string_equal(str(l[0], "code"), "INCOMPLETE");
	assert_string_equal(str(l[0], "message"), "the inventory entry has no properties");
	assert_string_equal(str(l[1], "type"), "run_error");
	assert_string_equal(str(l[1], "scope"), "subscription/s2");
	assert_string_equal(str(l[1], "status"), "error");
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(l[i]);
	free(x);

	assert_int_equal(report_nagios_state(r), 2);
	x = render(r, REPORT_NAGIOS, 1, NULL);
	assert_true(starts_with(x, "KVPE CRITICAL - 1 of 1 vaults not checked: kv-inc (INCOMPLETE); 1 source not read | "));
	assert_non_null(strstr(x, "\nkv-inc: INCOMPLETE: the inventory entry has no properties\n"));
	assert_non_null(strstr(x, "\nnot read: subscription/s2: HTTP 403 <AuthorizationFailed>\n"));
	free(x);
	report_free(r);
}

/* ---- partial runs and stale verdicts ---- */

#define SUB_A "5c1ab000-0000-4000-8000-00000000000a"
#define SUB_B "5c1ab000-0000-4000-8000-00000000000b"

static void
set_sources(struct kv_report *r, bool b_up)
{
	r->sources = kv_arena_calloc(r->arena, 2, sizeof(*r->sources));
	r->n_sources = 2;
	r->sources[0].name = "subscription/" SUB_A;
	r->sources[0].up = true;
	r->sources[1].name = "subscription/" SUB_B;
	r->sources[1].up = b_up;
}

/* One vault of `sub` (NULL: a --vault name) with status st. */
static void
put_vault(struct kv_report *r, size_t i, const char *name, const char *sub, enum kv_status st)
{
	struct kv_result *x = &r->results[i];
	const char *id = sub ? kv_arena_printf(r->arena, "/subscriptions/%s/resourceGroups/rg/providers/"
	    "Microsoft.KeyVault/vaults/%s", sub, name) : NULL;

	x->t = target(r->arena, name, id, sub, sub ? "rg" : NULL, sub ? "arm" : "manual");
	x->dns.a.rcode = KV_RC_NOERROR;
	x->dns.a.server = 0;
	x->dns.a.addrs = addrs(r->arena, "10.1.0.4", &x->dns.a.n_addrs);
	x->probe.level = KV_PROBE_OFF;
	x->status = st;
	if (st == KV_ST_FAIL)
		add_finding(r->arena, x, KV_F_DNS_PUBLIC_ADDRESS, "resolves to public 52.1.2.3", "az network ...");
}

static void
add_error(struct kv_report *r, const char *scope, const char *msg)
{
	struct kv_run_error *v = kv_arena_calloc(r->arena, r->n_errors + 1, sizeof(*v));

	if (r->n_errors > 0)
		memcpy(v, r->errors, r->n_errors * sizeof(*v));
	v[r->n_errors].scope = scope;
	v[r->n_errors].message = msg;
	r->errors = v;
	r->n_errors++;
}

/* A prometheus sample's value, or NULL when the series is absent. */
static const char *
prom_value(const char *text, const char *series, char *buf, size_t size)
{
	size_t n = strlen(series);

	for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ') {
			const char *nl = strchr(p + n + 1, '\n');
			snprintf(buf, size, "%.*s", (int)(nl ? (size_t)(nl - p - n - 1) : strlen(p + n + 1)), p + n + 1);
			return buf;
		}
	}
	return NULL;
}

/* One subscription of two answered 403 for two of its lists: the vault of
 * the other passes, and every format says the run is partial. */
static void
test_partial_run(void **state)
{
	struct kv_report *r = make_report(0);
	cJSON *doc, *l[8];
	char *x, buf[600], v[32];
	size_t n;

	KV_UNUSED(state);
	r->results = kv_arena_calloc(r->arena, 1, sizeof(*r->results));
	r->n_results = 1;
	put_vault(r, 0, "kv-a1", SUB_A, KV_ST_PASS);
	set_sources(r, false);
	add_error(r, "subscription/" SUB_B, "vaults: HTTP 403 AuthorizationFailed");
	add_error(r, "endpoint//subscriptions/c/pe1", "HTTP 500 after 4 attempts");
	add_error(r, "subscription/" SUB_B, "private endpoints: HTTP 403 AuthorizationFailed");

	assert_true(report_partial(r));
	assert_int_equal(report_exit_code(r), 2); /* every vault passed, still not proof */
	assert_int_equal(report_partial_reason(r, buf, sizeof(buf)), KV_OK);
	assert_string_equal(buf, "2 sources not read: endpoint//subscriptions/c/pe1 (HTTP 500 after 4 attempts) and more; "
				 "see the report's errors");

	x = render(r, REPORT_JSON, 2, NULL);
	doc = cJSON_Parse(x);
	assert_non_null(doc);
	assert_true(cJSON_IsTrue(get(doc, "summary.partial")));
	assert_int_equal(get(doc, "summary.passed")->valueint, 1);
	assert_int_equal(cJSON_GetArraySize(get(doc, "errors")), 3);
	assert_string_equal(str(doc, "errors.0.scope"), "subscription/" SUB_B);
	assert_int_equal(cJSON_GetArraySize(get(doc, "sources")), 2);
	assert_string_equal(str(doc, "sources.1.source"), "subscription/" SUB_B);
	assert_true(cJSON_IsFalse(get(doc, "sources.1.up")));
	assert_true(cJSON_IsTrue(get(doc, "sources.0.up")));
	assert_null(get(doc, "sources.1.down_since")); /* agent mode only */
	assert_null(get(doc, "vaults.0.stale"));
	cJSON_Delete(doc);
	free(x);

	/* SARIF: not a successful execution; one notification per source */
	x = render(r, REPORT_SARIF, 2, NULL);
	doc = cJSON_Parse(x);
	assert_non_null(doc);
	assert_true(cJSON_IsFalse(get(doc, "runs.0.invocations.0.executionSuccessful")));
	assert_int_equal(get(doc, "runs.0.invocations.0.exitCode")->valueint, 2);
	assert_int_equal(cJSON_GetArraySize(get(doc, "runs.0.invocations.0.toolExecutionNotifications")), 2);
	assert_string_equal(str(doc, "runs.0.invocations.0.toolExecutionNotifications.0.message.text"),
	    "endpoint//subscriptions/c/pe1 not read: HTTP 500 after 4 attempts");
	assert_string_equal(str(doc, "runs.0.invocations.0.toolExecutionNotifications.1.message.text"),
	    "subscription/" SUB_B " not read: vaults: HTTP 403 AuthorizationFailed; "
	    "private endpoints: HTTP 403 AuthorizationFailed");
	assert_string_equal(str(doc, "runs.0.invocations.0.toolExecutionNotifications.1.level"), "error");
	cJSON_Delete(doc);
	free(x);

	/* Prometheus: the run did not succeed; each source up or not */
	x = render(r, REPORT_PROMETHEUS, 2, NULL);
	assert_string_equal(prom_value(x, "kvpe_last_run_success", v, sizeof(v)), "0");
	assert_string_equal(prom_value(x, "kvpe_source_up{source=\"subscription/" SUB_A "\"}", v, sizeof(v)), "1");
	assert_string_equal(prom_value(x, "kvpe_source_up{source=\"subscription/" SUB_B "\"}", v, sizeof(v)), "0");
	assert_string_equal(prom_value(x, "kvpe_vault_up{vault=\"kv-a1\"}", v, sizeof(v)), "1");
	assert_int_equal(count_of(x, "kvpe_vault_stale{"), 0);
	free(x);

	/* JUnit: one error case per source not read, naming it */
	x = render(r, REPORT_JUNIT, 2, NULL);
	assert_true(xml_check(x));
	assert_non_null(strstr(x, "tests=\"3\" failures=\"0\" errors=\"2\""));
	assert_int_equal(count_of(x, "classname=\"kvpe.run\""), 2);
	assert_non_null(strstr(x, "<testcase name=\"subscription/" SUB_B "\" classname=\"kvpe.run\" time=\"0.000\">\n"
				  "      <error type=\"RUN_ERROR\" message=\"vaults: HTTP 403 AuthorizationFailed\">not read:\n"
				  "vaults: HTTP 403 AuthorizationFailed\nprivate endpoints: HTTP 403 AuthorizationFailed\n"
				  "</error>"));
	free(x);

	/* Nagios: never OK, the unread sources counted */
	assert_int_equal(report_nagios_state(r), 2);
	x = render(r, REPORT_NAGIOS, 2, NULL);
	assert_string_equal(x, "KVPE CRITICAL - 1 of 1 vaults passing; 2 sources not read | vaults=1;;;0 passed=1;;;0 "
			       "failed=0;;;0 errors=0;;;0 sources_unread=2;;;0\n"
			       "not read: endpoint//subscriptions/c/pe1: HTTP 500 after 4 attempts\n"
			       "not read: subscription/" SUB_B ": vaults: HTTP 403 AuthorizationFailed; "
			       "private endpoints: HTTP 403 AuthorizationFailed\n");
	free(x);

	/* JSONL: a line per run error */
	x = render(r, REPORT_JSONL, 2, NULL);
	n = jsonl_parse(x, l, 8);
	assert_int_equal(n, 4);
	assert_string_equal(str(l[1], "type"), "run_error");
	assert_string_equal(str(l[3], "scope"), "subscription/" SUB_B);
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(l[i]);
	free(x);

	/* table: says so at the end */
	x = render(r, REPORT_TABLE, 2, NULL);
	assert_non_null(strstr(x, "\nPARTIAL RUN: 2 sources not read: endpoint//subscriptions/c/pe1"));
	free(x);

	/* every source read: a complete run again */
	r->n_errors = 0;
	r->sources[1].up = true;
	assert_false(report_partial(r));
	assert_int_equal(report_exit_code(r), 0);
	x = render(r, REPORT_SARIF, 0, NULL);
	doc = cJSON_Parse(x);
	assert_true(cJSON_IsTrue(get(doc, "runs.0.invocations.0.executionSuccessful")));
	cJSON_Delete(doc);
	free(x);
	x = render(r, REPORT_PROMETHEUS, 0, NULL);
	assert_string_equal(prom_value(x, "kvpe_last_run_success", v, sizeof(v)), "1");
	free(x);
	report_free(r);
}

/* A cycle of the agent: vaults kv-a1 (sub a), kv-b1 (pass) and kv-b2 (fail)
 * of sub b, kv-m (--vault); with sub b down, kv-b1 listed but incomplete and
 * kv-b2 not listed at all. */
static struct kv_report *
cycle_report(int64_t started, bool b_up)
{
	struct kv_report *r = make_report(0);

	r->started_ms = started;
	r->results = kv_arena_calloc(r->arena, 4, sizeof(*r->results));
	put_vault(r, r->n_results++, "kv-a1", SUB_A, KV_ST_PASS);
	put_vault(r, r->n_results++, "kv-b1", SUB_B, b_up ? KV_ST_PASS : KV_ST_ERROR);
	if (b_up)
		put_vault(r, r->n_results++, "kv-b2", SUB_B, KV_ST_FAIL);
	else
		((struct kv_target *)(uintptr_t)r->results[1].t)->incomplete = "ARM data for subscription b is incomplete";
	put_vault(r, r->n_results++, "kv-m", NULL, KV_ST_PASS);
	set_sources(r, b_up);
	if (!b_up)
		add_error(r, "subscription/" SUB_B, "private endpoints: HTTP 403 AuthorizationFailed");
	return r;
}

static void
test_carry_stale(void **state)
{
	struct kv_report *c1, *c2, *c3, *c4;
	const int64_t iv = 60000, stale_after = 3 * iv;
	cJSON *doc;
	char *x, v[32];

	KV_UNUSED(state);
	c1 = cycle_report(STARTED, true);
	assert_int_equal(report_carry_stale(c1, NULL, STARTED, stale_after), KV_OK);
	assert_int_equal(c1->n_results, 4);
	assert_int_equal(c1->n_held, 0);

	/* sub b down: its vaults keep the last verdict, marked stale */
	c2 = cycle_report(STARTED + iv, false);
	assert_int_equal(report_carry_stale(c2, c1, STARTED + iv, stale_after), KV_OK);
	assert_int_equal(c2->sources[1].down_since_ms, STARTED + iv);
	assert_int_equal(c2->n_results, 4);
	assert_string_equal(c2->results[1].t->name, "kv-b1");
	assert_ptr_equal(c2->results[1].origin, c1);
	assert_int_equal(c2->results[1].status, KV_ST_PASS); /* not the incomplete error of this cycle */
	assert_null(c2->results[1].t->incomplete);
	assert_string_equal(c2->results[2].t->name, "kv-b2"); /* not listed this cycle: kept */
	assert_ptr_equal(c2->results[2].origin, c1);
	assert_int_equal(c2->results[2].status, KV_ST_FAIL);
	assert_null(c2->results[0].origin);
	assert_null(c2->results[3].origin);
	assert_int_equal(c1->refs, 1);
	report_free(c1); /* the agent drops it: c2 still holds it */
	assert_int_equal(c1->refs, 0);

	x = render(c2, REPORT_PROMETHEUS, 2, NULL);
	assert_string_equal(prom_value(x, "kvpe_vault_up{vault=\"kv-b1\"}", v, sizeof(v)), "1");
	assert_string_equal(prom_value(x, "kvpe_vault_stale{vault=\"kv-b1\"}", v, sizeof(v)), "1");
	assert_string_equal(prom_value(x, "kvpe_vault_status{vault=\"kv-b2\",status=\"fail\"}", v, sizeof(v)), "1");
	assert_string_equal(prom_value(x, "kvpe_vault_stale{vault=\"kv-b2\"}", v, sizeof(v)), "1");
	assert_null(prom_value(x, "kvpe_vault_stale{vault=\"kv-a1\"}", v, sizeof(v)));
	assert_string_equal(prom_value(x, "kvpe_source_up{source=\"subscription/" SUB_B "\"}", v, sizeof(v)), "0");
	assert_string_equal(prom_value(x, "kvpe_vaults", v, sizeof(v)), "4");
	free(x);
	x = render(c2, REPORT_JSON, 2, NULL);
	doc = cJSON_Parse(x);
	assert_non_null(doc);
	assert_true(cJSON_IsTrue(get(doc, "vaults.1.stale")));
	assert_string_equal(str(doc, "vaults.1.last_checked_at"), "2026-11-28T09:00:00Z");
	assert_string_equal(str(doc, "vaults.1.status"), "pass");
	assert_null(get(doc, "vaults.0.stale"));
	assert_int_equal(get(doc, "summary.stale")->valueint, 2);
	assert_string_equal(str(doc, "sources.1.down_since"), "2026-11-28T09:01:00Z");
	cJSON_Delete(doc);
	free(x);

	/* still down after --stale-after: a pass is no longer vouched for, a
	 * fail keeps failing; the verdicts still come from c1 */
	c3 = cycle_report(STARTED + 4 * iv, false);
	assert_int_equal(report_carry_stale(c3, c2, STARTED + 4 * iv, stale_after), KV_OK);
	assert_int_equal(c3->sources[1].down_since_ms, STARTED + iv);
	assert_ptr_equal(c3->results[1].origin, c1);
	assert_int_equal(c3->results[1].status, KV_ST_ERROR);
	assert_string_equal(c3->results[1].t->incomplete, "not checked since 2026-11-28T09:00:00Z: source subscription/" SUB_B
	    " down since 2026-11-28T09:01:00Z");
	assert_int_equal(c3->results[2].status, KV_ST_FAIL);
	assert_non_null(c3->results[2].t->incomplete);
	assert_int_equal(c3->results[2].n_findings, 1);
	assert_int_equal(c3->results[0].status, KV_ST_PASS);
	report_free(c2);
	x = render(c3, REPORT_PROMETHEUS, 2, NULL);
	assert_string_equal(prom_value(x, "kvpe_vault_up{vault=\"kv-b1\"}", v, sizeof(v)), "0");
	assert_string_equal(prom_value(x, "kvpe_vault_status{vault=\"kv-b1\",status=\"error\"}", v, sizeof(v)), "1");
	assert_string_equal(prom_value(x, "kvpe_vault_status{vault=\"kv-b2\",status=\"fail\"}", v, sizeof(v)), "1");
	assert_string_equal(prom_value(x, "kvpe_vault_stale{vault=\"kv-b1\"}", v, sizeof(v)), "1");
	free(x);

	/* a reload raised --stale-after meanwhile: what expired stays so until
	 * the source is back, and nothing points into c3 once it is gone */
	c4 = cycle_report(STARTED + 5 * iv, false);
	assert_int_equal(report_carry_stale(c4, c3, STARTED + 5 * iv, 100 * iv), KV_OK);
	report_free(c3);
	assert_int_equal(c4->results[1].status, KV_ST_ERROR);
	assert_non_null(strstr(c4->results[1].t->incomplete, "down since 2026-11-28T09:01:00Z"));
	assert_ptr_equal(c4->results[1].origin, c1);
	x = render(c4, REPORT_JSON, 2, NULL); /* reads every carried pointer (ASan) */
	free(x);
	c3 = c4;

	/* sub b back: fresh verdicts, nothing held */
	c4 = cycle_report(STARTED + 6 * iv, true);
	assert_int_equal(report_carry_stale(c4, c3, STARTED + 6 * iv, stale_after), KV_OK);
	assert_int_equal(c4->n_held, 0);
	assert_int_equal(c4->sources[1].down_since_ms, 0);
	for (size_t i = 0; i < c4->n_results; i++)
		assert_null(c4->results[i].origin);
	report_free(c3); /* frees c1 too (leak-checked under ASan) */
	report_free(c4);

	/* --stale-after 0: not kept even for one cycle as a pass */
	c1 = cycle_report(STARTED, true);
	c2 = cycle_report(STARTED + iv, false);
	assert_int_equal(report_carry_stale(c2, c1, STARTED + iv, 0), KV_OK);
	assert_int_equal(c2->results[1].status, KV_ST_ERROR);
	assert_ptr_equal(c2->results[1].origin, c1);
	report_free(c1);
	report_free(c2);
}

/* A report without vaults renders in every format. */
static void
test_empty(void **state)
{
	struct kv_report *r = make_report(0);
	char *x;
	cJSON *doc;

	KV_UNUSED(state);
	r->arm_endpoint = NULL;
	x = render(r, REPORT_JUNIT, 0, NULL);
	assert_true(xml_check(x));
	assert_non_null(strstr(x, "tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\""));
	assert_int_equal(count_of(x, "<testcase"), 0);
	free(x);

	x = render(r, REPORT_SARIF, 0, NULL);
	doc = cJSON_Parse(x);
	assert_non_null(doc);
	assert_true(cJSON_IsArray(get(doc, "runs.0.results")));
	assert_int_equal(cJSON_GetArraySize(get(doc, "runs.0.results")), 0);
	assert_int_equal(cJSON_GetArraySize(get(doc, "runs.0.tool.driver.rules")), KV_F_COUNT);
	assert_string_equal(str(doc, "runs.0.originalUriBaseIds.ARM.uri"), "https://management.azure.com/");
	assert_int_equal(get(doc, "runs.0.invocations.0.exitCode")->valueint, 0);
	assert_null(get(doc, "runs.0.invocations.0.toolExecutionNotifications"));
	cJSON_Delete(doc);
	free(x);

	x = render(r, REPORT_JSONL, 0, NULL);
	assert_string_equal(x, "");
	free(x);

	assert_int_equal(report_nagios_state(r), 0);
	x = render(r, REPORT_NAGIOS, 0, NULL);
	assert_string_equal(x, "KVPE OK - 0 vaults checked | vaults=0;;;0 passed=0;;;0 failed=0;;;0 errors=0;;;0 "
			       "sources_unread=0;;;0\n");
	free(x);
	report_free(r);
}

/* ---- Prometheus numbers and the counters carried across runs ---- */

static void
test_prom_numbers(void **state)
{
	static const struct {
		double v;
		const char *want;
	} vals[] = {
	    {0, "0"}, {1, "1"}, {-3, "-3"}, {1796401770, "1796401770"}, {4294967295.0, "4294967295"},
	    {0.1, "0.1"}, {0.102, "0.102"}, {1234.567, "1234.567"}, {1796401770.123, "1796401770.123"},
	    {1e-9, "1e-09"}, {1.0 / 3, "0.3333333333333333"}, {0.1 + 0.2, "0.30000000000000004"}, {1e20, "1e+20"},
	};
	static const struct {
		int64_t ms;
		const char *want;
	} mss[] = {
	    {0, "0"}, {1, "0.001"}, {999, "0.999"}, {1000, "1"}, {1500, "1.500"}, {-1500, "-1.500"},
	    {1796401770123LL, "1796401770.123"}, {1796401770000LL, "1796401770"}, {1796401770009LL, "1796401770.009"},
	    {INT64_MAX, "9223372036854775.807"}, {INT64_MIN, "-9223372036854775.808"},
	};
	char buf[64], tiny[4];

	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(vals); i++) {
		assert_int_equal(report_prom_format_value(vals[i].v, buf, sizeof(buf)), KV_OK);
		assert_string_equal(buf, vals[i].want);
		assert_true(strtod(buf, NULL) == vals[i].v); /* reads back the same */
	}
	for (size_t i = 0; i < KV_ARRAY_LEN(mss); i++) {
		assert_int_equal(report_prom_format_ms(mss[i].ms, buf, sizeof(buf)), KV_OK);
		assert_string_equal(buf, mss[i].want);
	}
	assert_int_equal(report_prom_format_ms(1796401770123LL, tiny, sizeof(tiny)), KV_ELIMIT);
	assert_int_equal(report_prom_format_value(1796401770.123, tiny, sizeof(tiny)), KV_ELIMIT);
}

/* A report's exposition: times exact to the millisecond (a %.9g once made
 * the end of a run 1.79640177e+09, seconds before its start). */
static void
test_prom_times(void **state)
{
	struct kv_report *r = make_report(3);
	struct report_prom_state st;
	struct kv_buf b;
	char v[64];

	(void)state;
	r->started_ms = 1796401770123LL;
	r->duration_ms = 4877;
	report_prom_state_from_report(r, &st);
	st.full = true; /* the per-vault durations are detail */
	kv_buf_init(&b, REPORT_MAX);
	assert_int_equal(report_prom(r, &st, &b), KV_OK);
	assert_string_equal(prom_value(b.data, "kvpe_last_run_timestamp_seconds", v, sizeof(v)), "1796401775");
	assert_string_equal(prom_value(b.data, "kvpe_last_success_timestamp_seconds", v, sizeof(v)), "1796401775");
	assert_string_equal(prom_value(b.data, "kvpe_config_last_reload_success_timestamp_seconds", v, sizeof(v)),
	    "1796401770.123");
	assert_string_equal(prom_value(b.data, "kvpe_run_duration_seconds", v, sizeof(v)), "4.877");
	assert_non_null(strstr(b.data, "\nkvpe_dns_lookup_seconds{vault=\"kv-fail\"} 0.003\n"));
	assert_non_null(strstr(b.data, "\nkvpe_dns_lookup_seconds{vault=\"" ERR_NAME_PROM "\"} 1.500\n"));
	assert_non_null(strstr(b.data, "\nkvpe_probe_duration_seconds{vault=\"kv-fail\",phase=\"tls\"} 0.011\n"));
	assert_null(strstr(b.data, "e+"));
	kv_buf_free(&b);

	/* An odd end: start + duration not on a whole second. */
	r->duration_ms = 4878;
	report_prom_state_from_report(r, &st);
	kv_buf_init(&b, REPORT_MAX);
	assert_int_equal(report_prom(r, &st, &b), KV_OK);
	assert_string_equal(prom_value(b.data, "kvpe_last_run_timestamp_seconds", v, sizeof(v)), "1796401775.001");
	kv_buf_free(&b);
	report_free(r);
}

/* Lines of `text` starting with `prefix`. */
static size_t
count_lines(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, prefix, len) == 0)
			n++;
	return n;
}

/* --metrics-detail: basic gives a passing vault its 4 status series (a low
 * finding adds its kvpe_vault_findings) and no detail family at all; full
 * adds the DNS, probe and per-server families, the last only for results
 * that hold vantage observations. */
static void
test_prom_detail(void **state)
{
	struct kv_report *r = make_report(3);
	struct kv_result *x = &r->results[1];
	struct report_prom_state st;
	struct kv_buf b;
	static const char *fams[] = {"kvpe_dns_", "kvpe_probe_", "kvpe_tls_", "kvpe_ip_addr_hash", "kvpe_private_",
	    "kvpe_public_"};

	(void)state;
	/* The failing vault was asked through two servers; the passing one
	 * through none (--vantage off: nothing emitted for it). */
	r->vantages = kv_arena_calloc(r->arena, 2, sizeof(*r->vantages));
	r->n_vantages = 2;
	r->vantages[0].name = "10.0.0.4:53";
	r->vantages[0].role = KV_VR_CUSTOM;
	r->vantages[1].name = "168.63.129.16:53";
	r->vantages[1].role = KV_VR_AZURE;
	x->vantages = kv_arena_calloc(r->arena, 2, sizeof(*x->vantages));
	x->n_vantages = 2;
	x->vantages[0].vantage = 0;
	x->vantages[0].a = x->dns.a;
	x->vantages[1].vantage = 1;
	x->vantages[1].a.rcode = KV_RC_NOERROR;
	x->vantages[1].a.addrs = addrs(r->arena, "10.1.0.4", &x->vantages[1].a.n_addrs);
	x->vantages[1].a.ms = 7;

	report_prom_state_from_report(r, &st);
	kv_buf_init(&b, REPORT_MAX);
	assert_int_equal(report_prom(r, &st, &b), KV_OK);
	assert_int_equal(count_lines(b.data, "kvpe_vault_up{vault=\"kv-pass\"}"), 1);
	assert_int_equal(count_lines(b.data, "kvpe_vault_status{vault=\"kv-pass\""), 3);
	assert_int_equal(count_lines(b.data, "kvpe_vault_findings{vault=\"kv-pass\""), 1);
	assert_int_equal(count_lines(b.data, "kvpe_vault_findings{vault=\"kv-fail\""), 2);
	for (size_t i = 0; i < KV_ARRAY_LEN(fams); i++) {
		char help[64];
		/* the lookup-time histogram is an aggregate: it stays */
		size_t hist = strcmp(fams[i], "kvpe_dns_") == 0 ? REPORT_PROM_LOOKUP_BUCKETS + 3 : 0;
		snprintf(help, sizeof(help), "# HELP %s", fams[i]);
		assert_int_equal(count_lines(b.data, fams[i]), hist);
		assert_int_equal(count_lines(b.data, help), hist ? 1 : 0);
	}
	assert_int_equal(count_lines(b.data, "kvpe_findings{"), KV_F_COUNT); /* aggregates stay */
	assert_int_equal(count_lines(b.data, "# TYPE kvpe_dns_lookup_duration_seconds histogram"), 1);
	assert_int_equal(count_lines(b.data, "kvpe_dns_lookup_duration_seconds_bucket{le=\"+Inf\"} "), 1);
	kv_buf_free(&b);

	st.full = true;
	kv_buf_init(&b, REPORT_MAX);
	assert_int_equal(report_prom(r, &st, &b), KV_OK);
	assert_non_null(strstr(b.data, "\nkvpe_dns_lookup_seconds{vault=\"kv-pass\"} 0.002\n"));
	assert_non_null(strstr(b.data, "\nkvpe_dns_vantage_lookup_seconds{vault=\"kv-fail\",server=\"10.0.0.4:53\","
					"role=\"custom\"} 0.003\n"));
	assert_non_null(strstr(b.data, "\nkvpe_dns_vantage_address_match{vault=\"kv-fail\",server=\"10.0.0.4:53\","
					"role=\"custom\"} 0\n"));
	assert_non_null(strstr(b.data, "\nkvpe_dns_vantage_address_match{vault=\"kv-fail\",server=\"168.63.129.16:53\","
					"role=\"azure\"} 1\n"));
	assert_non_null(strstr(b.data, "\nkvpe_dns_vantage_resolved{vault=\"kv-fail\",server=\"168.63.129.16:53\","
					"role=\"azure\"} 1\n"));
	assert_int_equal(count_lines(b.data, "kvpe_dns_vantage_answer_rrs{"), 2);
	assert_int_equal(count_lines(b.data, "kvpe_dns_vantage_lookup_seconds{vault=\"kv-pass\""), 0);
	kv_buf_free(&b);

	/* Through report_write, as `kvpe check --format prometheus` writes. */
	{
		struct report_opts o;
		memset(&o, 0, sizeof(o));
		kv_buf_init(&b, REPORT_MAX);
		assert_int_equal(report_write(r, REPORT_PROMETHEUS, &o, &b), KV_OK);
		assert_int_equal(count_lines(b.data, "kvpe_dns_lookup_seconds{"), 0);
		kv_buf_free(&b);
		o.metrics_full = true;
		kv_buf_init(&b, REPORT_MAX);
		assert_int_equal(report_write(r, REPORT_PROMETHEUS, &o, &b), KV_OK);
		assert_int_equal(count_lines(b.data, "kvpe_dns_lookup_seconds{"), 3);
		kv_buf_free(&b);
	}
	report_free(r);
}

/* Writes `text` to a fresh temp file; returns its path (free() it). */
static char *
temp_file(const char *text)
{
	char *path = strdup("/tmp/kvpe-test-prom.XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
test_prom_carry(void **state)
{
	struct kv_report *r = make_report(3);
	struct report_prom_state st, prev, again;
	struct kv_buf b;
	char err[256], *path;
	static const char *bad[] = {
	    "",                                                          /* empty */
	    "kvpe_runs_total 5\n",                                       /* no TYPE, no build_info */
	    "hello\x01\xff garbage\n",                                   /* not an exposition */
	};

	(void)state;
	r->arm_requests = 7;
	r->arm_failures = 1;
	r->arm_throttled = 3;
	report_prom_state_from_report(r, &st);
	kv_buf_init(&b, REPORT_MAX);
	assert_int_equal(report_prom(r, &st, &b), KV_OK);

	/* What kvpe wrote reads back as its counters. */
	path = temp_file(b.data);
	assert_int_equal(report_prom_state_read(path, &prev, err, sizeof(err)), KV_OK);
	assert_int_equal(prev.runs_total, 1);
	assert_int_equal(prev.run_failures_total, 0);
	assert_int_equal(prev.arm_requests_total, 7);
	assert_int_equal(prev.arm_failures_total, 1);
	assert_int_equal(prev.arm_throttled_total, 3);
	assert_int_equal(prev.last_success_ms, st.last_success_ms);
	assert_int_equal(prev.lookup_count, st.lookup_count);
	assert_int_equal(prev.lookup_sum_ms, st.lookup_sum_ms);
	for (size_t i = 0; i < REPORT_PROM_LOOKUP_BUCKETS; i++)
		assert_int_equal(prev.lookup_le[i], st.lookup_le[i]);
	unlink(path);
	free(path);

	/* Carried on: every counter adds up; a run that did not complete keeps
	 * the previous success time. */
	again = st;
	report_prom_state_carry(&again, &prev);
	assert_int_equal(again.runs_total, 2);
	assert_int_equal(again.arm_throttled_total, 6);
	assert_int_equal(again.arm_requests_total, 14);
	assert_int_equal(again.lookup_count, 2 * st.lookup_count);
	assert_int_equal(again.lookup_sum_ms, 2 * st.lookup_sum_ms);
	assert_int_equal(again.last_success_ms, st.last_success_ms);
	again = st;
	again.last_run_success = false;
	again.last_success_ms = 0;
	prev.last_success_ms = 1796401000456LL;
	report_prom_state_carry(&again, &prev);
	assert_int_equal(again.last_success_ms, 1796401000456LL);

	/* No file: KV_ENOTFOUND.  Garbage, or anything kvpe would not write: KV_EPARSE. */
	assert_int_equal(report_prom_state_read("/nonexistent/kvpe.prom", &prev, err, sizeof(err)), KV_ENOTFOUND);
	assert_int_equal(report_prom_state_read("/tmp", &prev, err, sizeof(err)), KV_EPARSE);
	for (size_t i = 0; i < KV_ARRAY_LEN(bad); i++) {
		path = temp_file(bad[i]);
		assert_int_equal(report_prom_state_read(path, &prev, err, sizeof(err)), KV_EPARSE);
		unlink(path);
		free(path);
	}
	{
		/* Each counter tampered with in turn: a sign, an exponent, a
		 * fraction, 2^53, a second sample, or the last newline missing. */
		static const struct {
			const char *from, *to;
		} edits[] = {
		    {"\nkvpe_runs_total 1\n", "\nkvpe_runs_total -1\n"},
		    {"\nkvpe_runs_total 1\n", "\nkvpe_runs_total 1e3\n"},
		    {"\nkvpe_runs_total 1\n", "\nkvpe_runs_total 1.5\n"},
		    {"\nkvpe_runs_total 1\n", "\nkvpe_runs_total 9007199254740993\n"},
		    {"\nkvpe_runs_total 1\n", "\nkvpe_runs_total 1\nkvpe_runs_total 1\n"},
		    {"\nkvpe_runs_total 1\n", "\n"},
		    {"\nkvpe_arm_throttled_total 3\n", "\nkvpe_arm_throttled_total 0x3\n"},
		    {"\nkvpe_last_success_timestamp_seconds ", "\nkvpe_last_success_timestamp_seconds 9"},
		    {"# TYPE kvpe_runs_total counter\n", ""},
		    {"\nkvpe_build_info{", "\nkvpe_build_inf{"},
		};
		for (size_t i = 0; i < KV_ARRAY_LEN(edits); i++) {
			const char *at = strstr(b.data, edits[i].from);
			size_t fl = strlen(edits[i].from), tl = strlen(edits[i].to);
			char *t = malloc(b.len + tl + 1);
			assert_non_null(at);
			assert_non_null(t);
			memcpy(t, b.data, (size_t)(at - b.data));
			memcpy(t + (at - b.data), edits[i].to, tl);
			strcpy(t + (at - b.data) + tl, at + fl);
			path = temp_file(t);
			assert_int_equal(report_prom_state_read(path, &prev, err, sizeof(err)), KV_EPARSE);
			unlink(path);
			free(path);
			free(t);
		}
		b.data[b.len - 1] = '\0'; /* cut short: no final newline */
		path = temp_file(b.data);
		assert_int_equal(report_prom_state_read(path, &prev, err, sizeof(err)), KV_EPARSE);
		assert_string_equal(err, "the file does not end with a newline");
		unlink(path);
		free(path);
	}
	kv_buf_free(&b);
	report_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_junit),
		cmocka_unit_test(test_sarif),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_nagios),
		cmocka_unit_test(test_nagios_cut), cmocka_unit_test(test_nagios_ascii_unknown),
		cmocka_unit_test(test_sarif_clouds_category), cmocka_unit_test(test_sarif_pipeline_env),
		cmocka_unit_test(test_incomplete_and_run_error),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_partial_run),
		cmocka_unit_test(test_carry_stale),
		cmocka_unit_test(test_prom_numbers),
		cmocka_unit_test(test_prom_times),
		cmocka_unit_test(test_prom_detail),
		cmocka_unit_test(test_prom_carry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
