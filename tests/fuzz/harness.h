/* harness.h — small helpers shared by the fuzz harnesses (header-only:
 * each harness is built from its own .c plus replay.c or libFuzzer). */
#ifndef KVPE_FUZZ_HARNESS_H
#define KVPE_FUZZ_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A property the code under test must keep: report and abort(), which
 * both libFuzzer and the replay driver treat as a crash.  GCC 12's analyzer
 * reports what the harness holds at that abort() as leaked; the process ends
 * there, so that one warning is off inside the check. */
#if defined(__GNUC__) && !defined(__clang__)
#define FZ_NO_LEAK_AT_ABORT_BEGIN \
	_Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wanalyzer-malloc-leak\"")
#define FZ_NO_LEAK_AT_ABORT_END _Pragma("GCC diagnostic pop")
#else
#define FZ_NO_LEAK_AT_ABORT_BEGIN
#define FZ_NO_LEAK_AT_ABORT_END
#endif
#define FZ_CHECK(cond)                                                                                       \
	do {                                                                                                 \
		FZ_NO_LEAK_AT_ABORT_BEGIN                                                                    \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "ERROR: %s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                             \
		}                                                                                            \
		FZ_NO_LEAK_AT_ABORT_END                                                                      \
	} while (0)

/* A NUL-terminated heap copy of the input (free() it); NULL when out of
 * memory.  Bytes after an embedded NUL are kept but C string APIs stop there. */
static inline char *
fz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		return NULL;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* True when buf (size bytes) holds a NUL within its bounds. */
static inline int
fz_terminated(const char *buf, size_t size)
{
	return size > 0 && memchr(buf, '\0', size) != NULL;
}

#endif
