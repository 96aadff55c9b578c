/* fuzz_prom_escape.c — Prometheus label-value escaping (text format 0.0.4:
 * backslash, double quote and line feed are escaped, nothing else).
 *
 * Properties on the NUL-terminated input:
 *   - the output has no raw line feed, and every '"' in it is escaped (an
 *     odd run of backslashes before it), so it cannot end the label value;
 *   - unescaping it (\\ -> \, \" -> ", \n -> LF) gives back the input, or
 *     the input with each invalid UTF-8 byte as U+FFFD (what the JSON and
 *     Nagios writers do; Prometheus rejects invalid UTF-8 label values);
 *   - with a cap too small for it, report_prom_escape fails with KV_ELIMIT and the
 *     buffer holds a NUL-terminated prefix of the full output, within the cap. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "kvpe/buf.h"
#include "kvpe/common.h"
#include "kvpe/report.h"

/* Inverse of the escaping: returns the length written to out (which has
 * room for len bytes), or (size_t)-1 for an escape the format does not
 * define or a dangling backslash. */
static size_t
unescape(const char *in, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] != '\\') {
			out[o++] = in[i];
			continue;
		}
		if (++i >= len)
			return (size_t)-1;
		if (in[i] == '\\')
			out[o++] = '\\';
		else if (in[i] == '"')
			out[o++] = '"';
		else if (in[i] == 'n')
			out[o++] = '\n';
		else
			return (size_t)-1;
	}
	return o;
}

/* The input with every byte that does not start valid UTF-8 replaced by
 * U+FFFD, into out (room for 3 * len + 1). */
static size_t
sanitized(const char *in, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		size_t ul = kv_utf8_len((const unsigned char *)in + i);
		if (ul == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, in + i, ul);
			o += ul;
			i += ul;
		}
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fz_cstr(data, size), *back = NULL, *clean = NULL;
	const char *esc;
	size_t in_len, esc_len, back_len;
	struct kv_buf full, small;

	kv_buf_init(&full, 4 * size + 64);
	kv_buf_init(&small, 0);
	if (in == NULL)
		goto out;
	in_len = strlen(in);

	FZ_CHECK(report_prom_escape(&full, in) == KV_OK);
	esc = full.data ? full.data : "";
	esc_len = full.len;
	FZ_CHECK(strlen(esc) == esc_len);
	FZ_CHECK(memchr(esc, '\n', esc_len) == NULL);
	for (size_t i = 0; i < esc_len; i++) {
		size_t run = 0;
		if (esc[i] != '"')
			continue;
		while (run < i && esc[i - 1 - run] == '\\')
			run++;
		FZ_CHECK(run % 2 == 1);
	}
	back = malloc(esc_len + 1);
	if (back == NULL)
		goto out;
	back_len = unescape(esc, esc_len, back);
	FZ_CHECK(back_len != (size_t)-1);
	if (back_len != in_len || memcmp(back, in, in_len) != 0) {
		size_t clean_len;
		clean = malloc(3 * in_len + 1);
		if (clean == NULL)
			goto out;
		clean_len = sanitized(in, in_len, clean);
		FZ_CHECK(back_len == clean_len && memcmp(back, clean, clean_len) == 0);
	}

	/* The same into a buffer capped short of the result. */
	if (esc_len > 0) {
		size_t cap = esc_len - 1 - (size_t)data[0] % esc_len % 8;
		if (cap > esc_len - 1)
			cap = esc_len - 1;
		kv_buf_init(&small, cap);
		FZ_CHECK(report_prom_escape(&small, in) == KV_ELIMIT);
		FZ_CHECK(small.len <= cap);
		FZ_CHECK(small.data == NULL || small.data[small.len] == '\0');
		FZ_CHECK(small.len == 0 || (small.data != NULL && memcmp(small.data, esc, small.len) == 0));
	}
out:
	kv_buf_free(&full);
	kv_buf_free(&small);
	free(back);
	free(clean);
	free(in);
	return 0;
}
