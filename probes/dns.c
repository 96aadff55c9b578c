/* dns.c — paced batch resolver on c-ares 1.18, driven by hand.
 *
 * One c-ares channel per server (tries = 1): c-ares 1.18 cannot say which
 * server answered, and we want to report it and to choose the fallback order
 * ourselves (glibc's: next server on timeout or SERVFAIL).  Our scheduler owns
 * pacing (token bucket at --dns-qps), the in-flight window (halved when
 * answers are lost, regrown as they arrive: Azure DNS silently drops above
 * 1,000 q/s or 200 pending per VM) and retries within each name's budget.
 *
 * A retry never gives up on the queries sent before it: each query (a "try")
 * stays open in c-ares for the whole budget, so a slow server's answer to the
 * first try still counts after the second was sent.  The first answer wins;
 * later ones are dropped.  A failure answer (SERVFAIL, REFUSED, any other
 * reply code but NOERROR/NXDOMAIN, a refused connection) moves to the next
 * server at once.
 *
 * The loop is poll() over the sockets c-ares reports through its
 * socket-state callback; our own timers (one per name, in order) decide
 * retries and the end of each name's budget. */
#include "kvpe/dns.h"

#include <arpa/nameser.h>
#include <ares.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "kvpe/log.h"

#define DNS_TTLS_STACK 64            /* ares_addrttl entries on the stack: a 512-byte UDP answer holds fewer */
#define DNS_RCVBUF (4 * 1024 * 1024) /* measured: the default buffer drops answers at 256+ in flight */
#define DNS_MIN_WINDOW 8.0
#define DNS_QTYPE_CNAME 99 /* internal: follow-up to learn a chain's last target */

