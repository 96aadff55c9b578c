/* buf.h — a growable byte buffer with a hard cap set at creation (curl's
 * dynbuf "toobig"): HTTP bodies, reports and exposition text never grow past
 * the cap; appending beyond it fails with KV_ELIMIT and leaves the buffer as
 * it was.  The data is always NUL-terminated. */
#ifndef KVPE_BUF_H
#define KVPE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "kvpe/common.h"

/* Where a streamed buffer's bytes go (a report file, stdout). */
typedef enum kv_err (*kv_buf_sink_fn)(void *ctx, const char *data, size_t len);

struct kv_buf {
	char *data;
	size_t len, cap, max;
	size_t sent; /* bytes already handed to the sink; counts against max */
	kv_buf_sink_fn sink;
	void *sink_ctx;
};

/* A streamed buffer is drained at this size, so a 10,000-vault report never
 * sits whole in memory. */
#define KV_BUF_DRAIN_AT (64u * 1024)

void kv_buf_init(struct kv_buf *b, size_t max);
void kv_buf_free(struct kv_buf *b);
void kv_buf_reset(struct kv_buf *b);
enum kv_err kv_buf_append(struct kv_buf *b, const void *p, size_t n);
enum kv_err kv_buf_puts(struct kv_buf *b, const char *s);
enum kv_err kv_buf_putc(struct kv_buf *b, char c);
enum kv_err kv_buf_printf(struct kv_buf *b, const char *fmt, ...) KV_PRINTF(2, 3);
/* Streaming: writers call kv_buf_drain() at record boundaries (never where
 * they might look back at what they wrote); it passes the bytes to the sink
 * once KV_BUF_DRAIN_AT have gathered.  kv_buf_flush() passes whatever is
 * left.  Without a sink both do nothing. */
void kv_buf_set_sink(struct kv_buf *b, kv_buf_sink_fn sink, void *ctx);
enum kv_err kv_buf_drain(struct kv_buf *b);
enum kv_err kv_buf_flush(struct kv_buf *b);
/* Hands the data to the caller (free() it); the buffer is left empty. */
char *kv_buf_steal(struct kv_buf *b, size_t *len);

#endif
