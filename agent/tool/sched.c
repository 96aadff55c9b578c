/* sched.c — see sched.h. */
#include "kvpe/sched.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvpe/check.h"
#include "kvpe/httpd.h"
#include "kvpe/log.h"
#include "kvpe/notify.h"
#include "kvpe/report.h"

/* sig_stop: the number of the signal that stops us; non-zero, it is also
 * the cycle's cancel flag. */
static volatile sig_atomic_t sig_stop, sig_reload;
static pthread_t main_thread;

/* A signal may land on any thread (the HTTP server's, a libcurl resolver's):
 * there it is passed on to the main thread, so that the poll() or sleep the
 * main thread is in returns at once and a running cycle is cancelled now,
 * not at its next poll timeout.  pthread_self and pthread_kill are
 * async-signal-safe. */
static void
to_main(int signo)
{
	if (!pthread_equal(pthread_self(), main_thread))
		pthread_kill(main_thread, signo);
}

static void
on_stop(int signo)
{
	sig_stop = signo;
	to_main(signo);
}

static void
on_reload(int signo)
{
	sig_reload = 1;
	to_main(signo);
}

static void
install_signals(void)
{
	struct sigaction sa;

	main_thread = pthread_self();
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: poll() and sleeps return at once */
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_reload;
	sigaction(SIGHUP, &sa, NULL);
}

static const char *
signal_name(int signo)
{
	switch (signo) {
	case 0:
		return "none";
	case SIGTERM:
		return "SIGTERM";
	case SIGINT:
		return "SIGINT";
	}
	return "other";
}

struct agent {
	struct kv_cfg *cfg;
	struct check_ctx *ctx;
	struct httpd *httpd;
	struct kv_report *good; /* the last report of a completed cycle */
	struct report_prom_state st;
	uint64_t rng;
	int64_t wd_ms;   /* how often to send WATCHDOG=1 (half systemd's interval); 0 = no watchdog */
	int64_t wd_next; /* monotonic ms of the next one due */
};

/* systemd's watchdog is fed from the main loop only, between cycles and
 * after each one, failed or not: a failing cycle (an outage) is not a hung
 * agent, but a cycle that hangs starves the watchdog and gets us restarted.
 * `status` (may be NULL) goes in the same datagram. */
static void
watchdog(struct agent *ag, const char *status)
{
	int64_t now = kv_now_ms();

	if (status != NULL)
		notify_send("STATUS=%.400s%s", status, ag->wd_ms ? "\nWATCHDOG=1" : "");
	else if (ag->wd_ms > 0 && now >= ag->wd_next)
		notify_send("WATCHDOG=1");
	else
		return;
	ag->wd_next = now + ag->wd_ms;
}

static enum kv_err
check_textfile(const struct kv_cfg *cfg, char *err, size_t size)
{
	size_t n = cfg->textfile ? strlen(cfg->textfile) : 0;

	/* node_exporter's textfile collector reads only *.prom files. */
	if (cfg->textfile != NULL && (n < 6 || strcmp(cfg->textfile + n - 5, ".prom") != 0)) {
		snprintf(err, size, "--textfile %s: node_exporter's textfile collector reads only files ending in .prom",
		    cfg->textfile);
		return KV_EUSAGE;
	}
	return KV_OK;
}

/* Renders and publishes the current state: metrics of the last good report
 * plus the run counters, the report itself, and the textfile. */
static void
publish(struct agent *ag, bool new_report)
{
	struct kv_buf m, r;
	struct report_opts o;
	char err[256];
	char *mb, *rb = NULL;
	size_t ml = 0, rl = 0;

	kv_buf_init(&m, REPORT_MAX);
	kv_buf_init(&r, REPORT_MAX);
	ag->st.full = ag->cfg->metrics_full; /* a reload may change it */
	if (report_prom(ag->good, &ag->st, &m) != KV_OK) {
		kv_log_error("cannot render the metrics", NULL);
		goto out;
	}
	if (ag->cfg->textfile != NULL && report_write_file(ag->cfg->textfile, m.data, m.len, err, sizeof(err)) != KV_OK)
		kv_log_error("cannot write the textfile", "error=\"%s\"", err);
	if (new_report && ag->good != NULL) {
		memset(&o, 0, sizeof(o));
		o.pretty = true;
		o.exit_code = report_exit_code(ag->good);
		if (report_json(ag->good, &o, &r) == KV_OK)
			rb = kv_buf_steal(&r, &rl);
	}
	mb = kv_buf_steal(&m, &ml);
	if (ag->httpd != NULL)
		httpd_publish(ag->httpd, mb, ml, rb, rl, ag->good ? ag->good->started_ms : 0, ag->st.last_success_ms);
	else {
		free(mb);
		free(rb);
	}
out:
	kv_buf_free(&m);
	kv_buf_free(&r);
}