struct dns_chan {
	ares_channel ch;
	struct dns_resolver *r;
	size_t idx;
	struct kv_hostport server;
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

struct dns_job;

/* One query sent for a job.  c-ares calls back exactly once per try
 * (answer, failure, its own timeout, or cancel). */
struct dns_try {
	struct dns_try *next; /* the job's open tries, or the batch's spares */
	struct dns_job *j;    /* NULL once the job has ended: a late answer is dropped */
	struct dns_batch *b;
	size_t server;
	int64_t sent_ms;
};

enum dns_where { DW_NONE, DW_QUEUE, DW_INFLIGHT, DW_COMPLETED };

struct dns_job {
	struct dns_job *next, *prev; /* the list named by `where` */
	enum dns_where where;
	struct dns_batch *b;
	const char *name;
	int qtype; /* DNS_QA, DNS_QAAAA, DNS_QSOA or DNS_QTYPE_CNAME */
	struct kv_dns_lookup *out; /* a follow-up's own answer, in the jobs arena */
	dns_done_fn done;
	void *arg;
	struct dns_job *parent; /* for a CNAME follow-up */
	struct dns_try *tries;  /* open tries: any of them may still answer */
	size_t server;          /* where the next (or latest) try goes */
	uint32_t failed;        /* servers that answered with a failure */
	uint32_t refused;       /* ... of which: refused the connection */
	int64_t first_ms, sent_ms, due_ms;
	bool answered; /* `out` holds the answer (NOERROR, NODATA or NXDOMAIN) */
	/* the latest failure, reported when no server answers better */
	enum kv_rcode fail_rc;
	int fail_wire;
	size_t fail_server;
	uint32_t fail_ms;
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
	struct dns_try *spare_tries; /* tries c-ares is done with, reused */
	/* queue: retries, failovers and follow-ups, sent first; inflight: jobs
	 * waiting for an answer, in the order of their due_ms; completed: jobs
	 * with an outcome to decide on */
	struct dns_list queue, inflight, completed;
	double tokens, window;
	int64_t refill_ms, cut_ms;
	struct dns_stats stats;
	enum kv_err err;
	bool done; /* dns_batch_run_all: every lookup has ended */
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

static struct dns_list *
job_list(struct dns_batch *b, enum dns_where w)
{
	switch (w) {
	case DW_QUEUE:
		return &b->queue;
	case DW_INFLIGHT:
		return &b->inflight;
	case DW_COMPLETED:
		return &b->completed;
	case DW_NONE:
		break;
	}
	return NULL;
}

/* Takes the job off whichever list holds it. */
static void
job_unlist(struct dns_batch *b, struct dns_job *j)
{
	struct dns_list *l = job_list(b, j->where);

	if (l != NULL)
		list_remove(l, j);
	j->where = DW_NONE;
}

static void
job_put(struct dns_batch *b, struct dns_job *j, enum dns_where w, bool front)
{
	job_unlist(b, j);
	list_push(job_list(b, w), j, front);
	j->where = w;
}

static struct dns_job *
job_pop(struct dns_batch *b, enum dns_where w)
{
	struct dns_job *j = job_list(b, w)->head;

	if (j != NULL)
		job_unlist(b, j);
	return j;
}

/* Waits for an answer until j->due_ms.  The in-flight list stays in due
 * order; a fresh send is due last, so the walk from the tail is short. */
static void
job_wait(struct dns_batch *b, struct dns_job *j)
{
	struct dns_list *l = &b->inflight;
	struct dns_job *at;

	job_unlist(b, j);
	for (at = l->tail; at != NULL && at->due_ms > j->due_ms; at = at->prev)
		;
	j->prev = at;
	j->next = at != NULL ? at->next : l->head;
	if (j->next != NULL)
		j->next->prev = j;
	else
		l->tail = j;
	if (at != NULL)
		at->next = j;
	else
		l->head = j;
	l->n++;
	j->where = DW_INFLIGHT;
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
	/* A try stays open for the whole budget: our retries do not end it. */
	o.timeout = (int)r->timeout_ms;
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
	if (ares_set_servers_ports(c->ch, &node) != ARES_SUCCESS) {
		/* Not counted in n_chans yet: dns_free() would not destroy it. */
		ares_destroy(c->ch);
		c->ch = NULL;
		return KV_EDNS;
	}
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
	if (n > KV_DNS_SERVERS_MAX) {
		rc = KV_ELIMIT; /* the per-job masks of servers */
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
	/* A lost query is sent again after a third of the budget (never
	 * sooner than 100 ms), the earlier tries still open. */
	r->attempt_ms = r->timeout_ms / 3 < 100 ? 100 : r->timeout_ms / 3;
	for (size_t i = 0; i < n; i++) {
		if ((rc = chan_init(r, i, &servers[i])) != KV_OK)
			goto out;
		r->n_chans++;
	}
out:
	free(sys);
	if (rc != KV_OK) {
		/* dns_free() ends the library init this call made; without a
		 * resolver to free, that is left to us. */
		if (r != NULL)
			dns_free(r);
		else
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

void
dns_server_at(const struct dns_resolver *r, size_t i, struct kv_hostport *out)
{
	*out = r->chans[i].server;
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
chain_push_name(struct kv_arena *a, struct kv_dns_lookup *out, const char *name, bool stable, enum kv_err *rc)
{
	const char *n;

	if (out->chain_loop || out->chain_truncated)
		return false;
	n = stable && is_canonical(name) ? name : kv_arena_dnsname(a, name);
	if (n == NULL) {
		*rc = KV_ENOMEM; /* a chain cut short is no answer to give */
		return false;
	}
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
chain_push(struct kv_arena *a, struct kv_dns_lookup *out, const char *name, enum kv_err *rc)
{
	return chain_push_name(a, out, name, false, rc);
}

enum kv_err
dns_parse_answer(const unsigned char *abuf, int alen, enum dns_qtype qt, struct kv_arena *a,
    struct kv_dns_lookup *out, const char **need_final)
{
	struct ares_addrttl at4_stack[DNS_TTLS_STACK], *at4 = at4_stack;
	struct ares_addr6ttl at6_stack[DNS_TTLS_STACK], *at6 = at6_stack;
	struct hostent *h = NULL;
	int nat = DNS_TTLS_STACK, st;
	size_t n_alias = 0, n_addr = 0, most;
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
			chain_push_name(a, &work, work.qname, true, &rc);
	} else {
		memcpy(scratch, work.chain, work.n_chain * sizeof(*scratch));
		work.chain = scratch;
	}
	/* c-ares fills at most nat TTL entries and drops the rest without a
	 * word: size them for the most records alen can hold (an A record takes
	 * 15 bytes at least, an AAAA 27), on the heap only for the big answers
	 * that come over TCP.  h_addr_list itself is never cut. */
	if (alen < 0) {
		rc = KV_EPARSE;
		goto done;
	}
	most = (size_t)alen / (aaaa ? 27 : 15) + 1;
	if (most > DNS_TTLS_STACK) {
		void *heap = calloc(most, aaaa ? sizeof(*at6) : sizeof(*at4));
		if (heap == NULL) {
			rc = KV_ENOMEM;
			goto done;
		}
		if (aaaa)
			at6 = heap;
		else
			at4 = heap;
		nat = (int)most;
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
			more = chain_push(a, out, h->h_aliases[i], &rc);
		if (more) {
			if (n_alias == 1 && h->h_name != NULL)
				chain_push(a, out, h->h_name, &rc);
			else if ((*need_final = kv_arena_dnsname(a, h->h_aliases[n_alias - 1])) == NULL)
				rc = KV_ENOMEM;
		}
		if (rc != KV_OK)
			goto done;
	}
	while (h->h_addr_list != NULL && h->h_addr_list[n_addr] != NULL)
		n_addr++;
	if ((size_t)nat < n_addr) {
		rc = KV_ELIMIT; /* cannot happen (the TTL array fits the packet); never a silent cut */
		goto done;
	}
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
	if (at4 != at4_stack)
		free(at4);
	if (at6 != at6_stack)
		free(at6);
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

struct dns_resolver *
dns_batch_resolver(const struct dns_batch *b)
{
	return b->r;
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
	j->fail_wire = -1;
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

static struct dns_try *
try_new(struct dns_batch *b)
{
	struct dns_try *t = b->spare_tries;

	if (t != NULL)
		b->spare_tries = t->next;
	else if ((t = kv_arena_alloc(b->jobs, sizeof(*t))) == NULL)
		return NULL;
	memset(t, 0, sizeof(*t));
	return t;
}

/* c-ares is done with the try: off its job's list, kept for the next. */
static void
try_release(struct dns_batch *b, struct dns_try *t)
{
	if (t->j != NULL) {
		struct dns_try **pp = &t->j->tries;
		while (*pp != NULL && *pp != t)
			pp = &(*pp)->next;
		if (*pp == t)
			*pp = t->next;
	}
	t->j = NULL;
	t->next = b->spare_tries;
	b->spare_tries = t;
}

/* The job's outcome is decided: its open tries may still be answered, but
 * no longer for it. */
static void
job_close_tries(struct dns_job *j)
{
	for (struct dns_try *t = j->tries; t != NULL; t = t->next)
		t->j = NULL;
	j->tries = NULL;
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
	out->wire_rcode = -1;
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
		return job_pop(b, DW_QUEUE);
	p = &b->pending[b->next_pending];
	if ((j = job_new(b, p->name, p->qtype, p->out)) == NULL)
		return NULL;
	j->done = p->done;
	j->arg = p->arg;
	b->next_pending++;
	return j;
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

/* Reads an answer's outcome for its job: an answer (NOERROR, NODATA,
 * NXDOMAIN) is parsed into j->out and ends the job's waiting; a failure is
 * noted against the server that gave it. */
static void
try_outcome(struct dns_batch *b, struct dns_job *j, const struct dns_try *t, int status, const unsigned char *abuf,
    int alen)
{
	struct kv_dns_lookup *out = j->out;
	/* The reply code straight from the fixed header (RFC 1035 4.1.1): c-ares
	 * 1.18 maps only 0-5 to a status and passes 6-15 off as success. */
	int wire = abuf != NULL && alen >= HFIXEDSZ ? abuf[3] & 0x0f : -1;
	enum kv_rcode rc = KV_RC_ERROR;
	const char *why = NULL;
	int64_t now = kv_now_ms();

	if ((wire == ns_r_noerror || wire == ns_r_nxdomain) && status != ARES_SUCCESS && status != ARES_ENODATA &&
	    status != ARES_ENOTFOUND) {
		why = ares_strerror(status); /* not seen with c-ares 1.18; never read as an answer */
	} else if (wire == ns_r_noerror || wire == ns_r_nxdomain) {
		enum kv_err prc = KV_OK;
		/* The answer buffer lives only during this call: read it now. */
		out->addrs = NULL;
		out->n_addrs = 0;
		out->chain = NULL;
		out->n_chain = 0;
		out->chain_loop = out->chain_truncated = false;
		if (j->qtype == DNS_QSOA) {
			struct ares_soa_reply *soa = NULL;
			rc = KV_RC_NODATA;
			if (status == ARES_SUCCESS && ares_parse_soa_reply(abuf, alen, &soa) == ARES_SUCCESS) {
				out->ttl = soa->minttl;
				rc = KV_RC_NOERROR;
				ares_free_data(soa);
			}
		} else {
			prc = dns_parse_answer(abuf, alen, j->qtype == DNS_QAAAA ? DNS_QAAAA : DNS_QA, b->out_arena, out,
			    &j->need_final);
			rc = wire == ns_r_nxdomain ? KV_RC_NXDOMAIN : out->n_addrs > 0 ? KV_RC_NOERROR : KV_RC_NODATA;
		}
		if (prc == KV_ENOMEM) {
			b->err = KV_ENOMEM;
			return;
		}
		if (prc != KV_OK) {
			rc = KV_RC_ERROR;
			why = prc == KV_ELIMIT ? "answer larger than kvpe keeps" : ares_strerror(ARES_EBADRESP);
		}
	} else if (wire == ns_r_refused) {
		rc = KV_RC_REFUSED;
	} else if (wire > 0) {
		rc = KV_RC_SERVFAIL; /* SERVFAIL, and every code but NOERROR, NXDOMAIN, REFUSED */
	} else if (status == ARES_ECONNREFUSED) {
		/* c-ares' word for "ICMP port unreachable" on UDP, or a refused TCP
		 * connect: nothing answers there at all. */
		why = "connection refused: nothing listens on that port";
	} else {
		why = ares_strerror(status);
	}
	if (rc == KV_RC_NOERROR || rc == KV_RC_NODATA || rc == KV_RC_NXDOMAIN) {
		j->answered = true;
		job_close_tries(j); /* the first answer wins */
		out->rcode = rc;
		out->wire_rcode = wire;
		out->error = NULL; /* an earlier failure of another server */
		out->server = (int)t->server;
		out->ms = (uint32_t)(now - t->sent_ms);
		return;
	}
	j->failed |= 1u << t->server;
	if (status == ARES_ECONNREFUSED)
		j->refused |= 1u << t->server;
	j->fail_rc = rc;
	j->fail_wire = wire;
	j->fail_server = t->server;
	j->fail_ms = (uint32_t)(now - t->sent_ms);
	out->error = why;
}

static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_try *t = arg;
	struct dns_batch *b = t->b;
	struct dns_job *j = t->j;

	KV_UNUSED(timeouts);
	if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION)
		return; /* the batch is going away, and its arena with the try */
	if (status != ARES_ETIMEOUT && abuf != NULL)
		b->stats.answers++;
	if (j != NULL && status != ARES_ETIMEOUT && !j->answered) {
		/* A timeout is c-ares giving up on this one try (after the whole
		 * budget): the job's own timer decides. */
		try_outcome(b, j, t, status, abuf, alen);
		if (j->where != DW_COMPLETED)
			job_put(b, j, DW_COMPLETED, false);
	} else if (j == NULL && abuf != NULL) {
		b->stats.late++; /* its name was decided already */
	}
	try_release(b, t);
}

static void
job_send(struct dns_batch *b, struct dns_job *j, int64_t now)
{
	struct dns_resolver *r = b->r;
	struct dns_chan *c = &r->chans[j->server];
	int type = j->qtype == DNS_QAAAA ? ns_t_aaaa : j->qtype == DNS_QTYPE_CNAME ? ns_t_cname
	    : j->qtype == DNS_QSOA ? ns_t_soa : ns_t_a;
	struct kv_dns_lookup *out = j->out;
	struct dns_try *t = try_new(b);
	int64_t deadline;

	if (t == NULL) {
		b->err = KV_ENOMEM;
		return;
	}
	if (j->first_ms == 0)
		j->first_ms = now;
	deadline = j->first_ms + r->timeout_ms;
	j->sent_ms = now;
	j->due_ms = now + r->attempt_ms < deadline ? now + r->attempt_ms : deadline;
	t->j = j;
	t->b = b;
	t->server = j->server;
	t->sent_ms = now;
	t->next = j->tries;
	j->tries = t;
	out->attempts++;
	if (out->attempts > 1)
		b->stats.retries++;
	b->stats.queries++;
	job_wait(b, j);
	if (b->inflight.n > b->stats.peak_inflight)
		b->stats.peak_inflight = (unsigned)b->inflight.n;
	/* May call back at once (a socket that cannot be opened). */
	ares_query(c->ch, j->name, ns_c_in, type, on_answer, t);
}

static uint32_t
all_servers(const struct dns_resolver *r)
{
	return r->n_chans >= 32 ? UINT32_MAX : (1u << r->n_chans) - 1;
}

/* Round robin from the latest server, skipping those that failed. */
static size_t
next_server(const struct dns_batch *b, const struct dns_job *j)
{
	size_t n = b->r->n_chans;

	for (size_t k = 1; k <= n; k++) {
		size_t s = (j->server + k) % n;
		if (!(j->failed & (1u << s)))
			return s;
	}
	return j->server;
}

/* Enough of the budget is left for another try to be worth sending. */
static bool
time_for_another(const struct dns_batch *b, const struct dns_job *j, int64_t now)
{
	return (j->first_ms + b->r->timeout_ms - now) * 2 >= (int64_t)b->r->attempt_ms;
}

static void finish(struct dns_batch *b, struct dns_job *j);

static void
finish_followup(struct dns_batch *b, struct dns_job *f)
{
	struct dns_job *p = f->parent;
	struct kv_dns_lookup *out = p->out;

	/* The follow-up's answer: need_final CNAME <target>; its chain is [name, target]. */
	if (f->answered && f->out->rcode == KV_RC_NODATA && f->out->n_chain >= 2)
		chain_push(b->out_arena, out, f->out->chain[f->out->n_chain - 1], &b->err);
	else
		out->chain_incomplete = true;
	finish(b, p);
}

static void
finish(struct dns_batch *b, struct dns_job *j)
{
	job_close_tries(j);
	if (j->parent != NULL) {
		finish_followup(b, j);
		job_recycle(b, j);
		return;
	}
	if (j->done != NULL)
		j->done(b, j->arg, j->out);
	job_recycle(b, j);
}

/* No server answered: the latest failure answer, else a timeout. */
static void
finish_unanswered(struct dns_batch *b, struct dns_job *j, int64_t now)
{
	struct dns_resolver *r = b->r;
	struct kv_dns_lookup *out = j->out;

	if (j->failed == 0) {
		out->rcode = KV_RC_TIMEOUT;
		out->wire_rcode = -1;
		out->server = (int)j->server;
		out->ms = (uint32_t)(now - j->sent_ms);
		out->error = NULL;
	} else {
		out->rcode = j->fail_rc;
		out->wire_rcode = j->fail_wire;
		out->server = (int)j->fail_server;
		out->ms = j->fail_ms;
		if (r->n_chans > 1 && (j->refused & all_servers(r)) == all_servers(r))
			out->error = kv_arena_printf(b->out_arena,
			    "connection refused by all %zu servers: nothing listens on their DNS port", r->n_chans);
		else if (out->error != NULL)
			out->error = kv_arena_strdup(b->out_arena, out->error);
		if (j->fail_rc == KV_RC_ERROR && out->error == NULL)
			b->err = KV_ENOMEM;
	}
	finish(b, j);
}

/* Whether a try is still open to a server that is not in `except`: it may
 * still answer.  A server that refused the connection will not. */
static bool
open_try(const struct dns_job *j, uint32_t except)
{
	for (const struct dns_try *t = j->tries; t != NULL; t = t->next)
		if (!(except & (1u << t->server)))
			return true;
	return false;
}

/* Decides what an outcome means: final answer, follow-up, failover or wait. */
static void
handle_completed(struct dns_batch *b, struct dns_job *j, int64_t now)
{
	struct dns_resolver *r = b->r;
	bool all_failed;

	if (j->answered) {
		b->window += 0.25;
		if (b->window > r->max_inflight)
			b->window = r->max_inflight;
		if (j->need_final != NULL && !j->parent) {
			struct kv_dns_lookup *scratch = kv_arena_calloc(b->jobs, 1, sizeof(*scratch));
			struct dns_job *f = scratch ? job_new(b, job_name(b, j->need_final), DNS_QTYPE_CNAME, scratch) : NULL;
			if (f == NULL || f->name == NULL) {
				b->err = KV_ENOMEM;
				return;
			}
			f->parent = j;
			scratch->qname = f->name;
			scratch->server = -1;
			scratch->wire_rcode = -1;
			f->server = j->out->server >= 0 ? (size_t)j->out->server : 0;
			job_put(b, f, DW_QUEUE, true);
			return;
		}
		finish(b, j);
		return;
	}
	/* A failure answer: the next server's turn at once, unless one that
	 * has not failed is being asked already.  An earlier try that is still
	 * open may yet answer: it is waited for, within the budget. */
	all_failed = (j->failed & all_servers(r)) == all_servers(r);
	if (!all_failed && !open_try(j, j->failed) && time_for_another(b, j, now)) {
		j->server = next_server(b, j);
		job_put(b, j, DW_QUEUE, true);
	} else if (open_try(j, j->refused)) {
		job_wait(b, j);
	} else {
		finish_unanswered(b, j, now);
	}
}

/* No answer by j->due_ms: send again (the earlier tries stay open), or
 * the budget is spent. */
static void
handle_due(struct dns_batch *b, struct dns_job *j, int64_t now)
{
	struct dns_resolver *r = b->r;
	bool all_failed = (j->failed & all_servers(r)) == all_servers(r);

	b->stats.timeouts++;
	if (now - b->cut_ms >= (int64_t)r->attempt_ms / 2) {
		b->window /= 2;
		if (b->window < DNS_MIN_WINDOW)
			b->window = DNS_MIN_WINDOW;
		b->cut_ms = now;
	}
	if (now >= j->first_ms + (int64_t)r->timeout_ms || (all_failed && !open_try(j, j->refused))) {
		finish_unanswered(b, j, now);
	} else if (!all_failed && time_for_another(b, j, now)) {
		j->server = next_server(b, j);
		job_put(b, j, DW_QUEUE, true);
	} else {
		j->due_ms = j->first_ms + r->timeout_ms;
		job_wait(b, j);
	}
}

/* How long one poll() may wait: until the first query in flight is due,
 * or, with names waiting and room in the window, until the pacing lets the
 * next one go; at most 200 ms, so the cancel flag is looked at 5 times a
 * second. */
static int
poll_timeout(const struct dns_batch *b, int64_t now)
{
	const struct dns_resolver *r = b->r;
	int timeout = -1;

	if (b->inflight.head != NULL) {
		int64_t due = b->inflight.head->due_ms - now;
		timeout = due < 0 ? 0 : due > 200 ? 200 : (int)due;
	}
	if (waiting(b) > 0 && (double)b->inflight.n < b->window && r->qps) {
		int wait = (int)(1000.0 * (1.0 - b->tokens) / r->qps) + 1;
		if (timeout < 0 || wait < timeout)
			timeout = wait;
	}
	return timeout < 0 || timeout > 200 ? 200 : timeout;
}

/* One turn of a batch's scheduler: outcomes decided, due tries retried,
 * new queries sent within its window and pacing.  Returns the poll()
 * timeout it needs (ms), or -1 when it has nothing left to do. */
static int
batch_turn(struct dns_batch *b, int64_t now)
{
	struct dns_job *done;

	while (b->err == KV_OK && (done = job_pop(b, DW_COMPLETED)) != NULL)
		handle_completed(b, done, now);
	while (b->err == KV_OK && b->inflight.head != NULL && b->inflight.head->due_ms <= now &&
	    (done = job_pop(b, DW_INFLIGHT)) != NULL)
		handle_due(b, done, now);
	while (b->err == KV_OK && waiting(b) > 0 && (double)b->inflight.n < b->window && take_token(b, now)) {
		struct dns_job *j = next_job(b);
		if (j == NULL) {
			b->err = KV_ENOMEM;
			break;
		}
		job_send(b, j, now);
	}
	if (b->err != KV_OK)
		return -1;
	if (b->completed.n > 0)
		return 0; /* a send failed at once */
	if (b->inflight.n == 0 && waiting(b) == 0)
		return -1;
	return poll_timeout(b, now);
}

/* The channel of a socket the resolver reported, SIZE_MAX if gone. */
static size_t
sock_chan(const struct dns_resolver *r, ares_socket_t fd)
{
	for (size_t k = 0; k < r->n_socks; k++)
		if (r->socks[k].fd == fd)
			return r->socks[k].chan;
	return SIZE_MAX;
}

enum kv_err
dns_batch_run_all(struct dns_batch *const *bs, size_t nb)
{
	struct pollfd *pfd = NULL;
	size_t *owner = NULL; /* the batch of each pollfd */
	size_t cap_pfd = 0, cap_owner = 0;
	enum kv_err rc = KV_OK;

	for (size_t i = 0; i < nb; i++)
		for (size_t k = 0; k < i; k++)
			if (bs[i]->r == bs[k]->r)
				return KV_EINTERNAL; /* one batch per resolver at a time */
	for (size_t i = 0; i < nb; i++)
		bs[i]->done = false;
	for (;;) {
		int64_t now = kv_now_ms();
		int timeout = -1, n;
		size_t np = 0;
		bool live = false;

		for (size_t i = 0; i < nb; i++) {
			const volatile int *cancel = bs[i]->r->cancel;
			if (cancel != NULL && *cancel) {
				rc = KV_ECANCELED;
				goto out;
			}
		}
		for (size_t i = 0; i < nb; i++) {
			struct dns_batch *b = bs[i];
			int t;
			if (b->err != KV_OK) {
				rc = b->err;
				goto out;
			}
			if (b->done)
				continue;
			if ((t = batch_turn(b, now)) < 0) {
				if (b->err != KV_OK) {
					rc = b->err;
					goto out;
				}
				b->done = true; /* its late answers no longer matter */
				continue;
			}
			live = true;
			if (timeout < 0 || t < timeout)
				timeout = t;
		}
		if (!live)
			break;
		for (size_t i = 0; i < nb; i++) {
			const struct dns_resolver *r = bs[i]->r;
			if (bs[i]->done)
				continue;
			if ((rc = kv_grow((void **)&pfd, &cap_pfd, sizeof(*pfd), np + r->n_socks + 1)) != KV_OK ||
			    (rc = kv_grow((void **)&owner, &cap_owner, sizeof(*owner), np + r->n_socks + 1)) != KV_OK)
				goto out;
			for (size_t k = 0; k < r->n_socks; k++, np++) {
				pfd[np].fd = r->socks[k].fd;
				pfd[np].events = (short)((r->socks[k].rd ? POLLIN : 0) | (r->socks[k].wr ? POLLOUT : 0));
				pfd[np].revents = 0;
				owner[np] = i;
			}
		}
		n = poll(pfd, (nfds_t)np, timeout);
		if (n < 0 && errno != EINTR) {
			rc = KV_EIO;
			goto out;
		}
		for (size_t i = 0; n > 0 && i < np; i++) {
			const struct dns_resolver *r = bs[owner[i]]->r;
			size_t ci;
			if (pfd[i].revents == 0)
				continue;
			/* The socket table may change inside ares_process_fd: look the
			 * channel up by fd from the snapshot we polled. */
			if ((ci = sock_chan(r, pfd[i].fd)) == SIZE_MAX)
				continue;
			ares_process_fd(r->chans[ci].ch,
			    (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD,
			    (pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
		}
	}
out:
	free(pfd);
	free(owner);
	return rc;
}

enum kv_err
dns_batch_run(struct dns_batch *b)
{
	return dns_batch_run_all(&b, 1);
}
