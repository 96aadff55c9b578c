/* buf.h — a growable byte buffer with a hard cap set at creation (curl's
 * dynbuf "toobig"): HTTP bodies, reports and exposition text never grow past
 * the cap; appending beyond it fails with KV_ELIMIT and leaves the buffer as
 * it was.  The data is always NUL-terminated. */
#ifndef KVPE_BUF_H
#define KVPE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "kvpe/common.h"

struct kv_buf {
	char *data;
	size_t len, cap, max;
};

void kv_buf_init(struct kv_buf *b, size_t max);
void kv_buf_free(struct kv_buf *b);
void kv_buf_reset(struct kv_buf *b);
enum kv_err kv_buf_append(struct kv_buf *b, const void *p, size_t n);
enum kv_err kv_buf_puts(struct kv_buf *b, const char *s);
enum kv_err kv_buf_putc(struct kv_buf *b, char c);
enum kv_err kv_buf_printf(struct kv_buf *b, const char *fmt, ...) KV_PRINTF(2, 3);
/* Hands the data to the caller (free() it); the buffer is left empty. */
char *kv_buf_steal(struct kv_buf *b, size_t *len);

#endif
