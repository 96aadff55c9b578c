/* prom.c — the Prometheus writer (see report.h): the exposition of a report
 * and the run counters, and the counters read back from the file a one-shot
 * run replaces. */
#include "kvpe/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvpe/verdict.h"

enum prom_id {
#define PROM_ENUM(name, type, detail, help) PROM_##name,
	REPORT_PROM_METRICS(PROM_ENUM)
#undef PROM_ENUM
	PROM_COUNT
};

/* Which families an exposition holds: RUN and VAULT always (a healthy
 * vault costs its 4 status series: kvpe_vault_up and kvpe_vault_status'
 * three); FULL and VANTAGE only with --metrics-detail full. */
enum prom_detail { PROM_RUN, PROM_VAULT, PROM_FULL, PROM_VANTAGE };

static const struct {
	const char *name, *type;
	enum prom_detail detail;
	const char *help;
} prom_table[] = {
#define PROM_ROW(name, type, detail, help) {#name, #type, PROM_##detail, help},
	REPORT_PROM_METRICS(PROM_ROW)
#undef PROM_ROW
};

/* Label values must be UTF-8 (a scraper rejects the whole page otherwise):
 * bytes that are not become U+FFFD, as in every other writer. */
enum kv_err
report_prom_escape(struct kv_buf *out, const char *value)
{
	const unsigned char *p = (const unsigned char *)value;
	enum kv_err rc = KV_OK;

	while (*p != '\0' && rc == KV_OK) {
		size_t ul = kv_utf8_len(p);
		if (*p == '\\')
			rc = kv_buf_puts(out, "\\\\");
		else if (*p == '"')
			rc = kv_buf_puts(out, "\\\"");
		else if (*p == '\n')
			rc = kv_buf_puts(out, "\\n");
		else if (ul == 0)
			rc = kv_buf_puts(out, "\xef\xbf\xbd");
		else
			rc = kv_buf_append(out, p, ul);
		p += ul ? ul : 1;
	}
	return rc;
}

struct pw {
	struct kv_buf *b;
	const struct kv_report *r;
	enum kv_err rc;
	const char *name;
};

static bool
dup_name(const struct kv_report *r, size_t i)
{
	const char *n = r->results[i].t->name;

	return (i > 0 && strcmp(r->results[i - 1].t->name, n) == 0) ||
	    (i + 1 < r->n_results && strcmp(r->results[i + 1].t->name, n) == 0);
}

/* name{vault="…"[,kind="…"][,k="v"]} — a sample's name and labels. */
static void
labels(struct pw *w, size_t vault, const char *k, const char *v, const char *k2, const char *v2)
{
	bool any = false;

	if (w->rc != KV_OK)
		return;
	w->rc = kv_buf_puts(w->b, w->name);
	if (vault != SIZE_MAX) {
		const struct kv_target *t = w->r->results[vault].t;
		if (w->rc == KV_OK)
			w->rc = kv_buf_puts(w->b, "{vault=\"");
		if (w->rc == KV_OK)
			w->rc = report_prom_escape(w->b, t->name);
		if (w->rc == KV_OK)
			w->rc = kv_buf_putc(w->b, '"');
		/* kind only where a vault and an HSM share the name */
		if (w->rc == KV_OK && dup_name(w->r, vault))
			w->rc = kv_buf_printf(w->b, ",kind=\"%s\"", cloud_kind_name(t->kind));
		any = true;
	}
	for (int i = 0; i < 2; i++) {
		const char *key = i ? k2 : k, *val = i ? v2 : v;
		if (key == NULL || w->rc != KV_OK)
			continue;
		w->rc = kv_buf_printf(w->b, "%s%s=\"", any ? "," : "{", key);
		if (w->rc == KV_OK)
			w->rc = report_prom_escape(w->b, val);
		if (w->rc == KV_OK)
			w->rc = kv_buf_putc(w->b, '"');
		any = true;
	}
	if (w->rc == KV_OK && any)
		w->rc = kv_buf_putc(w->b, '}');
}

