/* nagios.c — Nagios/Icinga plugin output (Nagios plugin guidelines):
 *
 *   KVPE CRITICAL - 2 of 5 vaults failing: kv1 (DNS_NXDOMAIN), kv2 (NO_PRIVATE_ENDPOINT) | vaults=5;;;0 ...
 *   kv1: DNS_NXDOMAIN: kv1.vault.azure.net does not resolve ...
 *   kv2: NO_PRIVATE_ENDPOINT: ...
 *
 * The first line is the short status, ASCII only (its text kept within
 * NAGIOS_LINE_MAX bytes, the vault list cut with "...and N more", then "; N
 * sources not read" for a partial run), then perfdata after '|' with the
 * same labels every run (PNP4Nagios and other graphers keep one data source
 * per label: a label that comes and goes breaks them); then one line of
 * long output per vault that did not pass and per source not read.  The
 * state (report_nagios_state) is the plugin's exit code: 0 OK, 1 WARNING, 2
 * CRITICAL, 3 UNKNOWN when no source could be read; main prints the UNKNOWN
 * line of the runs that could not proceed (report_nagios_unknown). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvpe/report.h"

#define NAGIOS_LINE_MAX 200 /* text of the first line, before the perfdata */
#define NAGIOS_ITEM_MAX 512 /* one "name (CODE)" item */
#define ELLIPSIS "..."

enum { NAGIOS_OK, NAGIOS_WARNING, NAGIOS_CRITICAL, NAGIOS_UNKNOWN };

/* No source could be read and no vault was seen failing: nothing to go by. */
static bool
nothing_read(const struct kv_report *r)
{
	if (r->n_sources == 0)
		return false;
	for (size_t i = 0; i < r->n_sources; i++)
		if (r->sources[i].up)
			return false;
	for (size_t i = 0; i < r->n_results; i++)
		if (r->results[i].status == KV_ST_FAIL)
			return false;
	return true;
}

int
report_nagios_state(const struct kv_report *r)
{
	int state = NAGIOS_OK;

	if (nothing_read(r))
		return NAGIOS_UNKNOWN;
	/* A partial run (a source not read) is never OK: not everything was
	 * checked, and the vaults of that source may be anything. */
	if (report_partial(r))
		return NAGIOS_CRITICAL;
	for (size_t i = 0; i < r->n_results; i++) {
		const struct kv_result *x = &r->results[i];
		if (x->status == KV_ST_ERROR)
			return NAGIOS_CRITICAL;
		for (size_t k = 0; k < x->n_findings; k++) {
			enum kv_severity sev = kv_finding_severity(&x->findings[k]);
			if (sev == KV_SEV_HIGH)
				return NAGIOS_CRITICAL;
			state = NAGIOS_WARNING; /* medium or low (conventions R1) */
		}
	}
	return state;
}

static const char *
state_name(int state)
{
	switch (state) {
	case NAGIOS_OK:
		return "OK";
	case NAGIOS_WARNING:
		return "WARNING";
	case NAGIOS_UNKNOWN:
		return "UNKNOWN";
	default:
		return "CRITICAL";
	}
}

/* Copies s as plugin-output text: '|' would start perfdata and a newline a
 * new line of output, so '|' becomes '/' and control characters a space;
 * invalid UTF-8 becomes U+FFFD (Icinga's API carries the output as JSON),
 * and in the status line (`ascii`) every byte past ASCII becomes '?'. */
static enum kv_err
put_text(struct kv_buf *b, const char *s, bool ascii)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	enum kv_err rc = KV_OK;

	while (*p != '\0' && rc == KV_OK) {
		size_t ul;
		if (*p == '|') {
			rc = kv_buf_putc(b, '/');
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			rc = kv_buf_putc(b, ' ');
			p++;
		} else if (ascii && *p >= 0x80) {
			ul = kv_utf8_len(p);
			rc = kv_buf_putc(b, '?');
			p += ul > 0 ? ul : 1;
		} else if ((ul = kv_utf8_len(p)) == 0) {
			rc = kv_buf_puts(b, "\xef\xbf\xbd");
			p++;
		} else {
			rc = kv_buf_append(b, p, ul);
			p += ul;
		}
	}
	return rc;
}

static const char *
primary_code(const struct kv_result *x)
{
	const struct kv_finding *f = report_primary_finding(x);

	return f != NULL ? finding_name(f->code) : x->t->incomplete != NULL ? "INCOMPLETE" : "ERROR";
}

/* "2 of 5 vaults failing", "1 of 5 vaults not checked",
 * "3 of 5 vaults failing (1 not checked)", "5 of 5 vaults passing". */
static enum kv_err
summary_text(struct kv_buf *b, const struct report_summary *s)
{
	enum kv_err rc;
	size_t low = 0;

	if (s->vaults == 0)
		rc = kv_buf_puts(b, "0 vaults checked");
	else if (s->failed > 0 && s->errors > 0)
		rc = kv_buf_printf(b, "%zu of %zu vaults failing (%zu not checked)", s->failed + s->errors, s->vaults,
		    s->errors);
	else if (s->failed > 0)
		rc = kv_buf_printf(b, "%zu of %zu vaults failing", s->failed, s->vaults);
	else if (s->errors > 0)
		rc = kv_buf_printf(b, "%zu of %zu vaults not checked", s->errors, s->vaults);
	else
		rc = kv_buf_printf(b, "%zu of %zu vaults passing", s->passed, s->vaults);
	if (s->failed == 0 && s->errors == 0) {
		/* Every vault passed: each finding is low (some codes are low
		 * only case by case, e.g. ZONE_LINK_NXDOMAIN_REDIRECT). */
		for (unsigned c = 0; c < KV_F_COUNT; c++)
			low += s->findings[c];
		if (rc == KV_OK && low > 0)
			rc = kv_buf_printf(b, " (%zu low finding%s)", low, low == 1 ? "" : "s");
	}
	return rc;
}

