/* jsonw.h — a small streaming JSON writer (RFC 8259 escaping) over kv_buf.
 * Writing only: every JSON we read goes through cJSON. */
#ifndef KVPE_JSONW_H
#define KVPE_JSONW_H

#include <stdbool.h>
#include <stdint.h>

#include "kvpe/buf.h"

#define JW_MAX_DEPTH 16

struct jw {
	struct kv_buf *b;
	int depth;
	bool pretty;
	bool first[JW_MAX_DEPTH];
	bool after_key;
	enum kv_err err; /* sticky: the first failure */
};

void jw_init(struct jw *w, struct kv_buf *b, bool pretty);
void jw_obj(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s); /* NULL writes null */
void jw_int(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* key + value shorthands */
void jw_kstr(struct jw *w, const char *key, const char *s);
void jw_kint(struct jw *w, const char *key, int64_t v);
void jw_kbool(struct jw *w, const char *key, bool v);
/* A record boundary: lets a streamed buffer pass its bytes on (kv_buf_drain). */
void jw_drain(struct jw *w);
/* Escapes `s` as a JSON string body (no quotes) into b; invalid UTF-8 bytes
 * become U+FFFD so the output always parses. */
enum kv_err jw_escape(struct kv_buf *b, const char *s);

#endif