enum kv_err
report_prom_format_value(double value, char *buf, size_t size)
{
	int n = 0;

	/* Whole numbers exactly; others in the fewest digits that read back as
	 * the same double (a %.9g cut 1796401770.123 to 1.79640177e+09). */
	if (value < 9e15 && value > -9e15 && value == (double)(int64_t)value) {
		n = snprintf(buf, size, "%lld", (long long)value);
	} else if (value != value) {
		n = snprintf(buf, size, "NaN");
	} else if (value > 1e308 || value < -1e308) {
		n = snprintf(buf, size, "%cInf", value > 0 ? '+' : '-');
	} else {
		for (int prec = 15; prec <= 17; prec++) {
			n = snprintf(buf, size, "%.*g", prec, value);
			if (n < 0 || (size_t)n >= size || strtod(buf, NULL) == value)
				break;
		}
	}
	return n < 0 || (size_t)n >= size ? KV_ELIMIT : KV_OK;
}

enum kv_err
report_prom_format_ms(int64_t ms, char *buf, size_t size)
{
	/* Seconds with the milliseconds exact: no trip through a double. */
	uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
	int n;

	if (a % 1000 == 0)
		n = snprintf(buf, size, "%s%llu", ms < 0 ? "-" : "", (unsigned long long)(a / 1000));
	else
		n = snprintf(buf, size, "%s%llu.%03u", ms < 0 ? "-" : "", (unsigned long long)(a / 1000),
		    (unsigned)(a % 1000));
	return n < 0 || (size_t)n >= size ? KV_ELIMIT : KV_OK;
}

static void
put_value(struct pw *w, enum kv_err frc, const char *num)
{
	if (w->rc == KV_OK)
		w->rc = frc;
	if (w->rc == KV_OK)
		w->rc = kv_buf_printf(w->b, " %s\n", num);
}

/* One sample with a value. */
static void
sample(struct pw *w, size_t vault, const char *k, const char *v, const char *k2, const char *v2, double value)
{
	char num[64];

	labels(w, vault, k, v, k2, v2);
	put_value(w, report_prom_format_value(value, num, sizeof(num)), num);
}

/* One sample of a time or duration kept in milliseconds, in seconds. */
static void
sample_ms2(struct pw *w, size_t vault, const char *k, const char *v, const char *k2, const char *v2, int64_t ms)
{
	char num[64];

	labels(w, vault, k, v, k2, v2);
	put_value(w, report_prom_format_ms(ms, num, sizeof(num)), num);
}

static void
sample_ms(struct pw *w, size_t vault, const char *k, const char *v, int64_t ms)
{
	sample_ms2(w, vault, k, v, NULL, NULL, ms);
}

static bool
has_code(const struct kv_result *x, enum kv_finding_code c)
{
	for (size_t i = 0; i < x->n_findings; i++)
		if (x->findings[i].code == c)
			return true;
	return false;
}

static uint32_t
addr_hash(const struct kv_dns_lookup *lk)
{
	uint32_t h = 2166136261u;
	char buf[KV_ADDR_STRLEN];

	for (size_t i = 0; i < lk->n_addrs; i++) {
		kv_addr_format(&lk->addrs[i], buf, sizeof(buf));
		for (const char *p = buf; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 16777619u;
		}
		h ^= ',';
		h *= 16777619u;
	}
	return h;
}

static bool
all_expected(const struct kv_target *t, const struct kv_dns_lookup *a)
{
	for (size_t i = 0; i < a->n_addrs; i++)
		if (!kv_addr_in_list(&a->addrs[i], t->expected, t->n_expected))
			return false;
	return true;
}

/* The samples of one per-vantage family: for each vault, one per server
 * asked directly (kv_result.vantages), labelled with the server's name and
 * role.  The servers are few and fixed per deployment (the model's), so the
 * cost is vaults × servers, under --metrics-detail full only. */
