/* net.h — the connection probe: TCP, TLS and HTTPS to the address DNS gave.
 *
 * Each probe is pinned to that address (CURLOPT_CONNECT_TO), so SNI, the
 * certificate check and the Host header use the vault FQDN while the packets
 * go only to the observed address — never to a second lookup's answer, never
 * through a proxy.  Many probes run at once (curl multi), each with its own
 * timeout; nothing but the URL's path is sent: no credentials, no cookies.
 * Library types stay inside net.c (and the libcurl plumbing it shares with
 * http.c, curlx.c). */
#ifndef KVPE_NET_H
#define KVPE_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "kvpe/addr.h"
#include "kvpe/arena.h"
#include "kvpe/common.h"
#include "kvpe/types.h"

struct tls_cas;

struct net_cfg {
	enum kv_probe_level level;
	struct tls_cas *cas; /* --ca-file, may be NULL */
	unsigned max_inflight;
	long timeout_ms; /* one probe, all phases */
	/* When set (tests: KVPE_PROBE_ALLOW), addresses outside are not probed. */
	const struct kv_cidr *allow;
	size_t n_allow;
	const volatile int *cancel;
};

struct net_target {
	const char *fqdn;
	struct kv_addr addr;
	struct kv_probe_obs *out;
};

struct net_stats {
	unsigned long probes, peak_inflight;
};

/* Probes every target; results (and their strings, in `a`) land in ->out. */
enum kv_err net_probe(const struct net_cfg *cfg, struct net_target *t, size_t n, struct kv_arena *a,
    struct net_stats *st);

/* The path the HTTPS probe requests. */
#define NET_PROBE_PATH "/healthstatus"

/* x-ms-keyvault-network-info: "conn_type=Ipv4;addr=10.1.2.7;act_addr_fam=InterNetwork;"
 * (older form without conn_type): the addr field into `addr`. */
bool net_parse_network_info(const char *value, char *addr, size_t size);
/* WWW-Authenticate: Bearer authorization="https://login.windows.net/<tenant>",
 * resource="https://vault.azure.net": true for a Bearer challenge naming an
 * authorization URI; the tenant (its last path segment) into `tenant`. */
bool net_parse_bearer(const char *value, char *tenant, size_t size);
/* Key Vault's 403 body {"error": {"code": "Forbidden", "innererror":
 * {"code": "ForbiddenByConnection"}}}: the innermost code into `code`.
 * body[len] must be readable (see jsonr.h). */
bool net_parse_error_code(const char *body, size_t len, char *code, size_t size);

#endif
