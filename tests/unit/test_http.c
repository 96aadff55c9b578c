/* test_http.c — what a server's headers may ask of the HTTP layer: Retry-After
 * in both forms (RFC 9110 10.2.3) and Azure's retry-after-ms, hostile values
 * included (20 digits, negative, fractional, dates far away), and how a
 * refused curl option becomes a run error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "kvpe/curlx.h"
#include "kvpe/http.h"

#define NOW 1780000000LL /* 2026-05-28T20:26:40Z */

static void
test_retry_after(void **state)
{
	static const struct {
		const char *in;
		bool ok;
		int64_t want_s;
	} cases[] = {
	    {"2", true, 2},
	    {"0", true, 0},
	    {" 120\t", true, 120},
	    {"007", true, 7},
	    {"99999", true, 99999},
	    {"999999999", true, HTTP_RETRY_AFTER_MAX_S},
	    {"1000000000", true, HTTP_RETRY_AFTER_MAX_S},
	    {"99999999999999999999", true, HTTP_RETRY_AFTER_MAX_S}, /* was signed overflow */
	    {"184467440737095516160000000000", true, HTTP_RETRY_AFTER_MAX_S},
	    {"-1", false, 0},
	    {"-99999999999999999999", false, 0},
	    {"+5", false, 0},
	    {"1.5", false, 0},
	    {"5s", false, 0},
	    {"5 5", false, 0},
	    {"0x10", false, 0},
	    {"", false, 0},
	    {"   ", false, 0},
	    {"soon", false, 0},
	    {"GMT", false, 0},
	    {"\x01\x02", false, 0},
	    /* HTTP-dates: IMF-fixdate, RFC 850, asctime; relative to NOW. */
	    {"Thu, 28 May 2026 20:27:40 GMT", true, 60},
	    {"Thursday, 28-May-26 20:27:40 GMT", true, 60},
	    {"Thu May 28 20:27:40 2026", true, 60},
	    {"Sun, 06 Nov 1994 08:49:37 GMT", true, 0},     /* the past: now */
	    {"Thu, 01 Jan 1970 00:00:00 GMT", true, 0},
	    {"Mon, 01 Jan 1900 00:00:00 GMT", true, 0},
	    {"Fri, 31 Dec 9999 23:59:59 GMT", true, HTTP_RETRY_AFTER_MAX_S}, /* far future: saturated */
	    {"Fri, 31 Dec 2147483647 23:59:59 GMT", true, HTTP_RETRY_AFTER_MAX_S},
	    {"Thu, 28 May 2026 20:27:40 GMT and then some text that makes this header value rather long indeed", false, 0},
	};
	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(cases); i++) {
		int64_t got = -42;
		bool ok = http_parse_retry_after(cases[i].in, NOW, &got);
		if (ok != cases[i].ok || (ok && got != cases[i].want_s) || (!ok && got != -42)) {
			print_error("case %zu '%s': got %d %lld\n", i, cases[i].in, ok, (long long)got);
			fail();
		}
	}
	assert_false(http_parse_retry_after(NULL, NOW, NULL));
}

static void
test_retry_after_ms(void **state)
{
	int64_t ms = -42;

	(void)state;
	assert_true(http_parse_retry_after_ms("1500", &ms));
	assert_int_equal(ms, 1500);
	assert_true(http_parse_retry_after_ms(" 0 ", &ms));
	assert_int_equal(ms, 0);
	assert_true(http_parse_retry_after_ms("99999999999999999999999", &ms));
	assert_int_equal(ms, HTTP_RETRY_AFTER_MAX_S * 1000);
	ms = -42;
	assert_false(http_parse_retry_after_ms("-1", &ms));
	assert_false(http_parse_retry_after_ms("1.5", &ms));
	assert_false(http_parse_retry_after_ms("", &ms));
	assert_false(http_parse_retry_after_ms("Thu, 28 May 2026 20:27:40 GMT", &ms));
	assert_false(http_parse_retry_after_ms(NULL, &ms));
	assert_int_equal(ms, -42);
}

/* The first refused option is kept, the rest skipped, and it maps to a
 * run error: out of memory, or a libcurl without what we need. */
static void
test_setopt(void **state)
{
	CURL *easy = curl_easy_init();
	struct curlx_setopt so = {CURLE_OK, NULL};

	(void)state;
	assert_non_null(easy);
	CURLX_SETOPT(&so, easy, CURLOPT_TIMEOUT_MS, 1000L);
	assert_int_equal(curlx_setopt_result(&so, "test"), KV_OK);
	CURLX_SETOPT(&so, easy, CURLOPT_PROTOCOLS_STR, "no-such-protocol");
	CURLX_SETOPT(&so, easy, CURLOPT_TIMEOUT_MS, 2000L); /* skipped */
	assert_int_not_equal(so.cc, 0);
	assert_string_equal(so.name, "CURLOPT_PROTOCOLS_STR");
	assert_int_equal(curlx_setopt_result(&so, "test"), KV_EINTERNAL);
	so.cc = CURLE_OUT_OF_MEMORY;
	assert_int_equal(curlx_setopt_result(&so, "test"), KV_ENOMEM);
	curl_easy_cleanup(easy);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_retry_after),
	    cmocka_unit_test(test_retry_after_ms),
	    cmocka_unit_test(test_setopt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
