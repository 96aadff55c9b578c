/* junit.c — JUnit XML for CI test tabs (Azure DevOps PublishTestResults,
 * GitLab, Jenkins).  One <testsuite name="kvpe">, one <testcase> per vault:
 * name = vault FQDN (what Azure shows), classname = kvpe.<subscription>.<rg>.
 * A failed vault carries <failure>, a vault that could not be checked
 * <error>; <system-out> holds what DNS and the probe saw (Azure attaches it to
 * failed cases only).  Save it as TEST-kvpe.xml so the default
 * TEST-*.xml glob finds it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvpe/report.h"

/* Escapes s for XML 1.0 character data (in_attr false) or a double-quoted
 * attribute value (in_attr true).  &<>"' become entities everywhere.  XML 1.0
 * has no way to carry C0 controls other than TAB, LF and CR, not even as
 * character references, so they become U+FFFD, as do invalid UTF-8 bytes and
 * the non-characters U+FFFE/U+FFFF.  In attributes TAB, LF and CR are written
 * as references, or attribute-value normalisation would turn them into
 * spaces; in text CR is, or line-end normalisation would drop it. */
static enum kv_err
xml_escape(struct kv_buf *b, const char *s, bool in_attr)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	enum kv_err rc = KV_OK;

	while (*p != '\0' && rc == KV_OK) {
		const unsigned char *start = p;
		size_t ul;
		while (*p >= 0x20 && *p < 0x7f && *p != '&' && *p != '<' && *p != '>' && *p != '"' && *p != '\'')
			p++;
		if (p > start && (rc = kv_buf_append(b, start, (size_t)(p - start))) != KV_OK)
			break;
		if (*p == '\0')
			break;
		switch (*p) {
		case '&':
			rc = kv_buf_puts(b, "&amp;");
			p++;
			continue;
		case '<':
			rc = kv_buf_puts(b, "&lt;");
			p++;
			continue;
		case '>':
			rc = kv_buf_puts(b, "&gt;");
			p++;
			continue;
		case '"':
			rc = kv_buf_puts(b, "&quot;");
			p++;
			continue;
		case '\'':
			rc = kv_buf_puts(b, "&apos;");
			p++;
			continue;
		case '\t':
		case '\n':
			rc = in_attr ? kv_buf_printf(b, "&#%u;", (unsigned)*p) : kv_buf_putc(b, (char)*p);
			p++;
			continue;
		case '\r':
		case 0x7f:
			rc = kv_buf_printf(b, "&#%u;", (unsigned)*p);
			p++;
			continue;
		default:
			break;
		}
		if (*p < 0x20) {
			rc = kv_buf_puts(b, "\xef\xbf\xbd");
			p++;
			continue;
		}
		ul = kv_utf8_len(p);
		if (ul == 0 || (ul == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe)) {
			rc = kv_buf_puts(b, "\xef\xbf\xbd");
			p += ul == 0 ? 1 : ul;
		} else {
			rc = kv_buf_append(b, p, ul);
			p += ul;
		}
	}
	return rc;
}

/* ` name="value"` */
static enum kv_err
put_attr(struct kv_buf *b, const char *name, const char *value)
{
	enum kv_err rc = kv_buf_printf(b, " %s=\"", name);

	if (rc == KV_OK)
		rc = xml_escape(b, value, true);
	if (rc == KV_OK)
		rc = kv_buf_putc(b, '"');
	return rc;
}

static enum kv_err
classname(struct kv_buf *b, const struct kv_target *t)
{
	enum kv_err rc;

	if (t->source != NULL && strcmp(t->source, "manual") == 0)
		return put_attr(b, "classname", "kvpe.manual");
	rc = kv_buf_puts(b, " classname=\"kvpe.");
	if (rc == KV_OK)
		rc = xml_escape(b, t->subscription != NULL && *t->subscription ? t->subscription : "unknown", true);
	if (rc == KV_OK)
		rc = kv_buf_putc(b, '.');
	if (rc == KV_OK)
		rc = xml_escape(b, t->resource_group != NULL && *t->resource_group ? t->resource_group : "unknown", true);
	if (rc == KV_OK)
		rc = kv_buf_putc(b, '"');
	return rc;
}

static bool
probe_ran(const struct kv_probe_obs *p)
{
	return p->level != KV_PROBE_OFF && p->result != KV_PR_NOT_RUN;
}

