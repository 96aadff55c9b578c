/* jsonw.c — see jsonw.h. */
#include "kvpe/jsonw.h"

#include <stdio.h>
#include <string.h>

void
jw_init(struct jw *w, struct kv_buf *b, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->pretty = pretty;
	w->first[0] = true;
}

static void
put(struct jw *w, const char *s, size_t n)
{
	if (w->err == KV_OK)
		w->err = kv_buf_append(w->b, s, n);
}

void
jw_drain(struct jw *w)
{
	if (w->err == KV_OK)
		w->err = kv_buf_drain(w->b);
}

static void
newline(struct jw *w)
{
	static const char spaces[] = "                                ";

	if (!w->pretty)
		return;
	put(w, "\n", 1);
	put(w, spaces, (size_t)(w->depth * 2) < sizeof(spaces) - 1 ? (size_t)w->depth * 2 : sizeof(spaces) - 1);
}

/* Separator before a value or key at the current depth. */
static void
sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = false;
	if (w->depth > 0)
		newline(w);
}

static void
open_(struct jw *w, char c)
{
	sep(w);
	put(w, &c, 1);
	if (w->depth + 1 >= JW_MAX_DEPTH) {
		w->err = KV_ELIMIT;
		return;
	}
	w->depth++;
	w->first[w->depth] = true;
}

static void
close_(struct jw *w, char c)
{
	bool empty = w->first[w->depth];

	if (w->depth > 0)
		w->depth--;
	if (!empty)
		newline(w);
	put(w, &c, 1);
}

void
jw_obj(struct jw *w)
{
	open_(w, '{');
}

void
jw_obj_end(struct jw *w)
{
	close_(w, '}');
}

void
jw_arr(struct jw *w)
{
	open_(w, '[');
}

void
jw_arr_end(struct jw *w)
{
	close_(w, ']');
}

enum kv_err
jw_escape(struct kv_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	enum kv_err rc = KV_OK;

	while (*p != '\0' && rc == KV_OK) {
		const unsigned char *start = p;
		size_t ul;
		/* Copy runs of plain characters at once. */
		while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p > start && (rc = kv_buf_append(b, start, (size_t)(p - start))) != KV_OK)
			break;
		if (*p == '\0')
			break;
		switch (*p) {
		case '"':
			rc = kv_buf_append(b, "\\\"", 2);
			p++;
			continue;
		case '\\':
			rc = kv_buf_append(b, "\\\\", 2);
			p++;
			continue;
		case '\n':
			rc = kv_buf_append(b, "\\n", 2);
			p++;
			continue;
		case '\r':
			rc = kv_buf_append(b, "\\r", 2);
			p++;
			continue;
		case '\t':
			rc = kv_buf_append(b, "\\t", 2);
			p++;
			continue;
		default:
			break;
		}
		if (*p < 0x20) {
			rc = kv_buf_printf(b, "\\u%04x", *p);
			p++;
			continue;
		}
		ul = kv_utf8_len(p);
		if (ul == 0) {
			rc = kv_buf_append(b, "\\ufffd", 6);
			p++;
		} else {
			rc = kv_buf_append(b, p, ul);
			p += ul;
		}
	}
	return rc;
}

void
jw_str(struct jw *w, const char *s)
{
	if (s == NULL) {
		jw_null(w);
		return;
	}
	sep(w);
	put(w, "\"", 1);
	if (w->err == KV_OK)
		w->err = jw_escape(w->b, s);
	put(w, "\"", 1);
}

void
jw_key(struct jw *w, const char *key)
{
	jw_str(w, key);
	put(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
	w->after_key = true;
}

void
jw_int(struct jw *w, int64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);

	sep(w);
	put(w, tmp, (size_t)n);
}

void
jw_bool(struct jw *w, bool v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void
jw_null(struct jw *w)
{
	sep(w);
	put(w, "null", 4);
}

void
jw_kstr(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_str(w, s);
}

void
jw_kint(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_int(w, v);
}

void
jw_kbool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_bool(w, v);
}
