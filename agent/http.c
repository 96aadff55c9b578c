/* http.c — see http.h.  One CURLM for concurrent ARM pages (connections
 * reused, HTTP/2 multiplexed where the server offers it), one CURL easy
 * handle for synchronous token requests. */
#include "kvpe/http.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvpe/curlx.h"

struct http_xfer {
	struct http_xfer *next;
	struct http_client *c;
	CURL *easy;
	struct curl_slist *hdrs;
	char *url, *body;
	size_t body_len;
	struct http_resp resp;
	struct curlx_sink sink; /* into resp.body, which aborts at its cap */
	http_done_fn done;
	void *arg;
	char errbuf[CURL_ERROR_SIZE];
};

struct http_client {
	CURLM *multi;
	CURL *easy;
	struct tls_cas *extra_cas;
	long timeout_ms, connect_timeout_ms;
	struct http_xfer *active; /* in the multi handle */
	size_t n_active;
	const volatile int *cancel;
};

void
http_set_cancel(struct http_client *c, const volatile int *cancel)
{
	c->cancel = cancel;
}

/* libcurl calls this often during a transfer: a non-zero return aborts it. */
static int
progress_cb(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	const struct http_client *c = clientp;

	KV_UNUSED(dltotal);
	KV_UNUSED(dlnow);
	KV_UNUSED(ultotal);
	KV_UNUSED(ulnow);
	return c->cancel != NULL && *c->cancel;
}

void
http_resp_init(struct http_resp *r, size_t max_body)
{
	memset(r, 0, sizeof(*r));
	kv_buf_init(&r->body, max_body);
	r->retry_after_ms = -1;
}

void
http_resp_free(struct http_resp *r)
{
	kv_buf_free(&r->body);
}

enum kv_err
http_client_new(const struct http_cfg *cfg, struct http_client **out)
{
	struct http_client *c = calloc(1, sizeof(*c));
	enum kv_err rc = KV_OK;

	if (c == NULL)
		return KV_ENOMEM;
	c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 30000;
	c->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 10000;
	c->extra_cas = cfg->cas;
	c->multi = curl_multi_init();
	c->easy = curl_easy_init();
	if (c->multi == NULL || c->easy == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	if (curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)(cfg->max_conns ? cfg->max_conns : 6)) != CURLM_OK ||
	    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)(cfg->max_conns ? cfg->max_conns * 2 : 12)) !=
		CURLM_OK)
		rc = KV_EINTERNAL;
out:
	if (rc != KV_OK) {
		http_client_free(c);
		return rc;
	}
	*out = c;
	return KV_OK;
}

static void xfer_free(struct http_xfer *x);

void
http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	while (c->active != NULL) {
		struct http_xfer *x = c->active;
		c->active = x->next;
		curl_multi_remove_handle(c->multi, x->easy);
		xfer_free(x);
	}
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	free(c);
}

/* Optional whitespace (RFC 9110 5.6.3) trimmed from both ends: [*b, *e). */
static void
trim_ows(const char **b, const char **e)
{
	*e = *b + strlen(*b);
	while (*b < *e && (**b == ' ' || **b == '\t'))
		(*b)++;
	while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

/* Decimal digits only, saturating at `max` (so no value overflows). */
static bool
parse_digits(const char *p, const char *end, int64_t max, int64_t *out)
{
	int64_t v = 0;

	if (p == end)
		return false;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		if (v < max)
			v = v * 10 + (*p - '0'); /* v < max <= 1e12: no overflow */
		if (v > max)
			v = max;
	}
	*out = v;
	return true;
}

bool
http_parse_retry_after(const char *value, int64_t now_s, int64_t *out_s)
{
	const char *b = value, *e;
	char date[80];
	time_t when;

	if (value == NULL)
		return false;
	trim_ows(&b, &e);
	if (b < e && *b >= '0' && *b <= '9')
		return parse_digits(b, e, HTTP_RETRY_AFTER_MAX_S, out_s);
	/* An HTTP-date starts with the day name; "-5", "+5", ".5" are nothing. */
	if (b == e || !((*b >= 'A' && *b <= 'Z') || (*b >= 'a' && *b <= 'z')) || (size_t)(e - b) >= sizeof(date))
		return false;
	memcpy(date, b, (size_t)(e - b));
	date[e - b] = '\0';
	when = curl_getdate(date, NULL);
	if (when == (time_t)-1)
		return false; /* not a date curl can read */
	if ((int64_t)when <= now_s)
		*out_s = 0; /* in the past: retry now */
	else
		*out_s = (int64_t)when - now_s > HTTP_RETRY_AFTER_MAX_S ? HTTP_RETRY_AFTER_MAX_S : (int64_t)when - now_s;
	return true;
}