/* DNS time plus, when a probe ran, its phases. */
static double
case_seconds(const struct kv_result *x)
{
	const struct kv_probe_obs *p = &x->probe;
	int64_t ms = x->dns.a.rcode != KV_RC_NONE ? x->dns.a.ms : 0;

	if (probe_ran(p)) {
		ms += p->tcp_ms > 0 ? p->tcp_ms : 0;
		ms += p->tls_ms > 0 ? p->tls_ms : 0;
		ms += p->http_ms > 0 ? p->http_ms : 0;
	}
	return (double)ms / 1000.0;
}

static enum kv_err
addr_list(struct kv_buf *b, const struct kv_addr *v, size_t n)
{
	char one[KV_ADDR_STRLEN];
	enum kv_err rc = KV_OK;

	if (n == 0)
		return kv_buf_puts(b, "none");
	for (size_t i = 0; i < n && rc == KV_OK; i++) {
		kv_addr_format(&v[i], one, sizeof(one));
		rc = kv_buf_printf(b, "%s%s", i ? ", " : "", one);
	}
	return rc;
}

/* "CODE (severity): message\n  fix: remediation\n" for each finding. */
static enum kv_err
findings_text(struct kv_buf *b, const struct kv_result *x)
{
	enum kv_err rc = KV_OK;

	for (size_t i = 0; i < x->n_findings && rc == KV_OK; i++) {
		const struct kv_finding *f = &x->findings[i];
		rc = kv_buf_printf(b, "%s (%s): ", finding_name(f->code), finding_severity_name(kv_finding_severity(f)));
		if (rc == KV_OK)
			rc = xml_escape(b, f->message, false);
		if (rc == KV_OK && f->remediation != NULL) {
			rc = kv_buf_puts(b, "\n  fix: ");
			if (rc == KV_OK)
				rc = xml_escape(b, f->remediation, false);
		}
		if (rc == KV_OK)
			rc = kv_buf_putc(b, '\n');
	}
	return rc;
}

/* The probe result line: "https to 10.1.0.4: vault, tcp 4 ms, tls 11 ms, ...". */
static enum kv_err
probe_line(struct kv_buf *b, const struct kv_probe_obs *p)
{
	char addr[KV_ADDR_STRLEN];
	enum kv_err rc;

	if (p->level == KV_PROBE_OFF)
		return kv_buf_puts(b, "probe: off\n");
	if (p->result == KV_PR_NOT_RUN) {
		rc = kv_buf_printf(b, "probe: %s not run", kv_probe_level_name(p->level));
		if (rc == KV_OK && p->skipped != NULL) {
			rc = kv_buf_puts(b, " (");
			if (rc == KV_OK)
				rc = xml_escape(b, p->skipped, false);
			if (rc == KV_OK)
				rc = kv_buf_putc(b, ')');
		}
		return rc == KV_OK ? kv_buf_putc(b, '\n') : rc;
	}
	kv_addr_format(&p->address, addr, sizeof(addr));
	rc = kv_buf_printf(b, "probe: %s to %s: %s", kv_probe_level_name(p->level), p->address.family ? addr : "-",
	    kv_probe_result_name(p->result));
	if (rc == KV_OK && p->tcp_ms >= 0)
		rc = kv_buf_printf(b, ", tcp %d ms", (int)p->tcp_ms);
	if (rc == KV_OK && p->tls_ms >= 0)
		rc = kv_buf_printf(b, ", tls %d ms", (int)p->tls_ms);
	if (rc == KV_OK && p->http_ms >= 0)
		rc = kv_buf_printf(b, ", http %d ms", (int)p->http_ms);
	if (rc == KV_OK && p->http_status > 0)
		rc = kv_buf_printf(b, ", HTTP %d", p->http_status);
	if (rc == KV_OK && p->seen_addr != NULL) {
		rc = kv_buf_puts(b, ", vault saw ");
		if (rc == KV_OK)
			rc = xml_escape(b, p->seen_addr, false);
	}
	if (rc == KV_OK && p->error != NULL) {
		rc = kv_buf_puts(b, ", error: ");
		if (rc == KV_OK)
			rc = xml_escape(b, p->error, false);
	}
	return rc == KV_OK ? kv_buf_putc(b, '\n') : rc;
}

/* <system-out>: the DNS chain, answers, server and probe result.  The text
 * is written plain, then escaped once. */
