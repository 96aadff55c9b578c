/* summary.c — what the writers and their callers read off a whole report:
 * the counts, each vault's primary finding, whether the run was partial and
 * why, the run errors grouped by source, and check's exit code.  Writers
 * call these; nothing here calls a writer. */
#include "kvpe/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
report_summarize(const struct kv_report *r, struct report_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->vaults = r->n_results;
	for (size_t i = 0; i < r->n_results; i++) {
		const struct kv_result *x = &r->results[i];
		switch (x->status) {
		case KV_ST_PASS:
			s->passed++;
			break;
		case KV_ST_FAIL:
			s->failed++;
			break;
		case KV_ST_ERROR:
			s->errors++;
			break;
		}
		s->stale += x->origin != NULL;
		for (size_t k = 0; k < x->n_findings; k++) {
			s->findings[x->findings[k].code]++;
			s->n_findings++;
		}
	}
}

const struct kv_finding *
report_primary_finding(const struct kv_result *x)
{
	if (x->status == KV_ST_ERROR) {
		for (size_t i = 0; i < x->n_findings; i++)
			if (finding_is_error(x->findings[i].code))
				return &x->findings[i];
		if (x->t->incomplete != NULL)
			return NULL; /* not checked: INCOMPLETE */
	}
	return x->n_findings > 0 ? &x->findings[0] : NULL;
}

bool
report_partial(const struct kv_report *r)
{
	/* Every source that could not be read has its entry in errors[] (so
	 * has a resource fetched by ID that failed): not everything was read. */
	return r->n_errors > 0;
}

int
report_exit_code(const struct kv_report *r)
{
	/* A partial run is never proof of anything: 2, whatever the vaults say. */
	if (report_partial(r))
		return 2;
	for (size_t i = 0; i < r->n_results; i++)
		if (r->results[i].status != KV_ST_PASS)
			return 1;
	return 0;
}

static int
error_cmp(const void *x, const void *y)
{
	const struct kv_run_error *a = *(const struct kv_run_error *const *)x, *b = *(const struct kv_run_error *const *)y;
	int c = strcmp(a->scope != NULL ? a->scope : "", b->scope != NULL ? b->scope : "");

	/* One array: address order is the order they came in. */
	return c != 0 ? c : (a > b) - (a < b);
}

enum kv_err
report_errors_by_scope(const struct kv_report *r, const struct kv_run_error ***out, size_t *n_scopes)
{
	const struct kv_run_error **v;
	size_t n = 0;

	if (r->n_errors == 0) {
		*out = NULL;
		*n_scopes = 0;
		return KV_OK;
	}
	if ((v = calloc(r->n_errors, sizeof(*v))) == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < r->n_errors; i++)
		v[i] = &r->errors[i];
	qsort(v, r->n_errors, sizeof(*v), error_cmp);
	for (size_t i = 0; i < r->n_errors; i++)
		n += report_scope_first(v, i);
	*out = v;
	*n_scopes = n;
	return KV_OK;
}

bool
report_scope_first(const struct kv_run_error *const *v, size_t i)
{
	const char *a = i > 0 ? v[i - 1]->scope : NULL, *b = v[i]->scope;

	return i == 0 || strcmp(a != NULL ? a : "", b != NULL ? b : "") != 0;
}

enum kv_err
report_partial_reason(const struct kv_report *r, char *buf, size_t size)
{
	const struct kv_run_error **v = NULL;
	size_t n = 0;
	enum kv_err rc = report_errors_by_scope(r, &v, &n);

	if (rc != KV_OK)
		return rc;
	if (n == 0)
		snprintf(buf, size, "every source was read");
	else
		snprintf(buf, size, "%zu source%s not read: %s (%s)%s", n, n == 1 ? "" : "s",
		    v[0]->scope != NULL ? v[0]->scope : "run", v[0]->message != NULL ? v[0]->message : "",
		    n > 1 ? " and more; see the report's errors" : "");
	free(v);
	return KV_OK;
}
