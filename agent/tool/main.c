/* main.c — the only place that exits.  Parses options, runs the command,
 * writes the report(s), and maps the outcome to the exit code:
 * check: 0 all passed, 1 a vault failed or could not be checked, 2 the run
 * could not proceed or was partial (a source not read; the report is still
 * written) — with a one-line reason on stderr.  `check --format nagios` is
 * a Nagios plugin: the plugin state is the exit code, and a run that cannot
 * tell (usage, no credential, --help, --version) is UNKNOWN, 3, with one
 * `KVPE UNKNOWN - reason` line on stdout. */
#include <signal.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "kvpe/check.h"
#include "kvpe/cli.h"
#include "kvpe/complete.h"
#include "kvpe/log.h"
#include "kvpe/report.h"
#include "kvpe/resolve.h"
#include "kvpe/sched.h"
#include "kvpe/trace.h"

/* The report files of one check: the main one (stdout or --output) and each
 * --report.  All are opened before the run, so a path that cannot be
 * written stops it before anything is checked or written. */
struct outputs {
	size_t n;
	struct output {
		enum report_format format;
		struct report_file file;
	} *v;
};

static void
outputs_free(struct outputs *o)
{
	for (size_t i = 0; i < o->n; i++)
		report_file_abort(&o->v[i].file);
	free(o->v);
	o->v = NULL;
	o->n = 0;
}

static bool
stdout_tty(const struct kv_cfg *cfg)
{
	return cfg->output == NULL && isatty(STDOUT_FILENO);
}

static enum kv_err
outputs_open(const struct kv_cfg *cfg, struct outputs *o, char *err, size_t size)
{
	enum kv_err rc = KV_OK;

	o->n = 0;
	if ((o->v = calloc(cfg->n_reports + 1, sizeof(*o->v))) == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i <= cfg->n_reports; i++) {
		struct output *x = &o->v[i];
		const char *path = i == 0 ? (cfg->output ? cfg->output : "-") : cfg->reports[i - 1].path;

		x->format = i > 0 ? cfg->reports[i - 1].format
		    : cfg->format_set ? cfg->format
		    : stdout_tty(cfg) ? REPORT_TABLE : REPORT_JSON;
		/* JSONL is a log: a run's lines are added to what is there. */
		rc = report_file_open(&x->file, path, x->format == REPORT_JSONL ? REPORT_FILE_APPEND : REPORT_FILE_REPLACE,
		    err, size);
		if (rc != KV_OK) {
			if (rc == KV_ENOMEM)
				snprintf(err, size, "%s", kv_strerror(rc));
			break;
		}
		o->n++;
	}
	if (rc != KV_OK)
		outputs_free(o);
	return rc;
}

/* The run counters a Prometheus file replaced by this run held, carried on
 * (conventions R3: counters never go back on a timer host). */
static const struct report_prom_state *
prom_previous(const struct output *x, struct report_prom_state *prev)
{
	char err[256];
	enum kv_err rc;

	if (x->format != REPORT_PROMETHEUS || x->file.tmp == NULL)
		return NULL; /* stdout, a device, a pipe: this run's counts only */
	rc = report_prom_state_read(x->file.path, prev, err, sizeof(err));
	if (rc == KV_ENOTFOUND)
		return NULL;
	if (rc != KV_OK) {
		kv_log_warn("the file being replaced is not kvpe's metrics; counters start again from this run",
		    "file=%s reason=%s", x->file.path, err);
		return NULL;
	}
	return prev;
}

/* SARIF's automationDetails: the Azure Pipelines build it is made in, when
 * one of the outputs is SARIF and the run is inside a pipeline. */
static const struct report_pipeline *
sarif_pipeline(const struct outputs *outs, struct report_pipeline *p)
{
	char why[160];
	enum kv_err rc;
	bool sarif = false;

	for (size_t i = 0; i < outs->n; i++)
		sarif = sarif || outs->v[i].format == REPORT_SARIF;
	if (!sarif)
		return NULL;
	rc = report_sarif_pipeline(getenv, p, why, sizeof(why));
	if (rc == KV_EPARSE)
		kv_log_warn("Azure Pipelines variables incomplete: the SARIF run gets the host/VNet category, which "
			    "GHAzDO does not ingest", "reason=\"%s\"", why);
	return rc == KV_OK ? p : NULL;
}

/* Renders every report into its open file, then commits them all: a report
 * that cannot be rendered or written leaves every file as it was.  Files
 * first, streams (stdout, a FIFO) last, since what they took is gone.  On
 * failure `err` says why (also on stderr). */
