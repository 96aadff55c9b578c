/* addr.h — IPv4/IPv6 addresses as plain values, CIDR ranges, and the
 * "is this answer private?" rule of the spec. */
#ifndef KVPE_ADDR_H
#define KVPE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvpe/common.h"

#define KV_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

struct kv_addr {
	uint8_t family; /* 4 or 6; 0 = unset */
	uint8_t b[16];  /* network order; IPv4 uses b[0..3] */
};

struct kv_cidr {
	struct kv_addr base;
	uint8_t bits;
};

/* A server address with an optional port: "10.0.0.4", "10.0.0.4:53",
 * "[fd00::53]:5353", "fd00::53". */
struct kv_hostport {
	struct kv_addr addr;
	uint16_t port;
};

enum kv_err kv_addr_parse(const char *s, struct kv_addr *out);
/* Accepts "10.1.2.3/28" by ignoring the prefix (ARM NIC example quirk). */
enum kv_err kv_addr_parse_loose(const char *s, struct kv_addr *out);
void kv_addr_format(const struct kv_addr *a, char *buf, size_t size);
/* Numeric order, IPv4 before IPv6. */
int kv_addr_cmp(const struct kv_addr *a, const struct kv_addr *b);
bool kv_addr_eq(const struct kv_addr *a, const struct kv_addr *b);
void kv_addr_sort_unique(struct kv_addr *v, size_t *n);
bool kv_addr_in_list(const struct kv_addr *a, const struct kv_addr *v, size_t n);

enum kv_err kv_cidr_parse(const char *s, struct kv_cidr *out);
bool kv_cidr_contains(const struct kv_cidr *c, const struct kv_addr *a);

/* The default private ranges: RFC 1918, 100.64.0.0/10 (RFC 6598) and, for
 * AAAA answers, fc00::/7 (RFC 4193). */
bool kv_addr_is_default_private(const struct kv_addr *a);
bool kv_addr_is_private(const struct kv_addr *a, const struct kv_cidr *extra, size_t n_extra);

/* "IPv4", "IPv4:PORT", "IPv6" or "[IPv6]:PORT".  An unbracketed IPv6
 * address whose last group could be a port ("::1:53": ::1 port 53, or the
 * address ::1:53?) is refused: kv_hostport_ambiguous says so. */
enum kv_err kv_hostport_parse(const char *s, uint16_t default_port, struct kv_hostport *out);
bool kv_hostport_ambiguous(const char *s);
void kv_hostport_format(const struct kv_hostport *hp, char *buf, size_t size);

#endif