static void
vantage_family(struct pw *w, enum prom_id id)
{
	const struct kv_report *r = w->r;

	for (size_t i = 0; r != NULL && i < r->n_results; i++) {
		const struct kv_result *x = &r->results[i];
		/* A stale result's indexes are into the report it was made in. */
		const struct kv_report *vr = x->origin != NULL ? x->origin : r;
		for (size_t k = 0; k < x->n_vantages; k++) {
			const struct kv_vantage_obs *o = &x->vantages[k];
			const struct kv_dns_lookup *a = &o->a;
			const struct kv_vantage *v;
			bool resolved = a->rcode == KV_RC_NOERROR;
			if (o->vantage >= vr->n_vantages || a->rcode == KV_RC_NONE)
				continue;
			v = &vr->vantages[o->vantage];
			switch (id) {
			case PROM_kvpe_dns_vantage_address_match:
				if (resolved && x->t->expected_known && x->t->n_expected > 0)
					sample(w, i, "server", v->name, "role", kv_vantage_role_name(v->role),
					    all_expected(x->t, a));
				break;
			case PROM_kvpe_dns_vantage_answer_rrs:
				sample(w, i, "server", v->name, "role", kv_vantage_role_name(v->role), (double)a->n_addrs);
				break;
			case PROM_kvpe_dns_vantage_ip_addr_hash:
				if (resolved && a->n_addrs > 0)
					sample(w, i, "server", v->name, "role", kv_vantage_role_name(v->role), addr_hash(a));
				break;
			case PROM_kvpe_dns_vantage_lookup_seconds:
				sample_ms2(w, i, "server", v->name, "role", kv_vantage_role_name(v->role), a->ms);
				break;
			case PROM_kvpe_dns_vantage_resolved:
				sample(w, i, "server", v->name, "role", kv_vantage_role_name(v->role),
				    resolved && a->n_addrs > 0);
				break;
			default:
				return;
			}
		}
	}
}

/* The samples of one per-vault family. */
static void
vault_family(struct pw *w, enum prom_id id)
{
	const struct kv_report *r = w->r;

	for (size_t i = 0; r != NULL && i < r->n_results; i++) {
		const struct kv_result *x = &r->results[i];
		const struct kv_dns_lookup *a = &x->dns.a;
		const struct kv_probe_obs *p = &x->probe;
		bool resolved = a->rcode == KV_RC_NOERROR;
		switch (id) {
		case PROM_kvpe_vault_up:
			sample(w, i, NULL, NULL, NULL, NULL, x->status == KV_ST_PASS);
			break;
		case PROM_kvpe_vault_status:
			for (int s = KV_ST_PASS; s <= KV_ST_ERROR; s++)
				sample(w, i, "status", kv_status_name((enum kv_status)s), NULL, NULL, x->status == (enum kv_status)s);
			break;
		case PROM_kvpe_vault_findings:
			for (size_t k = 0; k < x->n_findings; k++)
				sample(w, i, "code", finding_name(x->findings[k].code), NULL, NULL, 1);
			break;
		case PROM_kvpe_vault_stale:
			/* only while stale: a healthy vault keeps its 4 series */
			if (x->origin != NULL)
				sample(w, i, NULL, NULL, NULL, NULL, 1);
			break;
		case PROM_kvpe_dns_lookup_seconds:
			if (a->rcode != KV_RC_NONE)
				sample_ms(w, i, NULL, NULL, a->ms);
			break;
		case PROM_kvpe_dns_answer_private:
			if (resolved)
				sample(w, i, NULL, NULL, NULL, NULL,
				    !has_code(x, KV_F_DNS_PUBLIC_ADDRESS) && !has_code(x, KV_F_DNS_PUBLIC_IPV6));
			break;
		case PROM_kvpe_dns_address_match:
			if (resolved && x->t->expected_known && x->t->n_expected > 0)
				sample(w, i, NULL, NULL, NULL, NULL, all_expected(x->t, a));
			break;
		case PROM_kvpe_dns_privatelink_cname:
			if (a->rcode != KV_RC_NONE && a->n_chain > 0)
				sample(w, i, NULL, NULL, NULL, NULL, verdict_chain_has(a, x->t->pl_fqdn));
			break;
		case PROM_kvpe_dns_answer_rrs:
			if (a->rcode != KV_RC_NONE)
				sample(w, i, NULL, NULL, NULL, NULL, (double)a->n_addrs);
			break;
		case PROM_kvpe_dns_ttl_seconds:
			if (resolved)
				sample(w, i, NULL, NULL, NULL, NULL, a->ttl);
			break;
		case PROM_kvpe_ip_addr_hash:
			if (resolved && a->n_addrs > 0)
				sample(w, i, NULL, NULL, NULL, NULL, addr_hash(a));
			break;
		case PROM_kvpe_probe_duration_seconds:
			if (p->result != KV_PR_NOT_RUN) {
				if (p->tcp_ms >= 0)
					sample_ms(w, i, "phase", "connect", p->tcp_ms);
				if (p->tls_ms >= 0)
					sample_ms(w, i, "phase", "tls", p->tls_ms);
				if (p->http_ms >= 0)
					sample_ms(w, i, "phase", "http", p->http_ms);
			}
			break;
		case PROM_kvpe_probe_http_status_code:
			if (p->http_status > 0)
				sample(w, i, NULL, NULL, NULL, NULL, p->http_status);
			break;
		case PROM_kvpe_tls_cert_not_after_timestamp_seconds:
			if (p->cert_not_after > 0)
				sample(w, i, NULL, NULL, NULL, NULL, (double)p->cert_not_after);
			break;
		case PROM_kvpe_private_endpoint_approved:
			if (x->t->arm_known)
				sample(w, i, NULL, NULL, NULL, NULL, kv_target_approved(x->t));
			break;
		case PROM_kvpe_public_network_access_enabled:
			if (x->t->arm_known)
				sample(w, i, NULL, NULL, NULL, NULL, x->t->public_access != KV_TRI_NO);
			break;
		default:
			return;
		}
	}
}