static enum kv_err
system_out(struct kv_buf *b, const struct kv_report *r, const struct kv_result *x)
{
	const struct kv_target *t = x->t;
	const struct kv_dns_lookup *a = &x->dns.a, *pl = &x->dns.pl;
	struct kv_buf txt;
	enum kv_err rc = KV_OK;

#define OUT(...)                                                  \
	do {                                                      \
		if (rc == KV_OK)                                  \
			rc = kv_buf_printf(&txt, __VA_ARGS__);    \
	} while (0)
#define ADDRS(v, n)                                               \
	do {                                                      \
		if (rc == KV_OK)                                  \
			rc = addr_list(&txt, v, n);               \
	} while (0)
	kv_buf_init(&txt, REPORT_MAX);
	OUT("vault: %s (%s)\n", t->name, t->fqdn);
	if (t->id != NULL)
		OUT("id: %s\n", t->id);
	if (t->incomplete != NULL)
		OUT("not checked: %s\n", t->incomplete);
	if (a->rcode != KV_RC_NONE) {
		const char *server = a->server >= 0 && (size_t)a->server < r->n_resolvers ? r->resolvers[a->server] : NULL;
		OUT("dns: %s from %s in %u ms", kv_rcode_name(a->rcode), server != NULL ? server : "no server", (unsigned)a->ms);
		if (a->error != NULL)
			OUT(" (%s)", a->error);
		if (a->n_chain > 0)
			OUT("\nchain: ");
		for (size_t i = 0; i < a->n_chain; i++)
			OUT("%s%s", i > 0 ? " -> " : "", a->chain[i]);
		if (a->n_chain > 0 && (a->chain_loop || a->chain_truncated))
			OUT("%s", a->chain_loop ? " (loop)" : " (truncated)");
		OUT("\nanswers: ");
		ADDRS(a->addrs, a->n_addrs);
		if (a->n_addrs > 0)
			OUT(" (ttl %u)", (unsigned)a->ttl);
		if (x->dns.aaaa.n_addrs > 0) {
			OUT("\nanswers (AAAA): ");
			ADDRS(x->dns.aaaa.addrs, x->dns.aaaa.n_addrs);
		}
		if (pl->rcode != KV_RC_NONE) {
			OUT("\nprivatelink: %s %s ", t->pl_fqdn, kv_rcode_name(pl->rcode));
			ADDRS(pl->addrs, pl->n_addrs);
		}
		OUT("\n");
	}
	if (t->expected_known) {
		OUT("expected: ");
		ADDRS(t->expected, t->n_expected);
		OUT("\n");
	}
#undef OUT
#undef ADDRS
	if (rc == KV_OK)
		rc = kv_buf_puts(b, "      <system-out>");
	if (rc == KV_OK)
		rc = xml_escape(b, txt.data ? txt.data : "", false);
	kv_buf_free(&txt);
	if (rc == KV_OK && t->incomplete == NULL)
		rc = probe_line(b, &x->probe);
	/* A passing vault may still carry low findings: show them here. */
	if (rc == KV_OK && x->status == KV_ST_PASS)
		rc = findings_text(b, x);
	if (rc == KV_OK)
		rc = kv_buf_puts(b, "</system-out>\n");
	return rc;
}

static enum kv_err
testcase(struct kv_buf *b, const struct kv_report *r, const struct kv_result *x)
{
	const struct kv_target *t = x->t;
	const struct kv_finding *f = report_primary_finding(x);
	enum kv_err rc;

	rc = kv_buf_puts(b, "    <testcase");
	if (rc == KV_OK)
		rc = put_attr(b, "name", t->fqdn);
	if (rc == KV_OK)
		rc = classname(b, t);
	if (rc == KV_OK)
		rc = kv_buf_printf(b, " time=\"%.3f\">\n", case_seconds(x));
	if (rc == KV_OK && x->status != KV_ST_PASS) {
		bool err = x->status == KV_ST_ERROR;
		const char *type = f != NULL ? finding_name(f->code) : err && t->incomplete ? "INCOMPLETE" : "ERROR";
		const char *msg = f != NULL ? f->message : t->incomplete;
		rc = kv_buf_printf(b, "      <%s", err ? "error" : "failure");
		if (rc == KV_OK)
			rc = put_attr(b, "type", type);
		if (rc == KV_OK)
			rc = put_attr(b, "message", msg != NULL ? msg : "");
		if (rc == KV_OK)
			rc = kv_buf_putc(b, '>');
		if (rc == KV_OK && t->incomplete != NULL) {
			rc = kv_buf_puts(b, "not checked: ");
			if (rc == KV_OK)
				rc = xml_escape(b, t->incomplete, false);
			if (rc == KV_OK)
				rc = kv_buf_putc(b, '\n');
		}
		if (rc == KV_OK)
			rc = findings_text(b, x);
		if (rc == KV_OK)
			rc = kv_buf_printf(b, "</%s>\n", err ? "error" : "failure");
	}
	if (rc == KV_OK)
		rc = system_out(b, r, x);
	if (rc == KV_OK)
		rc = kv_buf_puts(b, "    </testcase>\n");
	return rc;
}

