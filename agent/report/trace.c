/* trace.c — `kvpe trace NAME`: one vault's DNS path as a client of each
 * VNet in scope walks it (the model of path.c, kv_target.paths), with the
 * live answer of each clients' resolver kvpe could ask (kv_result.vantages)
 * and a mark where it goes wrong.  The judgement here is the trace's own
 * reading of the model against the vault's approved addresses; the
 * findings beside it are the verdict's (verdict.c). */
#include <string.h>

#include "kvpe/report.h"

const struct kv_dns_lookup *
report_trace_live(const struct kv_result *x, int idx)
{
	for (size_t i = 0; idx >= 0 && i < x->n_vantages; i++)
		if (x->vantages[i].vantage == (size_t)idx)
			return x->vantages[i].a.rcode == KV_RC_NONE ? NULL : &x->vantages[i].a;
	return NULL;
}

/* Addresses the vault needs: some, and each one an approved endpoint's. */
static enum report_mark
addrs_mark(const struct kv_target *t, const struct kv_addr *v, size_t n)
{
	if (t->n_expected == 0)
		return REPORT_MARK_UNKNOWN;
	if (n == 0)
		return REPORT_MARK_WRONG;
	for (size_t i = 0; i < n; i++)
		if (!kv_addr_in_list(&v[i], t->expected, t->n_expected))
			return REPORT_MARK_WRONG;
	return REPORT_MARK_OK;
}

enum report_mark
report_trace_model_mark(const struct kv_target *t, const struct kv_path_answer *ans)
{
	if (t->n_expected == 0 || ans->outcome == KV_PO_UNKNOWN)
		return REPORT_MARK_UNKNOWN;
	if (ans->outcome != KV_PO_ADDRS)
		return REPORT_MARK_WRONG;
	return addrs_mark(t, ans->addrs, ans->n_addrs);
}

enum report_mark
report_trace_live_mark(const struct kv_target *t, const struct kv_dns_lookup *lk)
{
	if (lk == NULL || t->n_expected == 0)
		return REPORT_MARK_UNKNOWN;
	if (lk->rcode != KV_RC_NOERROR)
		return REPORT_MARK_WRONG; /* NXDOMAIN, NODATA, or no answer to judge: never right */
	return addrs_mark(t, lk->addrs, lk->n_addrs);
}

int
report_trace_wrong_hop(const struct kv_target *t, const struct kv_path_answer *ans, const struct kv_dns_lookup *lk)
{
	if (ans->n_hops == 0)
		return -1;
	if (report_trace_model_mark(t, ans) != REPORT_MARK_WRONG) {
		/* A rule whose target's answer the model cannot vouch for leaves
		 * the private zone there (the verdict's FORWARDING_RULE_OVERRIDES_ZONE):
		 * that hop is where the path goes wrong, and surely so when the
		 * live answer is wrong. */
		bool doubt = ans->outcome != KV_PO_ADDRS || report_trace_live_mark(t, lk) == REPORT_MARK_WRONG;
		for (size_t i = 0; doubt && ans->outcome != KV_PO_LOOP && i < ans->n_hops; i++)
			if (ans->hops[i].match == KV_HM_RULE)
				return (int)i;
		return -1;
	}
	for (size_t i = 0; i < ans->n_hops; i++) {
		const struct kv_path_hop *h = &ans->hops[i];
		if (ans->outcome == KV_PO_LOOP && h->loop_rule_id != NULL)
			return (int)i;
		if (h->match == KV_HM_RULE)
			return (int)i; /* the private zone is bypassed here */
		if (h->match == KV_HM_ZONE && addrs_mark(t, h->addrs, h->has_record ? h->n_addrs : 0) == REPORT_MARK_WRONG)
			return (int)i; /* no record, or not the endpoint's */
	}
	return (int)ans->n_hops - 1; /* answered publicly: no zone on the way */
}

static bool
vnet_finding(const struct kv_finding *f, const char *vnet)
{
	return f->vnet_id != NULL && vnet != NULL && kv_streq_ci(f->vnet_id, vnet);
}

