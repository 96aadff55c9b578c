/* dns.c — paced batch resolver on c-ares 1.18, driven by hand.
 *
 * One c-ares channel per server (tries = 1): c-ares 1.18 cannot say which
 * server answered, and we want to report it and to choose the fallback order
 * ourselves (glibc's: next server on timeout or SERVFAIL).  Our scheduler owns
 * pacing (token bucket at --dns-qps), the in-flight window (halved when
 * answers are lost, regrown as they arrive: Azure DNS silently drops above
 * 1,000 q/s or 200 pending per VM) and retries within each name's budget.
 * The loop is poll() over the sockets c-ares reports through its socket-state
 * callback, plus ares_process_fd(BAD, BAD) when an attempt's time is up. */
#include "kvpe/dns.h"

#include <arpa/nameser.h>
#include <ares.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "kvpe/log.h"

#define DNS_ADDRS_MAX 1024            /* addresses kept per answer */
#define DNS_RCVBUF (4 * 1024 * 1024) /* measured: the default buffer drops answers at 256+ in flight */
#define DNS_MIN_WINDOW 8.0
#define DNS_QTYPE_CNAME 99 /* internal: follow-up to learn a chain's last target */

struct dns_chan {
	ares_channel ch;
	struct dns_resolver *r;
	size_t idx;
	struct kv_hostport server;
	bool due; /* has in-flight queries whose time may be up */
};

struct dns_sock {
	ares_socket_t fd;
	size_t chan;
	bool rd, wr;
};

struct dns_resolver {
	struct dns_chan *chans;
	size_t n_chans;
	struct dns_sock *socks;
	size_t n_socks, cap_socks;
	unsigned qps, max_inflight, timeout_ms, attempt_ms;
	bool busy; /* a batch is running: one at a time */
	const volatile int *cancel;
};

struct dns_job {
	struct dns_job *next, *prev; /* queue, in-flight or completed list */
	struct dns_batch *b;
	const char *name;
	int qtype; /* DNS_QA, DNS_QAAAA or DNS_QTYPE_CNAME */
	struct kv_dns_lookup *out; /* a follow-up's own answer, in the jobs arena */
	dns_done_fn done;
	void *arg;
	struct dns_job *parent; /* for a CNAME follow-up */
	size_t server;
	uint32_t tried; /* bitmask of servers that failed this name */
	int64_t first_ms, sent_ms;
	int status;
	bool inflight, cancelled;
	const char *need_final;
};

struct dns_list {
	struct dns_job *head, *tail;
	size_t n;
};

/* A lookup asked for but not sent yet: 40 bytes, not a whole job, so a
 * batch of 100,000 names costs 4 MB until the window reaches it. */
struct dns_pending {
	const char *name;
	struct kv_dns_lookup *out;
	dns_done_fn done;
	void *arg;
	int qtype;
};

struct dns_batch {
	struct dns_resolver *r;
	struct kv_arena *out_arena; /* results */
	struct kv_arena *jobs;      /* our own bookkeeping */
	struct dns_pending *pending; /* in the order asked; next_pending is the next to send */
	size_t n_pending, cap_pending, next_pending;
	struct dns_job *spare;       /* finished jobs, reused (linked by next) */
	struct dns_list queue, inflight, completed; /* queue: retries and follow-ups, sent first */
	double tokens, window;
	int64_t refill_ms, cut_ms;
	struct dns_stats stats;
	enum kv_err err;
};

/* ---- lists ---- */

static void
list_push(struct dns_list *l, struct dns_job *j, bool front)
{
	j->next = j->prev = NULL;
	if (l->head == NULL) {
		l->head = l->tail = j;
	} else if (front) {
		j->next = l->head;
		l->head->prev = j;
		l->head = j;
	} else {
		j->prev = l->tail;
		l->tail->next = j;
		l->tail = j;
	}
	l->n++;
}

static void
list_remove(struct dns_list *l, struct dns_job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		l->head = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else
		l->tail = j->prev;
	j->next = j->prev = NULL;
	l->n--;
}

static struct dns_job *
list_pop(struct dns_list *l)
{
	struct dns_job *j = l->head;

	if (j != NULL)
		list_remove(l, j);
	return j;
}

/* ---- sockets reported by c-ares ---- */