static const uint32_t lookup_bounds_ms[REPORT_PROM_LOOKUP_BUCKETS] = REPORT_PROM_LOOKUP_BOUNDS_MS;

/* kvpe_dns_lookup_duration_seconds: _bucket per bound and +Inf, _sum, _count. */
static void
lookup_histogram(struct pw *w, const struct report_prom_state *st)
{
	char le[32], num[64];

	for (size_t i = 0; i < REPORT_PROM_LOOKUP_BUCKETS && w->rc == KV_OK; i++) {
		if ((w->rc = report_prom_format_ms(lookup_bounds_ms[i], le, sizeof(le))) == KV_OK)
			w->rc = kv_buf_printf(w->b, "%s_bucket{le=\"%s\"} %llu\n", w->name, le,
			    (unsigned long long)st->lookup_le[i]);
	}
	if (w->rc == KV_OK)
		w->rc = kv_buf_printf(w->b, "%s_bucket{le=\"+Inf\"} %llu\n", w->name, (unsigned long long)st->lookup_count);
	if (w->rc == KV_OK && (w->rc = report_prom_format_ms((int64_t)st->lookup_sum_ms, num, sizeof(num))) == KV_OK)
		w->rc = kv_buf_printf(w->b, "%s_sum %s\n%s_count %llu\n", w->name, num, w->name,
		    (unsigned long long)st->lookup_count);
}

void
report_prom_observe(struct report_prom_state *st, const struct kv_report *r)
{
	for (size_t i = 0; r != NULL && i < r->n_results; i++) {
		const struct kv_dns_lookup *a = &r->results[i].dns.a;
		if (r->results[i].origin != NULL || a->rcode == KV_RC_NONE)
			continue;
		for (size_t k = 0; k < REPORT_PROM_LOOKUP_BUCKETS; k++)
			if (a->ms <= lookup_bounds_ms[k])
				st->lookup_le[k]++;
		st->lookup_count++;
		st->lookup_sum_ms += a->ms;
	}
}

