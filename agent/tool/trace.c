/* trace.c — `kvpe trace NAME`: check's pipeline for one vault (check_run
 * with check_cfg.only, no probes), written as its DNS path per VNet in
 * scope by the report writers (report_write_trace). */
#include "kvpe/trace.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvpe/check.h"
#include "kvpe/expect.h"
#include "kvpe/report.h"

/* "what: " before the reason already in err. */
static void
prefix(char *err, size_t size, const char *what)
{
	char reason[512];
	int n;

	snprintf(reason, sizeof(reason), "%s", err);
	n = snprintf(err, size, "%s: ", what);
	if (n > 0 && (size_t)n < size)
		snprintf(err + n, size - (size_t)n, "%.*s", (int)(size - (size_t)n - 1), reason);
}

int
trace_main(const struct kv_cfg *cfg)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct check_ctx *ctx = NULL;
	struct kv_report *rep = NULL;
	struct expect_vault only;
	struct check_cfg cc;
	struct report_opts o;
	struct report_file file;
	struct kv_buf out;
	const char *why = NULL;
	char err[512];
	int exit_code = 2, code;
	bool json = cfg->format_set ? cfg->format == REPORT_JSON : !isatty(STDOUT_FILENO);
	enum kv_err rc;

	kv_buf_init(&out, REPORT_MAX);
	memset(&file, 0, sizeof(file));
	file.fd = -1;
	err[0] = '\0';
	if (a == NULL) {
		snprintf(err, sizeof(err), "%s", kv_strerror(KV_ENOMEM));
		goto out;
	}
	if ((rc = expect_parse_vault(a, cfg->names[0], &only, &why)) != KV_OK) {
		snprintf(err, sizeof(err), "trace '%s': %s", cfg->names[0], rc == KV_ENOMEM ? kv_strerror(rc) : why);
		goto out;
	}
	/* Before anything is asked: an output that cannot be written stops here. */
	if (report_file_open(&file, cfg->output ? cfg->output : "-", REPORT_FILE_REPLACE, err, sizeof(err)) != KV_OK) {
		prefix(err, sizeof(err), "cannot write report");
		goto out;
	}
	cli_check_cfg(cfg, &cc);
	cc.probe = KV_PROBE_OFF; /* the path is DNS; check's probes add nothing to it */
	cc.only = &only;
	if (check_ctx_new(&cc, &ctx, err, sizeof(err)) != KV_OK || check_run(ctx, &cc, &rep, err, sizeof(err)) != KV_OK)
		goto out;
	if (rep->n_results == 0) {
		snprintf(err, sizeof(err), "trace: no vault %s%s in the sources read%s", only.kind == KV_KIND_HSM ? "hsm:" : "",
		    only.name, report_partial(rep) ? " (some sources could not be read)" : "");
		goto out;
	}
	code = report_trace_exit(&rep->results[0]);
	memset(&o, 0, sizeof(o));
	o.pretty = true;
	if ((rc = report_write_trace(rep, &rep->results[0], json ? REPORT_JSON : REPORT_TABLE, &o, &out)) != KV_OK) {
		snprintf(err, sizeof(err), "cannot render the trace: %s", kv_strerror(rc));
		goto out;
	}
	if (report_file_sink(&file, out.data, out.len) != KV_OK) {
		snprintf(err, sizeof(err), "cannot write report: %s", file.err);
		goto out;
	}
	if (report_file_commit(&file, err, sizeof(err)) != KV_OK) {
		prefix(err, sizeof(err), "cannot write report");
		goto out;
	}
	/* A path read from part of the sources proves nothing (as check). */
	if (report_partial(rep) && report_partial_reason(rep, err, sizeof(err)) == KV_OK) {
		prefix(err, sizeof(err), "partial run, the trace may miss hops");
		goto out;
	}
	err[0] = '\0';
	exit_code = code;
out:
	if (exit_code == 2)
		fprintf(stderr, "kvpe: %s\n", err[0] != '\0' ? err : kv_strerror(KV_ENOMEM));
	report_file_abort(&file);
	kv_buf_free(&out);
	report_free(rep);
	check_ctx_free(ctx);
	kv_arena_free(a);
	return exit_code;
}