static void
sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_chan *c = data;
	struct dns_resolver *r = c->r;
	size_t i;

	for (i = 0; i < r->n_socks; i++)
		if (r->socks[i].fd == fd)
			break;
	if (!readable && !writable) {
		if (i < r->n_socks)
			r->socks[i] = r->socks[--r->n_socks];
		return;
	}
	if (i == r->n_socks) {
		if (kv_grow((void **)&r->socks, &r->cap_socks, sizeof(*r->socks), r->n_socks + 1) != KV_OK)
			return; /* c-ares still times the query out */
		r->n_socks++;
	}
	r->socks[i].fd = fd;
	r->socks[i].chan = c->idx;
	r->socks[i].rd = readable != 0;
	r->socks[i].wr = writable != 0;
}

/* ---- resolver ---- */

static enum kv_err
chan_init(struct dns_resolver *r, size_t i, const struct kv_hostport *hp)
{
	struct dns_chan *c = &r->chans[i];
	struct ares_options o;
	struct ares_addr_port_node node;
	char lookups[] = "b";
	int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_RCVBUF |
	    ARES_OPT_LOOKUPS | ARES_OPT_SOCK_STATE_CB;

	memset(&o, 0, sizeof(o));
	/* NOCHECKRESP: hand SERVFAIL/REFUSED to us; we choose the next server. */
	o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH;
	o.timeout = (int)r->attempt_ms;
	o.tries = 1;
	o.socket_receive_buffer_size = DNS_RCVBUF;
	o.lookups = lookups;
	o.sock_state_cb = sock_state_cb;
	o.sock_state_cb_data = c;
	c->r = r;
	c->idx = i;
	c->server = *hp;
	if (ares_init_options(&c->ch, &o, mask) != ARES_SUCCESS)
		return KV_EDNS;
	memset(&node, 0, sizeof(node));
	node.family = hp->addr.family == 6 ? AF_INET6 : AF_INET;
	if (node.family == AF_INET)
		memcpy(&node.addr.addr4, hp->addr.b, 4);
	else
		memcpy(&node.addr.addr6, hp->addr.b, 16);
	node.udp_port = node.tcp_port = hp->port;
	if (ares_set_servers_ports(c->ch, &node) != ARES_SUCCESS)
		return KV_EDNS;
	return KV_OK;
}

/* The servers c-ares reads from resolv.conf, the way a VNet host sees them. */
static enum kv_err
system_servers(struct kv_hostport **out, size_t *n_out)
{
	ares_channel ch = NULL;
	struct ares_addr_port_node *list = NULL, *p;
	struct kv_hostport *v = NULL;
	size_t n = 0, cap = 0;
	enum kv_err rc = KV_OK;

	if (ares_init(&ch) != ARES_SUCCESS || ares_get_servers_ports(ch, &list) != ARES_SUCCESS) {
		rc = KV_EDNS;
		goto out;
	}
	for (p = list; p != NULL; p = p->next) {
		if ((rc = kv_grow((void **)&v, &cap, sizeof(*v), n + 1)) != KV_OK)
			goto out;
		memset(&v[n], 0, sizeof(v[n]));
		v[n].addr.family = p->family == AF_INET6 ? 6 : 4;
		memcpy(v[n].addr.b, &p->addr, p->family == AF_INET6 ? 16 : 4);
		v[n].port = (uint16_t)(p->udp_port ? p->udp_port : 53);
		n++;
	}
	if (n == 0)
		rc = KV_EDNS;
out:
	if (list != NULL)
		ares_free_data(list);
	if (ch != NULL)
		ares_destroy(ch);
	if (rc != KV_OK) {
		free(v);
		return rc;
	}
	*out = v;
	*n_out = n;
	return KV_OK;
}

enum kv_err
dns_new(const struct dns_cfg *cfg, struct dns_resolver **out)
{
	struct dns_resolver *r = NULL;
	struct kv_hostport *sys = NULL;
	const struct kv_hostport *servers = cfg->servers;
	size_t n = cfg->n_servers;
	enum kv_err rc = KV_OK;

	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return KV_EDNS;
	if (n == 0) {
		if ((rc = system_servers(&sys, &n)) != KV_OK)
			goto out;
		servers = sys;
	}
	if (n > 32) {
		rc = KV_ELIMIT; /* the per-job "tried" mask */
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->chans = calloc(n, sizeof(*r->chans))) == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	r->qps = cfg->qps;
	r->cancel = cfg->cancel;
	r->max_inflight = cfg->max_inflight ? cfg->max_inflight : 200;
	r->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 5000;
	/* Three attempts fit in the budget; never below 100 ms per attempt. */
	r->attempt_ms = r->timeout_ms / 3 < 100 ? 100 : r->timeout_ms / 3;
	for (size_t i = 0; i < n; i++) {
		if ((rc = chan_init(r, i, &servers[i])) != KV_OK)
			goto out;
		r->n_chans++;
	}
out:
	free(sys);
	if (rc != KV_OK) {
		dns_free(r);
		ares_library_cleanup();
		return rc;
	}
	*out = r;
	return KV_OK;
}