enum kv_err
report_prom(const struct kv_report *r, const struct report_prom_state *st, struct kv_buf *out)
{
	struct pw w = {out, r, KV_OK, NULL};
	size_t counts[KV_F_COUNT] = {0};

	for (size_t i = 0; r != NULL && i < r->n_results; i++)
		for (size_t k = 0; k < r->results[i].n_findings; k++)
			counts[r->results[i].findings[k].code]++;
	for (int id = 0; id < PROM_COUNT && w.rc == KV_OK; id++) {
		/* basic: a family that would be empty is left out whole */
		if (!st->full && prom_table[id].detail >= PROM_FULL)
			continue;
		w.name = prom_table[id].name;
		w.rc = kv_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", w.name, prom_table[id].help, w.name,
		    prom_table[id].type);
		switch ((enum prom_id)id) {
		case PROM_kvpe_arm_request_failures_total:
			sample(&w, SIZE_MAX, NULL, NULL, NULL, NULL, (double)st->arm_failures_total);
			break;
		case PROM_kvpe_arm_requests_total:
			sample(&w, SIZE_MAX, NULL, NULL, NULL, NULL, (double)st->arm_requests_total);
			break;
		case PROM_kvpe_arm_throttled_total:
			sample(&w, SIZE_MAX, NULL, NULL, NULL, NULL, (double)st->arm_throttled_total);
			break;
		case PROM_kvpe_build_info:
			sample(&w, SIZE_MAX, "version", KV_VERSION, "revision", KV_REVISION, 1);
			break;
		case PROM_kvpe_config_last_reload_success_timestamp_seconds:
			sample_ms(&w, SIZE_MAX, NULL, NULL, st->reload_ms);
			break;
		case PROM_kvpe_config_last_reload_successful:
			sample(&w, SIZE_MAX, NULL, NULL, NULL, NULL, st->reload_ok);
			break;
		case PROM_kvpe_dns_lookup_duration_seconds:
			lookup_histogram(&w, st);
			break;
		case PROM_kvpe_findings:
			for (unsigned c = 0; c < KV_F_COUNT; c++)
				sample(&w, SIZE_MAX, "code", finding_name((enum kv_finding_code)c), "severity",
				    finding_severity_name(finding_severity((enum kv_finding_code)c)), (double)counts[c]);
			break;
		case PROM_kvpe_last_run_success:
			sample(&w, SIZE_MAX, NULL, NULL, NULL, NULL, st->last_run_success);
			break;
		case PROM_kvpe_last_run_timestamp_seconds:
			sample_ms(&w, SIZE_MAX, NULL, NULL, st->last_run_ms);
			break;
		case PROM_kvpe_last_success_timestamp_seconds:
			sample_ms(&w, SIZE_MAX, NULL, NULL, st->last_success_ms);
			break;
		case PROM_kvpe_run_duration_seconds:
			sample(&w, SIZE_MAX, NULL, NULL, NULL, NULL, st->run_duration_s);
			break;
		case PROM_kvpe_run_failures_total:
			sample(&w, SIZE_MAX, NULL, NULL, NULL, NULL, (double)st->run_failures_total);
			break;
		case PROM_kvpe_runs_total:
			sample(&w, SIZE_MAX, NULL, NULL, NULL, NULL, (double)st->runs_total);
			break;
		case PROM_kvpe_source_up:
			for (size_t i = 0; r != NULL && i < r->n_sources; i++)
				sample(&w, SIZE_MAX, "source", r->sources[i].name, NULL, NULL, r->sources[i].up);
			break;
		case PROM_kvpe_vaults:
			sample(&w, SIZE_MAX, NULL, NULL, NULL, NULL, r ? (double)r->n_results : 0);
			break;
		default:
			if (prom_table[id].detail == PROM_VANTAGE)
				vantage_family(&w, (enum prom_id)id);
			else
				vault_family(&w, (enum prom_id)id);
			break;
		}
	}
	return w.rc;
}

void
report_prom_state_from_report(const struct kv_report *r, struct report_prom_state *st)
{
	memset(st, 0, sizeof(*st));
	st->runs_total = 1;
	report_prom_observe(st, r);
	st->arm_requests_total = r->arm_requests;
	st->arm_failures_total = r->arm_failures;
	st->arm_throttled_total = r->arm_throttled;
	st->last_run_ms = r->started_ms + r->duration_ms;
	st->last_success_ms = st->last_run_ms;
	st->last_run_success = !report_partial(r); /* a partial run is not a success */
	st->run_duration_s = (double)r->duration_ms / 1000.0;
	st->reload_ok = true;
	st->reload_ms = r->started_ms;
}