/* The first line: status, the vaults that did not pass while they fit, and
 * perfdata. */
static enum kv_err
status_line(struct kv_buf *out, const struct kv_report *r, int state, size_t unread)
{
	struct report_summary s;
	struct kv_buf item;
	char perf[200], tail[64];
	size_t budget, start = out->len, listed = 0, bad, used;
	enum kv_err rc;

	report_summarize(r, &s);
	bad = s.failed + s.errors;
	tail[0] = '\0';
	if (unread > 0)
		snprintf(tail, sizeof(tail), "; %zu source%s not read", unread, unread == 1 ? "" : "s");
	snprintf(perf, sizeof(perf), " | vaults=%zu;;;0 passed=%zu;;;0 failed=%zu;;;0 errors=%zu;;;0 sources_unread=%zu;;;0",
	    s.vaults, s.passed, s.failed, s.errors, unread);
	used = strlen(tail);
	budget = NAGIOS_LINE_MAX > used ? NAGIOS_LINE_MAX - used : 0;
	rc = kv_buf_printf(out, "KVPE %s - ", state_name(state));
	if (rc == KV_OK)
		rc = summary_text(out, &s);
	kv_buf_init(&item, NAGIOS_ITEM_MAX);
	for (size_t i = 0; i < r->n_results && rc == KV_OK; i++) {
		const struct kv_result *x = &r->results[i];
		size_t left, reserve;
		enum kv_err irc;
		if (x->status == KV_ST_PASS)
			continue;
		kv_buf_reset(&item);
		irc = kv_buf_puts(&item, listed == 0 ? ": " : ", ");
		if (irc == KV_OK)
			irc = put_text(&item, x->t->name, true);
		if (irc == KV_OK)
			irc = kv_buf_printf(&item, " (%s)", primary_code(x));
		if (irc == KV_ENOMEM) {
			rc = irc;
			break;
		}
		/* Room for this item, and for the cut note if more follow?  An
		 * item over NAGIOS_ITEM_MAX (KV_ELIMIT) never fits. */
		left = bad - listed - 1;
		reserve = left > 0 ? sizeof(" " ELLIPSIS "and 99999 more") : 0;
		if (irc != KV_OK || (out->len - start) + item.len + reserve > budget) {
			rc = kv_buf_printf(out, "%s" ELLIPSIS "and %zu more", listed == 0 ? ": " : " ", bad - listed);
			break;
		}
		rc = kv_buf_append(out, item.data, item.len);
		listed++;
	}
	kv_buf_free(&item);
	if (rc == KV_OK)
		rc = kv_buf_printf(out, "%s%s\n", tail, perf);
	return rc;
}

enum kv_err
report_nagios(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out)
{
	const struct kv_run_error **ev = NULL;
	size_t unread = 0;
	enum kv_err rc;

	KV_UNUSED(o);
	if ((rc = report_errors_by_scope(r, &ev, &unread)) != KV_OK)
		return rc;
	rc = status_line(out, r, report_nagios_state(r), unread);
	/* Long output: one line per vault that did not pass. */
	for (size_t i = 0; i < r->n_results && rc == KV_OK; i++) {
		const struct kv_result *x = &r->results[i];
		const struct kv_finding *f = report_primary_finding(x);
		size_t more = x->n_findings - (f != NULL ? 1 : 0);
		if (x->status == KV_ST_PASS)
			continue;
		rc = put_text(out, x->t->name, false);
		if (rc == KV_OK)
			rc = kv_buf_printf(out, ": %s: ", primary_code(x));
		if (rc == KV_OK)
			rc = put_text(out, f != NULL ? f->message : x->t->incomplete, false);
		if (rc == KV_OK && more > 0) {
			rc = kv_buf_printf(out, " (+%zu more:", more);
			for (size_t k = 0; k < x->n_findings && rc == KV_OK; k++)
				if (&x->findings[k] != f)
					rc = kv_buf_printf(out, " %s", finding_name(x->findings[k].code));
			if (rc == KV_OK)
				rc = kv_buf_putc(out, ')');
		}
		if (rc == KV_OK)
			rc = kv_buf_putc(out, '\n');
	}
	/* Long output: one line per source not read, its errors joined. */
	for (size_t i = 0; i < r->n_errors && rc == KV_OK; i++) {
		bool first = report_scope_first(ev, i);
		rc = kv_buf_puts(out, first ? "not read: " : "; ");
		if (rc == KV_OK && first)
			rc = put_text(out, ev[i]->scope, false);
		if (rc == KV_OK && first)
			rc = kv_buf_puts(out, ": ");
		if (rc == KV_OK)
			rc = put_text(out, ev[i]->message, false);
		if (rc == KV_OK && (i + 1 == r->n_errors || report_scope_first(ev, i + 1)))
			rc = kv_buf_putc(out, '\n');
	}
	free(ev);
	return rc;
}

enum kv_err
report_nagios_unknown(const char *reason, struct kv_buf *out)
{
	size_t start = out->len;
	enum kv_err rc = kv_buf_puts(out, "KVPE UNKNOWN - ");

	if (rc == KV_OK)
		rc = put_text(out, reason != NULL && reason[0] != '\0' ? reason : "the check could not run", true);
	/* One line of at most NAGIOS_LINE_MAX bytes, cut whole. */
	if (rc == KV_OK && out->len - start > NAGIOS_LINE_MAX) {
		out->len = start + NAGIOS_LINE_MAX - 3;
		rc = kv_buf_puts(out, "...");
	}
	if (rc == KV_OK)
		rc = kv_buf_putc(out, '\n');
	return rc;
}
