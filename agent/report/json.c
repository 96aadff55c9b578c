/* json.c — the kvpe.report/v1 JSON document (see spec.md), `kvpe
 * resolve`'s kvpe.resolve/v1 and `kvpe trace`'s kvpe.trace/v1.  Arrays are sorted by the producers (vaults
 * by name, addresses numerically) so two runs diff cleanly. */
#include <string.h>

#include "kvpe/jsonw.h"
#include "kvpe/report.h"

static void
addrs(struct jw *w, const char *key, const struct kv_addr *v, size_t n)
{
	char buf[KV_ADDR_STRLEN];

	jw_key(w, key);
	jw_arr(w);
	for (size_t i = 0; i < n; i++) {
		kv_addr_format(&v[i], buf, sizeof(buf));
		jw_str(w, buf);
	}
	jw_arr_end(w);
}

static void
strings(struct jw *w, const char *key, const char *const *v, size_t n)
{
	jw_key(w, key);
	jw_arr(w);
	for (size_t i = 0; i < n; i++)
		jw_str(w, v[i]);
	jw_arr_end(w);
}

/* The resolver that answered, by its index in `v`; NULL for none. */
static const char *
server_of(const char *const *v, size_t n, int idx)
{
	return idx >= 0 && (size_t)idx < n ? v[idx] : NULL;
}

/* A lookup's failure, beside its "rcode": "rcode_num" (the reply code a
 * server failure came with, e.g. 9 for NOTAUTH), "error" (what went wrong
 * without an answer), and "chain_incomplete" when true.  Nothing for a
 * lookup that did not fail. */
static void
lookup_failure(struct jw *w, const struct kv_dns_lookup *l)
{
	bool failed = l->rcode == KV_RC_SERVFAIL || l->rcode == KV_RC_REFUSED || l->rcode == KV_RC_ERROR;

	if (failed && l->wire_rcode >= 0)
		jw_kint(w, "rcode_num", l->wire_rcode);
	if (l->error != NULL)
		jw_kstr(w, "error", l->error);
	if (l->chain_incomplete)
		jw_kbool(w, "chain_incomplete", true);
}

/* The chain of a lookup (present only when true: its loop, its cut), then
 * its failure. */
static void
chain_json(struct jw *w, const struct kv_dns_lookup *l)
{
	strings(w, "chain", l->chain, l->n_chain);
	if (l->chain_loop)
		jw_kbool(w, "chain_loop", true);
	if (l->chain_truncated)
		jw_kbool(w, "chain_truncated", true);
	lookup_failure(w, l);
}

static const char *
rcode_or_null(const struct kv_dns_lookup *l)
{
	return l->rcode == KV_RC_NONE ? NULL : kv_rcode_name(l->rcode);
}

/* The fields that name a vantage, in both lists. */
static void
vantage_head(struct jw *w, const struct kv_vantage *v)
{
	jw_kstr(w, "server", v->name);
	jw_kstr(w, "role", kv_vantage_role_name(v->role));
	jw_kstr(w, "vnet", v->vnet_id);
	jw_kbool(w, "client", v->client);
}

/* What each server asked directly (kv_report.vantages of the report the
 * observations were made in) answered for the vault. */
