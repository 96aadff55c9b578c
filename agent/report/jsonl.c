/* jsonl.c — JSON Lines for log pipelines: one compact object per
 * line, UTF-8, each line ending in "\n", so a run appends to
 * /var/log/kvpe/kvpe-YYYYMMDD.jsonl for Azure Monitor Agent, or posts as-is
 * to the Logs Ingestion API.  First one line per finding (type "finding"),
 * then one per vault (type "vault"), then one per run error (type
 * "run_error").  Every line carries the same keys, null where a key does
 * not apply, so a table schema can be declared once:
 *   type time host run_id vault id fqdn code severity status message remediation
 * plus "findings" (count) on vault lines and "scope" on run-error lines. */
#include "kvpe/jsonw.h"
#include "kvpe/report.h"

/* The keys every line starts with. */
static void
head(struct jw *w, const char *type, const char *ts, const struct kv_report *r, const struct report_opts *o,
    const struct kv_target *t)
{
	jw_kstr(w, "type", type);
	jw_kstr(w, "time", ts);
	jw_kstr(w, "host", r->host);
	jw_kstr(w, "run_id", o->run_id != NULL && o->run_id[0] != '\0' ? o->run_id : NULL);
	jw_kstr(w, "vault", t != NULL ? t->name : NULL);
	jw_kstr(w, "id", t != NULL ? t->id : NULL);
	jw_kstr(w, "fqdn", t != NULL ? t->fqdn : NULL);
}

static enum kv_err
line_end(struct jw *w, struct kv_buf *out)
{
	jw_obj_end(w);
	return w->err == KV_OK ? kv_buf_putc(out, '\n') : w->err;
}

static enum kv_err
finding_line(struct kv_buf *out, const char *ts, const struct kv_report *r, const struct report_opts *o,
    const struct kv_result *x, const struct kv_finding *f)
{
	struct jw w;

	jw_init(&w, out, false);
	jw_obj(&w);
	head(&w, "finding", ts, r, o, x->t);
	jw_kstr(&w, "code", finding_name(f->code));
	jw_kstr(&w, "severity", finding_severity_name(kv_finding_severity(f)));
	jw_kstr(&w, "status", kv_status_name(x->status));
	jw_kstr(&w, "message", f->message);
	jw_kstr(&w, "remediation", f->remediation);
	if (f->vnet_id != NULL)
		jw_kstr(&w, "vnet", f->vnet_id);
	return line_end(&w, out);
}

static enum kv_err
vault_line(struct kv_buf *out, const char *ts, const struct kv_report *r, const struct report_opts *o,
    const struct kv_result *x)
{
	const struct kv_finding *f = x->status == KV_ST_PASS ? NULL : report_primary_finding(x);
	bool incomplete = f == NULL && x->t->incomplete != NULL;
	struct jw w;

	jw_init(&w, out, false);
	jw_obj(&w);
	head(&w, "vault", ts, r, o, x->t);
	jw_kstr(&w, "code", f != NULL ? finding_name(f->code) : incomplete ? "INCOMPLETE" : NULL);
	jw_kstr(&w, "severity", f != NULL ? finding_severity_name(kv_finding_severity(f)) : NULL);
	jw_kstr(&w, "status", kv_status_name(x->status));
	jw_kstr(&w, "message", f != NULL ? f->message : incomplete ? x->t->incomplete : NULL);
	jw_kstr(&w, "remediation", f != NULL ? f->remediation : NULL);
	jw_kint(&w, "findings", (int64_t)x->n_findings);
	return line_end(&w, out);
}

static enum kv_err
run_error_line(struct kv_buf *out, const char *ts, const struct kv_report *r, const struct report_opts *o,
    const struct kv_run_error *e)
{
	struct jw w;

	jw_init(&w, out, false);
	jw_obj(&w);
	head(&w, "run_error", ts, r, o, NULL);
	jw_kstr(&w, "code", NULL);
	jw_kstr(&w, "severity", NULL);
	jw_kstr(&w, "status", "error");
	jw_kstr(&w, "message", e->message);
	jw_kstr(&w, "remediation", NULL);
	jw_kstr(&w, "scope", e->scope);
	return line_end(&w, out);
}

enum kv_err
report_jsonl(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out)
{
	enum kv_err rc = KV_OK;
	char ts[32];

	kv_fmt_time(r->started_ms, ts, sizeof(ts));
	for (size_t i = 0; i < r->n_results && rc == KV_OK; i++) {
		for (size_t k = 0; k < r->results[i].n_findings && rc == KV_OK; k++)
			rc = finding_line(out, ts, r, o, &r->results[i], &r->results[i].findings[k]);
		if (rc == KV_OK)
			rc = kv_buf_drain(out);
	}
	for (size_t i = 0; i < r->n_results && rc == KV_OK; i++) {
		rc = vault_line(out, ts, r, o, &r->results[i]);
		if (rc == KV_OK)
			rc = kv_buf_drain(out);
	}
	for (size_t i = 0; i < r->n_errors && rc == KV_OK; i++)
		rc = run_error_line(out, ts, r, o, &r->errors[i]);
	return rc;
}
