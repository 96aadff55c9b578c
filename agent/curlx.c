/* curlx.c — see curlx.h. */
#include "kvpe/curlx.h"

#include <string.h>

#include "kvpe/log.h"
#include "kvpe/tls.h"

enum kv_err
curlx_setopt_result(const struct curlx_setopt *st, const char *what)
{
	if (st->cc == CURLE_OK)
		return KV_OK;
	kv_log_error("libcurl refused an option", "what=\"%s\" option=%s error=\"%s\"", what, st->name,
	    curl_easy_strerror(st->cc));
	return st->cc == CURLE_OUT_OF_MEMORY ? KV_ENOMEM : KV_EINTERNAL;
}

static CURLcode
ssl_ctx_cb(CURL *curl, void *ssl_ctx, void *userptr)
{
	KV_UNUSED(curl);
	tls_cas_apply(userptr, ssl_ctx);
	return CURLE_OK;
}

void
curlx_verify(struct curlx_setopt *st, CURL *easy, struct tls_cas *cas)
{
	CURLX_SETOPT(st, easy, CURLOPT_SSL_VERIFYPEER, 1L);
	CURLX_SETOPT(st, easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (cas != NULL) {
		CURLX_SETOPT(st, easy, CURLOPT_CAINFO, NULL);
		CURLX_SETOPT(st, easy, CURLOPT_CAPATH, NULL);
		CURLX_SETOPT(st, easy, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
		CURLX_SETOPT(st, easy, CURLOPT_SSL_CTX_DATA, cas);
	}
}

size_t
curlx_write_cb(char *ptr, size_t size, size_t nmemb, void *sink)
{
	struct curlx_sink *s = sink;
	size_t n = size * nmemb;

	if (!s->capped && kv_buf_append(s->buf, ptr, n) != KV_OK)
		s->capped = true;
	/* 0 aborts the transfer: the body is over its cap. */
	return s->capped && !s->truncate ? 0 : n;
}

const char *
curlx_header(CURL *easy, const char *name)
{
	struct curl_header *h = NULL;

	if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h != NULL)
		return h->value;
	return NULL;
}

void
curlx_header_copy(CURL *easy, const char *name, char *dst, size_t size)
{
	const char *v = curlx_header(easy, name);
	size_t n;

	dst[0] = '\0';
	if (v == NULL)
		return;
	n = strlen(v);
	if (n >= size)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

enum kv_err
curlx_multi_step(CURLM *multi, curlx_done_fn done, void *arg)
{
	CURLMsg *msg;
	int running = 0, left;
	enum kv_err rc;

	if (curl_multi_perform(multi, &running) != CURLM_OK)
		return KV_ENET;
	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		char *priv = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		if ((rc = done(arg, priv, msg->data.result)) != KV_OK)
			return rc;
	}
	return KV_OK;
}

enum kv_err
curlx_multi_wait(CURLM *multi, int timeout_ms)
{
	return curl_multi_poll(multi, NULL, 0, timeout_ms, NULL) == CURLM_OK ? KV_OK : KV_ENET;
}
