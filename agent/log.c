/* log.c — see log.h.  One write(2)-sized line per event so concurrent writers
 * (the agent's HTTP thread) never interleave inside a line. */
#include "kvpe/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
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

/* Writes `value` (at most `max` bytes of it) into buf: quotes and
 * backslashes escaped, control bytes (a newline would start a forged line)
 * blanked.  Returns the bytes written; stops, whole escapes only, at `size`. */
static size_t
log_escape(char *buf, size_t size, const char *value, size_t max)
{
	size_t o = 0;

	for (const char *p = value; *p != '\0' && (size_t)(p - value) < max && o + 2 < size; p++) {
		if (*p == '"' || *p == '\\') {
			buf[o++] = '\\';
			buf[o++] = *p;
		} else {
			buf[o++] = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
		}
	}
	return o;
}

/* A logfmt value needs quotes when it is empty or holds a space, quote,
 * backslash, '=' or control byte. */
static bool
log_needs_quotes(const char *value, size_t max)
{
	if (value[0] == '\0' || max == 0)
		return true;
	for (const char *p = value; *p != '\0' && (size_t)(p - value) < max; p++)
		if (*p == ' ' || *p == '"' || *p == '\\' || *p == '=' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

/* A string value into buf (NUL-terminated); `quoted`: the format already
 * has quotes around it (key="%s"), else they are added when needed. */
static size_t
log_str(char *buf, size_t size, const char *value, size_t max, bool quoted)
{
	bool q = !quoted && log_needs_quotes(value, max);
	size_t o = 0;

	if (size < 4)
		return 0;
	if (q)
		buf[o++] = '"';
	o += log_escape(buf + o, size - o - (q ? 1 : 0), value, max);
	if (q)
		buf[o++] = '"';
	buf[o] = '\0';
	return o;
}

const char *
kv_log_quote(const char *value, char *buf, size_t size)
{
	if (!log_needs_quotes(value, SIZE_MAX) || size < 4)
		return value;
	log_str(buf, size, value, SIZE_MAX, false);
	return buf;
}

/* An integer argument of length modifier lm ('H' hh, 'L' ll), as printf
 * would convert it, widened to uintmax_t (signed ones as their intmax_t). */
static uintmax_t
log_int(va_list *ap, int lm, bool sign)
{
	switch (lm) {
	case 'H':
		return sign ? (uintmax_t)(signed char)va_arg(*ap, int) : (unsigned char)va_arg(*ap, unsigned);
	case 'h':
		return sign ? (uintmax_t)(short)va_arg(*ap, int) : (unsigned short)va_arg(*ap, unsigned);
	case 'l':
		return sign ? (uintmax_t)va_arg(*ap, long) : va_arg(*ap, unsigned long);
	case 'L':
		return sign ? (uintmax_t)va_arg(*ap, long long) : va_arg(*ap, unsigned long long);
	case 'z':
		return sign ? (uintmax_t)va_arg(*ap, ssize_t) : va_arg(*ap, size_t);
	case 'j':
		return sign ? (uintmax_t)va_arg(*ap, intmax_t) : va_arg(*ap, uintmax_t);
	case 't':
		return (uintmax_t)va_arg(*ap, ptrdiff_t);
	default:
		return sign ? (uintmax_t)va_arg(*ap, int) : va_arg(*ap, unsigned);
	}
}

/* The caller's key=value pairs, printf-style, with every string value
 * escaped here, in this one place: server text (an ARM error message, a
 * resolver's name) can hold quotes and newlines.  A %s between quotes in
 * the format (error="%s") is escaped inside them; a bare %s (vault=%s) is
 * quoted when it needs to be.  Other conversions print as printf prints
 * them (integers through %j); '*' widths and long double are not supported
 * (the line ends there).  Returns the bytes written into out (NUL-terminated). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral" /* one conversion of the checked format at a time */
static size_t
log_pairs(char *out, size_t size, const char *fmt, va_list *ap)
{
	size_t o = 0;
	const char *p = fmt;

	while (*p != '\0' && o + 1 < size) {
		const char *spec = p, *lm_at;
		char sub[32], conv;
		size_t max = SIZE_MAX, room = size - o, sl;
		int n = 0, lm = 0; /* lm: 0 none, 'h', 'H' hh, 'l', 'L' ll, 'z', 'j', 't' */
		bool integer;

		if (*p != '%') {
			out[o++] = *p++;
			continue;
		}
		p++;
		if (*p == '%') {
			out[o++] = '%';
			p++;
			continue;
		}
		while (*p != '\0' && strchr("-+ #0", *p) != NULL)
			p++;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == '.') {
			max = 0;
			for (p++; *p >= '0' && *p <= '9'; p++)
				max = max * 10 + (size_t)(*p - '0');
		}
		lm_at = p;
		if (*p == 'h' || *p == 'l') {
			lm = *p++;
			if (*p == lm) {
				lm = lm == 'h' ? 'H' : 'L';
				p++;
			}
		} else if (*p == 'z' || *p == 'j' || *p == 't') {
			lm = *p++;
		}
		conv = *p++;
		/* The conversion without its length modifier, for an integer
		 * "j" in its place: "%04lo" prints as "%04jo". */
		sl = (size_t)(lm_at - spec);
		integer = conv != '\0' && strchr("diuoxX", conv) != NULL;
		if (conv == '\0' || sl + 3 > sizeof(sub) || (lm != 0 && !integer))
			break;
		memcpy(sub, spec, sl);
		if (integer)
			sub[sl++] = 'j';
		sub[sl++] = conv;
		sub[sl] = '\0';
		switch (conv) {
		case 's': {
			const char *v = va_arg(*ap, const char *);
			bool quoted = spec > fmt && spec[-1] == '"' && *p == '"';
			o += log_str(out + o, room, v != NULL ? v : "(null)", max, quoted);
			continue;
		}
		case 'd':
		case 'i':
			n = snprintf(out + o, room, sub, (intmax_t)log_int(ap, lm, true));
			break;
		case 'u':
		case 'o':
		case 'x':
		case 'X':
			n = snprintf(out + o, room, sub, log_int(ap, lm, false));
			break;
		case 'c':
			n = snprintf(out + o, room, sub, va_arg(*ap, int));
			break;
		case 'f':
		case 'F':
		case 'e':
		case 'E':
		case 'g':
		case 'G':
			n = snprintf(out + o, room, sub, va_arg(*ap, double));
			break;
		case 'p':
			n = snprintf(out + o, room, sub, va_arg(*ap, void *));
			break;
		default:
			n = -1;
			break;
		}
		if (n < 0)
			break;
		o += (size_t)n < room ? (size_t)n : room - 1;
	}
	out[o < size ? o : size - 1] = '\0';
	return o < size ? o : size - 1;
}
#pragma GCC diagnostic pop

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
		n += log_pairs(line + n, sizeof(line) - n, kvfmt, &ap);
		va_end(ap);
	}
	if (n + 1 >= sizeof(line))
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}
