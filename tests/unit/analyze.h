/* analyze.h — force-included (-include) into the unit tests by `make analyze`
 * only, never into a test that runs.  cmocka's assertions return when the
 * check holds and longjmp out of the test when it does not, but nothing tells
 * an analyzer so: both follow a failed assert_non_null(p) into the next line's
 * *p and report it.  Here each assertion the tests use is a plain condition
 * that abort()s, which GCC's -fanalyzer and Clang's analyzer understand. */
#ifndef KVPE_TEST_ANALYZE_H
#define KVPE_TEST_ANALYZE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define _assert_true(r, expr, file, line) ((r) ? (void)0 : abort())
#define _assert_int_equal(a, b, file, line) ((a) == (b) ? (void)0 : abort())
#define _assert_int_not_equal(a, b, file, line) ((a) != (b) ? (void)0 : abort())
static inline void
analyze_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL || strcmp(a, b) != 0)
		abort();
}

static inline void
analyze_mem_eq(const void *a, const void *b, size_t n)
{
	if (a == NULL || b == NULL || memcmp(a, b, n) != 0)
		abort();
}

#define _assert_string_equal(a, b, file, line) analyze_str_eq((a), (b))
#define _assert_memory_equal(a, b, n, file, line) analyze_mem_eq((a), (b), (n))
#define _fail(file, line) abort()

#endif
