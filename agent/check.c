/* check.c — the pipeline of one cycle.  Stages hand plain structs to the next
 * (types.h); this file only sequences them and records run errors. */
#include "kvpe/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvpe/arena.h"
#include "kvpe/arm.h"
#include "kvpe/cred.h"
#include "kvpe/dns.h"
#include "kvpe/http.h"
#include "kvpe/imds.h"
#include "kvpe/expect.h"
#include "kvpe/inv.h"
#include "kvpe/log.h"
#include "kvpe/net.h"
#include "kvpe/path.h"
#include "kvpe/report.h"
#include "kvpe/tls.h"
#include "kvpe/verdict.h"


struct check_ctx {
	const volatile int *cancel;
	struct tls_cas *cas;      /* --ca-file, for ARM, token endpoints and probes */
	struct kv_cidr *probe_allow; /* KVPE_PROBE_ALLOW (tests) */
	size_t n_probe_allow;
	struct http_client *http; /* ARM and token endpoints */
	struct cred *cred;        /* created at the first live ARM run, then kept (token cache) */
	struct dns_resolver *dns;
	const char **resolvers; /* "ip:port", owned here */
	size_t n_resolvers;
	char *stdin_text; /* --inventory -: standard input, read once, kept for later cycles */
	size_t stdin_len;
	/* The VM IMDS named, once it has answered (in imds_arena): the VM a
	 * process runs on does not change, so later cycles do not ask again. */
	struct kv_arena *imds_arena;
	struct imds_instance imds;
};

/* KVPE_PROBE_ALLOW=CIDR[,CIDR...]: the test suite's guard that no probe
 * ever leaves the addresses it owns (loopback, its namespaces). */
static enum kv_err
probe_allow(struct check_ctx *ctx, char *err, size_t size)
{
	const char *env = getenv("KVPE_PROBE_ALLOW");
	char *copy, *tok, *save = NULL;
	size_t n = 1;

	if (env == NULL || env[0] == '\0')
		return KV_OK;
	for (const char *p = env; *p; p++)
		n += *p == ',';
	ctx->probe_allow = calloc(n, sizeof(*ctx->probe_allow));
	copy = strdup(env);
	if (ctx->probe_allow == NULL || copy == NULL) {
		free(copy);
		return KV_ENOMEM;
	}
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (kv_cidr_parse(tok, &ctx->probe_allow[ctx->n_probe_allow]) != KV_OK) {
			snprintf(err, size, "KVPE_PROBE_ALLOW: '%s' is not a CIDR", tok);
			free(copy);
			return KV_EUSAGE;
		}
		ctx->n_probe_allow++;
	}
	free(copy);
	return KV_OK;
}

enum kv_err
check_dns_new(const struct check_cfg *cfg, struct dns_resolver **out, char *err, size_t size)
{
	struct dns_cfg dc;
	enum kv_err rc;

	memset(&dc, 0, sizeof(dc));
	dc.servers = cfg->dns_servers;
	dc.n_servers = cfg->n_dns_servers;
	dc.qps = cfg->dns_qps;
	dc.max_inflight = cfg->concurrency;
	dc.timeout_ms = cfg->timeout_ms;
	if ((rc = dns_new(&dc, out)) == KV_ELIMIT)
		snprintf(err, size, "%s: more than %d DNS servers; kvpe asks at most %d",
		    dc.n_servers ? "--dns-server" : "/etc/resolv.conf", KV_DNS_SERVERS_MAX, KV_DNS_SERVERS_MAX);
	else if (rc != KV_OK)
		snprintf(err, size, "DNS resolver unusable (%s): check /etc/resolv.conf or give --dns-server",
		    kv_strerror(rc));
	return rc;
}

enum kv_err
check_ctx_new(const struct check_cfg *cfg, struct check_ctx **out, char *err, size_t size)
{
	struct check_ctx *ctx = calloc(1, sizeof(*ctx));
	enum kv_err rc;

	if (ctx == NULL)
		return KV_ENOMEM;
	/* One trust store for the process: the system's, plus --ca-file. */
	if ((rc = tls_cas_load(cfg->ca_file, &ctx->cas)) != KV_OK) {
		snprintf(err, size, "--ca-file %s: %s", cfg->ca_file ? cfg->ca_file : "",
		    rc == KV_EIO ? "cannot read it" : rc == KV_EPARSE ? "no PEM certificate in it" : kv_strerror(rc));
		rc = KV_EUSAGE;
		goto out;
	}
	if ((rc = probe_allow(ctx, err, size)) != KV_OK)
		goto out;
	{
		struct http_cfg hc;
		memset(&hc, 0, sizeof(hc));
		hc.cas = ctx->cas;
		hc.max_conns = 6;
		hc.timeout_ms = (long)cfg->arm_timeout_ms;
		if ((rc = http_client_new(&hc, &ctx->http)) != KV_OK)
			goto out;
	}
	if ((rc = check_dns_new(cfg, &ctx->dns, err, size)) != KV_OK)
		goto out;
	ctx->n_resolvers = dns_server_count(ctx->dns);
	ctx->resolvers = calloc(ctx->n_resolvers, sizeof(*ctx->resolvers));
	if (ctx->resolvers == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ctx->n_resolvers; i++) {
		char buf[64];
		dns_server_name(ctx->dns, i, buf, sizeof(buf));
		/* Through a local: GCC 12's analyzer loses track of a pointer
		 * stored straight into a calloc'd array and reports a leak. */
		char *s = strdup(buf);
		if ((ctx->resolvers[i] = s) == NULL) {
			rc = KV_ENOMEM;
			goto out;
		}
	}
out:
	if (rc != KV_OK) {
		check_ctx_free(ctx);
		return rc;
	}
	*out = ctx;
	return KV_OK;
}

void
check_ctx_set_cancel(struct check_ctx *ctx, const volatile int *cancel)
{
	ctx->cancel = cancel;
	dns_set_cancel(ctx->dns, cancel);
	http_set_cancel(ctx->http, cancel);
}

bool
check_dns_down(const struct kv_report *r)
{
	size_t asked = 0;

	for (size_t i = 0; i < r->n_results; i++) {
		enum kv_rcode rc = r->results[i].dns.a.rcode;
		if (rc == KV_RC_NONE)
			continue;
		asked++;
		if (rc != KV_RC_TIMEOUT && rc != KV_RC_ERROR)
			return false;
	}
	return asked > 0;
}

