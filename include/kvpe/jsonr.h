/* jsonr.h — JSON text into cJSON trees, strictly: the one place every
 * parser of kvpe (config, inventory files, ARM pages, token answers) reads
 * JSON through.
 *
 * cJSON alone stops after the first value and ignores what follows, skips
 * every control byte as if it were whitespace, and places the error of a
 * cut-off document on its last byte.  Here a text is read whole: document
 * after document (jr_next), or exactly one (jr_parse); a failure names the
 * 0-based offset of the first byte that is not JSON, or of the end where a
 * document was cut off.  Messages never quote the text (it may hold a token).
 *
 * The text must be readable at text[len] (a NUL: kv_buf and every file read
 * here end in one): cJSON is shown that byte so it can tell a document cut
 * off at the end from a bad last byte.  The trees stay inside the module
 * that asked for them (cJSON_Delete there). */
#ifndef KVPE_JSONR_H
#define KVPE_JSONR_H

#include <stddef.h>

#include "kvpe/common.h"

struct cJSON;

struct jr {
	const char *text;
	size_t len;
	size_t off;   /* where the next document may start */
	size_t bad;   /* the first control byte (never JSON text), or len */
	size_t start; /* where the last document read began */
};

void jr_init(struct jr *r, const char *text, size_t len);
/* The next document into *out (the caller deletes it); *out is NULL at the
 * end of the text.  KV_EPARSE with `err` naming the byte offset otherwise. */
enum kv_err jr_next(struct jr *r, struct cJSON **out, char *err, size_t size);
/* KV_OK when nothing but whitespace follows the last document read. */
enum kv_err jr_end(struct jr *r, char *err, size_t size);
/* Exactly one document: an empty text, or anything but whitespace after
 * the document, is KV_EPARSE. */
enum kv_err jr_parse(const char *text, size_t len, struct cJSON **out, char *err, size_t size);

#endif
