/* arena.c — see arena.h.  Chunks are malloc'd blocks chained together; a request
 * larger than a quarter chunk gets a block of its own so big objects do not
 * waste the tail of the current chunk. */
#include "kvpe/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

struct kv_arena {
	struct arena_chunk *head; /* current chunk for small allocations */
	struct arena_chunk *big;  /* dedicated blocks for large allocations */
	size_t chunk_size;
	long fail_after;       /* tests: allocations left before one fails; < 0 = none */
	unsigned long refused; /* tests: allocations that failed that way */
};

struct kv_arena *
kv_arena_new(size_t chunk_size)
{
	struct kv_arena *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->chunk_size = chunk_size < 1024 ? 1024 : chunk_size;
	a->fail_after = -1;
	return a;
}

static void
chunks_free(struct arena_chunk *c)
{
	while (c != NULL) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
}

void
kv_arena_free(struct kv_arena *a)
{
	if (a == NULL)
		return;
	chunks_free(a->head);
	chunks_free(a->big);
	free(a);
}

void
kv_arena_fail_after(struct kv_arena *a, long n)
{
	a->fail_after = n < 0 ? -1 : n;
	a->refused = 0;
}

unsigned long
kv_arena_refused(const struct kv_arena *a)
{
	return a->refused;
}

void *
kv_arena_alloc(struct kv_arena *a, size_t size)
{
	struct arena_chunk *c;
	size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);

	if (size == 0)
		need = ARENA_ALIGN;
	if (need < size)
		return NULL;
	if (a->fail_after >= 0 && a->fail_after-- == 0) {
		a->refused++; /* once: what follows succeeds, so a lost failure shows */
		return NULL;
	}
	if (need > a->chunk_size / 4) {
		c = malloc(sizeof(*c) + need);
		if (c == NULL)
			return NULL;
		c->size = c->used = need;
		c->next = a->big;
		a->big = c;
		memset(c->data, 0, need);
		return c->data;
	}
	c = a->head;
	if (c == NULL || c->size - c->used < need) {
		c = malloc(sizeof(*c) + a->chunk_size);
		if (c == NULL)
			return NULL;
		c->size = a->chunk_size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += need;
	memset(p, 0, need);
	return p;
}

void *
kv_arena_calloc(struct kv_arena *a, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	return kv_arena_alloc(a, n * size);
}

void *
kv_arena_memdup(struct kv_arena *a, const void *p, size_t size)
{
	void *q = kv_arena_alloc(a, size);

	if (q != NULL && size > 0)
		memcpy(q, p, size);
	return q;
}

char *
kv_arena_strndup(struct kv_arena *a, const char *s, size_t n)
{
	char *q;

	if (s == NULL)
		return NULL;
	q = kv_arena_alloc(a, n + 1);
	if (q != NULL) {
		memcpy(q, s, n);
		q[n] = '\0';
	}
	return q;
}

char *
kv_arena_strdup(struct kv_arena *a, const char *s)
{
	return s == NULL ? NULL : kv_arena_strndup(a, s, strlen(s));
}

enum kv_err
kv_arena_strdup_to(struct kv_arena *a, const char *s, const char **dst)
{
	const char *q = kv_arena_strdup(a, s);

	if (q == NULL)
		return KV_ENOMEM;
	*dst = q;
	return KV_OK;
}

char *
kv_arena_lower(struct kv_arena *a, const char *s)
{
	char *q = kv_arena_strdup(a, s);

	if (q != NULL)
		kv_lower_inplace(q);
	return q;
}

char *
kv_arena_dnsname(struct kv_arena *a, const char *s)
{
	size_t n;
	char *q;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		n--;
	q = kv_arena_strndup(a, s, n);
	if (q != NULL)
		kv_lower_inplace(q);
	return q;
}

char *
kv_arena_vprintf(struct kv_arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *q;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	q = kv_arena_alloc(a, (size_t)n + 1);
	if (q != NULL)
		vsnprintf(q, (size_t)n + 1, fmt, ap);
	return q;
}

char *
kv_arena_printf(struct kv_arena *a, const char *fmt, ...)
{
	va_list ap;
	char *q;

	va_start(ap, fmt);
	q = kv_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return q;
}