bool
report_trace_vnet_wrong(const struct kv_result *x, const struct kv_path_vnet *pv)
{
	for (size_t i = 0; i < x->n_findings; i++)
		if (vnet_finding(&x->findings[i], pv->vnet_id))
			return true;
	for (size_t i = 0; i < pv->n_answers; i++) {
		const struct kv_path_answer *ans = &pv->answers[i];
		if (report_trace_model_mark(x->t, ans) == REPORT_MARK_WRONG ||
		    report_trace_live_mark(x->t, report_trace_live(x, ans->vantage)) == REPORT_MARK_WRONG)
			return true;
	}
	return false;
}

int
report_trace_exit(const struct kv_result *x)
{
	if (x->status != KV_ST_PASS)
		return 1;
	for (size_t p = 0; p < x->t->n_paths; p++)
		if (report_trace_vnet_wrong(x, &x->t->paths[p]))
			return 1;
	return 0;
}

enum kv_err
report_write_trace(const struct kv_report *r, const struct kv_result *x, enum report_format f,
    const struct report_opts *o, struct kv_buf *out)
{
	switch (f) {
	case REPORT_TABLE:
		return report_table_trace(r, x, o, out);
	case REPORT_JSON:
		return report_json_trace(r, x, o, out);
	case REPORT_JSONL:
	case REPORT_JUNIT:
	case REPORT_SARIF:
	case REPORT_PROMETHEUS:
	case REPORT_NAGIOS:
		break;
	}
	return KV_EUSAGE;
}

/* ---- the table: one line per hop, indented, like `dig +trace` ---- */

/* The last segment of an ARM ID (a VNet's name), or the whole string. */
static const char *
id_name(const char *id)
{
	const char *s = id != NULL ? strrchr(id, '/') : NULL;

	return id == NULL ? "?" : s != NULL && s[1] != '\0' ? s + 1 : id;
}

static enum kv_err
put_addrs(struct kv_buf *out, const struct kv_addr *v, size_t n)
{
	char buf[KV_ADDR_STRLEN];
	enum kv_err rc = KV_OK;

	for (size_t i = 0; i < n && rc == KV_OK; i++) {
		kv_addr_format(&v[i], buf, sizeof(buf));
		rc = kv_buf_printf(out, "%s%s", i ? "," : "", buf);
	}
	return rc;
}

static enum kv_err
put_hop(struct kv_buf *out, const struct kv_path_hop *h, bool wrong)
{
	char hp[KV_ADDR_STRLEN + 8];
	enum kv_err rc = kv_buf_printf(out, "    %-52s Azure DNS of %s: ", h->name, id_name(h->vnet_id));

	if (rc == KV_OK && h->match == KV_HM_ZONE) {
		rc = kv_buf_printf(out, "zone %s (%s), link %s (%s): ", h->zone_name ? h->zone_name : "?",
		    h->zone_rg ? h->zone_rg : "?", h->link_name ? h->link_name : id_name(h->link_id),
		    h->nxdomain_redirect ? "NxDomainRedirect" : "Default");
		if (rc == KV_OK && h->has_record) {
			rc = kv_buf_puts(out, "A ");
			if (rc == KV_OK)
				rc = put_addrs(out, h->addrs, h->n_addrs);
		} else if (rc == KV_OK) {
			rc = kv_buf_puts(out, h->nxdomain_redirect ? "no record, public answer" : "no record, NXDOMAIN");
		}
	} else if (rc == KV_OK && h->match == KV_HM_RULE) {
		rc = kv_buf_printf(out, "rule %s (%s.) of ruleset %s -> ", h->rule_name ? h->rule_name : id_name(h->rule_id),
		    h->rule_domain ? h->rule_domain : "?", id_name(h->ruleset_id));
		for (size_t i = 0; i < h->n_targets && rc == KV_OK; i++) {
			kv_hostport_format(&h->targets[i], hp, sizeof(hp));
			rc = kv_buf_printf(out, "%s%s", i ? "," : "", hp);
		}
		if (rc == KV_OK && h->n_targets == 0)
			rc = kv_buf_puts(out, "no target");
	} else if (rc == KV_OK) {
		rc = kv_buf_puts(out, "public DNS");
	}
	if (rc == KV_OK)
		rc = kv_buf_puts(out, wrong ? "   <-- wrong\n" : "\n");
	if (rc == KV_OK && h->shadowed_rule_id != NULL)
		rc = kv_buf_printf(out, "      note: rule %s (%s.) is shadowed by the zone (never used)\n",
		    id_name(h->shadowed_rule_id), h->shadowed_domain ? h->shadowed_domain : "?");
	if (rc == KV_OK && h->loop_rule_id != NULL) {
		kv_hostport_format(&h->loop_target, hp, sizeof(hp));
		rc = kv_buf_printf(out, "      note: rule %s (%s.) targets %s, this VNet's own inbound endpoint: a loop\n",
		    id_name(h->loop_rule_id), h->loop_domain ? h->loop_domain : "?", hp);
	}
	return rc;
}

