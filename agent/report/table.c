/* table.c — the human table: one line per vault, then the findings of
 * every vault that did not pass, each with its fix, the run's errors, and
 * a PARTIAL RUN line when a source could not be read.  For `kvpe resolve`,
 * each name's lookups, chain and diagnosis. */
#include <stdio.h>
#include <string.h>

#include "kvpe/report.h"

#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_BOLD "\033[1m"
#define C_OFF "\033[0m"

static const char *
status_text(enum kv_status st, bool color)
{
	switch (st) {
	case KV_ST_PASS:
		return color ? C_GREEN "pass " C_OFF : "pass ";
	case KV_ST_FAIL:
		return color ? C_RED "FAIL " C_OFF : "FAIL ";
	case KV_ST_ERROR:
		return color ? C_YELLOW "ERROR" C_OFF : "ERROR";
	}
	return "?";
}

/* "10.1.0.4,10.1.0.5" trimmed to width. */
static void
addr_cell(char *buf, size_t size, const struct kv_addr *v, size_t n)
{
	size_t o = 0;
	char one[KV_ADDR_STRLEN];

	buf[0] = '\0';
	if (n == 0) {
		snprintf(buf, size, "-");
		return;
	}
	for (size_t i = 0; i < n && o + 1 < size; i++) {
		kv_addr_format(&v[i], one, sizeof(one));
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? "," : "", one);
	}
	if (o >= size - 1 && size > 4)
		memcpy(buf + size - 4, "...", 4);
}

/* "a -> b -> c": the names of a CNAME chain. */
static enum kv_err
put_chain(struct kv_buf *out, const struct kv_dns_lookup *l)
{
	enum kv_err rc = KV_OK;

	for (size_t k = 0; k < l->n_chain && rc == KV_OK; k++)
		rc = kv_buf_printf(out, "%s%s", k ? " -> " : "", l->chain[k]);
	return rc;
}

static bool
same_answer(const struct kv_dns_lookup *a, const struct kv_dns_lookup *b)
{
	if (a->rcode != b->rcode || a->n_addrs != b->n_addrs)
		return false;
	for (size_t i = 0; i < a->n_addrs; i++)
		if (!kv_addr_eq(&a->addrs[i], &b->addrs[i]))
			return false;
	return true;
}

/* A server asked directly answered otherwise than the resolver the
 * verdict's main answer came from. */
static bool
vantages_differ(const struct kv_result *x)
{
	for (size_t k = 0; k < x->n_vantages; k++)
		if (!same_answer(&x->vantages[k].a, &x->dns.a))
			return true;
	return false;
}

/* One line per server asked directly: role, answer, and the chain's last
 * name when it is not the vault's. */
static enum kv_err
put_vantages(struct kv_buf *out, const struct kv_report *r, const struct kv_result *x)
{
	enum kv_err rc = KV_OK;
	char cell[40], rbuf[48];

	if (x->n_vantages > 0)
		rc = kv_buf_puts(out, "  vantages:\n");
	for (size_t k = 0; k < x->n_vantages && rc == KV_OK; k++) {
		const struct kv_vantage_obs *ob = &x->vantages[k];
		const struct kv_vantage *v;
		if (ob->vantage >= r->n_vantages)
			continue;
		v = &r->vantages[ob->vantage];
		addr_cell(cell, 25, ob->a.addrs, ob->a.n_addrs);
		/* the address cell padded only when something follows it */
		rc = kv_buf_printf(out, "    %-22s %-7s %-9s %-*s", v->name, kv_vantage_role_name(v->role),
		    ob->a.rcode == KV_RC_NONE ? "-" : kv_lookup_rcode_fmt(&ob->a, rbuf, sizeof(rbuf)),
		    ob->a.n_chain > 1 || ob->a.error != NULL ? 24 : 0, cell);
		if (rc == KV_OK && ob->a.n_chain > 1)
			rc = kv_buf_printf(out, " via %s", ob->a.chain[ob->a.n_chain - 1]);
		if (rc == KV_OK && ob->a.error != NULL)
			rc = kv_buf_printf(out, " (%s)", ob->a.error);
		if (rc == KV_OK)
			rc = kv_buf_putc(out, '\n');
	}
	return rc;
}

