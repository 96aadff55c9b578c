/* types.h — the plain data that flows between the stages:
 *
 *   sources → inventory (inv.h) → expectations (expect.h): struct kv_target
 *           → observations: struct kv_dns_obs, struct kv_probe_obs
 *           → verdict: struct kv_finding[] in struct kv_result
 *           → report: struct kv_report
 *
 * Nothing here is freed on its own: these structs live in an arena.  In a
 * check report (check_run), each pointer goes into the report's arena (the
 * cycle's inventory is built in that arena too, so targets share its
 * strings), into the arena of an earlier report it holds (agent mode: a
 * stale result keeps the observations and findings made in the report it
 * came from, kv_result.origin, held in kv_report.held), or to a string
 * literal or static table (cloud names, enum names, "manual").  Nothing
 * points into the configuration (struct check_cfg: what a target takes
 * from it is copied), the check context, or the inventory's tables and
 * indexes (freed before the DNS stage), so a report outlives all three:
 * the agent keeps serving its last good report after SIGHUP has freed the
 * old configuration.  Outside a report (`kvpe resolve`, the tests) the
 * same structs live in whatever arena their caller passes. */
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

/* ---- the DNS path's model, per vault (path.h; spec "DNS path") ----
 * Copied into the report's arena by path_expect() before the inventory is
 * freed: what the path rules (verdict.c) need to name the broken hop. */

/* What kind of server a client's resolver is. */
enum kv_path_kind {
	KV_PK_AZURE,   /* Azure-provided DNS (168.63.129.16) of the VNet */
	KV_PK_INBOUND, /* an inbound endpoint of a DNS Private Resolver */
	KV_PK_VM,      /* a custom server that is a VM's NIC address: taken to forward to Azure DNS of its VNet */
	KV_PK_OPAQUE   /* any other custom server: only its live answers speak for it */
};

/* How Azure DNS of one VNet answers one name of the chain. */
enum kv_hop_match { KV_HM_PUBLIC, KV_HM_ZONE, KV_HM_RULE };

struct kv_path_hop {
	const char *name;    /* the name looked up */
	const char *vnet_id; /* whose Azure DNS answers it */
	enum kv_hop_match match;
	/* KV_HM_ZONE: the linked zone that answers, its link and the record. */
	const char *zone_id, *zone_name, *zone_rg, *zone_sub;
	const char *link_id, *link_name;
	bool nxdomain_redirect; /* the link's resolutionPolicy */
	bool has_record;
	struct kv_addr *addrs;
	size_t n_addrs;
	/* KV_HM_RULE: the forwarding rule that catches the name. */
	const char *rule_id, *rule_name, *ruleset_id, *rule_domain;
	struct kv_hostport *targets;
	size_t n_targets;
	/* An enabled rule for exactly the zone's name (the zone wins: never used). */
	const char *shadowed_rule_id, *shadowed_ruleset_id, *shadowed_domain;
	/* An enabled rule matching the name that targets an inbound endpoint of
	 * a resolver in this same VNet: a loop whenever it applies. */
	const char *loop_rule_id, *loop_ruleset_id, *loop_domain;
	struct kv_hostport loop_target;
};

/* What the model expects a server to answer for the vault FQDN. */
enum kv_path_outcome {
	KV_PO_UNKNOWN,   /* opaque server, or a rule to a target kvpe cannot model */
	KV_PO_ADDRS,     /* the zone's record: addrs */
	KV_PO_NXDOMAIN,  /* the name is missing from the zone that answers */
	KV_PO_PUBLIC,    /* public DNS answers (no zone; or NxDomainRedirect) */
	KV_PO_LOOP       /* a forwarding loop: SERVFAIL */
};

/* One resolver of a VNet's clients, and what it should answer. */
struct kv_path_answer {
	struct kv_hostport server;
	enum kv_path_kind kind;
	const char *resource_id; /* the inbound endpoint, or the DNS VM's NIC; NULL */
	const char *vnet_id;     /* the VNet it resolves in; NULL when opaque */
	bool zone_linked;        /* a zone named like the vault's private link zone is linked to vnet_id */
	enum kv_path_outcome outcome;
	struct kv_addr *addrs;   /* KV_PO_ADDRS */
	size_t n_addrs;
	struct kv_path_hop *hops; /* the walk, in order (forwarding included) */
	size_t n_hops;
	int vantage;             /* index into kv_report.vantages, -1: cannot be asked from here */
};

/* One VNet in scope (kv_report.vnets[vnet]) for one vault. */
struct kv_path_vnet {
	size_t vnet;
	const char *vnet_id;
	struct kv_path_answer *answers; /* one per clients' resolver, kv_vnet_scope.servers order */
	size_t n_answers;
};