static enum kv_err
put_expected(struct kv_buf *out, const struct kv_path_answer *ans, enum report_mark m)
{
	enum kv_err rc = kv_buf_puts(out, "    model answer   ");

	switch (ans->outcome) {
	case KV_PO_ADDRS:
		if (rc == KV_OK)
			rc = put_addrs(out, ans->addrs, ans->n_addrs);
		break;
	case KV_PO_NXDOMAIN:
		if (rc == KV_OK)
			rc = kv_buf_puts(out, "NXDOMAIN");
		break;
	case KV_PO_PUBLIC:
		if (rc == KV_OK)
			rc = kv_buf_puts(out, "public");
		break;
	case KV_PO_LOOP:
		if (rc == KV_OK)
			rc = kv_buf_puts(out, "SERVFAIL (forwarding loop)");
		break;
	case KV_PO_UNKNOWN:
		if (rc == KV_OK)
			rc = kv_buf_puts(out, "unknown (only the server's own answer speaks for it)");
		break;
	}
	if (rc == KV_OK)
		rc = kv_buf_puts(out, m == REPORT_MARK_WRONG ? "   <-- wrong\n" : "\n");
	return rc;
}

static enum kv_err
put_live(struct kv_buf *out, const struct kv_dns_lookup *lk, int vantage, enum report_mark m)
{
	char rcb[48];
	enum kv_err rc;

	if (lk == NULL)
		return kv_buf_puts(out, vantage < 0 ? "    live answer    not asked (this server cannot be asked from here)\n"
						    : "    live answer    not asked\n");
	rc = kv_buf_printf(out, "    live answer    %s", kv_lookup_rcode_fmt(lk, rcb, sizeof(rcb)));
	if (rc == KV_OK && lk->n_addrs > 0) {
		rc = kv_buf_putc(out, ' ');
		if (rc == KV_OK)
			rc = put_addrs(out, lk->addrs, lk->n_addrs);
	}
	if (rc == KV_OK && lk->n_chain > 1)
		rc = kv_buf_printf(out, " via %s", lk->chain[lk->n_chain - 1]);
	if (rc == KV_OK)
		rc = kv_buf_printf(out, " (%u ms)%s\n", lk->ms, m == REPORT_MARK_WRONG ? "   <-- wrong" : "");
	return rc;
}

