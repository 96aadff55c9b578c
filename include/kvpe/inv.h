/* inv.h — the inventory: vaults, private endpoints, NICs, private DNS zones,
 * their A records and VNet links, as plain structs indexed by lower-cased
 * ARM resource ID (ARM echoes IDs in varying case).  Filled by inv_json.c
 * from ARM pages or saved files; read through the finders below by the
 * joins that build targets (expect.c).  Strings live in the inventory's
 * arena; inv_free() releases everything. */
#ifndef KVPE_INV_H
#define KVPE_INV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvpe/arena.h"
#include "kvpe/cloud.h"
#include "kvpe/types.h"

struct inv_conn {
	const char *pe_id; /* the private endpoint's ID */
	const char *name;  /* the connection's name (what `approve` takes) */
	enum kv_pe_state state;
};

struct inv_vault {
	const char *id, *name, *subscription, *resource_group, *location;
	enum kv_kind kind;
	enum kv_cloud_id cloud;
	bool cloud_known;    /* from vaultUri / hsmUri */
	bool has_properties; /* false: an `az keyvault list` / resources-API entry */
	enum kv_tri public_access, acl_default_allow;
	struct inv_conn *conns;
	size_t n_conns;
	const char *origin; /* "arm" or the inventory file */
	const char *error;  /* ARM data for it is incomplete (its subscription failed) */
};

struct inv_dnscfg {
	const char *fqdn;
	struct kv_addr *addrs;
	size_t n_addrs;
};

/* One privateLinkServiceConnection (or manual one) of an endpoint. */
struct inv_pe_link {
	const char *target_id; /* privateLinkServiceId: the vault */
	const char *name;
	enum kv_pe_state state;
};

struct inv_pe {
	const char *id, *name, *subscription, *resource_group, *subnet_id;
	const char **nic_ids;
	size_t n_nics;
	struct inv_dnscfg *dns;
	size_t n_dns;
	struct kv_addr *static_addrs; /* properties.ipConfigurations */
	size_t n_static;
	struct inv_pe_link *links;
	size_t n_links;
};

struct inv_nic_ip {
	struct kv_addr addr;
	const char **fqdns; /* privateLinkConnectionProperties.fqdns */
	size_t n_fqdns;
	const char *subnet_id; /* ipConfigurations[].subnet.id (NULL when absent) */
};

struct inv_nic {
	const char *id;
	struct inv_nic_ip *ips;
	size_t n_ips;
	/* The DNS path (spec "DNS path"): dnsSettings.dnsServers override the
	 * VNet's for this NIC (none: the VNet's); the VM it belongs to. */
	struct kv_addr *dns_servers;
	size_t n_dns_servers;
	const char *vm_id; /* virtualMachine.id, or NULL */
	const char *mac;   /* macAddress as ARM gives it ("00-0D-3A-..."), or NULL */
};

struct inv_zone {
	const char *id, *name, *subscription, *resource_group;
};

struct inv_record {
	const char *zone_id; /* derived from the record set's ID */
	const char *name;    /* relative name, lower-case */
	struct kv_addr *addrs;
	size_t n_addrs;
	uint32_t ttl;
};

/* A private DNS zone's virtual network link. */
struct inv_link {
	const char *zone_id, *vnet_id;
	bool completed;
	const char *id;          /* the link's own ID, or NULL (older inventories) */
	const char *name;
	bool nxdomain_redirect;  /* resolutionPolicy: NxDomainRedirect (absent: Default) */
	bool registration;       /* registrationEnabled */
};

/* ---- the DNS path: VNets, VMs, DNS Private Resolver (spec "DNS path") ---- */

/* Microsoft.Network/virtualNetworks. */
struct inv_vnet {
	const char *id, *name, *subscription, *resource_group, *location;
	struct kv_addr *dns_servers; /* dhcpOptions.dnsServers; none = Azure-provided DNS */
	size_t n_dns_servers;
	struct kv_cidr *prefixes;    /* addressSpace.addressPrefixes */
	size_t n_prefixes;
};

/* Microsoft.Compute/virtualMachines (networkProfile). */
struct inv_vm {
	const char *id, *name, *subscription, *resource_group;
	const char **nic_ids;
	size_t n_nics;
};

/* Microsoft.Network/dnsResolvers. */
struct inv_resolver {
	const char *id, *name, *subscription, *resource_group;
	const char *vnet_id; /* virtualNetwork.id: where its inbound endpoints resolve */
};

/* Microsoft.Network/dnsResolvers/inboundEndpoints. */
struct inv_inbound {
	const char *id, *name;
	const char *resolver_id; /* the parent, from the ID */
	struct kv_addr *addrs;   /* ipConfigurations[].privateIpAddress */
	size_t n_addrs;
	const char *subnet_id;
};

/* Microsoft.Network/dnsForwardingRulesets. */
struct inv_ruleset {
	const char *id, *name, *subscription, *resource_group;
};