void
dns_free(struct dns_resolver *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_chans; i++)
		ares_destroy(r->chans[i].ch);
	free(r->chans);
	free(r->socks);
	free(r);
	ares_library_cleanup();
}

void
dns_set_cancel(struct dns_resolver *r, const volatile int *cancel)
{
	r->cancel = cancel;
}

size_t
dns_server_count(const struct dns_resolver *r)
{
	return r->n_chans;
}

void
dns_server_name(const struct dns_resolver *r, size_t i, char *buf, size_t size)
{
	kv_hostport_format(&r->chans[i].server, buf, size);
}

/* ---- answer parsing: c-ares' parsers only ---- */

static bool
is_canonical(const char *name)
{
	const char *p = name;

	for (; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			return false;
	return p == name || p[-1] != '.';
}

/* `name` is copied unless it is `stable` (the query name, which outlives
 * the results) and already canonical. */
static bool
chain_push_name(struct kv_arena *a, struct kv_dns_lookup *out, const char *name, bool stable)
{
	const char *n;

	if (out->chain_loop || out->chain_truncated)
		return false;
	n = stable && is_canonical(name) ? name : kv_arena_dnsname(a, name);
	if (n == NULL)
		return false;
	for (size_t i = 0; i < out->n_chain; i++) {
		if (strcmp(out->chain[i], n) == 0) {
			out->chain_loop = true;
			break;
		}
	}
	if (out->n_chain >= KV_DNS_CHAIN_MAX) {
		out->chain_truncated = true;
		return false;
	}
	out->chain[out->n_chain++] = n;
	return !out->chain_loop;
}

static bool
chain_push(struct kv_arena *a, struct kv_dns_lookup *out, const char *name)
{
	return chain_push_name(a, out, name, false);
}

enum kv_err
dns_parse_answer(const unsigned char *abuf, int alen, enum dns_qtype qt, struct kv_arena *a,
    struct kv_dns_lookup *out, const char **need_final)
{
	struct ares_addrttl at4[DNS_ADDRS_MAX];
	struct ares_addr6ttl at6[DNS_ADDRS_MAX];
	struct hostent *h = NULL;
	int nat = DNS_ADDRS_MAX, st;
	size_t n_alias = 0, n_addr = 0;
	enum kv_err rc = KV_OK;
	bool aaaa = (int)qt == DNS_QAAAA;

	const char *scratch[KV_DNS_CHAIN_MAX];
	struct kv_dns_lookup *dst = out;
	struct kv_dns_lookup work = *out;

	/* The chain is built in `scratch` and copied out at its exact size. */
	*need_final = NULL;
	out = &work;
	if (work.chain == NULL) {
		work.n_chain = 0;
		work.chain = scratch;
		if (work.qname != NULL)
			chain_push_name(a, &work, work.qname, true);
	} else {
		memcpy(scratch, work.chain, work.n_chain * sizeof(*scratch));
		work.chain = scratch;
	}
	/* A CNAME-type answer is read with the A parser: it keeps the CNAME. */
	st = aaaa ? ares_parse_aaaa_reply(abuf, alen, &h, at6, &nat) : ares_parse_a_reply(abuf, alen, &h, at4, &nat);
	if (st == ARES_ENODATA) {
		out->n_addrs = 0;
		goto done;
	}
	if (st != ARES_SUCCESS || h == NULL) {
		rc = st == ARES_ENOMEM ? KV_ENOMEM : KV_EPARSE;
		goto done;
	}
	/* h_aliases are the CNAME owners in answer order; h_name is only the
	 * first CNAME's target (c-ares 1.18), so a chain of two or more CNAMEs
	 * leaves its last target to a follow-up query. */
	while (h->h_aliases != NULL && h->h_aliases[n_alias] != NULL)
		n_alias++;
	if (n_alias > 0) {
		size_t start = (out->n_chain > 0 && kv_streq_ci(h->h_aliases[0], out->chain[out->n_chain - 1])) ? 1 : 0;
		bool more = true;
		for (size_t i = start; i < n_alias && more; i++)
			more = chain_push(a, out, h->h_aliases[i]);
		if (more) {
			if (n_alias == 1 && h->h_name != NULL)
				chain_push(a, out, h->h_name);
			else
				*need_final = kv_arena_dnsname(a, h->h_aliases[n_alias - 1]);
		}
	}
	while (h->h_addr_list != NULL && h->h_addr_list[n_addr] != NULL && n_addr < DNS_ADDRS_MAX)
		n_addr++;
	out->addrs = n_addr ? kv_arena_calloc(a, n_addr, sizeof(*out->addrs)) : NULL;
	if (n_addr > 0 && out->addrs == NULL) {
		rc = KV_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < n_addr; i++) {
		out->addrs[i].family = aaaa ? 6 : 4;
		memcpy(out->addrs[i].b, h->h_addr_list[i], aaaa ? 16 : 4);
	}
	out->n_addrs = n_addr;
	kv_addr_sort_unique(out->addrs, &out->n_addrs);
	out->ttl = 0;
	for (int i = 0; i < nat; i++) {
		uint32_t ttl = (uint32_t)(aaaa ? at6[i].ttl : at4[i].ttl);
		if (i == 0 || ttl < out->ttl)
			out->ttl = ttl;
	}
done:
	if (h != NULL)
		ares_free_hostent(h);
	/* One spare slot when a follow-up will add the chain's last name (the
	 * chain may already hold KV_DNS_CHAIN_MAX names: the spare is not in
	 * `scratch`, so only the names are copied). */
	{
		size_t cap = work.n_chain + (*need_final != NULL ? 1 : 0);
		const char **chain = cap ? kv_arena_calloc(a, cap, sizeof(*chain)) : NULL;
		if (cap > 0 && chain == NULL)
			rc = KV_ENOMEM;
		else if (chain != NULL && work.n_chain > 0)
			memcpy(chain, scratch, work.n_chain * sizeof(*chain));
		work.chain = chain;
		*dst = work;
	}
	return rc;
}

bool
dns_lookup_from(const struct kv_dns_lookup *a, const char *name, struct kv_dns_lookup *out)
{
	for (size_t i = 0; i < a->n_chain; i++) {
		if (kv_streq_ci(a->chain[i], name)) {
			*out = *a;
			out->qname = a->chain[i];
			out->chain = a->chain + i;
			out->n_chain = a->n_chain - i;
			return true;
		}
	}
	return false;
}

/* ---- batch ---- */

enum kv_err
dns_batch_new(struct dns_resolver *r, struct kv_arena *a, struct dns_batch **out)
{
	struct dns_batch *b;

	if (r->busy)
		return KV_EINTERNAL;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return KV_ENOMEM;
	b->jobs = kv_arena_new(64 * 1024);
	if (b->jobs == NULL) {
		free(b);
		return KV_ENOMEM;
	}
	b->r = r;
	b->out_arena = a;
	b->window = r->max_inflight;
	b->tokens = r->qps ? (r->qps / 50.0 < 1.0 ? 1.0 : r->qps / 50.0) : 0;
	b->refill_ms = kv_now_ms();
	r->busy = true;
	*out = b;
	return KV_OK;
}

void
dns_batch_free(struct dns_batch *b)
{
	if (b == NULL)
		return;
	/* Cancel whatever is still in flight: c-ares calls back with
	 * ARES_ECANCELLED while our jobs are still allocated. */
	for (size_t i = 0; i < b->r->n_chans; i++)
		ares_cancel(b->r->chans[i].ch);
	b->r->busy = false;
	kv_arena_free(b->jobs);
	free(b->pending);
	free(b);
}

void
dns_batch_stats(const struct dns_batch *b, struct dns_stats *out)
{
	*out = b->stats;
}

static struct dns_job *
job_new(struct dns_batch *b, const char *name, int qtype, struct kv_dns_lookup *out)
{
	struct dns_job *j = b->spare;

	if (j != NULL) {
		b->spare = j->next;
		memset(j, 0, sizeof(*j));
	} else if ((j = kv_arena_calloc(b->jobs, 1, sizeof(*j))) == NULL) {
		return NULL;
	}
	j->b = b;
	j->name = name;
	j->qtype = qtype;
	j->out = out;
	return j;
}

/* A finished job is kept for the next lookup: only the window's worth of
 * jobs ever exists. */
static void
job_recycle(struct dns_batch *b, struct dns_job *j)
{
	j->next = b->spare;
	b->spare = j;
}

/* A name already in canonical form (the targets' names are) is used as is:
 * the caller keeps it alive as long as the results. */
static const char *
job_name(struct dns_batch *b, const char *name)
{
	return is_canonical(name) ? name : kv_arena_dnsname(b->out_arena, name);
}

enum kv_err
dns_batch_add(struct dns_batch *b, const char *name, enum dns_qtype qt, struct kv_dns_lookup *out,
    dns_done_fn done, void *arg)
{
	struct dns_pending *p;
	const char *n = job_name(b, name);
	enum kv_err rc;

	if (n == NULL)
		return KV_ENOMEM;
	if ((rc = kv_grow((void **)&b->pending, &b->cap_pending, sizeof(*b->pending), b->n_pending + 1)) != KV_OK)
		return rc;
	memset(out, 0, sizeof(*out));
	out->qname = n;
	out->server = -1;
	p = &b->pending[b->n_pending++];
	p->name = n;
	p->out = out;
	p->done = done;
	p->arg = arg;
	p->qtype = (int)qt;
	return KV_OK;
}

static size_t
waiting(const struct dns_batch *b)
{
	return b->queue.n + (b->n_pending - b->next_pending);
}

/* The next job to send: a retry or follow-up first, then the next asked. */
static struct dns_job *
next_job(struct dns_batch *b)
{
	const struct dns_pending *p;
	struct dns_job *j;

	if (b->queue.n > 0)
		return list_pop(&b->queue);
	p = &b->pending[b->next_pending];
	if ((j = job_new(b, p->name, p->qtype, p->out)) == NULL)
		return NULL;
	j->done = p->done;
	j->arg = p->arg;
	b->next_pending++;
	return j;
}

static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_job *j = arg;
	struct dns_batch *b = j->b;
	struct kv_dns_lookup *out = j->out;
	enum kv_err prc;

	KV_UNUSED(timeouts);
	if (j->inflight) {
		list_remove(&b->inflight, j);
		j->inflight = false;
	}
	if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) {
		j->cancelled = true;
		return;
	}
	j->status = status;
	out->ms = (uint32_t)(kv_now_ms() - j->sent_ms);
	out->server = (int)j->server;
	if (abuf != NULL && alen > 0 &&
	    (status == ARES_SUCCESS || status == ARES_ENODATA || status == ARES_ENOTFOUND)) {
		/* The answer buffer lives only during this call: read it now. */
		out->addrs = NULL;
		out->n_addrs = 0;
		if (!j->parent) {
			out->chain = NULL;
			out->chain_loop = out->chain_truncated = false;
		}
		if (j->qtype == DNS_QSOA) {
			struct ares_soa_reply *soa = NULL;
			prc = KV_OK;
			if (status == ARES_SUCCESS && ares_parse_soa_reply(abuf, alen, &soa) == ARES_SUCCESS) {
				out->ttl = soa->minttl;
				out->n_addrs = 1; /* "answered" for rcode_of() */
				ares_free_data(soa);
			}
		} else {
			prc = dns_parse_answer(abuf, alen, j->qtype == DNS_QAAAA ? DNS_QAAAA : DNS_QA, b->out_arena, out,
			    &j->need_final);
		}
		if (prc == KV_ENOMEM)
			b->err = KV_ENOMEM;
		else if (prc != KV_OK)
			j->status = ARES_EBADRESP;
	}
	list_push(&b->completed, j, false);
}

