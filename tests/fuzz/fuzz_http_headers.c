/* fuzz_http_headers.c — what a vault (or whatever answers in its place)
 * sends back to the HTTPS probe: the x-ms-keyvault-network-info and
 * WWW-Authenticate header values, and a 403 body; and what a throttling
 * server sends ARM's client: Retry-After and retry-after-ms values.
 *
 * Input: HEADER-VALUE \0 BODY.  Without a 0 byte the whole input is used
 * for both.  Each parser runs with output buffers of several sizes, each
 * allocated exactly (so the sanitizer sees one byte too many), from 0 up.
 *
 * Properties: no crash, no leak; on success the output is NUL-terminated
 * inside its buffer; the network-info addr= value is an address. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "kvpe/addr.h"
#include "kvpe/http.h"
#include "kvpe/net.h"

static const size_t sizes[] = {0, 1, 2, 8, 16, KV_ADDR_STRLEN, 64, 256};
/* Clocks: the epoch, today, the far end of 64-bit time_t's useful range. */
static const int64_t nows[] = {0, 1780000000, 253402300799};

static void
retry_after(const char *value)
{
	for (size_t i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
		int64_t s = -1;
		if (http_parse_retry_after(value, nows[i], &s))
			FZ_CHECK(s >= 0 && s <= HTTP_RETRY_AFTER_MAX_S);
		else
			FZ_CHECK(s == -1);
	}
	{
		int64_t ms = -1;
		if (http_parse_retry_after_ms(value, &ms))
			FZ_CHECK(ms >= 0 && ms <= HTTP_RETRY_AFTER_MAX_S * 1000);
		else
			FZ_CHECK(ms == -1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t hlen = nul ? (size_t)(nul - data) : size;
	const uint8_t *body = nul ? nul + 1 : data;
	size_t blen = nul ? size - hlen - 1 : size;
	char *header = fz_cstr(data, hlen), *btext = fz_cstr(body, blen);

	if (header == NULL || btext == NULL)
		goto out;
	retry_after(header);
	if (nul != NULL)
		retry_after(btext);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t sz = sizes[i];
		char *buf = malloc(sz ? sz : 1);
		struct kv_addr addr;
		if (buf == NULL)
			goto out;

		if (net_parse_network_info(header, buf, sz)) {
			FZ_CHECK(fz_terminated(buf, sz));
			FZ_CHECK(kv_addr_parse(buf, &addr) == KV_OK);
		}
		if (net_parse_bearer(header, buf, sz))
			FZ_CHECK(sz == 0 || fz_terminated(buf, sz));
		if (net_parse_error_code(btext, blen, buf, sz))
			FZ_CHECK(fz_terminated(buf, sz) && buf[0] != '\0');

		/* The same parsers over the other half: a header value that
		 * is JSON, a body that looks like a header. */
		if (nul != NULL) {
			if (net_parse_network_info(btext, buf, sz))
				FZ_CHECK(fz_terminated(buf, sz));
			if (net_parse_bearer(btext, buf, sz))
				FZ_CHECK(sz == 0 || fz_terminated(buf, sz));
			if (net_parse_error_code(header, hlen, buf, sz))
				FZ_CHECK(fz_terminated(buf, sz));
		}
		free(buf);
	}
out:
	free(header);
	free(btext);
	return 0;
}