/* A zone named like the vault's private link zone, anywhere in the tenant:
 * for the tenant-wide findings (split brain, record collision). */
struct kv_path_zone {
	const char *id, *name, *resource_group, *subscription;
	bool has_record;
	struct kv_addr *addrs;
	size_t n_addrs;
	const char **vnets; /* VNet IDs linked to it */
	size_t n_vnets;
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

	/* The DNS path (path_expect): per VNet in scope, and every zone of the
	 * private link zone's name.  path_known: the model was built. */
	bool path_known;
	struct kv_path_vnet *paths;
	size_t n_paths;
	struct kv_path_zone *path_zones;
	size_t n_path_zones;
};

/* ---- observations ---- */

enum kv_rcode {
	KV_RC_NONE, /* not asked */
	KV_RC_NOERROR,
	KV_RC_NODATA,
	KV_RC_NXDOMAIN,
	KV_RC_SERVFAIL, /* SERVFAIL, or any reply code but NOERROR, NXDOMAIN, REFUSED (see wire_rcode) */
	KV_RC_REFUSED,
	KV_RC_TIMEOUT,
	KV_RC_ERROR /* malformed answer, connection refused, ... (see error) */
};

#define KV_DNS_CHAIN_MAX 16
#define KV_DNS_SERVERS_MAX 32 /* resolvers asked at most (--dns-server, resolv.conf) */

struct kv_dns_lookup {
	enum kv_rcode rcode;
	int wire_rcode; /* RCODE of the answer that decided rcode (0-15); -1: no answer was read */
	const char *qname;
	const char **chain; /* qname first, then each CNAME target, lower-case */
	size_t n_chain;
	bool chain_loop;       /* a name repeats in the chain */
	bool chain_truncated;  /* longer than KV_DNS_CHAIN_MAX: cut, nothing past the cut is known */
	bool chain_incomplete; /* the chain's last name could not be learned (its follow-up query failed) */
	struct kv_addr *addrs; /* sorted, unique */
	size_t n_addrs;
	uint32_t ttl;  /* smallest TTL along the answer */
	uint32_t neg_ttl; /* for NXDOMAIN/NODATA: the zone's negative TTL when asked (--wait), else 0 */
	int server;    /* index into the report's resolvers, -1 if none answered */
	uint32_t ms;   /* from sending the query that was answered (or the last one) to its outcome */
	uint32_t attempts; /* queries sent, retries and other servers included */
	const char *error; /* what went wrong, for KV_RC_ERROR */
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
	const char *vnet_id; /* the VNet a DNS-path finding concerns; NULL: the vault as a whole */
	/* A code whose severity depends on the case (ZONE_LINK_NXDOMAIN_REDIRECT,
	 * FORWARDING_RULE_OVERRIDES_ZONE): when set, `severity` replaces the
	 * code's own.  Read it through kv_finding_severity(). */
	bool has_severity;
	enum kv_severity severity;
};

/* ---- the DNS path (spec "DNS path: which resolver answers") ---- */

/* The role of a server kvpe asks: the most specific that applies. */
enum kv_vantage_role { KV_VR_SYSTEM, KV_VR_CUSTOM, KV_VR_INBOUND, KV_VR_AZURE, KV_VR_GIVEN };

/* A server kvpe asks directly (a vantage point): report-wide, in
 * kv_report.vantages, in the order the model (path.h) made them. */
struct kv_vantage {
	struct kv_hostport server;
	const char *name;          /* "10.0.0.4:53" */
	enum kv_vantage_role role;
	const char *vnet_id;       /* the VNet it resolves in; NULL when opaque */
	bool client;               /* a resolver the clients of a VNet in scope use: it decides verdicts;
				    * the others are reference points that locate the broken hop */
	unsigned qps;              /* its own pacing (Azure DNS 900, an inbound endpoint 10,000, else
				    * --dns-qps); 0: unlimited */
	unsigned max_inflight;     /* 0: --concurrency */
};

/* A VNet in scope: the agent's own (found through IMDS) and every --vnet. */
struct kv_vnet_scope {
	const char *id, *name;
	const char *found_by;     /* "imds" or "--vnet" */
	bool agent;               /* kvpe runs in it */
	/* Its clients' resolvers as ARM says: the NIC's dnsSettings for the
	 * agent's own VM, else the VNet's dhcpOptions.dnsServers; none means
	 * Azure-provided DNS (168.63.129.16) of the VNet itself. */
	struct kv_hostport *servers;
	size_t n_servers;
	const char *servers_from; /* "nic", "vnet" or "azure" */
	/* Those kvpe can ask from here, as indexes into kv_report.vantages
	 * (another VNet's Azure DNS cannot be asked: the model speaks for it). */
	size_t *vantages;
	size_t n_vantages;
	/* Per server (servers order): its kind, where it resolves and its
	 * vantage index; outcome and hops are per vault (kv_target.paths). */
	struct kv_path_answer *model;
};

