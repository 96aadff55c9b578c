/* jsonr.c — see jsonr.h. */
#include "kvpe/jsonr.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* RFC 8259 whitespace; cJSON also skips every other byte below 0x21. */
static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void
jr_init(struct jr *r, const char *text, size_t len)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->text = text;
	r->len = len;
	/* A byte order mark may open the text (RFC 8259 §8.1), nowhere else. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		r->off = 3;
	/* Control bytes are never JSON text, in strings or between tokens. */
	for (i = r->off; i < len; i++)
		if ((unsigned char)text[i] < 0x20 && !is_ws(text[i]))
			break;
	r->bad = i;
}

static void
skip_ws(struct jr *r)
{
	while (r->off < r->len && is_ws(r->text[r->off]))
		r->off++;
}

static enum kv_err
bad_byte(const struct jr *r, size_t at, char *err, size_t size)
{
	if (at == r->bad && at < r->len)
		snprintf(err, size, "not valid JSON at byte %zu (control character 0x%02x)", at,
		    (unsigned)(unsigned char)r->text[at]);
	else
		snprintf(err, size, "not valid JSON at byte %zu", at);
	return KV_EPARSE;
}

/* cJSON places the failure of an unterminated string just after its
 * opening quote.  True when the byte before `at` opens a string that runs
 * unclosed to `lim`: then the document was cut off there.  cJSON accepted
 * everything before `at`, so counting quotes (escapes skipped) is enough to
 * tell an opening quote from a closing one. */
static bool
string_runs_out(const char *t, size_t start, size_t at, size_t lim)
{
	bool in = false;
	size_t i;

	if (at <= start || t[at - 1] != '"')
		return false;
	for (i = start; i < at - 1; i++) {
		if (in && t[i] == '\\')
			i++;
		else if (t[i] == '"')
			in = !in;
	}
	if (in || i != at - 1)
		return false; /* a closing (or escaped) quote: cJSON's position stands */
	for (i = at; i < lim; i++) {
		if (t[i] == '\\')
			i++;
		else if (t[i] == '"')
			return false; /* it closes: a bad escape inside */
	}
	return true;
}

static enum kv_err
parse_failed(const struct jr *r, size_t at, char *err, size_t size)
{
	if (at < r->bad && string_runs_out(r->text, r->start, at, r->bad))
		at = r->bad;
	if (at >= r->bad && r->bad == r->len) {
		snprintf(err, size, "not valid JSON: the document that starts at byte %zu is cut off at byte %zu", r->start,
		    r->len);
		return KV_EPARSE;
	}
	if (at >= r->bad)
		return bad_byte(r, r->bad, err, size);
	/* cJSON fails on an opening bracket itself only at its nesting limit. */
	if (r->text[at] == '[' || r->text[at] == '{') {
		snprintf(err, size, "not valid JSON at byte %zu (nested deeper than %d levels)", at, CJSON_NESTING_LIMIT);
		return KV_EPARSE;
	}
	return bad_byte(r, at, err, size);
}

enum kv_err
jr_next(struct jr *r, cJSON **out, char *err, size_t size)
{
	const char *end = NULL;
	size_t n;
	cJSON *root;

	skip_ws(r);
	if (r->off == r->len) {
		*out = NULL;
		return KV_OK;
	}
	r->start = r->off;
	if (r->off >= r->bad || strchr("{[\"-0123456789tfn", r->text[r->off]) == NULL)
		return bad_byte(r, r->off, err, size);
	/* cJSON sees the byte at `bad` too (a control byte, or the NUL after
	 * the text): it reads it as whitespace, so a document cut off there
	 * fails on it rather than on the last byte. */
	n = r->bad - r->off + 1;
	root = cJSON_ParseWithLengthOpts(r->text + r->off, n, &end, 0);
	if (root == NULL) {
		size_t at = (end != NULL && end >= r->text + r->off && end <= r->text + r->bad) ? (size_t)(end - r->text)
												 : r->bad;
		return parse_failed(r, at, err, size);
	}
	r->off = (size_t)(end - r->text);
	*out = root;
	return KV_OK;
}

enum kv_err
jr_end(struct jr *r, char *err, size_t size)
{
	skip_ws(r);
	if (r->off == r->len)
		return KV_OK;
	if (r->off >= r->bad)
		return bad_byte(r, r->off, err, size);
	snprintf(err, size, "not valid JSON: more data after the document, at byte %zu", r->off);
	return KV_EPARSE;
}

enum kv_err
jr_parse(const char *text, size_t len, cJSON **out, char *err, size_t size)
{
	struct jr r;
	cJSON *root = NULL;
	enum kv_err rc;

	jr_init(&r, text, len);
	if ((rc = jr_next(&r, &root, err, size)) != KV_OK)
		return rc;
	if (root == NULL) {
		snprintf(err, size, "%s", len == 0 ? "empty: no JSON document" : "no JSON document, only whitespace");
		return KV_EPARSE;
	}
	if ((rc = jr_end(&r, err, size)) != KV_OK) {
		cJSON_Delete(root);
		return rc;
	}
	*out = root;
	return KV_OK;
}