/* One cycle; true when it completed. */
static bool
cycle(struct agent *ag)
{
	struct kv_report *rep = NULL;
	struct report_summary s;
	struct check_cfg cc;
	char err[512], status[256];
	int64_t t0 = kv_now_ms();
	enum kv_err rc;
	bool ok;

	ag->st.runs_total++;
	cli_check_cfg(ag->cfg, &cc);
	rc = check_run(ag->ctx, &cc, &rep, err, sizeof(err));
	ok = rc == KV_OK && !check_dns_down(rep);
	/* A source that could not be read: its vaults keep their last verdict,
	 * marked stale, so that no alert resolves because of the outage. */
	if (ok && (rc = report_carry_stale(rep, ag->good, kv_wall_ms(), cli_stale_after_ms(ag->cfg))) != KV_OK) {
		snprintf(err, sizeof(err), "cannot keep the verdicts of the sources not read: %s", kv_strerror(rc));
		ok = false;
	}
	if (rep != NULL) {
		ag->st.arm_requests_total += rep->arm_requests;
		ag->st.arm_failures_total += rep->arm_failures;
		ag->st.arm_throttled_total += rep->arm_throttled;
	}
	ag->st.last_run_ms = kv_wall_ms();
	ag->st.run_duration_s = (double)(kv_now_ms() - t0) / 1000.0;
	ag->st.last_run_success = ok && !report_partial(rep); /* partial: published, but not a success */
	if (rc == KV_ECANCELED) {
		report_free(rep);
		return false;
	}
	if (!ok) {
		ag->st.run_failures_total++;
		if (rc == KV_OK && rep != NULL)
			snprintf(err, sizeof(err), "the resolver answered none of the %zu names", rep->n_results);
		kv_log_error("cycle failed; serving the last good report", "error=\"%s\" failures=%lu", err,
		    ag->st.run_failures_total);
		report_free(rep);
		publish(ag, false);
		snprintf(status, sizeof(status), "last cycle failed: %.200s", err);
		watchdog(ag, status);
		return false;
	}
	report_prom_observe(&ag->st, rep);
	report_free(ag->good); /* kept alive while rep shows its verdicts (stale) */
	ag->good = rep;
	ag->st.last_success_ms = ag->st.last_run_ms;
	report_summarize(rep, &s);
	if (report_partial(rep) && report_partial_reason(rep, err, sizeof(err)) == KV_OK)
		kv_log_warn("cycle partial; vaults of the sources not read keep their last verdict", "reason=\"%s\" stale=%zu",
		    err, s.stale);
	kv_log_info("cycle done", "vaults=%zu passed=%zu failed=%zu errors=%zu findings=%zu duration_ms=%lld", s.vaults,
	    s.passed, s.failed, s.errors, s.n_findings, (long long)(kv_now_ms() - t0));
	publish(ag, true);
	snprintf(status, sizeof(status), "last run %lld s, %zu vaults, %zu failing", (long long)(kv_now_ms() - t0) / 1000,
	    s.vaults, s.failed + s.errors);
	watchdog(ag, status);
	return true;
}

/* SIGHUP: parse again; swap only a valid configuration in. */
static void
reload(struct agent *ag, int argc, char **argv)
{
	struct kv_cfg *ncfg = NULL;
	struct check_ctx *nctx = NULL;
	struct check_cfg cc;
	char err[512];
	enum kv_err rc;

	notify_send("RELOADING=1");
	rc = cli_parse(argc, argv, &ncfg, err, sizeof(err));
	if (rc == KV_OK && (rc = check_textfile(ncfg, err, sizeof(err))) == KV_OK) {
		cli_check_cfg(ncfg, &cc);
		rc = check_ctx_new(&cc, &nctx, err, sizeof(err));
	}
	if (rc != KV_OK) {
		ag->st.reload_ok = false;
		kv_log_error("reload failed; keeping the previous configuration", "error=\"%s\"",
		    rc == KV_EUSAGE || err[0] ? err : kv_strerror(rc));
		cli_free(ncfg);
		notify_send("READY=1");
		return;
	}
	check_ctx_set_cancel(nctx, &sig_stop);
	check_ctx_free(ag->ctx);
	cli_free(ag->cfg);
	ag->ctx = nctx;
	ag->cfg = ncfg;
	ag->st.reload_ok = true;
	ag->st.reload_ms = kv_wall_ms();
	if (ag->httpd != NULL)
		httpd_set_interval(ag->httpd, ncfg->interval_ms);
	kv_log_info("configuration reloaded", "vaults=%zu inventories=%zu subscriptions=%zu interval_ms=%lld",
	    ncfg->n_vaults, ncfg->n_inventories, ncfg->n_subscriptions, (long long)ncfg->interval_ms);
	notify_send("READY=1");
}

