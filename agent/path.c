/* path.c — expectations of the DNS path (see path.h).
 *
 * This first cut only lists what kvpe asks: the system resolver(s), Azure
 * DNS where kvpe runs in Azure, and --vantage; the VNets in scope are the
 * --vnet IDs.  The model of each VNet's resolvers comes with issue 14. */
#include "kvpe/path.h"

#include <stdio.h>
#include <string.h>

#include "kvpe/arena.h"
#include "kvpe/inv.h"

static enum kv_err
add_vantage(struct kv_report *rep, size_t *cap, const struct kv_hostport *hp, enum kv_vantage_role role,
    unsigned qps)
{
	char name[KV_ADDR_STRLEN + 8];
	struct kv_vantage *v;

	for (size_t i = 0; i < rep->n_vantages; i++)
		if (kv_addr_eq(&rep->vantages[i].server.addr, &hp->addr) && rep->vantages[i].server.port == hp->port)
			return KV_OK; /* one entry per server: its first (most specific) role */
	if (rep->n_vantages == *cap) {
		size_t ncap = *cap ? 2 * *cap : 8;
		struct kv_vantage *nv = kv_arena_calloc(rep->arena, ncap, sizeof(*nv));
		if (nv == NULL)
			return KV_ENOMEM;
		if (rep->n_vantages > 0)
			memcpy(nv, rep->vantages, rep->n_vantages * sizeof(*nv));
		rep->vantages = nv;
		*cap = ncap;
	}
	v = &rep->vantages[rep->n_vantages];
	memset(v, 0, sizeof(*v));
	v->server = *hp;
	kv_hostport_format(hp, name, sizeof(name));
	if ((v->name = kv_arena_strdup(rep->arena, name)) == NULL)
		return KV_ENOMEM;
	v->role = role;
	v->client = role == KV_VR_SYSTEM;
	v->qps = qps;
	rep->n_vantages++;
	return KV_OK;
}

enum kv_err
path_scope(const struct path_cfg *cfg, const struct kv_inv *inv, struct kv_report *rep)
{
	size_t cap = 0;
	enum kv_err rc = KV_OK;

	KV_UNUSED(inv);
	rep->vantages = NULL;
	rep->n_vantages = 0;
	rep->vnets = NULL;
	rep->n_vnets = 0;
	if (cfg->off)
		return KV_OK;
	if (cfg->n_vnet_ids > 0) {
		rep->vnets = kv_arena_calloc(rep->arena, cfg->n_vnet_ids, sizeof(*rep->vnets));
		if (rep->vnets == NULL)
			return KV_ENOMEM;
		for (size_t i = 0; i < cfg->n_vnet_ids; i++) {
			struct kv_vnet_scope *s = &rep->vnets[rep->n_vnets++];
			if ((s->id = kv_arena_strdup(rep->arena, cfg->vnet_ids[i])) == NULL)
				return KV_ENOMEM;
			s->found_by = "--vnet";
		}
	}
	for (size_t i = 0; i < cfg->n_system && rc == KV_OK; i++)
		rc = add_vantage(rep, &cap, &cfg->system[i], KV_VR_SYSTEM, cfg->dns_qps);
	if (rc == KV_OK && cfg->in_azure) {
		struct kv_hostport az;
		memset(&az, 0, sizeof(az));
		if (kv_addr_parse(PATH_AZURE_DNS, &az.addr) != KV_OK)
			return KV_EINTERNAL;
		az.port = 53;
		/* Azure DNS drops a VM's queries above 1,000/s: 900 leaves room. */
		rc = add_vantage(rep, &cap, &az, KV_VR_AZURE, 900);
	}
	for (size_t i = 0; i < cfg->n_given && rc == KV_OK; i++)
		rc = add_vantage(rep, &cap, &cfg->given[i], KV_VR_GIVEN, cfg->dns_qps);
	return rc;
}