void
check_ctx_free(struct check_ctx *ctx)
{
	if (ctx == NULL)
		return;
	for (size_t i = 0; ctx->resolvers != NULL && i < ctx->n_resolvers; i++)
		free((void *)(uintptr_t)ctx->resolvers[i]);
	free(ctx->resolvers);
	free(ctx->stdin_text);
	kv_arena_free(ctx->imds_arena);
	dns_free(ctx->dns);
	cred_free(ctx->cred);
	http_client_free(ctx->http);
	tls_cas_free(ctx->cas);
	free(ctx->probe_allow);
	free(ctx);
}

/* ---- DNS stage ---- */

static void
on_soa(struct dns_batch *b, void *arg, struct kv_dns_lookup *soa)
{
	struct kv_dns_lookup *a = arg;

	KV_UNUSED(b);
	if (soa->rcode == KV_RC_NOERROR)
		a->neg_ttl = soa->ttl;
}

enum kv_err
check_privatelink(struct dns_batch *b, struct kv_result *x, const struct kv_dns_lookup *a)
{
	if (a->rcode == KV_RC_TIMEOUT)
		return KV_OK; /* the private link name would only time out as well */
	if (dns_lookup_from(a, x->t->pl_fqdn, &x->dns.pl)) {
		x->dns.pl_from_chain = true;
		return KV_OK;
	}
	return dns_batch_add(b, x->t->pl_fqdn, DNS_QA, &x->dns.pl, NULL, NULL);
}

static void
on_vault_a(struct dns_batch *b, void *arg, struct kv_dns_lookup *a)
{
	struct kv_result *x = arg;

	if (check_privatelink(b, x, a) != KV_OK)
		kv_log_warn("cannot queue the private link lookup", "vault=%s", x->t->name);
}

/* The vantage points (kv_report.vantages): each server asked alone, with
 * its own resolver (one server, no failover: a server's failure is its own
 * answer) and its own pacing, all in one poll() loop beside the main
 * lookups.  A vantage that is the main resolver's only server shares its
 * lookups: asking it again would return the same, at twice the load. */
struct vantage_run {
	struct dns_resolver **res; /* NULL where shared with the main lookups or unusable */
	struct dns_batch **batch;  /* [0]: the main batch, then one per own resolver */
	size_t n_batch;
	struct dns_batch **of;     /* each vantage's batch, NULL where res is */
	const char **unusable;     /* why a vantage's resolver could not be made */
};

static bool
vantage_shared(const struct check_ctx *ctx, const struct kv_vantage *v)
{
	struct kv_hostport hp;

	if (dns_server_count(ctx->dns) != 1)
		return false;
	dns_server_at(ctx->dns, 0, &hp);
	return hp.port == v->server.port && kv_addr_eq(&hp.addr, &v->server.addr);
}

static void
vantage_run_free(struct vantage_run *vr, size_t n)
{
	for (size_t i = 1; vr->batch != NULL && i < vr->n_batch; i++)
		dns_batch_free(vr->batch[i]);
	for (size_t i = 0; vr->res != NULL && i < n; i++)
		dns_free(vr->res[i]);
	free(vr->res);
	free(vr->batch);
	free(vr->of);
	free(vr->unusable);
}

/* Resolvers and batches for the vantages; batch[0] is the main one. */
static enum kv_err
vantage_run_new(struct check_ctx *ctx, const struct check_cfg *cfg, struct kv_report *rep, struct dns_batch *main_b,
    struct vantage_run *vr)
{
	size_t n = rep->n_vantages;
	enum kv_err rc;

	memset(vr, 0, sizeof(*vr));
	vr->res = calloc(n ? n : 1, sizeof(*vr->res));
	vr->batch = calloc(n + 1, sizeof(*vr->batch));
	vr->unusable = calloc(n ? n : 1, sizeof(*vr->unusable));
	vr->of = calloc(n ? n : 1, sizeof(*vr->of));
	if (vr->res == NULL || vr->batch == NULL || vr->unusable == NULL || vr->of == NULL)
		return KV_ENOMEM;
	vr->batch[vr->n_batch++] = main_b;
	for (size_t k = 0; k < n; k++) {
		const struct kv_vantage *v = &rep->vantages[k];
		struct dns_cfg dc;
		if (vantage_shared(ctx, v))
			continue;
		memset(&dc, 0, sizeof(dc));
		dc.servers = &v->server;
		dc.n_servers = 1;
		/* 0: the run's own budget (--dns-qps, --concurrency) */
		dc.qps = v->qps ? v->qps : cfg->dns_qps;
		dc.max_inflight = v->max_inflight ? v->max_inflight : cfg->concurrency;
		dc.timeout_ms = cfg->timeout_ms;
		dc.cancel = ctx->cancel;
		if ((rc = dns_new(&dc, &vr->res[k])) != KV_OK) {
			if (rc == KV_ENOMEM)
				return rc;
			/* that vantage's answer is the error, not the run's */
			vr->res[k] = NULL;
			vr->unusable[k] = kv_arena_printf(rep->arena, "resolver for %s unusable: %s", v->name, kv_strerror(rc));
			if (vr->unusable[k] == NULL)
				return KV_ENOMEM;
			continue;
		}
		if ((rc = dns_batch_new(vr->res[k], rep->arena, &vr->batch[vr->n_batch])) != KV_OK)
			return rc;
		vr->of[k] = vr->batch[vr->n_batch++];
	}
	return KV_OK;
}

/* Every vantage's questions for one vault: A with its chain from each,
 * AAAA from the clients' resolvers. */
static enum kv_err
vantage_add(struct vantage_run *vr, struct kv_report *rep, struct kv_result *x)
{
	enum kv_err rc = KV_OK;

	x->vantages = kv_arena_calloc(rep->arena, rep->n_vantages, sizeof(*x->vantages));
	if (x->vantages == NULL)
		return KV_ENOMEM;
	x->n_vantages = rep->n_vantages;
	for (size_t k = 0; k < rep->n_vantages && rc == KV_OK; k++) {
		struct kv_vantage_obs *o = &x->vantages[k];
		o->vantage = k;
		o->a.server = o->aaaa.server = -1;
		o->a.wire_rcode = o->aaaa.wire_rcode = -1;
		if (vr->res[k] == NULL) {
			if (vr->unusable[k] != NULL) {
				o->a.rcode = KV_RC_ERROR;
				o->a.qname = x->t->fqdn;
				o->a.error = vr->unusable[k];
				if (rep->vantages[k].client)
					o->aaaa = o->a;
			}
			continue; /* shared: filled from the main lookups after the run */
		}
		rc = dns_batch_add(vr->of[k], x->t->fqdn, DNS_QA, &o->a, NULL, NULL);
		if (rc == KV_OK && rep->vantages[k].client)
			rc = dns_batch_add(vr->of[k], x->t->fqdn, DNS_QAAAA, &o->aaaa, NULL, NULL);
	}
	return rc;
}

