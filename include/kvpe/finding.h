/* finding.h — the stable finding codes of the spec.  One X-macro table drives
 * the enum, the names, severities and one-line causes that every report
 * writer, the metrics and the README test read. */
#ifndef KVPE_FINDING_H
#define KVPE_FINDING_H

#include <stdbool.h>

#include "kvpe/common.h"

enum kv_severity { KV_SEV_LOW, KV_SEV_MEDIUM, KV_SEV_HIGH };

/* code, severity, makes the vault "error" (could not be checked), cause */
#define KV_FINDING_LIST(X)                                                                          \
	X(NO_PRIVATE_ENDPOINT, HIGH, false, "ARM shows no private endpoint connection on the vault")     \
	X(ENDPOINT_NOT_APPROVED, HIGH, false,                                                          \
	    "a private endpoint connection is Pending, Rejected or Disconnected and none is Approved") \
	X(ENDPOINT_NO_ADDRESS, HIGH, false, "an approved private endpoint has no private IP address")  \
	X(DNS_NXDOMAIN, HIGH, false, "the vault name does not resolve (NXDOMAIN)")                     \
	X(DNS_NO_ANSWER, HIGH, false, "the vault name resolves to no address (NOERROR, no data)")      \
	X(DNS_SERVFAIL, HIGH, true,                                                                    \
	    "the resolver failed (SERVFAIL, REFUSED, another reply code, no server reachable)")       \
	X(DNS_TIMEOUT, HIGH, true, "the resolver did not answer in time")                              \
	X(DNS_CHAIN_INCOMPLETE, HIGH, true,                                                            \
	    "the CNAME chain could not be read whole (longer than kvpe follows)")                      \
	X(DNS_PUBLIC_ADDRESS, HIGH, false, "the vault name resolves to a public address")              \
	X(DNS_ADDRESS_MISMATCH, HIGH, false,                                                           \
	    "the vault name resolves to a private address the endpoint does not own")                  \
	X(DNS_NO_PRIVATELINK_CNAME, MEDIUM, false, "the CNAME chain never passes the privatelink name") \
	X(DNS_PUBLIC_IPV6, MEDIUM, false, "an AAAA answer is not private")                             \
	X(ZONE_RECORD_MISSING, HIGH, false, "the private DNS zone has no A record for the vault")      \
	X(ZONE_RECORD_STALE, HIGH, false,                                                              \
	    "the private DNS zone's A record holds addresses the endpoint does not own")               \
	X(ZONE_NOT_LINKED, HIGH, false, "no private DNS zone of the right name is linked to the VNet") \
	X(PUBLIC_NETWORK_ENABLED, LOW, false,                                                          \
	    "public network access is enabled with default action Allow")                             \
	X(PROBE_TCP_FAILED, HIGH, false, "no TCP connection to the resolved address on port 443")      \
	X(PROBE_TLS_FAILED, HIGH, false, "the TLS handshake or certificate verification failed")       \
	X(PROBE_PUBLIC_PATH, HIGH, false, "the vault saw the request come from a public address")      \
	X(PROBE_UNEXPECTED_RESPONSE, MEDIUM, false, "the HTTPS answer is not Key Vault's, or is a 403")  \
	X(DNS_CUSTOM_SERVER_NOT_FORWARDING, HIGH, false,                                               \
	    "a custom DNS server the clients use lacks a conditional forwarder for the vault's names")  \
	X(ZONE_NOT_LINKED_TO_RESOLVER_VNET, HIGH, false,                                               \
	    "the VNet where the clients' resolver resolves has no private DNS zone of the right name linked") \
	X(ZONE_LINK_NXDOMAIN_REDIRECT, HIGH, false,                                                    \
	    "the zone link the VNet's resolution uses falls back to public DNS (NxDomainRedirect)")    \
	X(ZONE_SPLIT_BRAIN, HIGH, false, "zones of the same name hold different records for the vault") \
	X(ENDPOINT_RECORD_COLLISION, HIGH, false,                                                      \
	    "the vault's approved endpoints have different addresses and a zone holds only some")      \
	X(FORWARDING_RULE_OVERRIDES_ZONE, MEDIUM, false,                                               \
	    "a forwarding rule sends a name of the vault past the private DNS zone")                   \
	X(FORWARDING_RULE_SHADOWED, LOW, false,                                                        \
	    "a forwarding rule has the same name as a linked zone: Azure DNS never uses it")           \
	X(FORWARDING_RULE_LOOP, HIGH, false,                                                           \
	    "a forwarding rule sends the vault's names back to the resolver's own inbound endpoint")   \
	X(VANTAGE_DISAGREES, HIGH, false, "resolvers the same clients use give different answers for the vault")

enum kv_finding_code {
#define KV_FINDING_ENUM(code, sev, err, cause) KV_F_##code,
	KV_FINDING_LIST(KV_FINDING_ENUM)
#undef KV_FINDING_ENUM
	KV_F_COUNT
};

const char *finding_name(enum kv_finding_code code);
enum kv_severity finding_severity(enum kv_finding_code code);
bool finding_is_error(enum kv_finding_code code);
const char *finding_cause(enum kv_finding_code code);
/* The longer texts of a code, in Markdown (commands in backticks), as the
 * README's finding table has them: its cause, and how to fix it. */
const char *finding_help_cause(enum kv_finding_code code);
const char *finding_help_fix(enum kv_finding_code code);
const char *finding_severity_name(enum kv_severity sev);
/* KV_OK and *out set when `name` is a known code. */
enum kv_err finding_parse(const char *name, enum kv_finding_code *out);

#endif