static int
write_reports(const struct kv_cfg *cfg, struct outputs *outs, const struct kv_report *rep, int exit_code,
    char *err, size_t size)
{
	struct report_opts o;
	struct report_pipeline pipe;
	struct kv_buf b;
	struct report_prom_state prev;
	enum kv_err rc = KV_OK;

	memset(&o, 0, sizeof(o));
	o.pretty = true;
	o.exit_code = exit_code;
	o.run_id = getenv("INVOCATION_ID");
	o.sarif_category = cfg->sarif_category;
	o.metrics_full = cfg->metrics_full;
	o.vnet_id = cfg->vnet_id;
	o.pipeline = sarif_pipeline(outs, &pipe);
	kv_buf_init(&b, REPORT_MAX);
	for (int pass = 0; pass < 2 && rc == KV_OK; pass++) {
		for (size_t i = 0; i < outs->n && rc == KV_OK; i++) {
			struct output *x = &outs->v[i];
			bool stream = x->file.direct || (x->file.fd < 0 && x->file.tmp == NULL);

			if (stream != (pass == 1))
				continue;
			kv_buf_reset(&b);
			o.color = i == 0 && cfg->color && stdout_tty(cfg);
			o.prev = prom_previous(x, &prev);
			/* Streamed to the file as it is rendered: a 50,000-vault report
			 * is tens of MB that need not sit in memory. */
			kv_buf_set_sink(&b, report_file_sink, &x->file);
			rc = report_write(rep, x->format, &o, &b);
			if (rc == KV_OK)
				rc = kv_buf_flush(&b);
			if (rc != KV_OK) {
				if (x->file.err[0] != '\0')
					snprintf(err, size, "cannot write report: %s", x->file.err);
				else
					snprintf(err, size, "cannot render %s report: %s", report_format_name(x->format),
					    kv_strerror(rc));
				fprintf(stderr, "kvpe: %s\n", err);
			}
		}
	}
	for (size_t i = 0; i < outs->n && rc == KV_OK; i++) {
		char cerr[512];
		if ((rc = report_file_commit(&outs->v[i].file, cerr, sizeof(cerr))) != KV_OK) {
			snprintf(err, size, "cannot write report: %s", cerr);
			fprintf(stderr, "kvpe: %s\n", err);
		}
	}
	kv_buf_free(&b);
	outputs_free(outs); /* aborts what was not committed */
	return rc == KV_OK ? 0 : 2;
}

/* --wait: check again (no faster than the DNS TTLs allow) until every vault
 * passes or the time is up; *rep becomes the last round's report. */
static enum kv_err
wait_for_pass(struct check_ctx *ctx, const struct kv_cfg *cfg, const struct check_cfg *cc, struct kv_report **rep,
    char *err, size_t size)
{
	int64_t end = kv_now_ms() + cfg->wait_ms;
	unsigned round = 1;

	while (report_exit_code(*rep) != 0) {
		struct report_summary s;
		struct kv_report *next = NULL;
		int64_t delay, now = kv_now_ms();
		enum kv_err rc;

		if ((rc = check_negative_ttls(ctx, *rep)) != KV_OK)
			return rc;
		delay = check_wait_ms(*rep);
		if (now + delay > end) {
			kv_log_info("--wait: time is up", "rounds=%u", round);
			break;
		}
		report_summarize(*rep, &s);
		kv_log_info("--wait: not passing yet; checking again after the DNS TTL", "failing=%zu delay_ms=%lld round=%u",
		    s.failed + s.errors, (long long)delay, round);
		struct timespec ts = {(time_t)(delay / 1000), (long)(delay % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) != 0)
			;
		if ((rc = check_run(ctx, cc, &next, err, size)) != KV_OK)
			return rc;
		report_free(*rep);
		*rep = next;
		round++;
	}
	return KV_OK;
}

/* Nagios plugins exit 3 (UNKNOWN) when they cannot tell (conventions R1). */
static bool
nagios(const struct kv_cfg *cfg)
{
	return cfg->format_set && cfg->format == REPORT_NAGIOS;
}

/* The one status line of a plugin that cannot tell, on stdout (where Nagios
 * reads it; the reason is on stderr too, as in every mode).  Returns 3. */
static int
nagios_unknown(const char *reason)
{
	struct kv_buf b;

	kv_buf_init(&b, 1024);
	if (report_nagios_unknown(reason, &b) == KV_OK) {
		fwrite(b.data, 1, b.len, stdout);
		fflush(stdout);
	}
	kv_buf_free(&b);
	return 3;
}