/* A vantage that shares the main resolver: its answers are the main ones
 * (lookup.server of a vantage's answer is 0, its only server). */
static void
vantage_fill_shared(const struct vantage_run *vr, const struct kv_report *rep, struct kv_result *x)
{
	for (size_t k = 0; k < x->n_vantages; k++) {
		struct kv_vantage_obs *o = &x->vantages[k];
		if (vr->res[k] != NULL || vr->unusable[k] != NULL)
			continue;
		o->a = x->dns.a;
		if (o->a.server >= 0)
			o->a.server = 0;
		if (rep->vantages[k].client) {
			o->aaaa = x->dns.aaaa;
			if (o->aaaa.server >= 0)
				o->aaaa.server = 0;
		}
	}
}

static enum kv_err
stage_dns(struct check_ctx *ctx, const struct check_cfg *cfg, struct kv_report *rep, struct kv_result **todo,
    size_t n)
{
	struct dns_batch *b = NULL;
	struct vantage_run vr;
	struct dns_stats st;
	unsigned long vq = 0;
	int64_t t0 = kv_now_ms();
	enum kv_err rc;

	memset(&vr, 0, sizeof(vr));
	if ((rc = dns_batch_new(ctx->dns, rep->arena, &b)) != KV_OK)
		return rc;
	if (rep->n_vantages > 0)
		rc = vantage_run_new(ctx, cfg, rep, b, &vr);
	for (size_t i = 0; i < n && rc == KV_OK; i++) {
		struct kv_result *x = todo[i];
		memset(&x->dns, 0, sizeof(x->dns));
		x->vantages = NULL;
		x->n_vantages = 0;
		rc = dns_batch_add(b, x->t->fqdn, DNS_QA, &x->dns.a, on_vault_a, x);
		if (rc == KV_OK)
			rc = dns_batch_add(b, x->t->fqdn, DNS_QAAAA, &x->dns.aaaa, NULL, NULL);
		if (rc == KV_OK && rep->n_vantages > 0)
			rc = vantage_add(&vr, rep, x);
	}
	if (rc == KV_OK)
		rc = vr.n_batch > 1 ? dns_batch_run_all(vr.batch, vr.n_batch) : dns_batch_run(b);
	for (size_t i = 0; i < n && rc == KV_OK && rep->n_vantages > 0; i++)
		vantage_fill_shared(&vr, rep, todo[i]);
	for (size_t i = 1; i < vr.n_batch; i++) {
		char name[64];
		dns_batch_stats(vr.batch[i], &st);
		vq += st.queries;
		dns_server_name(dns_batch_resolver(vr.batch[i]), 0, name, sizeof(name));
		kv_log_debug("dns vantage done", "server=%s queries=%lu retries=%lu timeouts=%lu late_answers=%lu peak_inflight=%u",
		    name, st.queries, st.retries, st.timeouts, st.late, st.peak_inflight);
	}
	dns_batch_stats(b, &st);
	rep->dns_queries += st.queries + vq;
	kv_log_debug("dns stage done", "names=%zu queries=%lu retries=%lu timeouts=%lu late_answers=%lu peak_inflight=%u "
	    "vantages=%zu vantage_queries=%lu ms=%lld", n, st.queries, st.retries, st.timeouts, st.late, st.peak_inflight,
	    rep->n_vantages, vq, (long long)(kv_now_ms() - t0));
	vantage_run_free(&vr, rep->n_vantages);
	dns_batch_free(b);
	return rc;
}

/* ---- connection probes ---- */

/* The address to probe: the first IPv4 answer (sorted), else the first IPv6. */
static bool
probe_address(const struct kv_result *x, struct kv_addr *out)
{
	if (x->dns.a.rcode == KV_RC_NOERROR && x->dns.a.n_addrs > 0) {
		*out = x->dns.a.addrs[0];
		return true;
	}
	if (x->dns.aaaa.rcode == KV_RC_NOERROR && x->dns.aaaa.n_addrs > 0) {
		*out = x->dns.aaaa.addrs[0];
		return true;
	}
	return false;
}

/* Adds `addr` to the vault's endpoint probes unless it is there already. */
static enum kv_err
endpoint_probe_add(struct kv_arena *a, struct kv_result *x, size_t *cap, const char *pe_id, const struct kv_addr *addr)
{
	struct kv_endpoint_probe *e;

	for (size_t i = 0; i < x->n_endpoint_probes; i++)
		if (kv_addr_eq(&x->endpoint_probes[i].probe.address, addr))
			return KV_OK;
	if (x->n_endpoint_probes == *cap) {
		size_t ncap = *cap ? 2 * *cap : 2;
		struct kv_endpoint_probe *v = kv_arena_calloc(a, ncap, sizeof(*v));
		if (v == NULL)
			return KV_ENOMEM;
		if (x->n_endpoint_probes > 0)
			memcpy(v, x->endpoint_probes, x->n_endpoint_probes * sizeof(*v));
		x->endpoint_probes = v;
		*cap = ncap;
	}
	e = &x->endpoint_probes[x->n_endpoint_probes++];
	memset(e, 0, sizeof(*e));
	e->pe_id = pe_id;
	e->probe.address = *addr;
	e->probe.tcp_ms = e->probe.tls_ms = e->probe.http_ms = -1;
	return KV_OK;
}

static int
endpoint_probe_cmp(const void *x, const void *y)
{
	return kv_addr_cmp(&((const struct kv_endpoint_probe *)x)->probe.address,
	    &((const struct kv_endpoint_probe *)y)->probe.address);
}

/* Every address of every approved endpoint (the --vault NAME=IP addresses
 * are the endpoint's own too), so an endpoint DNS does not point at is
 * still proven reachable, or reported. */
