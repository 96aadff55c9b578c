/* buf.c — see buf.h. */
#include "kvpe/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
kv_buf_init(struct kv_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
	b->sent = 0;
	b->sink = NULL;
	b->sink_ctx = NULL;
}

void
kv_buf_free(struct kv_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
kv_buf_reset(struct kv_buf *b)
{
	b->len = 0;
	b->sent = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
kv_buf_set_sink(struct kv_buf *b, kv_buf_sink_fn sink, void *ctx)
{
	b->sink = sink;
	b->sink_ctx = ctx;
}

enum kv_err
kv_buf_flush(struct kv_buf *b)
{
	enum kv_err rc;

	if (b->sink == NULL || b->len == 0)
		return KV_OK;
	rc = b->sink(b->sink_ctx, b->data, b->len);
	if (rc != KV_OK)
		return rc;
	b->sent += b->len;
	b->len = 0;
	b->data[0] = '\0';
	return KV_OK;
}

enum kv_err
kv_buf_drain(struct kv_buf *b)
{
	return b->len >= KV_BUF_DRAIN_AT ? kv_buf_flush(b) : KV_OK;
}

static enum kv_err
buf_reserve(struct kv_buf *b, size_t extra)
{
	size_t need, ncap;
	char *nd;

	if (extra > b->max || b->sent > b->max - extra || b->len > b->max - extra - b->sent)
		return KV_ELIMIT;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return KV_OK;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	nd = realloc(b->data, ncap);
	if (nd == NULL)
		return KV_ENOMEM;
	b->data = nd;
	b->cap = ncap;
	return KV_OK;
}

enum kv_err
kv_buf_append(struct kv_buf *b, const void *p, size_t n)
{
	enum kv_err rc = buf_reserve(b, n);

	if (rc != KV_OK)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return KV_OK;
}

enum kv_err
kv_buf_puts(struct kv_buf *b, const char *s)
{
	return kv_buf_append(b, s, strlen(s));
}

enum kv_err
kv_buf_putc(struct kv_buf *b, char c)
{
	return kv_buf_append(b, &c, 1);
}

enum kv_err
kv_buf_printf(struct kv_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	enum kv_err rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return KV_EINTERNAL;
	rc = buf_reserve(b, (size_t)n);
	if (rc != KV_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return KV_OK;
}

char *
kv_buf_steal(struct kv_buf *b, size_t *len)
{
	char *d = b->data;

	if (d == NULL) {
		d = calloc(1, 1);
		if (d == NULL)
			return NULL;
	}
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}