/* .../dnsForwardingRulesets/forwardingRules. */
struct inv_rule {
	const char *id, *name;
	const char *ruleset_id; /* the parent, from the ID */
	const char *domain;     /* domainName lower-cased, without its trailing dot; "" for "." */
	struct kv_hostport *targets; /* targetDnsServers (port 53 when absent) */
	size_t n_targets;
	bool enabled;           /* forwardingRuleState; absent = Enabled */
};

/* .../dnsForwardingRulesets/virtualNetworkLinks. */
struct inv_ruleset_link {
	const char *id, *name;
	const char *ruleset_id; /* the parent, from the ID */
	const char *vnet_id;
};

struct kv_inv;

/* With `a`, strings live in that arena (a check cycle's, so targets may
 * point into them after inv_free); with NULL the inventory owns one. */
enum kv_err inv_new(struct kv_arena *a, struct kv_inv **out);
void inv_free(struct kv_inv *inv);
struct kv_arena *inv_arena(struct kv_inv *inv);

/* Adders: structs are copied; their strings must live in inv_arena(inv).
 * A resource seen twice (same ID) is merged, the richer copy winning. */
enum kv_err inv_add_vault(struct kv_inv *inv, const struct inv_vault *v);
enum kv_err inv_add_vault_conn(struct kv_inv *inv, const char *vault_id, const struct inv_conn *c);
enum kv_err inv_add_pe(struct kv_inv *inv, const struct inv_pe *pe);
enum kv_err inv_add_nic(struct kv_inv *inv, const struct inv_nic *nic);
enum kv_err inv_add_zone(struct kv_inv *inv, const struct inv_zone *z);
enum kv_err inv_add_record(struct kv_inv *inv, const struct inv_record *r);
enum kv_err inv_add_link(struct kv_inv *inv, const struct inv_link *l);

/* The DNS path's types.  A resource seen twice (same ID) is replaced by
 * the later copy; a child's parent ID is taken from its own ID when the
 * struct leaves it NULL. */
enum kv_err inv_add_vnet(struct kv_inv *inv, const struct inv_vnet *v);
enum kv_err inv_add_vm(struct kv_inv *inv, const struct inv_vm *vm);
enum kv_err inv_add_resolver(struct kv_inv *inv, const struct inv_resolver *r);
enum kv_err inv_add_inbound(struct kv_inv *inv, const struct inv_inbound *e);
enum kv_err inv_add_ruleset(struct kv_inv *inv, const struct inv_ruleset *rs);
enum kv_err inv_add_rule(struct kv_inv *inv, const struct inv_rule *r);
enum kv_err inv_add_ruleset_link(struct kv_inv *inv, const struct inv_ruleset_link *l);

/* Marks every vault of `subscription` as not checkable, with `why`. */
void inv_mark_subscription(struct kv_inv *inv, const char *subscription, const char *why);

size_t inv_vault_count(const struct kv_inv *inv);
size_t inv_pe_count(const struct kv_inv *inv);
size_t inv_nic_count(const struct kv_inv *inv);
size_t inv_zone_count(const struct kv_inv *inv);
const struct inv_zone *inv_zone_at(const struct kv_inv *inv, size_t i);

/* IDs that vaults reference but the inventory lacks: endpoints, then (after
 * those are fetched) their NICs.  Allocated in `a`. */
enum kv_err inv_missing_endpoints(const struct kv_inv *inv, struct kv_arena *a, const char ***ids, size_t *n);
enum kv_err inv_missing_nics(const struct kv_inv *inv, struct kv_arena *a, const char ***ids, size_t *n);

/* Readers for the joins (expect.c).  The pointers stay valid until the
 * next adder call or inv_free; the finders return NULL for an ID (or zone
 * and record name) the inventory lacks, comparing IDs without case. */
const struct inv_vault *inv_vault_at(const struct kv_inv *inv, size_t i);
const struct inv_pe *inv_pe_find(const struct kv_inv *inv, const char *id);
const struct inv_nic *inv_nic_find(const struct kv_inv *inv, const char *id);
/* The A record set `name` (relative, lower-case) of zone `zone_id`. */
const struct inv_record *inv_record_find(const struct kv_inv *inv, const char *zone_id, const char *name);
/* The endpoints whose own connections target `target_id` (a vault's ID),
 * newest first:
 *   for (size_t r = inv_ref_first(inv, id); r != SIZE_MAX; r = inv_ref_next(inv, r))
 *           pe = inv_ref_pe(inv, r); */
size_t inv_ref_first(const struct kv_inv *inv, const char *target_id);
size_t inv_ref_next(const struct kv_inv *inv, size_t ref);
const struct inv_pe *inv_ref_pe(const struct kv_inv *inv, size_t ref);
/* True when a VNet link of zone `zone_id` names `vnet_id`. */
bool inv_zone_linked(const struct kv_inv *inv, const char *zone_id, const char *vnet_id);
/* That link itself (NULL when there is none). */
const struct inv_link *inv_link_find(const struct kv_inv *inv, const char *zone_id, const char *vnet_id);
const struct inv_zone *inv_zone_find(const struct kv_inv *inv, const char *id);
size_t inv_link_count(const struct kv_inv *inv);
const struct inv_link *inv_link_at(const struct kv_inv *inv, size_t i);