static enum kv_err
endpoint_probes(struct kv_arena *a, struct kv_result *x)
{
	const struct kv_target *t = x->t;
	size_t cap = 0;
	enum kv_err rc = KV_OK;

	x->endpoint_probes = NULL;
	x->n_endpoint_probes = 0;
	for (size_t e = 0; e < t->n_endpoints && rc == KV_OK; e++)
		for (size_t k = 0; t->endpoints[e].state == KV_PE_APPROVED && k < t->endpoints[e].n_addrs && rc == KV_OK; k++)
			rc = endpoint_probe_add(a, x, &cap, t->endpoints[e].pe_id, &t->endpoints[e].addrs[k]);
	for (size_t k = 0; t->expected_manual && k < t->n_expected && rc == KV_OK; k++)
		rc = endpoint_probe_add(a, x, &cap, NULL, &t->expected[k]);
	if (rc == KV_OK && x->n_endpoint_probes > 1)
		qsort(x->endpoint_probes, x->n_endpoint_probes, sizeof(*x->endpoint_probes), endpoint_probe_cmp);
	return rc;
}

enum kv_err
check_probe_targets(enum kv_probe_level level, struct kv_arena *a, struct kv_result **todo, size_t n,
    struct net_target **out, size_t *n_out)
{
	/* Room for every result and every endpoint address: one loop decides
	 * and fills, so what is counted and what is written cannot disagree
	 * (an allocation failing between two loops once wrote one past the
	 * array). */
	struct net_target *t;
	size_t m = 0, room = n;

	for (size_t i = 0; level != KV_PROBE_OFF && i < n; i++) {
		if (endpoint_probes(a, todo[i]) != KV_OK)
			return KV_ENOMEM;
		room += todo[i]->n_endpoint_probes;
	}
	if ((t = calloc(room ? room : 1, sizeof(*t))) == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct kv_result *x = todo[i];
		struct kv_probe_obs *o = &x->probe;
		bool dns_addr = false;
		o->level = level;
		if (level == KV_PROBE_OFF) {
			o->skipped = "--probe off";
		} else if (!probe_address(x, &o->address)) {
			o->skipped = x->dns.a.rcode == KV_RC_NONE
			    ? "not resolved"
			    : kv_arena_printf(a, "DNS gave no address to probe (%s)", kv_rcode_name(x->dns.a.rcode));
			if (o->skipped == NULL) {
				free(t);
				return KV_ENOMEM;
			}
		} else {
			t[m].fqdn = x->t->fqdn;
			t[m].addr = o->address;
			t[m].out = o;
			m++;
			dns_addr = true;
		}
		for (size_t k = 0; k < x->n_endpoint_probes; k++) {
			struct kv_endpoint_probe *e = &x->endpoint_probes[k];
			e->probe.level = level;
			/* The address DNS gave is probed once: its result is copied. */
			if (dns_addr && kv_addr_eq(&e->probe.address, &o->address)) {
				e->dns_answer = true;
				continue;
			}
			t[m].fqdn = x->t->fqdn;
			t[m].addr = e->probe.address;
			t[m].out = &e->probe;
			m++;
		}
	}
	*out = t;
	*n_out = m;
	return KV_OK;
}

/* The endpoint address DNS gave shares the vault's own probe. */
static void
endpoint_probes_fill(struct kv_result **todo, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < todo[i]->n_endpoint_probes; k++)
			if (todo[i]->endpoint_probes[k].dns_answer)
				todo[i]->endpoint_probes[k].probe = todo[i]->probe;
}

static enum kv_err
stage_probe(struct check_ctx *ctx, const struct check_cfg *cfg, struct kv_report *rep, struct kv_result **todo,
    size_t n)
{
	struct net_target *t = NULL;
	struct net_cfg nc;
	struct net_stats st;
	int64_t t0;
	size_t m = 0;
	enum kv_err rc;

	if ((rc = check_probe_targets(cfg->probe, rep->arena, todo, n, &t, &m)) != KV_OK)
		return rc;
	if (m == 0) {
		free(t);
		return KV_OK;
	}
	memset(&nc, 0, sizeof(nc));
	nc.level = cfg->probe;
	nc.cas = ctx->cas;
	nc.max_inflight = cfg->concurrency;
	nc.timeout_ms = cfg->timeout_ms;
	nc.allow = ctx->probe_allow;
	nc.n_allow = ctx->n_probe_allow;
	nc.cancel = ctx->cancel;
	t0 = kv_now_ms();
	rc = net_probe(&nc, t, m, rep->arena, &st);
	if (rc == KV_OK)
		endpoint_probes_fill(todo, n);
	kv_log_debug("probe stage done", "level=%s probes=%lu peak_inflight=%lu ms=%lld", kv_probe_level_name(cfg->probe),
	    st.probes, st.peak_inflight, (long long)(kv_now_ms() - t0));
	free(t);
	return rc;
}

/* ---- sources ---- */

static bool
wants_arm(const struct check_cfg *cfg)
{
	/* With no source at all, the live ARM source is used (spec). */
	return cfg->n_subscriptions > 0 || (cfg->expect.n_vaults == 0 && cfg->n_inventories == 0);
}

/* Sources of this run, for kvpe_source_up and the report's "sources". */
static enum kv_err
add_sources(struct kv_report *rep, const struct kv_source *add, size_t n)
{
	struct kv_source *v;

	for (size_t i = 0; i < n; i++)
		if (add[i].name == NULL)
			return KV_ENOMEM;
	if (n == 0)
		return KV_OK;
	if ((v = kv_arena_calloc(rep->arena, rep->n_sources + n, sizeof(*v))) == NULL)
		return KV_ENOMEM;
	if (rep->n_sources > 0)
		memcpy(v, rep->sources, rep->n_sources * sizeof(*v));
	memcpy(v + rep->n_sources, add, n * sizeof(*v));
	rep->sources = v;
	rep->n_sources += n;
	return KV_OK;
}

static enum kv_err
add_source(struct kv_report *rep, const char *name)
{
	struct kv_source s = {name, true, 0};

	return add_sources(rep, &s, 1);
}

static int
source_cmp(const void *x, const void *y)
{
	return strcmp(((const struct kv_source *)x)->name, ((const struct kv_source *)y)->name);
}

