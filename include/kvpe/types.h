/* types.h — the plain data that flows between the stages:
 *
 *   sources → inventory (inv.h) → expectations: struct kv_target
 *           → observations: struct kv_dns_obs, struct kv_probe_obs
 *           → verdict: struct kv_finding[] in struct kv_result
 *           → report: struct kv_report
 *
 * A report owns everything reachable from it: each pointer goes into the
 * report's arena (the inventory of a cycle is built in that arena too) or to
 * a string literal or static table (cloud names, enum names, "manual").
 * Nothing points into the configuration, the check context or the
 * inventory's own tables, so a report outlives all three: the agent keeps
 * serving its last good report after SIGHUP has freed the old configuration.
 * Nothing here is freed on its own. */
#ifndef KVPE_TYPES_H
#define KVPE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvpe/addr.h"
#include "kvpe/cloud.h"
#include "kvpe/common.h"
#include "kvpe/finding.h"

enum kv_tri { KV_TRI_UNKNOWN = 0, KV_TRI_NO, KV_TRI_YES };

enum kv_pe_state { KV_PE_UNKNOWN, KV_PE_APPROVED, KV_PE_PENDING, KV_PE_REJECTED, KV_PE_DISCONNECTED };

/* ---- expectations: what should be true for one vault ---- */

/* One private endpoint connection of the vault, joined with its endpoint and NIC. */
struct kv_endpoint_view {
	const char *pe_id;   /* private endpoint resource ID (NULL if unknown) */
	const char *pe_name, *pe_subscription, *pe_resource_group;
	const char *conn_name; /* the vault-side connection name (for approve) */
	enum kv_pe_state state;
	bool pe_found;       /* the endpoint resource itself was in the inventory */
	const char *subnet_id;
	struct kv_addr *addrs; /* NIC private IPs + customDnsConfigs for the vault FQDN */
	size_t n_addrs;
};

/* A private DNS zone named like the vault's private link zone. */
struct kv_zone_view {
	const char *id, *name, *subscription, *resource_group;
	bool has_record;
	struct kv_addr *addrs; /* the zone's A record for the vault */
	size_t n_addrs;
	uint32_t ttl;
	bool linked; /* linked to the agent's VNet (only meaningful when vnet_known) */
};

struct kv_target {
	const char *name; /* lower-case short name, e.g. "contoso" */
	enum kv_kind kind;
	enum kv_cloud_id cloud;
	const char *id; /* ARM resource ID, NULL for --vault sources */
	const char *subscription, *resource_group, *location;
	const char *fqdn, *pl_fqdn, *pl_zone;
	const char *source; /* "arm", "inventory" or "manual" */

	/* ARM's view.  arm_known is false for --vault NAME sources. */
	bool arm_known;
	const char *incomplete; /* why this vault could not be checked (e.g. no properties) */
	enum kv_tri public_access;     /* publicNetworkAccess; absent = enabled */
	enum kv_tri acl_default_allow; /* networkAcls.defaultAction; absent = Allow */
	struct kv_endpoint_view *endpoints;
	size_t n_endpoints;
	bool zones_known; /* private DNS zones were part of the inventory */
	struct kv_zone_view *zones;
	size_t n_zones;
	bool vnet_known; /* the agent's VNet is known, so links can be judged */
	const char *vnet_id;

	/* Addresses the endpoint owns: approved endpoints' NIC/DNS config IPs, or
	 * the IPs of --vault NAME=IP.  expected_known = some source named them. */
	bool expected_known, expected_manual;
	struct kv_addr *expected;
	size_t n_expected;
};

/* ---- observations ---- */

enum kv_rcode {
	KV_RC_NONE, /* not asked */
	KV_RC_NOERROR,
	KV_RC_NODATA,
	KV_RC_NXDOMAIN,
	KV_RC_SERVFAIL,
	KV_RC_REFUSED,
	KV_RC_TIMEOUT,
	KV_RC_ERROR /* malformed answer, connection refused, ... */
};

#define KV_DNS_CHAIN_MAX 16