/* The DNS path's readers: count/at walk a type in the order added; the
 * finders compare IDs without case and return NULL when absent. */
size_t inv_vnet_count(const struct kv_inv *inv);
const struct inv_vnet *inv_vnet_at(const struct kv_inv *inv, size_t i);
const struct inv_vnet *inv_vnet_find(const struct kv_inv *inv, const char *id);
size_t inv_vm_count(const struct kv_inv *inv);
const struct inv_vm *inv_vm_at(const struct kv_inv *inv, size_t i);
const struct inv_vm *inv_vm_find(const struct kv_inv *inv, const char *id);
const struct inv_nic *inv_nic_at(const struct kv_inv *inv, size_t i);
/* The NIC holding private address `addr` (a custom DNS server that is a
 * VM's), and which of its IP configurations; NULL when none does. */
const struct inv_nic *inv_nic_by_addr(const struct kv_inv *inv, const struct kv_addr *addr, size_t *ip);
size_t inv_resolver_count(const struct kv_inv *inv);
const struct inv_resolver *inv_resolver_at(const struct kv_inv *inv, size_t i);
const struct inv_resolver *inv_resolver_find(const struct kv_inv *inv, const char *id);
size_t inv_inbound_count(const struct kv_inv *inv);
const struct inv_inbound *inv_inbound_at(const struct kv_inv *inv, size_t i);
/* The inbound endpoint listening on `addr`, or NULL. */
const struct inv_inbound *inv_inbound_by_addr(const struct kv_inv *inv, const struct kv_addr *addr);
size_t inv_ruleset_count(const struct kv_inv *inv);
const struct inv_ruleset *inv_ruleset_at(const struct kv_inv *inv, size_t i);
const struct inv_ruleset *inv_ruleset_find(const struct kv_inv *inv, const char *id);
size_t inv_rule_count(const struct kv_inv *inv);
const struct inv_rule *inv_rule_at(const struct kv_inv *inv, size_t i);
size_t inv_ruleset_link_count(const struct kv_inv *inv);
const struct inv_ruleset_link *inv_ruleset_link_at(const struct kv_inv *inv, size_t i);

/* ---- inv_json.c: ARM JSON into the inventory ---- */

/* Adds every resource found in one document: an ARM list page
 * ({"value": [...]}), an array, or a single resource, in ARM's shape or the
 * `az network ...` flattened one.  The text is exactly one JSON document
 * (an ARM page): anything after it is KV_EPARSE.  *next_link receives the
 * page's nextLink (in inv_arena), or NULL.  Unrecognised types are skipped,
 * not errors.  On KV_EPARSE, err says what was wrong (never the content).
 * text[len] must be readable (see jsonr.h). */
enum kv_err inv_json_load(struct kv_inv *inv, const char *text, size_t len, const char *origin,
    const char **next_link, size_t *n_resources, char *err, size_t size);

struct inv_json_stats {
	size_t documents;         /* JSON documents in the text */
	size_t resources;         /* resources of the types kvpe reads */
	size_t skipped;           /* ARM resources of other types, skipped */
	const char *skipped_type; /* the first skipped type (in inv_arena), or NULL */
};

/* A saved inventory (`origin` names it in messages, "-" is standard
 * input): every JSON document in the text, one after another (concatenated,
 * one per line, pretty-printed ones appended).  Anything that is not whole
 * JSON is KV_EPARSE naming the byte offset, as is a text holding no ARM
 * resource at all; `err` starts with "--inventory NAME: ". */
enum kv_err inv_json_load_text(struct kv_inv *inv, const char *text, size_t len, const char *origin,
    struct inv_json_stats *st, char *err, size_t size);
/* Reads a saved inventory whole ("-": standard input, to its end; at most
 * 512 MiB) into *text (malloc'd, NUL-terminated). */
enum kv_err inv_json_read(const char *path, char **text, size_t *len, char *err, size_t size);
/* inv_json_read, then inv_json_load_text. */
enum kv_err inv_json_load_file(struct kv_inv *inv, const char *path, struct inv_json_stats *st, char *err,
    size_t size);

/* The one copy of s[0..len) in inv_arena(inv) (see inv.c). */
const char *inv_intern(struct kv_inv *inv, const char *s, size_t len);

/* Helpers on ARM IDs (case-insensitive segment names). */
const char *inv_id_segment(struct kv_arena *a, const char *id, const char *key);
/* The value after "/<key>/" in place (not terminated), its length in *len. */
const char *inv_id_segment_span(const char *id, const char *key, size_t *len);
/* The length of the ID up to its last "/<child>/" segment, 0 when absent. */
size_t inv_id_parent_len(const char *id, const char *child);
/* The ID up to (not including) "/<child>/" e.g. a record's zone. */
const char *inv_id_parent(struct kv_arena *a, const char *id, const char *child);

#endif
