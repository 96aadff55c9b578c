/* common.h — run errors, small string helpers and clocks shared by every module.
 *
 * Run errors are not observations: an NXDOMAIN or a refused connection is data
 * that the verdict turns into a finding.  Only enum kv_err can end a run with
 * exit code 2. */
#ifndef KVPE_COMMON_H
#define KVPE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef KV_VERSION
#define KV_VERSION "0.1.0"
#endif
#ifndef KV_REVISION
#define KV_REVISION "unknown"
#endif

#define KV_ERR_LIST(X)                                       \
	X(KV_OK, "success")                                  \
	X(KV_ENOMEM, "out of memory")                        \
	X(KV_EUSAGE, "bad usage")                            \
	X(KV_EPARSE, "malformed input")                      \
	X(KV_ELIMIT, "size or count limit exceeded")         \
	X(KV_ETIMEOUT, "timed out")                          \
	X(KV_EAUTH, "no usable credential")                  \
	X(KV_EIO, "input/output error")                      \
	X(KV_ENET, "network error")                          \
	X(KV_EHTTP, "unexpected HTTP status")                \
	X(KV_EDNS, "resolver unusable")                      \
	X(KV_ENOTFOUND, "not found")                         \
	X(KV_ECANCELED, "stopped by a signal")               \
	X(KV_EINTERNAL, "internal error")

enum kv_err {
#define KV_ERR_ENUM(name, text) name,
	KV_ERR_LIST(KV_ERR_ENUM)
#undef KV_ERR_ENUM
};

const char *kv_strerror(enum kv_err err);

#define KV_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define KV_UNUSED(x) ((void)(x))

#if defined(__GNUC__)
#define KV_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define KV_PRINTF(fmt, args)
#endif

/* Monotonic milliseconds, for deadlines and durations. */
int64_t kv_now_ms(void);
/* Wall-clock milliseconds since the epoch, for report timestamps. */
int64_t kv_wall_ms(void);
/* "2026-11-28T09:00:00Z" into buf (at least 21 bytes). */
void kv_fmt_time(int64_t wall_ms, char *buf, size_t size);

/* ASCII-only case helpers: DNS names and ARM IDs are compared this way. */
bool kv_streq_ci(const char *a, const char *b);
void kv_lower_inplace(char *s);

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when it is not one
 * (overlong forms and surrogates included); p must be NUL-terminated. */
size_t kv_utf8_len(const unsigned char *p);

/* A server's text (an error message) made fit for one of ours: control
 * bytes and DEL become spaces, cut to size (always NUL-terminated).  src
 * may be NULL. */
void kv_sanitize(char *dst, size_t size, const char *src);

/* A version 4 UUID (RFC 9562) in its text form from 16 random bytes, into
 * buf (at least 37 bytes). */
void kv_uuid4(const unsigned char rnd[16], char *buf, size_t size);

/* xorshift64 (Marsaglia): the next value of *state, which must not be 0.
 * For jitter that decorrelates clients, never for anything secret. */
uint64_t kv_xorshift64(uint64_t *state);

/* Growable array helper: makes room for `need` elements of `elem` bytes.
 * Returns KV_ENOMEM and leaves *v untouched on failure. */
enum kv_err kv_grow(void **v, size_t *cap, size_t elem, size_t need);

/* Durations like "30s", "5m", "1h", "250ms", "1h30m"; plain digits are seconds. */
enum kv_err kv_parse_duration_ms(const char *s, int64_t *out_ms);
/* Decimal integer in [min, max]. */
enum kv_err kv_parse_long(const char *s, long min, long max, long *out);

/* Reads a whole file (NULL: standard input, to its end) of at most `max`
 * bytes into *out (malloc'd, NUL-terminated; the caller frees it) and its
 * length into *len.  On failure `err` says why in a few words ("is a
 * directory", "larger than N bytes", strerror), for the caller to prefix
 * with the option and path.  Never cut short: one byte over `max` is
 * KV_ELIMIT.  A regular file is read into one allocation of its size, and a
 * block outgrown while reading a pipe is wiped before it is freed, so a
 * secret leaves no stale copies in freed memory (the caller wipes *out). */
enum kv_err kv_read_file(const char *path, size_t max, char **out, size_t *len, char *err, size_t size);

#endif
