/* path.h — expectations of the DNS path (spec "DNS path: which resolver
 * answers, and why it is wrong"): which VNets are in scope, which servers
 * their clients use and where each of those resolves, and what a client
 * there should get for each vault.  Pure: inventory and configuration in,
 * structs in the report's arena out; no I/O.
 *
 * Contract for the modules around it (issue 14):
 *   sources (arm.c, inv_json.c, imds.c) fill the inventory (inv.h) and
 *   path_cfg's agent_* fields;
 *   path_scope() fills kv_report.vnets and kv_report.vantages;
 *   the DNS stage (check.c, probes/dns.c) asks every vantage about every
 *   vault into kv_result.vantages;
 *   the verdict compares those answers with the model. */
#ifndef KVPE_PATH_H
#define KVPE_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "kvpe/addr.h"
#include "kvpe/types.h"

struct kv_inv;

/* Azure-provided DNS, as every VM reaches it (RFC-less, Azure's fixed
 * virtual public address). */
#define PATH_AZURE_DNS "168.63.129.16"

struct path_cfg {
	const char *const *vnet_ids; /* --vnet (repeatable) */
	size_t n_vnet_ids;
	/* Where kvpe stands, from the instance metadata service (imds.h):
	 * the VM's ARM ID (NULL outside Azure) and its private addresses. */
	const char *agent_vm_id;
	const struct kv_addr *agent_addrs;
	size_t n_agent_addrs;
	bool in_azure; /* IMDS answered: Azure DNS (168.63.129.16) is asked too */
	/* The resolver(s) this host uses: --dns-server, else resolv.conf's. */
	const struct kv_hostport *system;
	size_t n_system;
	const struct kv_hostport *given; /* --vantage ADDR[:PORT] */
	size_t n_given;
	bool off;               /* --vantage off: the single-resolver check */
	unsigned dns_qps;       /* --dns-qps, the pace of custom and given servers */
};

/* The VNets in scope (rep->vnets) and the servers to ask (rep->vantages),
 * in rep's arena.  `inv` may be NULL (no ARM data: --vault names only). */
enum kv_err path_scope(const struct path_cfg *cfg, const struct kv_inv *inv, struct kv_report *rep);

/* Max hops of one walk (names of the chain times forwarding steps). */
#define PATH_HOPS_MAX 16

/* What the per-vault walks read of the inventory, gathered once per run
 * (per VNet met, per zone name) in rep's arena.  Valid while `inv` is:
 * drop it before inv_free.  `inv` may be NULL (no ARM data). */
struct path_model;
enum kv_err path_model_new(const struct kv_inv *inv, struct kv_report *rep, struct path_model **out);

/* The model's answer for target t in every VNet of rep->vnets (after
 * path_scope), and every zone named like t's private link zone: into
 * t->paths / t->path_zones, in rep's arena.  Strings are shared with the
 * inventory, which must therefore live in rep's arena (check_run builds it
 * there); arrays are copied.  With no inventory or no VNet in scope,
 * t->path_known stays false. */
enum kv_err path_expect(struct path_model *m, const struct kv_report *rep, struct kv_target *t);

#endif
