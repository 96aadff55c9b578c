/* httpd.c — see httpd.h. */
#include "kvpe/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kvpe/addr.h"
#include "kvpe/log.h"

struct httpd {
	struct MHD_Daemon *d;
	int fd;
	pthread_mutex_t mu;
	char *metrics, *report;
	size_t metrics_len, report_len;
	int64_t report_ms, success_ms, interval_ms;
};

static enum MHD_Result
send_body(struct MHD_Connection *conn, unsigned status, const char *ctype, const char *body, size_t len,
    const char *extra_name, const char *extra_value)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (extra_name != NULL)
		MHD_add_response_header(resp, extra_name, extra_value);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
    const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct httpd *h = cls;
	enum MHD_Result ret;
	char msg[160], age[32];
	int64_t now = kv_wall_ms();

	KV_UNUSED(version);
	KV_UNUSED(upload_data);
	KV_UNUSED(con_cls);
	*upload_data_size = 0; /* any request body is ignored */
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return send_body(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "method not allowed\n", 19,
		    MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	pthread_mutex_lock(&h->mu);
	if (strcmp(url, "/metrics") == 0) {
		ret = send_body(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", h->metrics ? h->metrics : "",
		    h->metrics_len, NULL, NULL);
	} else if (strcmp(url, "/v1/report") == 0) {
		if (h->report == NULL) {
			ret = send_body(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
			    "no report yet: the first cycle has not completed\n", 49, NULL, NULL);
		} else {
			snprintf(age, sizeof(age), "%lld", (long long)((now - h->report_ms) / 1000));
			ret = send_body(conn, MHD_HTTP_OK, "application/json", h->report, h->report_len, MHD_HTTP_HEADER_AGE, age);
		}
	} else if (strcmp(url, "/healthz") == 0) {
		int64_t limit = 3 * h->interval_ms;
		int n;
		if (h->success_ms > 0 && now - h->success_ms <= limit) {
			ret = send_body(conn, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3, NULL, NULL);
		} else {
			if (h->success_ms > 0)
				n = snprintf(msg, sizeof(msg), "stale: the last successful cycle ended %lld s ago (limit %lld s)\n",
				    (long long)((now - h->success_ms) / 1000), (long long)(limit / 1000));
			else
				n = snprintf(msg, sizeof(msg), "no successful cycle yet\n");
			ret = send_body(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", msg, (size_t)n, NULL, NULL);
		}
	} else {
		ret = send_body(conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
		    "not found: try /metrics, /healthz or /v1/report\n", 48, NULL, NULL);
	}
	pthread_mutex_unlock(&h->mu);
	return ret;
}

enum kv_err
httpd_start(const char *listen_addr, int64_t interval_ms, struct httpd **out, char *err, size_t size)
{
	struct httpd *h = calloc(1, sizeof(*h));
	struct kv_hostport hp;
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1;

	if (h == NULL)
		return KV_ENOMEM;
	h->fd = -1;
	h->interval_ms = interval_ms;
	pthread_mutex_init(&h->mu, NULL);
	if (kv_hostport_parse(listen_addr, 0, &hp) != KV_OK || hp.port == 0) {
		snprintf(err, size, "--listen '%s': expected ADDR:PORT", listen_addr);
		httpd_stop(h);
		return KV_EUSAGE;
	}
	memset(&ss, 0, sizeof(ss));
	if (hp.addr.family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(hp.port);
		memcpy(&s6->sin6_addr, hp.addr.b, 16);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(hp.port);
		memcpy(&s4->sin_addr, hp.addr.b, 4);
		sl = sizeof(*s4);
	}
	/* Bind ourselves so a busy port gets a clear message (MHD would only fail). */
	h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0 || setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(h->fd, (struct sockaddr *)&ss, sl) != 0 || listen(h->fd, 32) != 0) {
		snprintf(err, size, "cannot listen on %s: %s%s", listen_addr, strerror(errno),
		    errno == EADDRINUSE ? " (another kvpe agent? 9712 is its default port; choose another with --listen)" : "");
		httpd_stop(h);
		return KV_EIO;
	}
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL, handler, h,
	    MHD_OPTION_LISTEN_SOCKET, h->fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)32,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)16, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_END);
	if (h->d == NULL) {
		snprintf(err, size, "cannot start the HTTP server on %s", listen_addr);
		httpd_stop(h);
		return KV_EIO;
	}
	h->fd = -1; /* MHD_stop_daemon() closes the listening socket it was given */
	*out = h;
	return KV_OK;
}

void
httpd_stop(struct httpd *h)
{
	if (h == NULL)
		return;
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	if (h->fd >= 0)
		close(h->fd);
	pthread_mutex_destroy(&h->mu);
	free(h->metrics);
	free(h->report);
	free(h);
}

void
httpd_publish(struct httpd *h, char *metrics, size_t metrics_len, char *report, size_t report_len, int64_t report_ms,
    int64_t success_ms)
{
	char *old_m = NULL, *old_r = NULL;

	pthread_mutex_lock(&h->mu);
	if (metrics != NULL) {
		old_m = h->metrics;
		h->metrics = metrics;
		h->metrics_len = metrics_len;
	}
	if (report != NULL) {
		old_r = h->report;
		h->report = report;
		h->report_len = report_len;
		h->report_ms = report_ms;
	}
	h->success_ms = success_ms;
	pthread_mutex_unlock(&h->mu);
	free(old_m);
	free(old_r);
}

void
httpd_set_interval(struct httpd *h, int64_t interval_ms)
{
	pthread_mutex_lock(&h->mu);
	h->interval_ms = interval_ms;
	pthread_mutex_unlock(&h->mu);
}
