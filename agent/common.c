/* common.c — kv_strerror, clocks, ASCII case helpers, number and duration
 * parsing, server text made printable, UUIDs, jitter, whole-file reads. */
#include "kvpe/common.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *
kv_strerror(enum kv_err err)
{
	/* No default: -Wswitch reports a code added to KV_ERR_LIST without text. */
	switch (err) {
#define KV_ERR_CASE(name, text) \
	case name:              \
		return text;
		KV_ERR_LIST(KV_ERR_CASE)
#undef KV_ERR_CASE
	}
	return "unknown error";
}

int64_t
kv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
kv_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
kv_fmt_time(int64_t wall_ms, char *buf, size_t size)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		if (size > 0)
			buf[0] = '\0';
	}
}

static int
ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

bool
kv_streq_ci(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	while (*a != '\0' && ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b)) {
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

void
kv_lower_inplace(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)ascii_lower((unsigned char)*s);
}

enum kv_err
kv_grow(void **v, size_t *cap, size_t elem, size_t need)
{
	size_t ncap;
	void *nv;

	if (need <= *cap)
		return KV_OK;
	ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return KV_ENOMEM;
		ncap *= 2;
	}
	nv = realloc(*v, ncap * elem);
	if (nv == NULL)
		return KV_ENOMEM;
	*v = nv;
	*cap = ncap;
	return KV_OK;
}

enum kv_err
kv_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return KV_EUSAGE;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return KV_EUSAGE;
	*out = v;
	return KV_OK;
}

enum kv_err
kv_parse_duration_ms(const char *s, int64_t *out_ms)
{
	int64_t total = 0;
	bool any = false;

	if (s == NULL || *s == '\0')
		return KV_EUSAGE;
	while (*s != '\0') {
		int64_t n = 0, unit;
		int digits = 0;

		while (*s >= '0' && *s <= '9') {
			if (n > (INT64_MAX / 10) - 10)
				return KV_EUSAGE;
			n = n * 10 + (*s - '0');
			s++;
			digits++;
		}
		if (digits == 0)
			return KV_EUSAGE;
		if (strncmp(s, "ms", 2) == 0) {
			unit = 1;
			s += 2;
		} else if (*s == 's') {
			unit = 1000;
			s++;
		} else if (*s == 'm') {
			unit = 60 * 1000;
			s++;
		} else if (*s == 'h') {
			unit = 3600 * 1000;
			s++;
		} else if (*s == 'd') {
			unit = 86400 * 1000;
			s++;
		} else if (*s == '\0' && !any) {
			unit = 1000; /* bare number: seconds */
		} else {
			return KV_EUSAGE;
		}
		if (n > INT64_MAX / unit || total > INT64_MAX - n * unit)
			return KV_EUSAGE;
		total += n * unit;
		any = true;
	}
	*out_ms = total;
	return KV_OK;
}

size_t
kv_utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf && (p[1] & 0xc0) == 0x80)
		return 2;
	if (p[0] >= 0xe0 && p[0] <= 0xef && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0))
			return 0; /* overlong, surrogate */
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 &&
	    (p[3] & 0xc0) == 0x80) {
		if ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

void
kv_sanitize(char *dst, size_t size, const char *src)
{
	size_t o = 0;

	if (size == 0)
		return;
	for (; src != NULL && *src != '\0' && o + 1 < size; src++)
		dst[o++] = ((unsigned char)*src < 0x20 || (unsigned char)*src == 0x7f) ? ' ' : *src;
	dst[o] = '\0';
}

void
kv_uuid4(const unsigned char rnd[16], char *buf, size_t size)
{
	snprintf(buf, size, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
	    rnd[2], rnd[3], rnd[4], rnd[5], (rnd[6] & 0x0f) | 0x40 /* version 4 */, rnd[7],
	    (rnd[8] & 0x3f) | 0x80 /* variant 10 */, rnd[9], rnd[10], rnd[11], rnd[12], rnd[13], rnd[14], rnd[15]);
}

uint64_t
kv_xorshift64(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

enum kv_err
kv_read_file(const char *path, size_t max, char **out, size_t *len, char *err, size_t size)
{
	struct stat st;
	char *buf = NULL, *buf_grow;
	size_t n = 0, cap = 64 * 1024;
	int fd = path == NULL ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	enum kv_err rc = KV_OK;

	if (fd < 0) {
		snprintf(err, size, "%s", strerror(errno));
		return KV_EIO;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, size, "%s", strerror(errno));
		rc = KV_EIO;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, size, "is a directory, not a file");
		rc = KV_EIO;
		goto out;
	}
	/* A regular file says its size; pipes (stdin, <(az ...)) are read to
	 * their end, up to the same cap. */
	if (S_ISREG(st.st_mode)) {
		if ((uintmax_t)st.st_size > (uintmax_t)max) {
			snprintf(err, size, "%jd bytes, larger than the %zu-byte limit", (intmax_t)st.st_size, max);
			rc = KV_ELIMIT;
			goto out;
		}
		cap = (size_t)st.st_size + 1;
	}
	if (cap > max + 1)
		cap = max + 1;
	if ((buf = malloc(cap)) == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	for (;;) {
		/* Full: one more byte says whether there is more (and, at the
		 * cap, that the cap is passed). */
		bool full = n + 1 == cap;
		char c;
		ssize_t got = full ? read(fd, &c, 1) : read(fd, buf + n, cap - 1 - n);
		if (got == 0)
			break;
		if (got < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, size, "%s", strerror(errno));
			rc = KV_EIO;
			goto out;
		}
		if (!full) {
			n += (size_t)got;
			continue;
		}
		if (n >= max) {
			snprintf(err, size, "larger than the %zu-byte limit", max);
			rc = KV_ELIMIT;
			goto out;
		}
		cap = cap - 1 > max / 2 ? max + 1 : 2 * cap;
		/* Not realloc: the old block is wiped before it is freed, as the
		 * callers wipe theirs (secrets arrive through here too). */
		if ((buf_grow = malloc(cap)) == NULL) {
			rc = KV_ENOMEM;
			goto out;
		}
		memcpy(buf_grow, buf, n);
		explicit_bzero(buf, n);
		free(buf);
		buf = buf_grow;
		buf[n++] = c;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	if (buf != NULL)
		explicit_bzero(buf, n);
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}