static bool
take_token(struct dns_batch *b, int64_t now)
{
	double burst;

	if (b->r->qps == 0)
		return true;
	burst = b->r->qps / 50.0 < 1.0 ? 1.0 : b->r->qps / 50.0; /* 20 ms worth */
	b->tokens += (double)(now - b->refill_ms) * b->r->qps / 1000.0;
	if (b->tokens > burst)
		b->tokens = burst;
	b->refill_ms = now;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

static void
job_send(struct dns_batch *b, struct dns_job *j, int64_t now)
{
	struct dns_chan *c = &b->r->chans[j->server];
	int type = j->qtype == DNS_QAAAA ? ns_t_aaaa : j->qtype == DNS_QTYPE_CNAME ? ns_t_cname
	    : j->qtype == DNS_QSOA ? ns_t_soa : ns_t_a;
	struct kv_dns_lookup *out = j->out;

	if (j->first_ms == 0)
		j->first_ms = now;
	j->sent_ms = now;
	out->attempts++;
	if (out->attempts > 1)
		b->stats.retries++;
	b->stats.queries++;
	j->inflight = true;
	list_push(&b->inflight, j, false);
	if (b->inflight.n > b->stats.peak_inflight)
		b->stats.peak_inflight = (unsigned)b->inflight.n;
	c->due = true;
	ares_query(c->ch, j->name, ns_c_in, type, on_answer, j);
}

static enum kv_rcode
rcode_of(int status, const struct kv_dns_lookup *out)
{
	switch (status) {
	case ARES_SUCCESS:
		return out->n_addrs > 0 ? KV_RC_NOERROR : KV_RC_NODATA;
	case ARES_ENODATA:
		return KV_RC_NODATA;
	case ARES_ENOTFOUND:
		return KV_RC_NXDOMAIN;
	case ARES_ESERVFAIL:
		return KV_RC_SERVFAIL;
	case ARES_EREFUSED:
		return KV_RC_REFUSED;
	case ARES_ETIMEOUT:
		return KV_RC_TIMEOUT;
	default:
		return KV_RC_ERROR;
	}
}

static void finish(struct dns_batch *b, struct dns_job *j);

static void
finish_followup(struct dns_batch *b, struct dns_job *f)
{
	struct dns_job *p = f->parent;
	struct kv_dns_lookup *out = p->out;

	/* The follow-up's answer: need_final CNAME <target>; its chain is [name, target]. */
	if (rcode_of(f->status, f->out) == KV_RC_NODATA && f->out->n_chain >= 2)
		chain_push(b->out_arena, out, f->out->chain[f->out->n_chain - 1]);
	else
		out->chain_truncated = true;
	finish(b, p);
}

static void
finish(struct dns_batch *b, struct dns_job *j)
{
	if (j->parent != NULL) {
		finish_followup(b, j);
		job_recycle(b, j);
		return;
	}
	if (j->done != NULL)
		j->done(b, j->arg, j->out);
	job_recycle(b, j);
}

/* Decides what an attempt's outcome means: final answer, follow-up, or retry. */
static void
handle_completed(struct dns_batch *b, struct dns_job *j, int64_t now)
{
	struct dns_resolver *r = b->r;
	struct kv_dns_lookup *out = j->out;
	enum kv_rcode rc = rcode_of(j->status, out);
	int64_t deadline = j->first_ms + r->timeout_ms;
	bool budget = now + (int64_t)r->attempt_ms <= deadline + 50;

	switch (rc) {
	case KV_RC_NOERROR:
	case KV_RC_NODATA:
	case KV_RC_NXDOMAIN:
		b->stats.answers++;
		b->window += 0.25;
		if (b->window > r->max_inflight)
			b->window = r->max_inflight;
		out->rcode = rc;
		if (j->need_final != NULL && !j->parent) {
			struct kv_dns_lookup *scratch = kv_arena_calloc(b->jobs, 1, sizeof(*scratch));
			struct dns_job *f = scratch ? job_new(b, job_name(b, j->need_final), DNS_QTYPE_CNAME, scratch) : NULL;
			if (f != NULL && f->name == NULL)
				f = NULL;
			if (f == NULL) {
				b->err = KV_ENOMEM;
				break;
			}
			f->parent = j;
			scratch->qname = f->name;
			scratch->server = -1;
			f->server = j->server;
			list_push(&b->queue, f, true);
			return;
		}
		finish(b, j);
		return;
	case KV_RC_SERVFAIL:
	case KV_RC_REFUSED:
	case KV_RC_ERROR:
		b->stats.answers++;
		j->tried |= 1u << j->server;
		for (size_t k = 1; k < r->n_chans && budget; k++) {
			size_t s = (j->server + k) % r->n_chans;
			if (!(j->tried & (1u << s))) {
				j->server = s;
				list_push(&b->queue, j, true);
				return;
			}
		}
		out->rcode = rc;
		if (rc == KV_RC_ERROR)
			out->error = kv_arena_strdup(b->out_arena, ares_strerror(j->status));
		finish(b, j);
		return;
	case KV_RC_TIMEOUT:
	case KV_RC_NONE:
		b->stats.timeouts++;
		if (now - b->cut_ms >= (int64_t)r->attempt_ms / 2) {
			b->window /= 2;
			if (b->window < DNS_MIN_WINDOW)
				b->window = DNS_MIN_WINDOW;
			b->cut_ms = now;
		}
		if (budget) {
			j->server = (j->server + 1) % r->n_chans;
			list_push(&b->queue, j, true);
			return;
		}
		out->rcode = KV_RC_TIMEOUT;
		finish(b, j);
		return;
	}
	finish(b, j);
}

enum kv_err
dns_batch_run(struct dns_batch *b)
{
	struct dns_resolver *r = b->r;
	struct pollfd *pfd = NULL;
	size_t cap_pfd = 0;
	enum kv_err rc = KV_OK;

	while (b->err == KV_OK && (waiting(b) || b->inflight.n || b->completed.n)) {
		int64_t now = kv_now_ms();
		int timeout = -1, n;
		size_t np;
		struct dns_job *done;

		if (r->cancel != NULL && *r->cancel) {
			rc = KV_ECANCELED;
			goto out;
		}
		while (b->err == KV_OK && (done = list_pop(&b->completed)) != NULL)
			handle_completed(b, done, now);
		while (waiting(b) > 0 && (double)b->inflight.n < b->window && take_token(b, now)) {
			struct dns_job *j = next_job(b);
			if (j == NULL) {
				rc = KV_ENOMEM;
				goto out;
			}
			job_send(b, j, now);
		}
		if (b->completed.n > 0)
			continue; /* a send failed at once */
		if (b->inflight.n == 0 && waiting(b) == 0)
			break;
		if (b->inflight.n > 0) {
			/* Every attempt has the same timeout, so the oldest send is due first. */
			int64_t due = b->inflight.head->sent_ms + r->attempt_ms + 1 - now;
			timeout = due < 0 ? 0 : (int)due;
			if (due <= 0) {
				/* Overdue by our clock but not c-ares' (a TCP retry after a
				 * truncated answer restarts its timer): ask c-ares. */
				struct timeval tv, *tp;
				timeout = 1000;
				for (size_t ci = 0; ci < r->n_chans; ci++) {
					tp = ares_timeout(r->chans[ci].ch, NULL, &tv);
					if (tp != NULL) {
						int ms = (int)(tp->tv_sec * 1000 + tp->tv_usec / 1000) + 1;
						if (ms < timeout)
							timeout = ms;
					}
				}
			}
		}
		if (waiting(b) > 0 && (double)b->inflight.n < b->window && r->qps) {
			int wait = (int)(1000.0 * (1.0 - b->tokens) / r->qps) + 1;
			if (timeout < 0 || wait < timeout)
				timeout = wait;
		}
		if ((rc = kv_grow((void **)&pfd, &cap_pfd, sizeof(*pfd), r->n_socks + 1)) != KV_OK)
			goto out;
		np = r->n_socks;
		for (size_t i = 0; i < np; i++) {
			pfd[i].fd = r->socks[i].fd;
			pfd[i].events = (short)((r->socks[i].rd ? POLLIN : 0) | (r->socks[i].wr ? POLLOUT : 0));
			pfd[i].revents = 0;
		}
		if (timeout < 0 || timeout > 200)
			timeout = 200; /* look at the cancel flag at least 5 times a second */
		n = poll(pfd, (nfds_t)np, timeout);
		if (n < 0 && errno != EINTR) {
			rc = KV_EIO;
			goto out;
		}
		for (size_t i = 0; n > 0 && i < np; i++) {
			if (pfd[i].revents == 0)
				continue;
			/* The socket table may change inside ares_process_fd: look the
			 * channel up by fd from the snapshot we polled. */
			size_t ci = SIZE_MAX;
			for (size_t k = 0; k < r->n_socks; k++)
				if (r->socks[k].fd == pfd[i].fd)
					ci = r->socks[k].chan;
			if (ci == SIZE_MAX)
				continue;
			ares_process_fd(r->chans[ci].ch,
			    (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD,
			    (pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
		}
		if (b->inflight.n > 0 && kv_now_ms() >= b->inflight.head->sent_ms + r->attempt_ms) {
			for (size_t ci = 0; ci < r->n_chans; ci++)
				ares_process_fd(r->chans[ci].ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
		}
	}
	rc = b->err;
out:
	free(pfd);
	return rc;
}