/* ---- counters carried across one-shot runs ---- */

#define PROM_PREV_MAX (256u * 1024 * 1024) /* a textfile larger is not ours */
#define PROM_COUNTER_MAX 9007199254740992ull /* 2^53: exact in every scraper */

/* "123" (a counter) or "1796401770.123" (seconds, ms exact) → its value in
 * units (ms when `ms`); false for anything else kvpe would not have written. */
static bool
parse_number(const char *s, bool ms, uint64_t *out)
{
	uint64_t v = 0, frac = 0;
	int digits = 0, fdigits = 0;

	for (; *s >= '0' && *s <= '9' && digits < 17; s++, digits++)
		v = v * 10 + (uint64_t)(*s - '0');
	if (digits == 0)
		return false;
	if (ms && *s == '.') {
		for (s++; *s >= '0' && *s <= '9' && fdigits < 3; s++, fdigits++)
			frac = frac * 10 + (uint64_t)(*s - '0');
		if (fdigits == 0)
			return false;
		while (fdigits++ < 3)
			frac *= 10;
	}
	if (*s != '\0' || v > PROM_COUNTER_MAX)
		return false;
	*out = ms ? v * 1000 + frac : v;
	return true;
}

/* One line of kvpe_dns_lookup_duration_seconds (after its name's "_"):
 * each bucket, _sum and _count once, in kvpe's own bounds. */
static enum kv_err
read_lookup_line(const char *rest, struct report_prom_state *st, unsigned *seen, char *err, size_t size)
{
	char want[64], le[32];
	uint64_t v;
	int bit = -1;

	if (strncmp(rest, "sum ", 4) == 0 && parse_number(rest + 4, true, &v)) {
		bit = REPORT_PROM_LOOKUP_BUCKETS + 1;
		st->lookup_sum_ms = v;
	} else if (strncmp(rest, "count ", 6) == 0 && parse_number(rest + 6, false, &v)) {
		bit = REPORT_PROM_LOOKUP_BUCKETS + 2;
		st->lookup_count = v; /* = the +Inf bucket (checked below) */
	} else if (strncmp(rest, "bucket{le=\"+Inf\"} ", 18) == 0 && parse_number(rest + 18, false, &v)) {
		bit = REPORT_PROM_LOOKUP_BUCKETS;
		st->lookup_count = v;
	} else {
		for (size_t i = 0; i < REPORT_PROM_LOOKUP_BUCKETS && bit < 0; i++) {
			size_t n;
			if (report_prom_format_ms(lookup_bounds_ms[i], le, sizeof(le)) != KV_OK)
				break;
			n = (size_t)snprintf(want, sizeof(want), "bucket{le=\"%s\"} ", le);
			if (strncmp(rest, want, n) == 0 && parse_number(rest + n, false, &v)) {
				bit = (int)i;
				st->lookup_le[i] = v;
			}
		}
	}
	if (bit < 0 || (*seen & (1u << bit)) != 0) {
		snprintf(err, size, "kvpe_dns_lookup_duration_seconds: a line kvpe does not write, or twice");
		return KV_EPARSE;
	}
	*seen |= 1u << bit;
	return KV_OK;
}

