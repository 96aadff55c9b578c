/* curlx.h — the libcurl plumbing the HTTPS client (http.c) and the
 * connection probe (probes/net.c) share, written once: setopt with its
 * result kept, TLS verification against the process's trust store, a capped
 * body sink, response-header readers, and one round of a multi handle.
 *
 * The one header that names libcurl's types: only those two .c files
 * include it, never another header, so CURL handles stay out of every other
 * module's interface (as curl keeps its own helpers in lib/curlx). */
#ifndef KVPE_CURLX_H
#define KVPE_CURLX_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "kvpe/buf.h"
#include "kvpe/common.h"

struct tls_cas;

/* curl_easy_setopt() with its result kept, as curl's own tool does
 * (src/tool_setopt.h): the first failure is remembered and later calls are
 * skipped; curlx_setopt_result() turns it into the transfer's error. */
struct curlx_setopt {
	CURLcode cc;      /* of the first failure, CURLE_OK while all succeeded */
	const char *name; /* the option that failed */
};
#define CURLX_SETOPT(st, easy, opt, val)                                                          \
	do {                                                                                      \
		if ((st)->cc == CURLE_OK && ((st)->cc = curl_easy_setopt((easy), (opt), (val))) != CURLE_OK) \
			(st)->name = #opt;                                                        \
	} while (0)
/* KV_OK, KV_ENOMEM (curl out of memory) or KV_EINTERNAL (libcurl refused an
 * option: built without a feature we need), logged once with the option's
 * name; `what` says whose transfer it was. */
enum kv_err curlx_setopt_result(const struct curlx_setopt *st, const char *what);

/* The peer's certificate and name verified, always.  With `cas` (--ca-file)
 * the process's shared store (tls.h) replaces the bundle curl would parse
 * for each connection. */
void curlx_verify(struct curlx_setopt *st, CURL *easy, struct tls_cas *cas);

/* Where a body goes: CURLOPT_WRITEFUNCTION curlx_write_cb, CURLOPT_WRITEDATA
 * the sink.  Past buf's cap `capped` is set, and the transfer aborts
 * (CURLE_WRITE_ERROR) or, with `truncate`, the rest is dropped. */
struct curlx_sink {
	struct kv_buf *buf;
	bool truncate;
	bool capped;
};
size_t curlx_write_cb(char *ptr, size_t size, size_t nmemb, void *sink);

/* The value of the first response header called `name` in the last
 * response, or NULL; valid until the next call on the handle. */
const char *curlx_header(CURL *easy, const char *name);
/* The same copied into dst (size > 0; cut to fit), "" when absent. */
void curlx_header_copy(CURL *easy, const char *name, char *dst, size_t size);

/* One round of a multi handle: curl_multi_perform, then done(arg, private,
 * result) for each transfer that ended (its CURLOPT_PRIVATE); done may add
 * transfers.  KV_ENET when libcurl fails; else the first error a done
 * returns, which stops the round (what is left waits for the next). */
typedef enum kv_err (*curlx_done_fn)(void *arg, void *priv, CURLcode result);
enum kv_err curlx_multi_step(CURLM *multi, curlx_done_fn done, void *arg);
/* Waits at most timeout_ms for a transfer to have something to do. */
enum kv_err curlx_multi_wait(CURLM *multi, int timeout_ms);

#endif
