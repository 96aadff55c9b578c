/* fuzz_http_headers.c — what a vault (or whatever answers in its place)
 * sends back to the HTTPS probe: the x-ms-keyvault-network-info and
 * WWW-Authenticate header values, and a 403 body.
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
#include "kvpe/net.h"

static const size_t sizes[] = {0, 1, 2, 8, 16, KV_ADDR_STRLEN, 64, 256};

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
