/* log.h — stderr logging in the OpenBSD log.h manner.
 *
 * One line per event: a message, then key=value pairs the caller formats.
 * Formats: "text" (time level msg k=v), "logfmt" (time= level= msg= k=v), and
 * the journal form (<N> prefix, no time) chosen when JOURNAL_STREAM names fd 2.
 * Never pass a secret or token here: log lines end up in shared systems. */
#ifndef KVPE_LOG_H
#define KVPE_LOG_H

#include <stddef.h>

#include "kvpe/common.h"

enum kv_log_level { KV_LOG_ERROR, KV_LOG_WARN, KV_LOG_INFO, KV_LOG_DEBUG };
enum kv_log_format { KV_LOG_TEXT, KV_LOG_LOGFMT, KV_LOG_JOURNAL };

void kv_log_init(enum kv_log_level level, enum kv_log_format format);
/* Picks the journal format when stderr is the journal (JOURNAL_STREAM). */
enum kv_log_format kv_log_detect_format(enum kv_log_format wanted);

/* msg: fixed event text; kvfmt: optional "key=%s key2=%d" pairs, may be NULL. */
void kv_log(enum kv_log_level level, const char *msg, const char *kvfmt, ...) KV_PRINTF(3, 4);

#define kv_log_error(msg, ...) kv_log(KV_LOG_ERROR, msg, __VA_ARGS__)
#define kv_log_warn(msg, ...) kv_log(KV_LOG_WARN, msg, __VA_ARGS__)
#define kv_log_info(msg, ...) kv_log(KV_LOG_INFO, msg, __VA_ARGS__)
#define kv_log_debug(msg, ...) kv_log(KV_LOG_DEBUG, msg, __VA_ARGS__)

/* Quotes a logfmt value when it holds spaces, quotes, '=' or control bytes. */
const char *kv_log_quote(const char *value, char *buf, size_t size);

#endif
