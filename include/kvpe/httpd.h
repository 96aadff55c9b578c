/* httpd.h — the agent's HTTP endpoint (the tool) on libmicrohttpd (its own
 * thread):
 *   GET /metrics     Prometheus text format 0.0.4
 *   GET /healthz     200 "ok" while the last successful cycle is younger than
 *                    3 x interval, else 503 with its age
 *   GET /v1/report   the last good JSON report (Age: header = its age)
 * 405 for other methods, 404 for other paths.  The scheduler publishes whole
 * bodies; the HTTP thread copies them under a lock, never sees a report half
 * written. */
#ifndef KVPE_HTTPD_H
#define KVPE_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include "kvpe/common.h"

struct httpd;

/* Binds `listen` ("127.0.0.1:9712", "[::1]:9712") now, so a busy port is
 * reported at start-up with its own message. */
enum kv_err httpd_start(const char *listen, int64_t interval_ms, struct httpd **out, char *err, size_t size);
void httpd_stop(struct httpd *h);

/* Takes ownership of the malloc'd bodies (either may be NULL: keep the old).
 * report_ms: when the published report was made (wall clock);
 * success_ms: end of the last successful cycle. */
void httpd_publish(struct httpd *h, char *metrics, size_t metrics_len, char *report, size_t report_len,
    int64_t report_ms, int64_t success_ms);
void httpd_set_interval(struct httpd *h, int64_t interval_ms);

#endif