static enum kv_err
stage_arm(struct check_ctx *ctx, const struct check_cfg *cfg, struct kv_inv *inv, struct kv_report *rep, char *err,
    size_t size)
{
	struct arm_cfg ac;
	struct arm_stats st;
	struct kv_run_error *errs = NULL;
	struct kv_source *srcs = NULL;
	size_t n_errs = 0, n_srcs = 0;
	int64_t t0 = kv_now_ms();
	const struct kv_cloud *cl = cloud_get(cfg->expect.cloud);
	enum kv_err rc;

	if (ctx->cred == NULL) {
		struct cred_cfg cc;
		memset(&cc, 0, sizeof(cc));
		cc.cloud = cfg->expect.cloud;
		cc.http = ctx->http;
		cc.resource = cl->arm_endpoint;
		cc.timeout_ms = (long)cfg->arm_timeout_ms;
		cc.cancel = ctx->cancel;
		if ((rc = cred_new(&cc, &ctx->cred, err, size)) != KV_OK)
			return rc;
	}
	memset(&ac, 0, sizeof(ac));
	ac.endpoint = rep->arm_endpoint;
	ac.subscriptions = cfg->subscriptions;
	ac.n_subscriptions = cfg->n_subscriptions;
	ac.http = ctx->http;
	ac.cred = ctx->cred;
	ac.max_inflight = 8;
	ac.deadline_ms = kv_now_ms() + 10 * cfg->arm_timeout_ms; /* the whole ARM stage */
	ac.request_timeout_ms = (long)cfg->arm_timeout_ms;
	ac.backoff_base_ms = 500;
	ac.cancel = ctx->cancel;
	{
		const char *b = getenv("KVPE_ARM_BACKOFF_MS"); /* tests: shorter retries */
		long v;
		if (b != NULL && kv_parse_long(b, 1, 60000, &v) == KV_OK)
			ac.backoff_base_ms = (int)v;
	}
	rc = arm_load(&ac, inv, rep->arena, &errs, &n_errs, &srcs, &n_srcs, &st, err, size);
	rep->arm_requests += st.requests + cred_requests(ctx->cred);
	rep->arm_failures += st.failures;
	rep->arm_throttled += st.throttled;
	rep->credential = cred_source(ctx->cred);
	kv_log_info("ARM inventory read", "requests=%lu token_requests=%lu pages=%lu retries=%lu throttled=%lu "
	    "failures=%lu subscriptions=%lu vaults=%zu endpoints=%zu nics=%zu zones=%zu credential=\"%s\" ms=%lld",
	    st.requests, cred_requests(ctx->cred), st.pages, st.retries, st.throttled, st.failures, st.subscriptions,
	    inv_vault_count(inv), inv_pe_count(inv), inv_nic_count(inv), inv_zone_count(inv), cred_source(ctx->cred),
	    (long long)(kv_now_ms() - t0));
	if (n_errs > 0) {
		struct kv_run_error *all = kv_arena_calloc(rep->arena, rep->n_errors + n_errs, sizeof(*all));
		if (all == NULL)
			return KV_ENOMEM;
		if (rep->n_errors)
			memcpy(all, rep->errors, rep->n_errors * sizeof(*all));
		memcpy(all + rep->n_errors, errs, n_errs * sizeof(*all));
		rep->errors = all;
		rep->n_errors += n_errs;
	}
	if (rc == KV_OK)
		rc = add_sources(rep, srcs, n_srcs);
	return rc;
}

/* The --inventory files.  Standard input can be read once only: its text
 * is kept in the context for the cycles that follow (agent, --wait). */
static enum kv_err
stage_inventories(struct check_ctx *ctx, const struct check_cfg *cfg, struct kv_inv *inv, struct kv_report *rep,
    char *err, size_t size)
{
	size_t used = 0, skipped = 0;
	const char *skipped_type = NULL;
	enum kv_err rc;

	for (size_t i = 0; i < cfg->n_inventories; i++) {
		const char *path = cfg->inventories[i];
		struct inv_json_stats st;
		memset(&st, 0, sizeof(st));
		if (strcmp(path, "-") != 0) {
			rc = inv_json_load_file(inv, path, &st, err, size);
		} else {
			if (ctx->stdin_text == NULL && isatty(STDIN_FILENO))
				kv_log_info("reading --inventory - from the terminal: end it with Ctrl-D", NULL);
			if (ctx->stdin_text == NULL &&
			    (rc = inv_json_read(path, &ctx->stdin_text, &ctx->stdin_len, err, size)) != KV_OK)
				return rc;
			rc = inv_json_load_text(inv, ctx->stdin_text, ctx->stdin_len, path, &st, err, size);
		}
		if (rc != KV_OK)
			return rc;
		used += st.resources;
		skipped += st.skipped;
		if (skipped_type == NULL)
			skipped_type = st.skipped_type;
		if (st.skipped > 0) {
			char qf[512], qt[256]; /* both come from the user's files */
			kv_log_info("inventory: resources of types kvpe does not read skipped", "file=%s skipped=%zu type=%s",
			    kv_log_quote(path, qf, sizeof(qf)), st.skipped, kv_log_quote(st.skipped_type ? st.skipped_type : "?", qt, sizeof(qt)));
		}
		kv_log_debug("inventory read", "file=%s documents=%zu resources=%zu vaults=%zu endpoints=%zu nics=%zu zones=%zu",
		    path, st.documents, st.resources, inv_vault_count(inv), inv_pe_count(inv), inv_nic_count(inv),
		    inv_zone_count(inv));
		if ((rc = add_source(rep, kv_arena_printf(rep->arena, "inventory/%s", path))) != KV_OK)
			return rc;
	}
	/* Only skipped types and nothing else to check: say so, not "0 vaults, pass". */
	if (cfg->n_inventories > 0 && used == 0 && cfg->expect.n_vaults == 0 && !wants_arm(cfg)) {
		snprintf(err, size, "--inventory %s: no Key Vault, Managed HSM, private endpoint, NIC or private DNS resource "
		    "(%zu of other types skipped, such as %s)", cfg->n_inventories == 1 ? cfg->inventories[0] : "files",
		    skipped, skipped_type ? skipped_type : "none");
		return KV_EPARSE;
	}
	return KV_OK;
}

/* ---- the DNS path model's digest (a debug aid: live ARM and a saved
 * inventory of the same tenant must read to the same model) ---- */

struct digest {
	uint64_t sum; /* of each resource's FNV-1a: the order resources arrive in does not count */
	uint64_t h;
};

