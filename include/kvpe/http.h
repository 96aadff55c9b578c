/* http.h — HTTPS transport on libcurl for ARM and the token endpoints.
 *
 * TLS is always verified against the system store; --ca-file adds CAs to it
 * (it does not replace it).  Redirects are never followed (a bearer token
 * must not follow a Location header to another host).  Every body has a cap.
 * Retries are the caller's decision: this layer reports what happened.
 * CURL handles stay inside http.c (and the plumbing it shares with the
 * probes, curlx.c). */
#ifndef KVPE_HTTP_H
#define KVPE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvpe/buf.h"
#include "kvpe/common.h"

struct tls_cas;

struct http_cfg {
	struct tls_cas *cas; /* extra CAs (--ca-file), may be NULL; must outlive the client */
	unsigned max_conns;      /* connections per host for the multi interface */
	long timeout_ms;         /* whole request */
	long connect_timeout_ms;
};

struct http_req {
	const char *method; /* "GET" or "POST" */
	const char *url;
	const char *body;   /* POST body, may be NULL */
	size_t body_len;
	const char *headers[8]; /* "Name: value", NULL-terminated list */
	size_t max_body;        /* cap on the response body */
	bool allow_http;        /* plain http:// (IMDS and App Service identity only) */
	long timeout_ms;        /* 0 = the client's default */
	long connect_timeout_ms; /* 0 = the client's (never past timeout_ms) */
	bool no_proxy;          /* IMDS: link-local, never through a proxy */
};

/* A body trickling in slower than 64 bytes/s for this long is a stuck server
 * (at most the request's own timeout). */
#define HTTP_LOW_SPEED_S 10L

struct http_resp {
	long status;              /* 0 when no HTTP answer */
	struct kv_buf body;
	char request_id[64];      /* x-ms-request-id */
	char correlation_id[64];  /* x-ms-correlation-request-id */
	char content_type[64];
	int64_t retry_after_ms;   /* the server's wait (retry-after-ms or Retry-After); -1 when absent or unusable */
	enum kv_err err;          /* transport outcome: KV_OK, KV_ETIMEOUT, KV_ENET, KV_ELIMIT */
	char error[256];          /* transport error text */
	long conn_id;             /* reuse evidence for tests (CURLINFO_CONN_ID is newer; we use local port) */
	unsigned http_version;    /* 1 or 2 */
};

struct http_client;

enum kv_err http_client_new(const struct http_cfg *cfg, struct http_client **out);
void http_client_free(struct http_client *c);
/* A flag a signal handler sets: every transfer aborts soon after. */
void http_set_cancel(struct http_client *c, const volatile int *cancel);

/* One request now, on the client's own easy handle (token endpoints).
 * KV_ECANCELED (and no response) when the cancel flag stopped it. */
enum kv_err http_do(struct http_client *c, const struct http_req *req, struct http_resp *resp);

/* Many requests at once over the multi interface (ARM pages).  `done` runs
 * from http_run() and may submit more; the response is freed after it. */
typedef void (*http_done_fn)(void *arg, struct http_resp *resp);
enum kv_err http_submit(struct http_client *c, const struct http_req *req, http_done_fn done, void *arg);
/* Runs until no request is left or `until_ms` (monotonic; 0 = no limit)
 * passes; unfinished transfers carry on at the next call. */
enum kv_err http_run(struct http_client *c, int64_t until_ms);
/* Ends every unfinished transfer now with KV_ETIMEOUT (run deadline). */
void http_abort_all(struct http_client *c);

void http_resp_init(struct http_resp *r, size_t max_body);
void http_resp_free(struct http_resp *r);

/* The longest wait a server can ask for that we represent: longer values
 * saturate here (about 31 years; no run waits that long anyway). */
#define HTTP_RETRY_AFTER_MAX_S 999999999LL

/* A Retry-After value (RFC 9110 10.2.3): delay-seconds (digits only,
 * saturating at HTTP_RETRY_AFTER_MAX_S) or an HTTP-date, taken relative to
 * `now_s` (a date in the past is 0).  Optional whitespace around it is
 * allowed.  Anything else — negative, fractional, garbage, empty — is false:
 * the caller uses its own backoff. */
bool http_parse_retry_after(const char *value, int64_t now_s, int64_t *out_s);
/* retry-after-ms / x-ms-retry-after-ms (Azure): milliseconds, digits only,
 * saturating at HTTP_RETRY_AFTER_MAX_S * 1000. */
bool http_parse_retry_after_ms(const char *value, int64_t *out_ms);

/* "application/x-www-form-urlencoded" encoding of one value into b. */
enum kv_err http_form_add(struct kv_buf *b, const char *key, const char *value);

#endif