static void
vantages_json(struct jw *w, const struct kv_report *r, const struct kv_result *x)
{
	jw_key(w, "vantages");
	jw_arr(w);
	for (size_t i = 0; i < x->n_vantages; i++) {
		const struct kv_vantage_obs *o = &x->vantages[i];
		const struct kv_vantage *v;
		if (o->vantage >= r->n_vantages)
			continue; /* cannot happen: the observations come with their report */
		v = &r->vantages[o->vantage];
		jw_obj(w);
		vantage_head(w, v);
		jw_kstr(w, "rcode", rcode_or_null(&o->a));
		chain_json(w, &o->a);
		addrs(w, "addresses", o->a.addrs, o->a.n_addrs);
		jw_kint(w, "ttl", o->a.ttl);
		jw_kint(w, "ms", o->a.ms);
		jw_kint(w, "attempts", o->a.attempts);
		if (o->aaaa.rcode != KV_RC_NONE) {
			jw_key(w, "ipv6");
			jw_obj(w);
			jw_kstr(w, "rcode", rcode_or_null(&o->aaaa));
			lookup_failure(w, &o->aaaa);
			addrs(w, "addresses", o->aaaa.addrs, o->aaaa.n_addrs);
			jw_obj_end(w);
		}
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* The servers asked directly, report-wide: each vault's dns.vantages
 * entries name them. */
static void
report_vantages_json(struct jw *w, const struct kv_report *r)
{
	jw_key(w, "vantages");
	jw_arr(w);
	for (size_t i = 0; i < r->n_vantages; i++) {
		const struct kv_vantage *v = &r->vantages[i];
		jw_obj(w);
		vantage_head(w, v);
		jw_kint(w, "qps", v->qps);
		jw_kint(w, "max_inflight", v->max_inflight);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void
dns_json(struct jw *w, const struct kv_report *r, const struct kv_result *x)
{
	const struct kv_dns_lookup *a = &x->dns.a, *l6 = &x->dns.aaaa, *pl = &x->dns.pl;

	jw_key(w, "dns");
	jw_obj(w);
	jw_kstr(w, "rcode", a->rcode == KV_RC_NONE ? NULL : kv_rcode_name(a->rcode));
	chain_json(w, a);
	addrs(w, "addresses", a->addrs, a->n_addrs);
	jw_kint(w, "ttl", a->ttl);
	jw_kstr(w, "server", server_of(r->resolvers, r->n_resolvers, a->server));
	jw_kint(w, "ms", a->ms);
	jw_key(w, "privatelink");
	jw_obj(w);
	jw_kstr(w, "name", x->t->pl_fqdn);
	jw_kstr(w, "rcode", pl->rcode == KV_RC_NONE ? NULL : kv_rcode_name(pl->rcode));
	lookup_failure(w, pl);
	addrs(w, "addresses", pl->addrs, pl->n_addrs);
	jw_obj_end(w);
	jw_key(w, "ipv6");
	jw_obj(w);
	jw_kstr(w, "rcode", l6->rcode == KV_RC_NONE ? NULL : kv_rcode_name(l6->rcode));
	lookup_failure(w, l6);
	addrs(w, "addresses", l6->addrs, l6->n_addrs);
	jw_obj_end(w);
	vantages_json(w, x->origin != NULL ? x->origin : r, x);
	jw_obj_end(w);
}

static void
probe_fields(struct jw *w, const struct kv_report *r, const struct kv_probe_obs *p)
{
	char buf[KV_ADDR_STRLEN];

	jw_kstr(w, "level", kv_probe_level_name(p->level));
	if (p->address.family != 0) {
		kv_addr_format(&p->address, buf, sizeof(buf));
		jw_kstr(w, "address", buf);
	} else {
		jw_kstr(w, "address", NULL);
	}
	if (p->tcp_ms >= 0 && p->result != KV_PR_NOT_RUN)
		jw_kint(w, "tcp_ms", p->tcp_ms);
	if (p->tls_ms >= 0 && p->result != KV_PR_NOT_RUN)
		jw_kint(w, "tls_ms", p->tls_ms);
	if (p->http_ms >= 0 && p->result != KV_PR_NOT_RUN)
		jw_kint(w, "http_ms", p->http_ms);
	if (p->http_status > 0)
		jw_kint(w, "http_status", p->http_status);
	jw_kstr(w, "result", kv_probe_result_name(p->result));
	if (p->skipped != NULL)
		jw_kstr(w, "skipped", p->skipped);
	if (p->error != NULL)
		jw_kstr(w, "error", p->error);
	if (p->seen_addr != NULL)
		jw_kstr(w, "seen_address", p->seen_addr);
	if (p->local.family != 0) {
		kv_addr_format(&p->local, buf, sizeof(buf));
		jw_kstr(w, "local_address", buf);
	}
	if (p->tenant != NULL)
		jw_kstr(w, "tenant", p->tenant);
	if (p->error_code != NULL)
		jw_kstr(w, "error_code", p->error_code);
	if (p->cert_not_after > 0) {
		char ts[32];
		int64_t left = p->cert_not_after - r->started_ms / 1000;
		kv_fmt_time(p->cert_not_after * 1000, ts, sizeof(ts));
		jw_kstr(w, "cert_not_after", ts);
		jw_kint(w, "cert_expires_in_days", left >= 0 ? left / 86400 : -((-left + 86399) / 86400));
	}
}

/* The vault's probe (the address DNS gave), then every address of every
 * approved endpoint ("endpoints": the same fields, plus the endpoint's ID
 * and whether DNS points there). */
static void
probe_json(struct jw *w, const struct kv_report *r, const struct kv_result *x)
{
	jw_key(w, "probe");
	jw_obj(w);
	probe_fields(w, r, &x->probe);
	jw_key(w, "endpoints");
	jw_arr(w);
	for (size_t i = 0; i < x->n_endpoint_probes; i++) {
		const struct kv_endpoint_probe *e = &x->endpoint_probes[i];
		jw_obj(w);
		jw_kstr(w, "endpoint", e->pe_id);
		jw_kbool(w, "dns_answer", e->dns_answer);
		probe_fields(w, r, &e->probe);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static void
vault_json(struct jw *w, const struct kv_report *r, const struct kv_result *x)
{
	const struct kv_target *t = x->t;

	jw_obj(w);
	jw_kstr(w, "name", t->name);
	jw_kstr(w, "kind", cloud_kind_name(t->kind));
	jw_kstr(w, "id", t->id);
	jw_kstr(w, "fqdn", t->fqdn);
	jw_kstr(w, "status", kv_status_name(x->status));
	if (t->incomplete != NULL)
		jw_kstr(w, "error", t->incomplete);
	if (x->origin != NULL) {
		/* agent: an earlier cycle's verdict, its source unread since */
		char ts[32];
		kv_fmt_time(x->origin->started_ms, ts, sizeof(ts));
		jw_kbool(w, "stale", true);
		jw_kstr(w, "last_checked_at", ts);
	}
	addrs(w, "expected_addresses", t->expected, t->n_expected);
	jw_key(w, "endpoints");
	jw_arr(w);
	for (size_t i = 0; i < t->n_endpoints; i++) {
		const struct kv_endpoint_view *e = &t->endpoints[i];
		jw_obj(w);
		jw_kstr(w, "id", e->pe_id);
		jw_kstr(w, "state", kv_pe_state_name(e->state));
		addrs(w, "addresses", e->addrs, e->n_addrs);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	dns_json(w, r, x);
	jw_key(w, "zone_records");
	jw_arr(w);
	for (size_t i = 0; i < t->n_zones; i++) {
		const struct kv_zone_view *z = &t->zones[i];
		jw_obj(w);
		jw_kstr(w, "zone", z->id ? z->id : z->name);
		addrs(w, "addresses", z->addrs, z->n_addrs);
		if (t->vnet_known)
			jw_kbool(w, "linked", z->linked);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	probe_json(w, r, x);
	jw_key(w, "findings");
	jw_arr(w);
	for (size_t i = 0; i < x->n_findings; i++) {
		const struct kv_finding *f = &x->findings[i];
		jw_obj(w);
		jw_kstr(w, "code", finding_name(f->code));
		jw_kstr(w, "severity", finding_severity_name(kv_finding_severity(f)));
		jw_kstr(w, "message", f->message);
		jw_kstr(w, "remediation", f->remediation);
		if (f->vnet_id != NULL) /* a DNS-path finding: the VNet whose clients it concerns */
			jw_kstr(w, "vnet", f->vnet_id);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

enum kv_err
report_json(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out)
{
	struct report_summary s;
	struct jw w;
	char ts[32];

	report_summarize(r, &s);
	jw_init(&w, out, o->pretty);
	jw_obj(&w);
	jw_kstr(&w, "schema", "kvpe.report/v1");
	jw_key(&w, "agent");
	jw_obj(&w);
	jw_kstr(&w, "version", r->version);
	jw_kstr(&w, "host", r->host);
	strings(&w, "resolvers", r->resolvers, r->n_resolvers);
	jw_kstr(&w, "cloud", r->cloud);
	report_vantages_json(&w, r);
	jw_obj_end(&w);
	kv_fmt_time(r->started_ms, ts, sizeof(ts));
	jw_kstr(&w, "started_at", ts);
	jw_kint(&w, "duration_ms", r->duration_ms);
	jw_key(&w, "summary");
	jw_obj(&w);
	jw_kint(&w, "vaults", (int64_t)s.vaults);
	jw_kint(&w, "passed", (int64_t)s.passed);
	jw_kint(&w, "failed", (int64_t)s.failed);
	jw_kint(&w, "errors", (int64_t)s.errors);
	jw_kint(&w, "stale", (int64_t)s.stale);
	jw_kbool(&w, "partial", report_partial(r));
	jw_key(&w, "findings");
	jw_obj(&w);
	for (unsigned c = 0; c < KV_F_COUNT; c++)
		if (s.findings[c] > 0)
			jw_kint(&w, finding_name((enum kv_finding_code)c), (int64_t)s.findings[c]);
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_key(&w, "vaults");
	jw_arr(&w);
	for (size_t i = 0; i < r->n_results; i++) {
		vault_json(&w, r, &r->results[i]);
		jw_drain(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "sources");
	jw_arr(&w);
	for (size_t i = 0; i < r->n_sources; i++) {
		jw_obj(&w);
		jw_kstr(&w, "source", r->sources[i].name);
		jw_kbool(&w, "up", r->sources[i].up);
		if (!r->sources[i].up && r->sources[i].down_since_ms > 0) {
			kv_fmt_time(r->sources[i].down_since_ms, ts, sizeof(ts));
			jw_kstr(&w, "down_since", ts);
		}
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "errors");
	jw_arr(&w);
	for (size_t i = 0; i < r->n_errors; i++) {
		jw_obj(&w);
		jw_kstr(&w, "scope", r->errors[i].scope);
		jw_kstr(&w, "message", r->errors[i].message);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (w.err == KV_OK)
		w.err = kv_buf_putc(out, '\n');
	return w.err;
}

/* ---- kvpe resolve ---- */

static void
resolve_lookup(struct jw *w, const char *key, const struct kv_dns_lookup *l, const struct report_resolve *rs)
{
	jw_key(w, key);
	if (l->rcode == KV_RC_NONE) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	jw_kstr(w, "name", l->qname);
	jw_kstr(w, "rcode", kv_rcode_name(l->rcode));
	chain_json(w, l); /* as in the check report */
	addrs(w, "addresses", l->addrs, l->n_addrs);
	jw_kint(w, "ttl", l->ttl);
	jw_kstr(w, "server", server_of(rs->resolvers, rs->n_resolvers, l->server));
	jw_kint(w, "ms", l->ms);
	jw_kint(w, "attempts", l->attempts);
	jw_obj_end(w);
}

enum kv_err
report_json_resolve(const struct report_resolve *rs, const struct report_opts *o, struct kv_buf *out)
{
	struct jw w;

	jw_init(&w, out, o->pretty);
	jw_obj(&w);
	jw_kstr(&w, "schema", "kvpe.resolve/v1");
	strings(&w, "resolvers", rs->resolvers, rs->n_resolvers);
	jw_key(&w, "names");
	jw_arr(&w);
	for (size_t i = 0; i < rs->n_names; i++) {
		const struct report_name *n = &rs->names[i];
		const struct kv_result *x = n->r;
		jw_obj(&w);
		jw_kstr(&w, "name", n->name);
		jw_kstr(&w, "kind", n->vault ? cloud_kind_name(x->t->kind) : NULL);
		resolve_lookup(&w, "a", &x->dns.a, rs);
		resolve_lookup(&w, "aaaa", &x->dns.aaaa, rs);
		resolve_lookup(&w, "privatelink", &x->dns.pl, rs);
		jw_kbool(&w, "private", n->is_private);
		jw_kstr(&w, "diagnosis", n->diagnosis);
		jw_key(&w, "findings");
		jw_arr(&w);
		for (size_t k = 0; n->vault && k < x->n_findings; k++)
			jw_str(&w, finding_name(x->findings[k].code));
		jw_arr_end(&w);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (w.err == KV_OK)
		w.err = kv_buf_putc(out, '\n');
	return w.err;
}

/* ---- `kvpe trace`: kvpe.trace/v1 ---- */

static const char *
mark_name(enum report_mark m)
{
	return m == REPORT_MARK_OK ? "ok" : m == REPORT_MARK_WRONG ? "wrong" : "unknown";
}

static void
hostport(struct jw *w, const struct kv_hostport *hp)
{
	char buf[KV_ADDR_STRLEN + 8];

	kv_hostport_format(hp, buf, sizeof(buf));
	jw_str(w, buf);
}

static void
trace_hop(struct jw *w, const struct kv_path_hop *h, bool wrong)
{
	static const char *const match[] = {[KV_HM_PUBLIC] = "public", [KV_HM_ZONE] = "zone", [KV_HM_RULE] = "rule"};

	jw_obj(w);
	jw_kstr(w, "name", h->name);
	jw_kstr(w, "vnet", h->vnet_id);
	jw_kstr(w, "match", match[h->match]);
	if (h->match == KV_HM_ZONE) {
		jw_kstr(w, "zone", h->zone_id);
		jw_kstr(w, "zone_name", h->zone_name);
		jw_kstr(w, "link", h->link_id);
		jw_kstr(w, "link_name", h->link_name);
		jw_kstr(w, "resolution_policy", h->nxdomain_redirect ? "NxDomainRedirect" : "Default");
		jw_kbool(w, "has_record", h->has_record);
		addrs(w, "addresses", h->addrs, h->has_record ? h->n_addrs : 0);
	}
	if (h->match == KV_HM_RULE) {
		jw_kstr(w, "rule", h->rule_id);
		jw_kstr(w, "rule_name", h->rule_name);
		jw_kstr(w, "rule_domain", h->rule_domain);
		jw_kstr(w, "ruleset", h->ruleset_id);
		jw_key(w, "targets");
		jw_arr(w);
		for (size_t i = 0; i < h->n_targets; i++)
			hostport(w, &h->targets[i]);
		jw_arr_end(w);
	}
	if (h->shadowed_rule_id != NULL)
		jw_kstr(w, "shadowed_rule", h->shadowed_rule_id);
	if (h->loop_rule_id != NULL)
		jw_kstr(w, "loop_rule", h->loop_rule_id);
	jw_kbool(w, "wrong", wrong);
	jw_obj_end(w);
}

static void
trace_answer(struct jw *w, const struct kv_result *x, const struct kv_path_answer *ans)
{
	static const char *const kind[] = {[KV_PK_AZURE] = "azure", [KV_PK_INBOUND] = "inbound", [KV_PK_VM] = "vm",
	    [KV_PK_OPAQUE] = "opaque"};
	static const char *const outcome[] = {[KV_PO_UNKNOWN] = "unknown", [KV_PO_ADDRS] = "addresses",
	    [KV_PO_NXDOMAIN] = "nxdomain", [KV_PO_PUBLIC] = "public", [KV_PO_LOOP] = "loop"};
	const struct kv_dns_lookup *lk = report_trace_live(x, ans->vantage);
	enum report_mark mm = report_trace_model_mark(x->t, ans), lm = report_trace_live_mark(x->t, lk);
	int bad = report_trace_wrong_hop(x->t, ans, lk);

	jw_obj(w);
	jw_key(w, "server");
	hostport(w, &ans->server);
	jw_kstr(w, "kind", kind[ans->kind]);
	jw_kstr(w, "resource", ans->resource_id);
	jw_kstr(w, "vnet", ans->vnet_id);
	jw_kbool(w, "zone_linked", ans->zone_linked);
	jw_key(w, "hops");
	jw_arr(w);
	for (size_t i = 0; i < ans->n_hops; i++)
		trace_hop(w, &ans->hops[i], (int)i == bad);
	jw_arr_end(w);
	jw_key(w, "model");
	jw_obj(w);
	jw_kstr(w, "outcome", outcome[ans->outcome]);
	addrs(w, "addresses", ans->addrs, ans->outcome == KV_PO_ADDRS ? ans->n_addrs : 0);
	jw_kstr(w, "mark", mark_name(mm));
	jw_obj_end(w);
	jw_key(w, "answer");
	if (lk == NULL) {
		jw_null(w);
	} else {
		jw_obj(w);
		jw_kstr(w, "rcode", rcode_or_null(lk));
		chain_json(w, lk);
		addrs(w, "addresses", lk->addrs, lk->n_addrs);
		jw_kint(w, "ms", lk->ms);
		jw_kstr(w, "mark", mark_name(lm));
		jw_obj_end(w);
	}
	jw_kbool(w, "asked", ans->vantage >= 0);
	jw_kbool(w, "wrong", mm == REPORT_MARK_WRONG || lm == REPORT_MARK_WRONG);
	jw_obj_end(w);
}

static void
trace_finding(struct jw *w, const struct kv_finding *f)
{
	jw_obj(w);
	jw_kstr(w, "code", finding_name(f->code));
	jw_kstr(w, "severity", finding_severity_name(kv_finding_severity(f)));
	jw_kstr(w, "vnet", f->vnet_id);
	jw_kstr(w, "message", f->message);
	jw_kstr(w, "remediation", f->remediation);
	jw_obj_end(w);
}

enum kv_err
report_json_trace(const struct kv_report *r, const struct kv_result *x, const struct report_opts *o,
    struct kv_buf *out)
{
	const struct kv_target *t = x->t;
	struct jw w;

	jw_init(&w, out, o->pretty);
	jw_obj(&w);
	jw_kstr(&w, "schema", "kvpe.trace/v1");
	jw_key(&w, "vault");
	jw_obj(&w);
	jw_kstr(&w, "name", t->name);
	jw_kstr(&w, "kind", cloud_kind_name(t->kind));
	jw_kstr(&w, "fqdn", t->fqdn);
	jw_kstr(&w, "id", t->id);
	jw_kstr(&w, "status", kv_status_name(x->status));
	addrs(&w, "expected", t->expected, t->n_expected);
	jw_obj_end(&w);
	jw_kbool(&w, "path_known", t->path_known);
	jw_key(&w, "vnets");
	jw_arr(&w);
	for (size_t p = 0; p < t->n_paths; p++) {
		const struct kv_path_vnet *pv = &t->paths[p];
		const struct kv_vnet_scope *s = pv->vnet < r->n_vnets ? &r->vnets[pv->vnet] : NULL;
		jw_obj(&w);
		jw_kstr(&w, "id", pv->vnet_id);
		jw_kstr(&w, "name", s ? s->name : NULL);
		jw_kbool(&w, "agent", s != NULL && s->agent);
		jw_kstr(&w, "found_by", s ? s->found_by : NULL);
		jw_kstr(&w, "servers_from", s ? s->servers_from : NULL);
		jw_kbool(&w, "wrong", report_trace_vnet_wrong(x, pv));
		jw_key(&w, "findings");
		jw_arr(&w);
		for (size_t i = 0; i < x->n_findings; i++)
			if (x->findings[i].vnet_id != NULL && kv_streq_ci(x->findings[i].vnet_id, pv->vnet_id))
				jw_str(&w, finding_name(x->findings[i].code));
		jw_arr_end(&w);
		jw_key(&w, "resolvers");
		jw_arr(&w);
		for (size_t i = 0; i < pv->n_answers; i++)
			trace_answer(&w, x, &pv->answers[i]);
		jw_arr_end(&w);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "findings");
	jw_arr(&w);
	for (size_t i = 0; i < x->n_findings; i++)
		trace_finding(&w, &x->findings[i]);
	jw_arr_end(&w);
	jw_kbool(&w, "wrong", report_trace_exit(x) != 0);
	jw_kbool(&w, "partial", report_partial(r));
	jw_obj_end(&w);
	if (w.err == KV_OK)
		w.err = kv_buf_putc(out, '\n');
	return w.err;
}
