/* addr.c — see addr.h.  inet_pton/inet_ntop do the text work. */
#include "kvpe/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kv_err
kv_addr_parse(const char *s, struct kv_addr *out)
{
	struct kv_addr a;

	memset(&a, 0, sizeof(a));
	if (s == NULL)
		return KV_EPARSE;
	if (inet_pton(AF_INET, s, a.b) == 1) {
		a.family = 4;
	} else if (inet_pton(AF_INET6, s, a.b) == 1) {
		a.family = 6;
	} else {
		return KV_EPARSE;
	}
	*out = a;
	return KV_OK;
}

enum kv_err
kv_addr_parse_loose(const char *s, struct kv_addr *out)
{
	char tmp[KV_ADDR_STRLEN + 8];
	const char *slash;
	size_t n;

	if (s == NULL)
		return KV_EPARSE;
	slash = strchr(s, '/');
	if (slash == NULL)
		return kv_addr_parse(s, out);
	n = (size_t)(slash - s);
	if (n >= sizeof(tmp))
		return KV_EPARSE;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return kv_addr_parse(tmp, out);
}

void
kv_addr_format(const struct kv_addr *a, char *buf, size_t size)
{
	if (a->family == 4 || a->family == 6) {
		if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->b, buf, (socklen_t)size) != NULL)
			return;
	}
	snprintf(buf, size, "?");
}

int
kv_addr_cmp(const struct kv_addr *a, const struct kv_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, a->family == 4 ? 4 : 16);
}

bool
kv_addr_eq(const struct kv_addr *a, const struct kv_addr *b)
{
	return kv_addr_cmp(a, b) == 0;
}

static int
addr_qsort_cmp(const void *x, const void *y)
{
	return kv_addr_cmp(x, y);
}

void
kv_addr_sort_unique(struct kv_addr *v, size_t *n)
{
	size_t i, o = 0;

	if (*n < 2)
		return;
	qsort(v, *n, sizeof(*v), addr_qsort_cmp);
	for (i = 0; i < *n; i++)
		if (o == 0 || !kv_addr_eq(&v[o - 1], &v[i]))
			v[o++] = v[i];
	*n = o;
}

bool
kv_addr_in_list(const struct kv_addr *a, const struct kv_addr *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (kv_addr_eq(a, &v[i]))
			return true;
	return false;
}

enum kv_err
kv_cidr_parse(const char *s, struct kv_cidr *out)
{
	char tmp[KV_ADDR_STRLEN + 8];
	const char *slash = strchr(s, '/');
	struct kv_cidr c;
	long bits;
	size_t n;

	memset(&c, 0, sizeof(c));
	if (slash == NULL)
		return KV_EPARSE;
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(tmp))
		return KV_EPARSE;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (kv_addr_parse(tmp, &c.base) != KV_OK)
		return KV_EPARSE;
	if (kv_parse_long(slash + 1, 0, c.base.family == 4 ? 32 : 128, &bits) != KV_OK)
		return KV_EPARSE;
	c.bits = (uint8_t)bits;
	/* Clear host bits so "10.1.2.3/8" means 10.0.0.0/8. */
	for (unsigned i = 0; i < 16; i++) {
		unsigned lo = i * 8;
		if (lo >= c.bits)
			c.base.b[i] = 0;
		else if (lo + 8 > c.bits)
			c.base.b[i] &= (uint8_t)(0xff << (8 - (c.bits - lo)));
	}
	*out = c;
	return KV_OK;
}

bool
kv_cidr_contains(const struct kv_cidr *c, const struct kv_addr *a)
{
	unsigned full, rem;

	if (c->base.family != a->family)
		return false;
	full = c->bits / 8u;
	rem = c->bits % 8u;
	if (memcmp(c->base.b, a->b, full) != 0)
		return false;
	if (rem == 0)
		return true;
	return ((a->b[full] ^ c->base.b[full]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

bool
kv_addr_is_default_private(const struct kv_addr *a)
{
	const uint8_t *b = a->b;

	if (a->family == 4)
		return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		    (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (b[1] & 0xc0) == 64);
	if (a->family == 6)
		return (b[0] & 0xfe) == 0xfc;
	return false;
}

bool
kv_addr_is_private(const struct kv_addr *a, const struct kv_cidr *extra, size_t n_extra)
{
	if (kv_addr_is_default_private(a))
		return true;
	for (size_t i = 0; i < n_extra; i++)
		if (kv_cidr_contains(&extra[i], a))
			return true;
	return false;
}

bool
kv_hostport_ambiguous(const char *s)
{
	const char *colon = s != NULL ? strrchr(s, ':') : NULL;
	const char *port = colon != NULL ? colon + 1 : NULL;
	char host[KV_ADDR_STRLEN + 2];
	struct kv_addr a;
	size_t n;

	if (colon == NULL || s[0] == '[' || strchr(s, ':') == colon)
		return false; /* bracketed, or not IPv6 (IPv6 has two colons at least) */
	if (port[0] == '\0' || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port))
		return false;
	n = (size_t)(colon - s);
	if (n >= sizeof(host))
		return false;
	memcpy(host, s, n);
	host[n] = '\0';
	if (kv_addr_parse(host, &a) != KV_OK || a.family != 6 || kv_addr_parse(s, &a) != KV_OK)
		return false;
	return strcmp(host, "::") != 0; /* "::" is no server: "::53" is the address ::53 */
}

enum kv_err
kv_hostport_parse(const char *s, uint16_t default_port, struct kv_hostport *out)
{
	char host[KV_ADDR_STRLEN + 2];
	const char *port = NULL;
	struct kv_hostport hp;
	size_t n;
	long p;

	memset(&hp, 0, sizeof(hp));
	if (s == NULL || *s == '\0')
		return KV_EPARSE;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL)
			return KV_EPARSE;
		n = (size_t)(close - s - 1);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return KV_EPARSE;
		if (n >= sizeof(host))
			return KV_EPARSE;
		memcpy(host, s + 1, n);
		host[n] = '\0';
	} else {
		const char *colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			n = (size_t)(colon - s); /* IPv4 with a port */
			port = colon + 1;
		} else {
			n = strlen(s); /* IPv4 alone, or bare IPv6 */
			if (kv_hostport_ambiguous(s))
				return KV_EPARSE;
		}
		if (n >= sizeof(host))
			return KV_EPARSE;
		memcpy(host, s, n);
		host[n] = '\0';
	}
	if (kv_addr_parse(host, &hp.addr) != KV_OK)
		return KV_EPARSE;
	hp.port = default_port;
	if (port != NULL) {
		if (kv_parse_long(port, 1, 65535, &p) != KV_OK)
			return KV_EPARSE;
		hp.port = (uint16_t)p;
	}
	*out = hp;
	return KV_OK;
}

void
kv_hostport_format(const struct kv_hostport *hp, char *buf, size_t size)
{
	char a[KV_ADDR_STRLEN];

	kv_addr_format(&hp->addr, a, sizeof(a));
	if (hp->addr.family == 6)
		snprintf(buf, size, "[%s]:%u", a, (unsigned)hp->port);
	else
		snprintf(buf, size, "%s:%u", a, (unsigned)hp->port);
}