/* What one vantage answered for one vault. */
struct kv_vantage_obs {
	size_t vantage;            /* index into kv_report.vantages (of kv_result.origin's report for a
				    * stale result: its observations are that cycle's) */
	struct kv_dns_lookup a;    /* the vault FQDN, its whole chain */
	struct kv_dns_lookup aaaa; /* asked of clients' resolvers; rcode KV_RC_NONE when not asked */
};

/* A probe to one address of an approved private endpoint (or of
 * --vault NAME=IP), whether DNS points there or not. */
struct kv_endpoint_probe {
	const char *pe_id;        /* the endpoint; NULL for --vault NAME=IP */
	bool dns_answer;          /* the address DNS gave: the result is kv_result.probe's */
	struct kv_probe_obs probe; /* probe.address: the endpoint's address */
};

struct kv_report;

struct kv_result {
	const struct kv_target *t;
	struct kv_dns_obs dns;
	struct kv_probe_obs probe;
	struct kv_finding *findings;
	size_t n_findings;
	enum kv_status status;
	/* The DNS path: each vantage's answer (kv_report.vantages order); empty
	 * with --vantage off. */
	struct kv_vantage_obs *vantages;
	size_t n_vantages;
	/* Every address of every approved endpoint, probed (sorted, unique);
	 * empty with --probe off. */
	struct kv_endpoint_probe *endpoint_probes;
	size_t n_endpoint_probes;
	/* Agent mode: non-NULL when this is an earlier cycle's verdict, kept
	 * because the vault's source could not be read (report_carry_stale);
	 * the report it was made in, held alive by the report holding this. */
	struct kv_report *origin;
};

/* ---- report ---- */

struct kv_run_error {
	const char *scope;   /* "subscription/<id>", "inventory/<file>", ... */
	const char *message;
};

/* One source the run was given: "subscription/<id>", "inventory/<file>",
 * or "manual" for the --vault names. */
struct kv_source {
	const char *name;
	bool up;               /* read completely */
	int64_t down_since_ms; /* agent: wall clock of the first cycle in a row it was down; 0 = not known */
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
	struct kv_source *sources; /* sorted by name */
	size_t n_sources;
	/* The DNS path (path.h): the servers asked directly and the VNets in scope. */
	struct kv_vantage *vantages;
	size_t n_vantages;
	struct kv_vnet_scope *vnets;
	size_t n_vnets;
	/* Earlier reports that stale results (kv_result.origin) point into;
	 * `refs` counts the reports holding this one (report_free). */
	struct kv_report **held;
	size_t n_held;
	unsigned refs;
	unsigned long arm_requests, arm_failures, arm_throttled, dns_queries;
	const char *credential; /* which credential type was used (never its value) */
	const char *arm_endpoint;
};

/* Fills fqdn, pl_fqdn and pl_zone from name, kind and cloud. */
enum kv_err kv_target_names(struct kv_arena *a, struct kv_target *t);
/* The order of a report's vaults: name, then kind, then cloud. */
int kv_target_cmp(const struct kv_target *a, const struct kv_target *b);
/* At least one of the vault's private endpoint connections is Approved. */
bool kv_target_approved(const struct kv_target *t);

const char *kv_rcode_name(enum kv_rcode rc);
/* The mnemonic of a DNS header RCODE (RFC 6895): "NOTAUTH" for 9; NULL for
 * 11-15, which no RFC assigns. */
const char *kv_wire_rcode_name(int rcode);
/* A lookup's rcode as messages say it: kv_rcode_name, or for a server
 * failure that came with another reply code, "rcode 9 NOTAUTH". */
const char *kv_lookup_rcode_text(struct kv_arena *a, const struct kv_dns_lookup *lk);
/* The same into buf (at least 48 bytes) when it must be formatted, else
 * the static name: for writers, which allocate nothing. */
const char *kv_lookup_rcode_fmt(const struct kv_dns_lookup *lk, char *buf, size_t size);
const char *kv_status_name(enum kv_status st);
const char *kv_pe_state_name(enum kv_pe_state st);
const char *kv_probe_level_name(enum kv_probe_level lv);
const char *kv_probe_result_name(enum kv_probe_result r);
/* A finding's severity: its own when set (has_severity), else its code's. */
enum kv_severity kv_finding_severity(const struct kv_finding *f);
/* "Azure DNS", "inbound endpoint", "DNS VM", "custom DNS server": for messages */
const char *kv_path_kind_text(enum kv_path_kind k);
/* "system", "custom", "inbound", "azure", "given" */
const char *kv_vantage_role_name(enum kv_vantage_role role);

#endif