static int
cmd_check(const struct kv_cfg *cfg)
{
	struct check_ctx *ctx = NULL;
	struct kv_report *rep = NULL;
	struct outputs outs = {0, NULL};
	struct check_cfg cc;
	char err[512], why[600];
	int code = 2;

	err[0] = why[0] = '\0';
	cli_check_cfg(cfg, &cc);
	if (outputs_open(cfg, &outs, err, sizeof(err)) != KV_OK) {
		snprintf(why, sizeof(why), "cannot write report: %s", err);
		fprintf(stderr, "kvpe: %s\n", why);
		goto out;
	}
	if (check_ctx_new(&cc, &ctx, why, sizeof(why)) != KV_OK) {
		fprintf(stderr, "kvpe: %s\n", why);
		goto out;
	}
	if (check_run(ctx, &cc, &rep, why, sizeof(why)) != KV_OK) {
		fprintf(stderr, "kvpe: %s\n", why);
		goto out;
	}
	code = report_exit_code(rep);
	if (cfg->wait_ms > 0 && code != 0 && wait_for_pass(ctx, cfg, &cc, &rep, why, sizeof(why)) != KV_OK) {
		fprintf(stderr, "kvpe: %s\n", why);
		report_free(rep);
		rep = NULL;
		code = 2;
		goto out;
	}
	code = nagios(cfg) ? report_nagios_state(rep) : report_exit_code(rep);
	if (write_reports(cfg, &outs, rep, code, why, sizeof(why)) != 0) {
		report_free(rep);
		rep = NULL; /* no status was written */
		code = 2;
	} else if (report_partial(rep) && report_partial_reason(rep, err, sizeof(err)) == KV_OK) {
		fprintf(stderr, "kvpe: partial run, the report holds the rest: %s\n", err);
	}
out:
	if (nagios(cfg) && rep == NULL)
		code = nagios_unknown(why);
	outputs_free(&outs);
	report_free(rep);
	check_ctx_free(ctx);
	return code;
}

/* Before options parse: was `check --format nagios` asked for (for the
 * exit code and the status line)? */
static bool
wants_nagios(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "check") != 0)
		return false;
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--format=nagios") == 0 || (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
							       strcmp(argv[i + 1], "nagios") == 0))
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	struct kv_cfg *cfg = NULL;
	char err[512];
	int code = 2;
	enum kv_err rc;

	signal(SIGPIPE, SIG_IGN);
#ifdef __GLIBC__
	/* A fixed mmap threshold: the inventory's tables and indexes (tens of MB
	 * at 50,000 vaults) go back to the system when freed, before the DNS
	 * stage allocates, instead of staying in a heap glibc's sliding
	 * threshold would have grown to hold them.  Peak RSS at 50,000 vaults:
	 * see tests/bench/BENCHMARKS.md. */
	mallopt(M_MMAP_THRESHOLD, 512 * 1024);
#endif
	/* Hidden (not in --help): the build and `make install` take the bash
	 * completion script from here, generated from the option table. */
	if (argc >= 2 && strcmp(argv[1], "--completion") == 0) {
		if (argc != 3 || strcmp(argv[2], "bash") != 0) {
			fprintf(stderr, "kvpe: --completion: expected bash\n");
			return 2;
		}
		if (complete_bash(stdout) != KV_OK || fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "kvpe: --completion: cannot write the script to standard output\n");
			return 2;
		}
		return 0;
	}
	rc = cli_parse(argc, argv, &cfg, err, sizeof(err));
	if (rc != KV_OK) {
		fprintf(stderr, "kvpe: %s\n", rc == KV_EUSAGE ? err : kv_strerror(rc));
		return wants_nagios(argc, argv) ? nagios_unknown(rc == KV_EUSAGE ? err : kv_strerror(rc)) : 2;
	}
	kv_log_init(cfg->log_level, kv_log_detect_format(cfg->log_format));
	/* As a plugin, --version and --help are UNKNOWN (3) with the status
	 * line first, the help after it as long output (monitoring-plugins
	 * print both to stdout and exit 3). */
	if (cfg->cmd == CLI_CMD_VERSION || cfg->version) {
		snprintf(err, sizeof(err), "kvpe %s (%s), no check run", KV_VERSION, KV_REVISION);
		if (wants_nagios(argc, argv))
			code = nagios_unknown(err);
		else
			code = printf("kvpe %s (%s)\n", KV_VERSION, KV_REVISION) < 0 ? 2 : 0;
		goto out;
	}
	if (cfg->cmd == CLI_CMD_HELP || cfg->help) {
		code = wants_nagios(argc, argv) ? nagios_unknown("help asked for, no check run") : 0;
		cli_usage(stdout, cfg->help ? cfg->cmd : CLI_CMD_NONE);
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "kvpe: cannot initialise libcurl\n");
		goto out;
	}
	switch (cfg->cmd) {
	case CLI_CMD_CHECK:
		code = cmd_check(cfg);
		break;
	case CLI_CMD_RESOLVE:
		code = resolve_main(cfg);
		break;
	case CLI_CMD_TRACE:
		code = trace_main(cfg);
		break;
	case CLI_CMD_AGENT:
		code = sched_run(argc, argv, cfg);
		cfg = NULL; /* sched_run owns it (and replaces it on SIGHUP) */
		break;
	case CLI_CMD_NONE:
	case CLI_CMD_HELP:
	case CLI_CMD_VERSION:
		break;
	}
	curl_global_cleanup();
out:
	cli_free(cfg);
	return code;
}