static enum kv_err
put_answer(struct kv_buf *out, const struct kv_result *x, const struct kv_path_answer *ans)
{
	char hp[KV_ADDR_STRLEN + 8];
	const struct kv_dns_lookup *lk = report_trace_live(x, ans->vantage);
	enum report_mark mm = report_trace_model_mark(x->t, ans), lm = report_trace_live_mark(x->t, lk);
	int bad = report_trace_wrong_hop(x->t, ans, lk);
	enum kv_err rc;

	kv_hostport_format(&ans->server, hp, sizeof(hp));
	rc = kv_buf_printf(out, "  %s  %s%s%s, resolves in %s%s\n", hp, kv_path_kind_text(ans->kind), ans->resource_id ? " " : "",
	    ans->resource_id ? ans->resource_id : "", ans->vnet_id ? id_name(ans->vnet_id) : "(opaque)",
	    lm == REPORT_MARK_WRONG && mm != REPORT_MARK_WRONG && bad < 0 ? "   <-- wrong: does not give the model's answer"
									   : "");
	for (size_t i = 0; i < ans->n_hops && rc == KV_OK; i++)
		rc = put_hop(out, &ans->hops[i], (int)i == bad);
	if (rc == KV_OK)
		rc = put_expected(out, ans, mm);
	if (rc == KV_OK)
		rc = put_live(out, lk, ans->vantage, lm);
	return rc;
}

static enum kv_err
put_vnet(struct kv_buf *out, const struct kv_report *r, const struct kv_result *x, const struct kv_path_vnet *pv)
{
	const struct kv_vnet_scope *s = pv->vnet < r->n_vnets ? &r->vnets[pv->vnet] : NULL;
	bool wrong = report_trace_vnet_wrong(x, pv);
	size_t n = 0;
	enum kv_err rc;

	rc = kv_buf_printf(out, "\nVNet %s  %s\n  (%s%s; its clients' resolvers from %s)\n", id_name(pv->vnet_id),
	    pv->vnet_id, s != NULL && s->agent ? "kvpe runs here, " : "", s != NULL && s->found_by ? s->found_by : "?",
	    s != NULL && s->servers_from ? s->servers_from : "?");
	for (size_t i = 0; i < pv->n_answers && rc == KV_OK; i++)
		rc = put_answer(out, x, &pv->answers[i]);
	if (rc == KV_OK)
		rc = kv_buf_puts(out, wrong ? "  = WRONG" : "  = ok");
	for (size_t i = 0; i < x->n_findings && rc == KV_OK; i++)
		if (vnet_finding(&x->findings[i], pv->vnet_id))
			rc = kv_buf_printf(out, "%s %s", n++ ? "," : ":", finding_name(x->findings[i].code));
	if (rc == KV_OK)
		rc = kv_buf_putc(out, '\n');
	return rc;
}

enum kv_err
report_table_trace(const struct kv_report *r, const struct kv_result *x, const struct report_opts *o,
    struct kv_buf *out)
{
	const struct kv_target *t = x->t;
	enum kv_err rc;

	KV_UNUSED(o);
	rc = kv_buf_printf(out, "; kvpe trace %s (%s %s), status %s, approved endpoint address%s ", t->fqdn,
	    t->kind == KV_KIND_HSM ? "managed HSM" : "key vault", t->name, kv_status_name(x->status),
	    t->n_expected == 1 ? "" : "es");
	if (rc == KV_OK && t->n_expected == 0)
		rc = kv_buf_puts(out, "unknown");
	if (rc == KV_OK)
		rc = put_addrs(out, t->expected, t->n_expected);
	if (rc == KV_OK)
		rc = kv_buf_putc(out, '\n');
	if (rc == KV_OK && !t->path_known)
		rc = kv_buf_puts(out, "; no DNS-path model: no ARM data on the VNets, or no VNet in scope (--vnet ID)\n");
	for (size_t p = 0; p < t->n_paths && rc == KV_OK; p++)
		rc = put_vnet(out, r, x, &t->paths[p]);
	if (rc == KV_OK && x->n_findings > 0)
		rc = kv_buf_puts(out, "\nfindings:\n");
	for (size_t i = 0; i < x->n_findings && rc == KV_OK; i++) {
		const struct kv_finding *f = &x->findings[i];
		rc = kv_buf_printf(out, "  %s [%s]%s%s: %s\n    fix: %s\n", finding_name(f->code),
		    finding_severity_name(kv_finding_severity(f)), f->vnet_id ? " VNet " : "",
		    f->vnet_id ? id_name(f->vnet_id) : "", f->message ? f->message : "",
		    f->remediation ? f->remediation : "-");
	}
	return rc;
}