/* A source that could not be read (a subscription, an inventory file): not
 * everything was checked, so CI must see an error, not a green run.  One
 * case per source, v[0..n) its errors (the first is the message). */
static enum kv_err
run_error_case(struct kv_buf *b, const struct kv_run_error *const *v, size_t n)
{
	enum kv_err rc = kv_buf_puts(b, "    <testcase");

	if (rc == KV_OK)
		rc = put_attr(b, "name", v[0]->scope != NULL ? v[0]->scope : "run");
	if (rc == KV_OK)
		rc = kv_buf_puts(b, " classname=\"kvpe.run\" time=\"0.000\">\n      <error type=\"RUN_ERROR\"");
	if (rc == KV_OK)
		rc = put_attr(b, "message", v[0]->message);
	if (rc == KV_OK)
		rc = kv_buf_puts(b, ">not read:\n");
	for (size_t i = 0; i < n && rc == KV_OK; i++) {
		rc = xml_escape(b, v[i]->message, false);
		if (rc == KV_OK)
			rc = kv_buf_putc(b, '\n');
	}
	if (rc == KV_OK)
		rc = kv_buf_puts(b, "</error>\n    </testcase>\n");
	return rc;
}

/* The counts of <testsuites> and of <testsuite>.  Jenkins' junit-10.xsd
 * (xunit-plugin) allows `skipped` on <testsuite> only, and `time` with at
 * most three decimals, never negative. */
static enum kv_err
counts(struct kv_buf *b, const struct report_summary *s, const struct kv_report *r, size_t unread, bool suite)
{
	return kv_buf_printf(b, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\"%s time=\"%.3f\"", s->vaults + unread,
	    s->failed, s->errors + unread, suite ? " skipped=\"0\"" : "",
	    (double)(r->duration_ms > 0 ? r->duration_ms : 0) / 1000.0);
}

enum kv_err
report_junit(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out)
{
	struct report_summary s;
	const struct kv_run_error **ev = NULL;
	size_t unread = 0;
	char ts[32];
	enum kv_err rc;

	KV_UNUSED(o);
	report_summarize(r, &s);
	kv_fmt_time(r->started_ms, ts, sizeof(ts));
	if ((rc = report_errors_by_scope(r, &ev, &unread)) != KV_OK)
		return rc;
	rc = kv_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kvpe\"");
	if (rc == KV_OK)
		rc = counts(out, &s, r, unread, false);
	if (rc == KV_OK)
		rc = kv_buf_puts(out, ">\n  <testsuite name=\"kvpe\"");
	if (rc == KV_OK)
		rc = put_attr(out, "hostname", r->host != NULL ? r->host : "unknown");
	if (rc == KV_OK)
		rc = put_attr(out, "timestamp", ts);
	if (rc == KV_OK)
		rc = counts(out, &s, r, unread, true);
	if (rc == KV_OK)
		rc = kv_buf_puts(out, ">\n    <properties>\n      <property name=\"cloud\"");
	if (rc == KV_OK)
		rc = put_attr(out, "value", r->cloud != NULL ? r->cloud : "");
	if (rc == KV_OK)
		rc = kv_buf_puts(out, "/>\n      <property name=\"resolvers\" value=\"");
	for (size_t i = 0; i < r->n_resolvers && rc == KV_OK; i++) {
		if (i > 0)
			rc = kv_buf_putc(out, ',');
		if (rc == KV_OK)
			rc = xml_escape(out, r->resolvers[i], true);
	}
	if (rc == KV_OK)
		rc = kv_buf_puts(out, "\"/>\n      <property name=\"agent.version\"");
	if (rc == KV_OK)
		rc = put_attr(out, "value", r->version != NULL ? r->version : "");
	if (rc == KV_OK)
		rc = kv_buf_puts(out, "/>\n    </properties>\n");
	for (size_t i = 0; i < r->n_results && rc == KV_OK; i++) {
		rc = testcase(out, r, &r->results[i]);
		if (rc == KV_OK)
			rc = kv_buf_drain(out);
	}
	for (size_t i = 0, start = 0; i < r->n_errors && rc == KV_OK; i++) {
		if (report_scope_first(ev, i))
			start = i;
		if (i + 1 == r->n_errors || report_scope_first(ev, i + 1))
			rc = run_error_case(out, ev + start, i + 1 - start);
	}
	free(ev);
	if (rc == KV_OK)
		rc = kv_buf_puts(out, "  </testsuite>\n</testsuites>\n");
	return rc;
}