bool
http_parse_retry_after_ms(const char *value, int64_t *out_ms)
{
	const char *b = value, *e;

	if (value == NULL)
		return false;
	trim_ows(&b, &e);
	return parse_digits(b, e, HTTP_RETRY_AFTER_MAX_S * 1000, out_ms);
}

/* The server's wait, as Azure's SDKs read it: retry-after-ms, then
 * x-ms-retry-after-ms, then Retry-After. */
static int64_t
retry_after_ms(CURL *easy)
{
	static const char *const ms_names[] = {"retry-after-ms", "x-ms-retry-after-ms"};
	char v[64];
	int64_t n;

	for (size_t i = 0; i < KV_ARRAY_LEN(ms_names); i++) {
		curlx_header_copy(easy, ms_names[i], v, sizeof(v));
		if (http_parse_retry_after_ms(v, &n))
			return n;
	}
	curlx_header_copy(easy, "retry-after", v, sizeof(v));
	if (http_parse_retry_after(v, kv_wall_ms() / 1000, &n))
		return n * 1000; /* n <= HTTP_RETRY_AFTER_MAX_S: no overflow */
	return -1;
}

/* After a transfer: status, the headers we keep, and the transport outcome. */
static void
finish_resp(struct http_xfer *x, CURLcode cc)
{
	struct http_resp *r = &x->resp;
	long ver = 0, port = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(x->easy, CURLINFO_HTTP_VERSION, &ver);
	curl_easy_getinfo(x->easy, CURLINFO_LOCAL_PORT, &port);
	r->http_version = ver == CURL_HTTP_VERSION_2_0 ? 2 : 1;
	r->conn_id = port;
	if (r->status > 0) {
		curlx_header_copy(x->easy, "x-ms-request-id", r->request_id, sizeof(r->request_id));
		curlx_header_copy(x->easy, "x-ms-correlation-request-id", r->correlation_id, sizeof(r->correlation_id));
		curlx_header_copy(x->easy, "content-type", r->content_type, sizeof(r->content_type));
		r->retry_after_ms = retry_after_ms(x->easy);
	}
	switch (cc) {
	case CURLE_OK:
		r->err = KV_OK;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		r->err = KV_ETIMEOUT;
		break;
	case CURLE_ABORTED_BY_CALLBACK: /* progress_cb: the cancel flag */
		r->err = KV_ECANCELED;
		break;
	case CURLE_WRITE_ERROR:
		r->err = x->sink.capped ? KV_ELIMIT : KV_ENET;
		break;
	default:
		r->err = KV_ENET;
		break;
	}
	if (cc != CURLE_OK) {
		if (x->sink.capped)
			snprintf(r->error, sizeof(r->error), "response body larger than %zu bytes", r->body.max);
		else
			snprintf(r->error, sizeof(r->error), "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
	}
}

static enum kv_err
setup(struct http_client *c, CURL *easy, struct http_xfer *x, const struct http_req *req)
{
	long timeout = req->timeout_ms ? req->timeout_ms : c->timeout_ms;
	long connect = req->connect_timeout_ms ? req->connect_timeout_ms : c->connect_timeout_ms;
	struct curlx_setopt so = {CURLE_OK, NULL};

	if (strncmp(req->url, "https://", 8) != 0 && !(req->allow_http && strncmp(req->url, "http://", 7) == 0))
		return KV_EUSAGE;
	x->url = strdup(req->url);
	if (x->url == NULL)
		return KV_ENOMEM;
	if (req->body != NULL) {
		x->body = malloc(req->body_len + 1);
		if (x->body == NULL)
			return KV_ENOMEM;
		memcpy(x->body, req->body, req->body_len);
		x->body[req->body_len] = '\0';
		x->body_len = req->body_len;
	}
	for (size_t i = 0; i < KV_ARRAY_LEN(req->headers) && req->headers[i] != NULL; i++) {
		struct curl_slist *n = curl_slist_append(x->hdrs, req->headers[i]);
		if (n == NULL)
			return KV_ENOMEM;
		x->hdrs = n;
	}
	http_resp_init(&x->resp, req->max_body ? req->max_body : 4 * 1024 * 1024);
	x->sink.buf = &x->resp.body;
	x->easy = easy;
	CURLX_SETOPT(&so, easy, CURLOPT_URL, x->url);
	CURLX_SETOPT(&so, easy, CURLOPT_PROTOCOLS_STR, req->allow_http ? "http,https" : "https");
	CURLX_SETOPT(&so, easy, CURLOPT_FOLLOWLOCATION, 0L);
	CURLX_SETOPT(&so, easy, CURLOPT_NOSIGNAL, 1L);
	/* An aborted transfer (a stop) leaves a resolver thread stuck in
	 * getaddrinfo (the system resolver down) to finish on its own instead
	 * of joining it: that took the resolver's whole timeout, ~10 s. */
	CURLX_SETOPT(&so, easy, CURLOPT_QUICK_EXIT, 1L);
	CURLX_SETOPT(&so, easy, CURLOPT_USERAGENT, "kvpe/" KV_VERSION);
	CURLX_SETOPT(&so, easy, CURLOPT_HTTPHEADER, x->hdrs);
	CURLX_SETOPT(&so, easy, CURLOPT_WRITEFUNCTION, curlx_write_cb);
	CURLX_SETOPT(&so, easy, CURLOPT_WRITEDATA, &x->sink);
	CURLX_SETOPT(&so, easy, CURLOPT_ERRORBUFFER, x->errbuf);
	CURLX_SETOPT(&so, easy, CURLOPT_TIMEOUT_MS, timeout);
	CURLX_SETOPT(&so, easy, CURLOPT_CONNECTTIMEOUT_MS, connect < timeout ? connect : timeout);
	/* "" (the environment's proxies apply) resets what an earlier request
	 * on this reused handle set */
	CURLX_SETOPT(&so, easy, CURLOPT_NOPROXY, req->no_proxy ? "*" : NULL);
	CURLX_SETOPT(&so, easy, CURLOPT_LOW_SPEED_LIMIT, 64L);
	CURLX_SETOPT(&so, easy, CURLOPT_LOW_SPEED_TIME, timeout / 1000 < HTTP_LOW_SPEED_S ? (timeout + 999) / 1000
										  : HTTP_LOW_SPEED_S);
	curlx_verify(&so, easy, c->extra_cas);
	CURLX_SETOPT(&so, easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	CURLX_SETOPT(&so, easy, CURLOPT_PIPEWAIT, 1L);
	CURLX_SETOPT(&so, easy, CURLOPT_ACCEPT_ENCODING, "");
	CURLX_SETOPT(&so, easy, CURLOPT_NOPROGRESS, 0L);
	CURLX_SETOPT(&so, easy, CURLOPT_XFERINFOFUNCTION, progress_cb);
	CURLX_SETOPT(&so, easy, CURLOPT_XFERINFODATA, c);
	if (strcmp(req->method, "POST") == 0) {
		CURLX_SETOPT(&so, easy, CURLOPT_POST, 1L);
		CURLX_SETOPT(&so, easy, CURLOPT_POSTFIELDS, x->body ? x->body : "");
		CURLX_SETOPT(&so, easy, CURLOPT_POSTFIELDSIZE, (long)x->body_len);
	} else {
		CURLX_SETOPT(&so, easy, CURLOPT_HTTPGET, 1L);
	}
	return curlx_setopt_result(&so, "HTTPS request");
}

static void
xfer_release(struct http_xfer *x)
{
	curl_slist_free_all(x->hdrs);
	if (x->body != NULL) {
		/* Form bodies may hold a client secret or assertion. */
		OPENSSL_cleanse(x->body, x->body_len);
		free(x->body);
	}
	free(x->url);
	x->hdrs = NULL;
	x->body = NULL;
	x->url = NULL;
}

static void
xfer_free(struct http_xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL && x->easy != x->c->easy)
		curl_easy_cleanup(x->easy);
	xfer_release(x);
	http_resp_free(&x->resp);
	free(x);
}

enum kv_err
http_do(struct http_client *c, const struct http_req *req, struct http_resp *resp)
{
	struct http_xfer x;
	CURLcode cc;
	enum kv_err rc;

	memset(&x, 0, sizeof(x));
	x.c = c;
	curl_easy_reset(c->easy);
	rc = setup(c, c->easy, &x, req);
	if (rc != KV_OK) {
		xfer_release(&x);
		http_resp_free(&x.resp);
		return rc;
	}
	cc = curl_easy_perform(c->easy);
	finish_resp(&x, cc);
	xfer_release(&x);
	if (x.resp.err == KV_ECANCELED) {
		/* A stop, not an answer: callers must not read it as the
		 * endpoint failing (and, say, move on to the next credential). */
		http_resp_free(&x.resp);
		return KV_ECANCELED;
	}
	*resp = x.resp; /* the caller frees the body */
	return KV_OK;
}

enum kv_err
http_submit(struct http_client *c, const struct http_req *req, http_done_fn done, void *arg)
{
	struct http_xfer *x = calloc(1, sizeof(*x));
	CURL *easy = curl_easy_init();
	enum kv_err rc;

	if (x == NULL || easy == NULL) {
		free(x);
		if (easy != NULL)
			curl_easy_cleanup(easy);
		return KV_ENOMEM;
	}
	x->c = c;
	x->done = done;
	x->arg = arg;
	if ((rc = setup(c, easy, x, req)) != KV_OK) {
		x->easy = easy;
		xfer_free(x);
		return rc;
	}
	if (curl_easy_setopt(easy, CURLOPT_PRIVATE, x) != CURLE_OK || curl_multi_add_handle(c->multi, easy) != CURLM_OK) {
		xfer_free(x);
		return KV_ENOMEM;
	}
	x->next = c->active;
	c->active = x;
	c->n_active++;
	return KV_OK;
}

static void
complete(struct http_client *c, struct http_xfer *x, CURLcode cc, bool timed_out)
{
	struct http_xfer **pp;

	for (pp = &c->active; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	c->n_active--;
	curl_multi_remove_handle(c->multi, x->easy);
	finish_resp(x, cc);
	if (timed_out) {
		x->resp.err = KV_ETIMEOUT;
		snprintf(x->resp.error, sizeof(x->resp.error), "run deadline passed");
	}
	if (x->done != NULL)
		x->done(x->arg, &x->resp);
	xfer_free(x);
}

static enum kv_err
xfer_done(void *arg, void *priv, CURLcode cc)
{
	complete(arg, priv, cc, false); /* may submit more */
	return KV_OK;
}

enum kv_err
http_run(struct http_client *c, int64_t until_ms)
{
	enum kv_err rc;

	while (c->n_active > 0) {
		int timeout = 200;
		if ((rc = curlx_multi_step(c->multi, xfer_done, c)) != KV_OK)
			return rc;
		if (c->n_active == 0)
			break;
		if (until_ms > 0) {
			int64_t left_ms = until_ms - kv_now_ms();
			if (left_ms <= 0)
				return KV_OK; /* the caller has something to do; transfers go on */
			if (left_ms < timeout)
				timeout = (int)left_ms;
		}
		if ((rc = curlx_multi_wait(c->multi, timeout)) != KV_OK)
			return rc;
	}
	return KV_OK;
}

void
http_abort_all(struct http_client *c)
{
	while (c->active != NULL)
		complete(c, c->active, CURLE_OPERATION_TIMEDOUT, true);
}

enum kv_err
http_form_add(struct kv_buf *b, const char *key, const char *value)
{
	char *ek = curl_easy_escape(NULL, key, 0);
	char *ev = curl_easy_escape(NULL, value, 0);
	enum kv_err rc = KV_ENOMEM;

	if (ek != NULL && ev != NULL)
		rc = kv_buf_printf(b, "%s%s=%s", b->len ? "&" : "", ek, ev);
	if (ev != NULL) {
		OPENSSL_cleanse(ev, strlen(ev));
		curl_free(ev);
	}
	curl_free(ek);
	return rc;
}
