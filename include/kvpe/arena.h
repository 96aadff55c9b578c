/* arena.h — a region allocator (Unbound's "regional"): everything one check
 * cycle allocates lives in one arena and is freed at once, so the agent cannot
 * leak between cycles.  Allocations are 16-byte aligned; there is no per-object
 * free.  The arena owns every pointer it returns. */
#ifndef KVPE_ARENA_H
#define KVPE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include "kvpe/common.h"

struct kv_arena;

struct kv_arena *kv_arena_new(size_t chunk_size);
void kv_arena_free(struct kv_arena *a);

/* Tests of the out-of-memory paths: after `n` more allocations succeed,
 * the next one fails, once (n < 0: none, the default).  Later ones succeed
 * again, so a caller that drops the failure and carries on is caught:
 * kv_arena_refused() says an allocation failed, yet it reported success. */
void kv_arena_fail_after(struct kv_arena *a, long n);
unsigned long kv_arena_refused(const struct kv_arena *a);

/* Zeroed memory, or NULL when out of memory. */
void *kv_arena_alloc(struct kv_arena *a, size_t size);
void *kv_arena_calloc(struct kv_arena *a, size_t n, size_t size);
void *kv_arena_memdup(struct kv_arena *a, const void *p, size_t size);
char *kv_arena_strdup(struct kv_arena *a, const char *s);
char *kv_arena_strndup(struct kv_arena *a, const char *s, size_t n);
/* A copy of s (not NULL) into *dst, for callers that must not store a NULL
 * from a failed allocation: KV_ENOMEM leaves *dst as it was. */
enum kv_err kv_arena_strdup_to(struct kv_arena *a, const char *s, const char **dst);
/* Lower-cased copy, without one trailing dot: the canonical form of DNS names. */
char *kv_arena_dnsname(struct kv_arena *a, const char *s);
char *kv_arena_lower(struct kv_arena *a, const char *s);
char *kv_arena_printf(struct kv_arena *a, const char *fmt, ...) KV_PRINTF(2, 3);
char *kv_arena_vprintf(struct kv_arena *a, const char *fmt, va_list ap) KV_PRINTF(2, 0);

#endif