/* interval ± 10%, so a fleet of agents does not pulse together. */
static int64_t
next_delay(struct agent *ag)
{
	int64_t iv = ag->cfg->interval_ms, spread = iv / 5;
	uint64_t x = kv_xorshift64(&ag->rng);

	return spread > 0 ? iv - spread / 2 + (int64_t)(x % (uint64_t)(spread + 1)) : iv;
}

int
sched_run(int argc, char **argv, struct kv_cfg *cfg)
{
	struct agent ag;
	struct check_cfg cc;
	char err[512];
	int code = 1;
	bool last_ok = false;

	memset(&ag, 0, sizeof(ag));
	ag.cfg = cfg;
	ag.rng = (uint64_t)kv_wall_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
	ag.st.reload_ok = true;
	ag.st.reload_ms = kv_wall_ms();
	install_signals();
	if (check_textfile(cfg, err, sizeof(err)) != KV_OK) {
		fprintf(stderr, "kvpe: %s\n", err);
		code = 2;
		goto out;
	}
	cli_check_cfg(cfg, &cc);
	if (check_ctx_new(&cc, &ag.ctx, err, sizeof(err)) != KV_OK) {
		fprintf(stderr, "kvpe: %s\n", err);
		goto out;
	}
	check_ctx_set_cancel(ag.ctx, &sig_stop);
	if (!cfg->once && httpd_start(cfg->listen, cfg->interval_ms, &ag.httpd, err, sizeof(err)) != KV_OK) {
		fprintf(stderr, "kvpe: %s\n", err);
		goto out;
	}
	kv_log_info("agent started", "listen=%s interval_ms=%lld textfile=%s version=%s", cfg->once ? "none" : cfg->listen,
	    (long long)cfg->interval_ms, cfg->textfile ? cfg->textfile : "none", KV_VERSION);
	if (!cfg->once && (ag.wd_ms = notify_watchdog_usec() / 2000) > 0)
		kv_log_info("systemd watchdog on", "interval_ms=%lld", (long long)ag.wd_ms);
	publish(&ag, false);
	notify_send("READY=1\nSTATUS=first cycle running");
	for (;;) {
		int64_t wake;
		last_ok = cycle(&ag);
		if (cfg->once || sig_stop)
			break;
		wake = kv_now_ms() + next_delay(&ag);
		while (!sig_stop && !sig_reload && kv_now_ms() < wake) {
			int64_t left;
			struct timespec ts;
			watchdog(&ag, NULL);
			left = wake - kv_now_ms();
			if (ag.wd_ms > 0 && ag.wd_next - kv_now_ms() < left)
				left = ag.wd_next - kv_now_ms();
			left = left < 1 ? 1 : left > 100 ? 100 : left;
			ts.tv_sec = 0;
			ts.tv_nsec = (long)(left * 1000000L);
			nanosleep(&ts, NULL); /* a signal ends it early */
		}
		if (sig_stop)
			break;
		if (sig_reload) {
			sig_reload = 0;
			reload(&ag, argc, argv);
			cfg = ag.cfg;
		}
		watchdog(&ag, NULL);
	}
	code = cfg->once && !(last_ok && ag.st.last_run_success) ? 1 : 0; /* --once: partial is not success */
	notify_send("STOPPING=1");
	kv_log_info("agent stopping", "runs=%lu failures=%lu signal=%s signo=%d", ag.st.runs_total,
	    ag.st.run_failures_total, signal_name((int)sig_stop), (int)sig_stop);
out:
	httpd_stop(ag.httpd);
	report_free(ag.good);
	check_ctx_free(ag.ctx);
	cli_free(ag.cfg);
	return code;
}