enum kv_err
report_prom_state_read(const char *path, struct report_prom_state *out, char *err, size_t size)
{
	struct report_prom_state st;
	struct {
		const char *name;
		unsigned long *counter; /* NULL: the last success timestamp */
		bool typed, seen;
	} want[] = {
		{"kvpe_arm_request_failures_total", &st.arm_failures_total, false, false},
		{"kvpe_arm_requests_total", &st.arm_requests_total, false, false},
		{"kvpe_arm_throttled_total", &st.arm_throttled_total, false, false},
		{"kvpe_last_success_timestamp_seconds", NULL, false, false},
		{"kvpe_run_failures_total", &st.run_failures_total, false, false},
		{"kvpe_runs_total", &st.runs_total, false, false},
	};
	char line[512];
	unsigned hist_seen = 0; /* bit per bucket, then +Inf, _sum, _count */
	bool build = false, partial = false, nl = true;
	enum kv_err rc = KV_OK;
	struct stat sb;
	FILE *fp = NULL;
	int fd;

	memset(&st, 0, sizeof(st));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		snprintf(err, size, "%s", strerror(errno));
		return errno == ENOENT ? KV_ENOTFOUND : KV_EIO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > PROM_PREV_MAX) {
		snprintf(err, size, "not a regular file of at most 256 MB");
		close(fd);
		return KV_EPARSE;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return KV_ENOMEM;
	}
	while (rc == KV_OK && fgets(line, sizeof(line), fp) != NULL) {
		size_t len = strlen(line);
		bool whole = !partial;

		nl = len > 0 && line[len - 1] == '\n';
		partial = !nl; /* the rest of a long line: never one of ours */
		if (!whole || !nl)
			continue;
		line[len - 1] = '\0';
		if (strncmp(line, "kvpe_build_info{", 16) == 0)
			build = true;
		if (rc == KV_OK && strncmp(line, "kvpe_dns_lookup_duration_seconds_", 33) == 0)
			rc = read_lookup_line(line + 33, &st, &hist_seen, err, size);
		for (size_t i = 0; i < KV_ARRAY_LEN(want); i++) {
			size_t n = strlen(want[i].name);
			uint64_t v;
			if (strncmp(line, "# TYPE ", 7) == 0 && strncmp(line + 7, want[i].name, n) == 0 &&
			    line[7 + n] == ' ')
				want[i].typed = true;
			if (strncmp(line, want[i].name, n) != 0 || line[n] != ' ')
				continue;
			if (want[i].seen || !want[i].typed || !parse_number(line + n + 1, want[i].counter == NULL, &v)) {
				snprintf(err, size, "%s: a second sample, no TYPE before it, or not a number kvpe writes",
				    want[i].name);
				rc = KV_EPARSE;
				break;
			}
			want[i].seen = true;
			if (want[i].counter != NULL)
				*want[i].counter = (unsigned long)v;
			else
				st.last_success_ms = (int64_t)v;
		}
	}
	if (rc == KV_OK && ferror(fp)) {
		snprintf(err, size, "%s", strerror(errno));
		rc = KV_EIO;
	}
	if (rc == KV_OK && (!nl || !build)) {
		snprintf(err, size, "%s", !nl ? "the file does not end with a newline" : "no kvpe_build_info");
		rc = KV_EPARSE;
	}
	for (size_t i = 0; rc == KV_OK && i < KV_ARRAY_LEN(want); i++) {
		if (!want[i].seen) {
			snprintf(err, size, "no %s", want[i].name);
			rc = KV_EPARSE;
		}
	}
	if (rc == KV_OK && hist_seen != 0 && hist_seen != (1u << (REPORT_PROM_LOOKUP_BUCKETS + 3)) - 1) {
		snprintf(err, size, "kvpe_dns_lookup_duration_seconds: not every bucket, _sum and _count");
		rc = KV_EPARSE;
	}
	/* A success time in the future is no kvpe's either (a day of clock skew
	 * allowed). */
	if (rc == KV_OK && st.last_success_ms > kv_wall_ms() + 86400000) {
		snprintf(err, size, "kvpe_last_success_timestamp_seconds is in the future");
		rc = KV_EPARSE;
	}
	fclose(fp);
	if (rc == KV_OK)
		*out = st;
	return rc;
}

void
report_prom_state_carry(struct report_prom_state *st, const struct report_prom_state *prev)
{
	st->runs_total += prev->runs_total;
	st->run_failures_total += prev->run_failures_total;
	st->arm_requests_total += prev->arm_requests_total;
	st->arm_failures_total += prev->arm_failures_total;
	st->arm_throttled_total += prev->arm_throttled_total;
	for (size_t i = 0; i < REPORT_PROM_LOOKUP_BUCKETS; i++)
		st->lookup_le[i] += prev->lookup_le[i];
	st->lookup_count += prev->lookup_count;
	st->lookup_sum_ms += prev->lookup_sum_ms;
	/* A run that did not complete keeps the previous success time. */
	if (!st->last_run_success)
		st->last_success_ms = prev->last_success_ms;
}