static void
dg_str(struct digest *d, const char *s)
{
	/* IDs come back from ARM in varying case */
	for (; s != NULL && *s != '\0'; s++) {
		d->h ^= (unsigned char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
		d->h *= 0x100000001b3ULL;
	}
	d->h ^= 0xff; /* field separator */
	d->h *= 0x100000001b3ULL;
}

static void
dg_addrs(struct digest *d, const struct kv_addr *v, size_t n)
{
	char a[KV_ADDR_STRLEN];

	for (size_t i = 0; i < n; i++) {
		kv_addr_format(&v[i], a, sizeof(a));
		dg_str(d, a);
	}
	dg_str(d, "|");
}

static void
dg_begin(struct digest *d, const char *type)
{
	d->h = 0xcbf29ce484222325ULL;
	dg_str(d, type);
}

static void
dg_end(struct digest *d)
{
	d->sum += d->h;
}

static void
log_path_model(const struct kv_inv *inv)
{
	struct digest d = {0, 0};
	char buf[64];

	for (size_t i = 0; i < inv_vnet_count(inv); i++) {
		const struct inv_vnet *v = inv_vnet_at(inv, i);
		dg_begin(&d, "vnet");
		dg_str(&d, v->id);
		dg_addrs(&d, v->dns_servers, v->n_dns_servers);
		for (size_t k = 0; k < v->n_prefixes; k++) {
			snprintf(buf, sizeof(buf), "/%u", v->prefixes[k].bits);
			dg_addrs(&d, &v->prefixes[k].base, 1);
			dg_str(&d, buf);
		}
		dg_end(&d);
	}
	for (size_t i = 0; i < inv_vm_count(inv); i++) {
		const struct inv_vm *vm = inv_vm_at(inv, i);
		dg_begin(&d, "vm");
		dg_str(&d, vm->id);
		for (size_t k = 0; k < vm->n_nics; k++)
			dg_str(&d, vm->nic_ids[k]);
		dg_end(&d);
	}
	for (size_t i = 0; i < inv_nic_count(inv); i++) {
		const struct inv_nic *n = inv_nic_at(inv, i);
		dg_begin(&d, "nic");
		dg_str(&d, n->id);
		dg_str(&d, n->vm_id);
		dg_str(&d, n->mac);
		dg_addrs(&d, n->dns_servers, n->n_dns_servers);
		for (size_t k = 0; k < n->n_ips; k++) {
			dg_addrs(&d, &n->ips[k].addr, 1);
			dg_str(&d, n->ips[k].subnet_id);
		}
		dg_end(&d);
	}
	for (size_t i = 0; i < inv_resolver_count(inv); i++) {
		const struct inv_resolver *r = inv_resolver_at(inv, i);
		dg_begin(&d, "resolver");
		dg_str(&d, r->id);
		dg_str(&d, r->vnet_id);
		dg_end(&d);
	}
	for (size_t i = 0; i < inv_inbound_count(inv); i++) {
		const struct inv_inbound *e = inv_inbound_at(inv, i);
		dg_begin(&d, "inbound");
		dg_str(&d, e->id);
		dg_str(&d, e->resolver_id);
		dg_str(&d, e->subnet_id);
		dg_addrs(&d, e->addrs, e->n_addrs);
		dg_end(&d);
	}
	for (size_t i = 0; i < inv_ruleset_count(inv); i++) {
		dg_begin(&d, "ruleset");
		dg_str(&d, inv_ruleset_at(inv, i)->id);
		dg_end(&d);
	}
	for (size_t i = 0; i < inv_rule_count(inv); i++) {
		const struct inv_rule *r = inv_rule_at(inv, i);
		dg_begin(&d, "rule");
		dg_str(&d, r->id);
		dg_str(&d, r->ruleset_id);
		dg_str(&d, r->domain);
		dg_str(&d, r->enabled ? "on" : "off");
		for (size_t k = 0; k < r->n_targets; k++) {
			kv_hostport_format(&r->targets[k], buf, sizeof(buf));
			dg_str(&d, buf);
		}
		dg_end(&d);
	}
	for (size_t i = 0; i < inv_ruleset_link_count(inv); i++) {
		const struct inv_ruleset_link *l = inv_ruleset_link_at(inv, i);
		dg_begin(&d, "rslink");
		dg_str(&d, l->id);
		dg_str(&d, l->ruleset_id);
		dg_str(&d, l->vnet_id);
		dg_end(&d);
	}
	for (size_t i = 0; i < inv_link_count(inv); i++) {
		const struct inv_link *l = inv_link_at(inv, i);
		dg_begin(&d, "zonelink");
		dg_str(&d, l->id);
		dg_str(&d, l->zone_id);
		dg_str(&d, l->vnet_id);
		snprintf(buf, sizeof(buf), "%d%d%d", l->completed, l->nxdomain_redirect, l->registration);
		dg_str(&d, buf);
		dg_end(&d);
	}
	kv_log_debug("DNS path model read", "vnets=%zu vms=%zu nics=%zu resolvers=%zu inbound_endpoints=%zu rulesets=%zu "
	    "rules=%zu ruleset_links=%zu zone_links=%zu digest=%016llx", inv_vnet_count(inv), inv_vm_count(inv),
	    inv_nic_count(inv), inv_resolver_count(inv), inv_inbound_count(inv), inv_ruleset_count(inv),
	    inv_rule_count(inv), inv_ruleset_link_count(inv), inv_link_count(inv), (unsigned long long)d.sum);
}

static enum kv_err
stage_sources(struct check_ctx *ctx, const struct check_cfg *cfg, struct kv_inv *inv, struct kv_report *rep,
    char *err, size_t size)
{
	enum kv_err rc;

	/* A file that does not parse stops the run: it is never partial. */
	if ((rc = stage_inventories(ctx, cfg, inv, rep, err, size)) != KV_OK)
		return rc;
	if (cfg->expect.n_vaults > 0 && (rc = add_source(rep, "manual")) != KV_OK)
		return rc;
	if (wants_arm(cfg) && (rc = stage_arm(ctx, cfg, inv, rep, err, size)) != KV_OK)
		return rc;
	if (rep->n_sources > 1) {
		/* sorted, and a file given twice is one source */
		size_t n = 1;
		qsort(rep->sources, rep->n_sources, sizeof(*rep->sources), source_cmp);
		for (size_t i = 1; i < rep->n_sources; i++) {
			if (strcmp(rep->sources[i].name, rep->sources[n - 1].name) == 0)
				rep->sources[n - 1].up = rep->sources[n - 1].up && rep->sources[i].up;
			else
				rep->sources[n++] = rep->sources[i];
		}
		rep->n_sources = n;
	}
	log_path_model(inv);
	return KV_OK;
}

/* ---- the cycle ---- */

/* The report copies what it shows from the configuration and the context:
 * the agent keeps its last good report after SIGHUP has freed both. */
static enum kv_err
start_report(struct check_ctx *ctx, const struct check_cfg *cfg, struct kv_report **out)
{
	struct kv_report *rep = NULL;
	const char **res;
	char host[256];
	enum kv_err rc;

	if ((rc = report_new(&rep)) != KV_OK)
		return rc;
	rep->started_ms = kv_wall_ms();
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	rep->cloud = cloud_get(cfg->expect.cloud)->name;
	res = kv_arena_calloc(rep->arena, ctx->n_resolvers ? ctx->n_resolvers : 1, sizeof(*res));
	for (size_t i = 0; res != NULL && i < ctx->n_resolvers; i++)
		if ((res[i] = kv_arena_strdup(rep->arena, ctx->resolvers[i])) == NULL)
			res = NULL;
	rep->resolvers = res;
	rep->n_resolvers = ctx->n_resolvers;
	rep->host = kv_arena_strdup(rep->arena, host);
	rep->arm_endpoint = kv_arena_strdup(rep->arena,
	    cfg->arm_endpoint ? cfg->arm_endpoint : cloud_get(cfg->expect.cloud)->arm_endpoint);
	if (res == NULL || rep->host == NULL || rep->arm_endpoint == NULL) {
		report_free(rep);
		return KV_ENOMEM;
	}
	*out = rep;
	return KV_OK;
}

static enum kv_err
stage_verdict(const struct check_cfg *cfg, struct kv_report *rep, struct kv_result **todo, size_t n)
{
	struct verdict_cfg vc;
	enum kv_err rc = KV_OK;

	memset(&vc, 0, sizeof(vc));
	vc.private_cidrs = cfg->private_cidrs;
	vc.n_private_cidrs = cfg->n_private_cidrs;
	vc.resolvers = rep->resolvers;
	vc.n_resolvers = rep->n_resolvers;
	vc.now_s = kv_wall_ms() / 1000;
	vc.vantages = rep->vantages;
	vc.n_vantages = rep->n_vantages;
	vc.vnets = rep->vnets;
	vc.n_vnets = rep->n_vnets;
	for (size_t i = 0; i < n && rc == KV_OK; i++)
		rc = verdict_vault(&vc, rep->arena, todo[i]);
	return rc;
}

static enum kv_err
observe(struct check_ctx *ctx, const struct check_cfg *cfg, struct kv_report *rep, struct kv_result **todo, size_t n)
{
	enum kv_err rc = KV_OK;

	/* A vault that could not be inventoried is reported, not probed. */
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (todo[i]->t->incomplete == NULL)
			todo[m++] = todo[i];
	if (m > 0)
		rc = stage_dns(ctx, cfg, rep, todo, m);
	if (rc == KV_OK && m > 0)
		rc = stage_probe(ctx, cfg, rep, todo, m);
	return rc;
}

/* The DNS path's scope: the VNets and the servers to ask (path.h). */
/* Where kvpe runs (spec "DNS path"): IMDS answering means in Azure, on the
 * VM it names.  Not answering is the normal case off Azure (info); an
 * answer that is not an instance document is worth a warning; neither
 * stops the run. */
static enum kv_err
stage_imds(struct check_ctx *ctx, struct kv_report *rep, struct path_cfg *pc)
{
	struct imds_instance in;
	char err[300];
	enum kv_err rc = KV_OK;

	if (ctx->imds_arena == NULL) {
		if ((ctx->imds_arena = kv_arena_new(4096)) == NULL)
			return KV_ENOMEM;
		rc = imds_instance_get(ctx->http, cred_imds_host(), ctx->imds_arena, &in, err, sizeof(err));
		if (rc == KV_OK) {
			ctx->imds = in;
			kv_log_info("running in Azure: the instance metadata service names this VM", "vm=%s addresses=%zu",
			    in.vm_id, in.n_addrs);
		} else {
			kv_arena_free(ctx->imds_arena); /* not answered: asked again next cycle */
			ctx->imds_arena = NULL;
		}
	}
	if (rc == KV_OK) {
		/* The report holds its own copy: it outlives this context (reload). */
		pc->agent_vm_id = kv_arena_strdup(rep->arena, ctx->imds.vm_id);
		pc->agent_addrs = ctx->imds.n_addrs == 0 ? NULL
		    : kv_arena_memdup(rep->arena, ctx->imds.addrs, ctx->imds.n_addrs * sizeof(*ctx->imds.addrs));
		pc->n_agent_addrs = ctx->imds.n_addrs;
		pc->in_azure = true;
		if (pc->agent_vm_id == NULL || (ctx->imds.n_addrs > 0 && pc->agent_addrs == NULL))
			return KV_ENOMEM;
		return KV_OK;
	}
	if (rc == KV_ENOTFOUND) {
		kv_log_info("not running in Azure: the instance metadata service did not answer", "reason=%s", err);
		return KV_OK;
	}
	if (rc == KV_EPARSE) {
		kv_log_warn("not running in Azure: the instance metadata service's answer is not an instance document",
		    "reason=%s", err);
		return KV_OK;
	}
	return rc; /* out of memory, or stopped */
}

/* Which VNets are judged, and how each was found (spec: "logged at info
 * level"); a VM that IMDS names but the sources do not hold leaves its VNet
 * out: said, not skipped silently. */
static void
log_scope(const struct path_cfg *pc, const struct kv_inv *inv, const struct kv_report *rep)
{
	bool agent = false;

	for (size_t i = 0; i < rep->n_vnets; i++) {
		const struct kv_vnet_scope *s = &rep->vnets[i];
		agent = agent || s->agent;
		kv_log_info("DNS path: VNet in scope", "vnet=%s found_by=%s clients_resolvers=%zu from=%s", s->id,
		    s->found_by ? s->found_by : "-", s->n_servers, s->servers_from ? s->servers_from : "-");
	}
	/* (a --vault-only run reads no VMs: nothing to say) */
	if (pc->agent_vm_id != NULL && !agent && inv != NULL && inv_vnet_count(inv) + inv_vm_count(inv) > 0)
		kv_log_warn("the VM this runs on is not in the sources read: its VNet is not judged (give --vnet, or "
			    "read the VM's subscription)", "vm=%s", pc->agent_vm_id);
}

static enum kv_err
stage_path(struct check_ctx *ctx, const struct check_cfg *cfg, const struct kv_inv *inv, struct kv_report *rep,
    struct kv_target *targets, size_t n_targets)
{
	struct path_cfg pc;
	struct path_model *pm = NULL;
	struct kv_hostport *sys;
	size_t n = dns_server_count(ctx->dns);
	enum kv_err rc;

	if ((sys = kv_arena_calloc(rep->arena, n ? n : 1, sizeof(*sys))) == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < n; i++)
		dns_server_at(ctx->dns, i, &sys[i]);
	memset(&pc, 0, sizeof(pc));
	pc.vnet_ids = cfg->vnet_ids;
	pc.n_vnet_ids = cfg->n_vnet_ids;
	pc.system = sys;
	pc.n_system = n;
	pc.given = cfg->vantages;
	pc.n_given = cfg->n_vantages;
	pc.off = cfg->vantage_off;
	pc.dns_qps = cfg->dns_qps;
	if (!cfg->vantage_off && (rc = stage_imds(ctx, rep, &pc)) != KV_OK)
		return rc;
	rc = path_scope(&pc, inv, rep);
	if (rc == KV_OK)
		log_scope(&pc, inv, rep);
	/* Each vault's expected answer per VNet, while the inventory is there. */
	if (rc == KV_OK)
		rc = path_model_new(inv, rep, &pm);
	for (size_t i = 0; i < n_targets && rc == KV_OK; i++)
		rc = path_expect(pm, rep, &targets[i]);
	return rc;
}

/* `kvpe trace NAME`: keep only the vault cfg->only names (the others are
 * neither modelled nor asked about); none left is an empty report. */
static void
narrow(const struct check_cfg *cfg, struct kv_target *targets, size_t *n)
{
	const struct expect_vault *v = cfg->only;
	size_t m = 0;

	if (v == NULL)
		return;
	for (size_t i = 0; i < *n; i++) {
		const struct kv_target *t = &targets[i];
		if (strcmp(t->name, v->name) != 0 || t->kind != v->kind || (v->cloud_from_name && t->cloud != v->cloud))
			continue;
		if (m != i)
			targets[m] = *t;
		m++;
	}
	*n = m;
}

enum kv_err
check_run(struct check_ctx *ctx, const struct check_cfg *cfg, struct kv_report **out, char *err, size_t size)
{
	struct kv_report *rep = NULL;
	struct kv_inv *inv = NULL;
	struct kv_target *targets = NULL;
	struct kv_result **todo = NULL;
	size_t n_targets = 0;
	int64_t t0 = kv_now_ms();
	enum kv_err rc;

	err[0] = '\0';
	if ((rc = start_report(ctx, cfg, &rep)) != KV_OK || (rc = inv_new(rep->arena, &inv)) != KV_OK)
		goto out;
	if ((rc = stage_sources(ctx, cfg, inv, rep, err, size)) != KV_OK)
		goto out;
	if ((rc = expect_targets(&cfg->expect, inv, rep->arena, &targets, &n_targets)) != KV_OK)
		goto out;
	narrow(cfg, targets, &n_targets);
	if ((rc = stage_path(ctx, cfg, inv, rep, targets, n_targets)) != KV_OK)
		goto out;
	/* The targets hold all they need (strings in the report's arena): the
	 * inventory's tables and indexes go before the DNS stage's memory comes. */
	inv_free(inv);
	inv = NULL;
	rep->results = kv_arena_calloc(rep->arena, n_targets ? n_targets : 1, sizeof(*rep->results));
	todo = calloc(n_targets ? n_targets : 1, sizeof(*todo));
	if (rep->results == NULL || todo == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	rep->n_results = n_targets;
	for (size_t i = 0; i < n_targets; i++) {
		rep->results[i].t = &targets[i];
		rep->results[i].probe.tcp_ms = rep->results[i].probe.tls_ms = rep->results[i].probe.http_ms = -1;
		rep->results[i].dns.a.server = rep->results[i].dns.aaaa.server = rep->results[i].dns.pl.server = -1;
		todo[i] = &rep->results[i];
	}
	if ((rc = observe(ctx, cfg, rep, todo, n_targets)) != KV_OK) {
		snprintf(err, size, "DNS or probe stage failed: %s", kv_strerror(rc));
		goto out;
	}
	for (size_t i = 0; i < n_targets; i++)
		todo[i] = &rep->results[i];
	if ((rc = stage_verdict(cfg, rep, todo, n_targets)) != KV_OK)
		goto out;
	rep->duration_ms = kv_now_ms() - t0;
out:
	inv_free(inv);
	free(todo);
	if (rc != KV_OK) {
		if (err[0] == '\0')
			snprintf(err, size, "%s", kv_strerror(rc));
		report_free(rep);
		return rc;
	}
	*out = rep;
	return KV_OK;
}

enum kv_err
check_negative_ttls(struct check_ctx *ctx, struct kv_report *r)
{
	struct dns_batch *b = NULL;
	enum kv_err rc;
	size_t n = 0;

	if ((rc = dns_batch_new(ctx->dns, r->arena, &b)) != KV_OK)
		return rc;
	for (size_t i = 0; i < r->n_results && rc == KV_OK; i++) {
		struct kv_dns_lookup *a = &r->results[i].dns.a;
		const char *last, *parent;
		struct kv_dns_lookup *soa;
		if (r->results[i].status == KV_ST_PASS || (a->rcode != KV_RC_NXDOMAIN && a->rcode != KV_RC_NODATA) ||
		    a->n_chain == 0)
			continue;
		/* NXDOMAIN for x.zone comes from zone: ask the parent of the last name. */
		last = a->chain[a->n_chain - 1];
		parent = strchr(last, '.');
		if (parent == NULL || strchr(parent + 1, '.') == NULL)
			continue;
		soa = kv_arena_calloc(r->arena, 1, sizeof(*soa));
		if (soa == NULL) {
			rc = KV_ENOMEM;
			break;
		}
		rc = dns_batch_add(b, a->rcode == KV_RC_NODATA ? last : parent + 1, DNS_QSOA, soa, on_soa, a);
		n++;
	}
	if (rc == KV_OK && n > 0)
		rc = dns_batch_run(b);
	dns_batch_free(b);
	return rc;
}

int64_t
check_wait_ms(const struct kv_report *r)
{
	int64_t wait = 1000;

	for (size_t i = 0; i < r->n_results; i++) {
		const struct kv_result *x = &r->results[i];
		const struct kv_dns_lookup *a = &x->dns.a;
		int64_t w;
		if (x->status == KV_ST_PASS)
			continue;
		if (a->rcode == KV_RC_NOERROR && a->ttl > 0)
			w = (int64_t)a->ttl * 1000 + 1100; /* caches count whole seconds: just after expiry */
		else if ((a->rcode == KV_RC_NXDOMAIN || a->rcode == KV_RC_NODATA) && a->neg_ttl > 0)
			w = (int64_t)a->neg_ttl * 1000 + 1100;
		else
			w = 5000;
		if (w > wait)
			wait = w;
	}
	return wait > 60000 ? 60000 : wait;
}
