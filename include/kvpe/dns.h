/* dns.h — the DNS probe: a paced batch resolver on c-ares 1.18.
 *
 * Many queries in flight (bounded), paced to --dns-qps, each answer kept whole:
 * rcode, the CNAME chain, addresses, TTL, which server answered and how long it
 * took.  A lost answer is retried (next server first) within the per-name time
 * budget before it becomes KV_RC_TIMEOUT; an answer to an earlier try that
 * arrives within the budget still counts.  A reply code other than NOERROR
 * and NXDOMAIN is a server failure: the next server is asked.  Library types
 * stay inside dns.c. */
#ifndef KVPE_DNS_H
#define KVPE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvpe/addr.h"
#include "kvpe/arena.h"
#include "kvpe/common.h"
#include "kvpe/types.h"

/* DNS_QSOA: the SOA's MINIMUM lands in ->ttl (the zone's negative TTL,
 * RFC 2308), which c-ares 1.18 cannot read from a negative answer itself. */
enum dns_qtype { DNS_QA, DNS_QAAAA, DNS_QSOA };

struct dns_cfg {
	const struct kv_hostport *servers; /* none: the system's /etc/resolv.conf */
	size_t n_servers;
	unsigned qps;          /* queries per second; 0 = unlimited */
	unsigned max_inflight; /* queries in flight at most */
	unsigned timeout_ms;   /* budget for one name, all attempts included */
	const volatile int *cancel; /* set by a signal handler: stop soon (agent mode) */
};

struct dns_stats {
	unsigned long queries; /* packets sent, retries included */
	unsigned long retries, timeouts, answers;
	unsigned long late; /* answers that came after their name was decided */
	unsigned peak_inflight;
};

struct dns_resolver;
struct dns_batch;

enum kv_err dns_new(const struct dns_cfg *cfg, struct dns_resolver **out);
void dns_free(struct dns_resolver *r);
void dns_set_cancel(struct dns_resolver *r, const volatile int *cancel);
size_t dns_server_count(const struct dns_resolver *r);
/* "10.0.0.4:53" / "[fd00::53]:53" */
void dns_server_name(const struct dns_resolver *r, size_t i, char *buf, size_t size);
void dns_server_at(const struct dns_resolver *r, size_t i, struct kv_hostport *out);

/* Called when a lookup is final; may add more lookups to the same batch. */
typedef void (*dns_done_fn)(struct dns_batch *b, void *arg, struct kv_dns_lookup *result);

/* Results and their strings are allocated in `a`, which must outlive them. */
enum kv_err dns_batch_new(struct dns_resolver *r, struct kv_arena *a, struct dns_batch **out);
void dns_batch_free(struct dns_batch *b);
/* `out` is filled when the lookup ends (it must stay valid until then).
 * `name` must live as long as the results (out->qname may point to it). */
enum kv_err dns_batch_add(struct dns_batch *b, const char *name, enum dns_qtype qt,
    struct kv_dns_lookup *out, dns_done_fn done, void *arg);
/* Runs until every lookup (and follow-up) has ended. */
enum kv_err dns_batch_run(struct dns_batch *b);
/* Runs several batches at once from one poll() loop, each of a different
 * resolver and paced by that resolver's own budget (qps, max_inflight):
 * the vantage points (kv_report.vantages), one single-server resolver
 * each, so that a server's failure is its own answer, never a failover.
 * Returns when every batch has ended; the first error stops all. */
enum kv_err dns_batch_run_all(struct dns_batch *const *b, size_t n);
void dns_batch_stats(const struct dns_batch *b, struct dns_stats *out);
struct dns_resolver *dns_batch_resolver(const struct dns_batch *b);

/* The answer for `name` as read off `a`'s chain when the chain passes
 * through it (asking again would return the same); false otherwise. */
bool dns_lookup_from(const struct kv_dns_lookup *a, const char *name, struct kv_dns_lookup *out);

/* Reads one DNS answer into `out` (chain, addresses, TTL) with c-ares' own
 * parsers.  Sets *need_final to the name whose CNAME target the answer does
 * not reveal (c-ares 1.18's hostent names only the first target), or NULL.
 * Exposed for tests and the fuzzer. */
enum kv_err dns_parse_answer(const unsigned char *abuf, int alen, enum dns_qtype qt,
    struct kv_arena *a, struct kv_dns_lookup *out, const char **need_final);

#endif