enum kv_err
report_table(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out)
{
	struct report_summary s;
	size_t w_name = 5;
	enum kv_err rc = KV_OK;
	char dns_addrs[40], exp_addrs[40];

	report_summarize(r, &s);
	for (size_t i = 0; i < r->n_results; i++) {
		size_t l = strlen(r->results[i].t->name) + (r->results[i].t->kind == KV_KIND_HSM ? 4 : 0);
		if (l > w_name)
			w_name = l;
	}
	rc = kv_buf_printf(out, "%s%-*s  %-6s %-9s %-24s %-24s %s%s\n", o->color ? C_BOLD : "", (int)w_name, "VAULT",
	    "STATUS", "DNS", "ANSWER", "EXPECTED", "FINDINGS", o->color ? C_OFF : "");
	for (size_t i = 0; i < r->n_results && rc == KV_OK; i++) {
		const struct kv_result *x = &r->results[i];
		char name[80];
		snprintf(name, sizeof(name), "%s%s", x->t->kind == KV_KIND_HSM ? "hsm:" : "", x->t->name);
		addr_cell(dns_addrs, 25, x->dns.a.addrs, x->dns.a.n_addrs);
		addr_cell(exp_addrs, 25, x->t->expected, x->t->n_expected);
		rc = kv_buf_printf(out, "%-*s  %s  %-9s %-24s %-24s ", (int)w_name, name, status_text(x->status, o->color),
		    x->dns.a.rcode == KV_RC_NONE ? "-" : kv_rcode_name(x->dns.a.rcode), dns_addrs, exp_addrs);
		if (x->n_findings == 0 && rc == KV_OK)
			rc = kv_buf_puts(out, x->t->incomplete ? "(not checked)" : "-");
		for (size_t k = 0; k < x->n_findings && rc == KV_OK; k++)
			rc = kv_buf_printf(out, "%s%s", k ? "," : "", finding_name(x->findings[k].code));
		if (rc == KV_OK)
			rc = kv_buf_putc(out, '\n');
		if (rc == KV_OK)
			rc = kv_buf_drain(out);
	}
	for (size_t i = 0; i < r->n_results && rc == KV_OK; i++) {
		const struct kv_result *x = &r->results[i];
		const struct kv_report *vr = x->origin != NULL ? x->origin : r;
		bool differ = vantages_differ(x);
		if (x->n_findings == 0 && x->t->incomplete == NULL && !differ)
			continue;
		if (x->status == KV_ST_PASS && x->n_findings == 0 && !differ)
			continue;
		rc = kv_buf_printf(out, "\n%s%s%s (%s): %s\n", o->color ? C_BOLD : "", x->t->name, o->color ? C_OFF : "",
		    x->t->fqdn, kv_status_name(x->status));
		if (rc == KV_OK && x->t->incomplete != NULL)
			rc = kv_buf_printf(out, "  not checked: %s\n", x->t->incomplete);
		if (rc == KV_OK && x->dns.a.n_chain > 1) {
			rc = kv_buf_puts(out, "  chain: ");
			if (rc == KV_OK)
				rc = put_chain(out, &x->dns.a);
			if (rc == KV_OK)
				rc = kv_buf_putc(out, '\n');
		}
		if (rc == KV_OK && differ)
			rc = put_vantages(out, vr, x);
		for (size_t k = 0; k < x->n_findings && rc == KV_OK; k++) {
			const struct kv_finding *f = &x->findings[k];
			rc = kv_buf_printf(out, "  %-6s %s\n         %s\n         fix: %s\n",
			    finding_severity_name(kv_finding_severity(f)), finding_name(f->code), f->message,
			    f->remediation);
		}
		if (rc == KV_OK)
			rc = kv_buf_drain(out);
	}
	for (size_t i = 0; i < r->n_errors && rc == KV_OK; i++)
		rc = kv_buf_printf(out, "\nerror: %s: %s\n", r->errors[i].scope, r->errors[i].message);
	if (rc == KV_OK && report_partial(r)) {
		char why[512];
		if ((rc = report_partial_reason(r, why, sizeof(why))) == KV_OK)
			rc = kv_buf_printf(out, "\n%sPARTIAL RUN%s: %s; vaults of a source not read are missing here or in error\n",
			    o->color ? C_RED : "", o->color ? C_OFF : "", why);
	}
	if (rc == KV_OK) {
		rc = kv_buf_printf(out, "\n%zu vault%s: %zu passed, %zu failed, %zu could not be checked; %zu finding%s",
		    s.vaults, s.vaults == 1 ? "" : "s", s.passed, s.failed, s.errors, s.n_findings,
		    s.n_findings == 1 ? "" : "s");
	}
	if (rc == KV_OK && r->n_resolvers > 0) {
		rc = kv_buf_puts(out, "; resolver ");
		for (size_t i = 0; i < r->n_resolvers && rc == KV_OK; i++)
			rc = kv_buf_printf(out, "%s%s", i ? "," : "", r->resolvers[i]);
	}
	if (rc == KV_OK)
		rc = kv_buf_printf(out, "; %lld ms\n", (long long)r->duration_ms);
	return rc;
}

