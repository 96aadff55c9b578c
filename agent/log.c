/* log.c — see log.h.  One write(2)-sized line per event so concurrent writers
 * (the agent's HTTP thread) never interleave inside a line. */
#include "kvpe/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static enum kv_log_level log_level = KV_LOG_INFO;
static enum kv_log_format log_format = KV_LOG_TEXT;

static const char *const log_names[] = {"error", "warn", "info", "debug"};
/* syslog priorities for the journal prefix: err, warning, info, debug. */
static const int log_prio[] = {3, 4, 6, 7};

void
kv_log_init(enum kv_log_level level, enum kv_log_format format)
{
	log_level = level;
	log_format = format;
}

enum kv_log_format
kv_log_detect_format(enum kv_log_format wanted)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long dev, ino;
	struct stat st;

	/* systemd sets JOURNAL_STREAM=dev:ino for the stream it connected. */
	if (js != NULL && sscanf(js, "%lu:%lu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
	    (unsigned long)st.st_dev == dev && (unsigned long)st.st_ino == ino)
		return KV_LOG_JOURNAL;
	return wanted;
}

const char *
kv_log_quote(const char *value, char *buf, size_t size)
{
	size_t o = 0;
	bool need = (value[0] == '\0');

	for (const char *p = value; *p != '\0'; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20)
			need = true;
	if (!need || size < 3)
		return value;
	buf[o++] = '"';
	for (const char *p = value; *p != '\0' && o + 3 < size; p++) {
		if (*p == '"' || *p == '\\') {
			buf[o++] = '\\';
			buf[o++] = *p;
		} else if ((unsigned char)*p < 0x20) {
			buf[o++] = ' ';
		} else {
			buf[o++] = *p;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

void
kv_log(enum kv_log_level level, const char *msg, const char *kvfmt, ...)
{
	char line[2048], ts[32], q[512];
	size_t n = 0;
	int w;
	va_list ap;

	if (level > log_level)
		return;
	switch (log_format) {
	case KV_LOG_JOURNAL:
		w = snprintf(line, sizeof(line), "<%d>%s", log_prio[level], msg);
		break;
	case KV_LOG_LOGFMT:
		kv_fmt_time(kv_wall_ms(), ts, sizeof(ts));
		w = snprintf(line, sizeof(line), "time=%s level=%s msg=%s", ts, log_names[level],
		    kv_log_quote(msg, q, sizeof(q)));
		break;
	case KV_LOG_TEXT:
	default:
		kv_fmt_time(kv_wall_ms(), ts, sizeof(ts));
		w = snprintf(line, sizeof(line), "%s %s %s", ts, log_names[level], msg);
		break;
	}
	if (w < 0)
		return;
	n = (size_t)w < sizeof(line) ? (size_t)w : sizeof(line) - 1;
	if (kvfmt != NULL && kvfmt[0] != '\0' && n + 2 < sizeof(line)) {
		line[n++] = ' ';
		va_start(ap, kvfmt);
		w = vsnprintf(line + n, sizeof(line) - n, kvfmt, ap);
		va_end(ap);
		if (w > 0)
			n += (size_t)w < sizeof(line) - n ? (size_t)w : sizeof(line) - n - 1;
	}
	if (n + 1 >= sizeof(line))
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}