struct kv_dns_lookup {
	enum kv_rcode rcode;
	const char *qname;
	const char **chain; /* qname first, then each CNAME target, lower-case */
	size_t n_chain;
	bool chain_loop;      /* a name repeats in the chain */
	bool chain_truncated; /* longer than KV_DNS_CHAIN_MAX */
	struct kv_addr *addrs; /* sorted, unique */
	size_t n_addrs;
	uint32_t ttl;  /* smallest TTL along the answer */
	uint32_t neg_ttl; /* for NXDOMAIN/NODATA: the zone's negative TTL when asked (--wait), else 0 */
	int server;    /* index into the report's resolvers, -1 if none answered */
	uint32_t ms;   /* time of the final attempt */
	uint32_t attempts;
	const char *error; /* resolver library text for KV_RC_ERROR */
};

struct kv_dns_obs {
	struct kv_dns_lookup a, aaaa;
	struct kv_dns_lookup pl; /* the private link name, asked directly or read off the chain */
	bool pl_from_chain;
};

enum kv_probe_level { KV_PROBE_OFF, KV_PROBE_TCP, KV_PROBE_TLS, KV_PROBE_HTTPS };

enum kv_probe_result {
	KV_PR_NOT_RUN,
	KV_PR_CONNECTED,    /* TCP (and TLS) as far as asked, no HTTP */
	KV_PR_VAULT,        /* Key Vault answered (network-info header or Bearer challenge) */
	KV_PR_FORBIDDEN,    /* 403 from the vault (ForbiddenByConnection/Firewall) */
	KV_PR_NOT_VAULT,    /* something else answered */
	KV_PR_TCP_FAILED,
	KV_PR_TLS_FAILED,
	KV_PR_HTTP_FAILED   /* connection broke or timed out after TLS */
};

struct kv_probe_obs {
	enum kv_probe_level level;
	enum kv_probe_result result;
	const char *skipped; /* why no probe ran */
	struct kv_addr address; /* the address DNS gave, the only one probed */
	struct kv_addr local;   /* our source address on that connection */
	int32_t tcp_ms, tls_ms, http_ms; /* -1 = not reached */
	const char *error;  /* connect/TLS/HTTP error text */
	long verify_result; /* X509_V_* when TLS verification failed */
	int http_status;
	bool network_info;  /* x-ms-keyvault-network-info seen */
	const char *seen_addr; /* its addr= field */
	bool bearer;        /* WWW-Authenticate: Bearer authorization=... */
	const char *tenant;
	const char *error_code; /* e.g. ForbiddenByConnection from a 403 body */
	int64_t cert_not_after; /* epoch seconds, 0 = unknown */
};

/* ---- verdict ---- */

enum kv_status { KV_ST_PASS, KV_ST_FAIL, KV_ST_ERROR };

struct kv_finding {
	enum kv_finding_code code;
	const char *message;
	const char *remediation;
};

struct kv_result {
	const struct kv_target *t;
	struct kv_dns_obs dns;
	struct kv_probe_obs probe;
	struct kv_finding *findings;
	size_t n_findings;
	enum kv_status status;
};

/* ---- report ---- */

struct kv_run_error {
	const char *scope;   /* "subscription/<id>", "inventory/<file>", ... */
	const char *message;
};

struct kv_arena;

struct kv_report {
	struct kv_arena *arena; /* owns everything below */
	int64_t started_ms;     /* wall clock */
	int64_t duration_ms;
	const char *host, *cloud, *version;
	const char **resolvers;
	size_t n_resolvers;
	struct kv_result *results; /* sorted by name */
	size_t n_results;
	struct kv_run_error *errors;
	size_t n_errors;
	unsigned long arm_requests, arm_failures, arm_throttled, dns_queries;
	const char *credential; /* which credential type was used (never its value) */
	const char *arm_endpoint;
};

/* Fills fqdn, pl_fqdn and pl_zone from name, kind and cloud. */
enum kv_err kv_target_names(struct kv_arena *a, struct kv_target *t);

const char *kv_rcode_name(enum kv_rcode rc);
const char *kv_status_name(enum kv_status st);
const char *kv_pe_state_name(enum kv_pe_state st);
const char *kv_probe_level_name(enum kv_probe_level lv);
const char *kv_probe_result_name(enum kv_probe_result r);

#endif