/* ---- kvpe resolve ---- */

static enum kv_err
resolve_lookup(struct kv_buf *o, const char *label, const struct kv_dns_lookup *l, const struct report_resolve *rs)
{
	char buf[KV_ADDR_STRLEN], rtext[48];
	const char *why;
	enum kv_err rc;

	if (l->rcode == KV_RC_NONE)
		return KV_OK;
	why = kv_lookup_rcode_fmt(l, rtext, sizeof(rtext));
	rc = kv_buf_printf(o, "  %-12s %-9s", label, kv_rcode_name(l->rcode));
	if (rc == KV_OK && strcmp(why, kv_rcode_name(l->rcode)) != 0)
		rc = kv_buf_printf(o, " (%s)", why);
	if (rc == KV_OK && l->error != NULL)
		rc = kv_buf_printf(o, " (%s)", l->error);
	for (size_t i = 0; i < l->n_addrs && rc == KV_OK; i++) {
		kv_addr_format(&l->addrs[i], buf, sizeof(buf));
		rc = kv_buf_printf(o, "%s%s", i ? "," : " ", buf);
	}
	if (rc == KV_OK)
		rc = kv_buf_printf(o, "  ttl %u  via %s  %u ms\n", l->ttl,
		    l->server >= 0 && (size_t)l->server < rs->n_resolvers ? rs->resolvers[l->server] : "-", l->ms);
	if (rc == KV_OK && l->n_chain > 1) {
		rc = kv_buf_puts(o, "               chain ");
		if (rc == KV_OK)
			rc = put_chain(o, l);
		if (rc == KV_OK)
			rc = kv_buf_puts(o, l->chain_loop ? " (loop)\n" : l->chain_truncated ? " -> ...\n" : "\n");
	}
	return rc;
}

enum kv_err
report_table_resolve(const struct report_resolve *rs, const struct report_opts *o, struct kv_buf *out)
{
	enum kv_err rc = KV_OK;

	KV_UNUSED(o);
	for (size_t i = 0; i < rs->n_names && rc == KV_OK; i++) {
		const struct report_name *n = &rs->names[i];
		const struct kv_result *x = n->r;
		rc = kv_buf_printf(out, "%s%s%s\n", i ? "\n" : "", n->name,
		    n->vault ? (x->t->kind == KV_KIND_HSM ? "  (managed HSM)" : "  (key vault)") : "");
		if (rc == KV_OK)
			rc = resolve_lookup(out, "A", &x->dns.a, rs);
		if (rc == KV_OK)
			rc = resolve_lookup(out, "AAAA", &x->dns.aaaa, rs);
		if (rc == KV_OK && n->vault)
			rc = resolve_lookup(out, "privatelink", &x->dns.pl, rs);
		if (rc == KV_OK)
			rc = kv_buf_printf(out, "  diagnosis    %s\n", n->diagnosis);
		for (size_t k = 0; n->vault && k < x->n_findings && rc == KV_OK; k++)
			rc = kv_buf_printf(out, "  finding      %s: %s\n", finding_name(x->findings[k].code),
			    x->findings[k].message);
	}
	return rc;
}
