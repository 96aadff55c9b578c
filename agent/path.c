/* path.c — expectations of the DNS path (see path.h).
 *
 * Two steps.  path_scope(): the VNets in scope (--vnet, else the agent's
 * own VNet found from its VM), their clients' resolvers, where each of them
 * resolves, and the servers kvpe asks (vantages).  path_expect(), per
 * vault: how Azure DNS of the VNet where each resolver resolves answers the
 * vault FQDN, name by name (spec "DNS path", "The model"): the most
 * specific of a linked zone and an enabled rule of a linked ruleset wins,
 * the zone on a tie; a rule's target that is an inbound endpoint (or a DNS
 * VM) resolves in its own VNet; nothing matching means public DNS, whose
 * chain for a vault with an approved endpoint passes the private link
 * name, looked up the same way. */
#include "kvpe/path.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kvpe/arena.h"
#include "kvpe/inv.h"

#define AZURE_QPS 900       /* Azure DNS drops a VM's queries above 1,000/s */
#define AZURE_INFLIGHT 200  /* ... or above 200 pending */
#define INBOUND_QPS 10000   /* DNS Private Resolver: per endpoint */

/* ---- names and IDs ---- */

/* `name` is `dom` or ends in ".dom" (both lower-case, no trailing dot). */
static bool
suffix_of(const char *name, const char *dom)
{
	size_t n = strlen(name), d = strlen(dom);

	if (d == 0 || d > n)
		return false; /* "." rules skip Azure's reserved names: every vault name is one */
	if (strcasecmp(name + n - d, dom) != 0)
		return false;
	return d == n || name[n - d - 1] == '.';
}

/* The VNet of a subnet ID: the ID up to "/subnets/". */
static const char *
subnet_vnet(struct kv_arena *a, const char *subnet_id)
{
	size_t n;

	if (subnet_id == NULL || (n = inv_id_parent_len(subnet_id, "subnets")) == 0)
		return NULL;
	return kv_arena_strndup(a, subnet_id, n);
}

static bool
is_azure_dns(const struct kv_addr *x)
{
	struct kv_addr az;

	return kv_addr_parse(PATH_AZURE_DNS, &az) == KV_OK && kv_addr_eq(&az, x);
}

/* What kind of server `addr` is, per the inventory, and where it resolves. */
static void
classify(const struct kv_inv *inv, struct kv_arena *a, const struct kv_addr *addr, const char *own_vnet,
    struct kv_path_answer *m)
{
	const struct inv_inbound *in;
	const struct inv_nic *nic;
	size_t ip = 0;

	m->kind = KV_PK_OPAQUE;
	m->vnet_id = NULL;
	m->resource_id = NULL;
	if (is_azure_dns(addr)) {
		m->kind = KV_PK_AZURE;
		m->vnet_id = own_vnet;
	} else if (inv != NULL && (in = inv_inbound_by_addr(inv, addr)) != NULL) {
		const struct inv_resolver *r = inv_resolver_find(inv, in->resolver_id);
		m->kind = KV_PK_INBOUND;
		m->resource_id = in->id;
		m->vnet_id = r != NULL ? r->vnet_id : NULL;
	} else if (inv != NULL && (nic = inv_nic_by_addr(inv, addr, &ip)) != NULL && nic->vm_id != NULL) {
		m->kind = KV_PK_VM;
		m->resource_id = nic->id;
		m->vnet_id = ip < nic->n_ips ? subnet_vnet(a, nic->ips[ip].subnet_id) : NULL;
	}
}

/* ---- vantages ---- */

static int
role_rank(enum kv_vantage_role r)
{
	return (r == KV_VR_CUSTOM || r == KV_VR_INBOUND || r == KV_VR_AZURE) ? 2 : 1;
}

/* Adds (or finds) the vantage for hp; *idx receives its index.  One entry
 * per server: the most specific role wins, client once client for any. */
static enum kv_err
add_vantage(struct kv_report *rep, size_t *cap, const struct kv_hostport *hp, enum kv_vantage_role role,
    const char *vnet_id, bool client, unsigned qps, unsigned inflight, size_t *idx)
{
	char name[KV_ADDR_STRLEN + 8];
	struct kv_vantage *v;

	for (size_t i = 0; i < rep->n_vantages; i++) {
		v = &rep->vantages[i];
		if (!kv_addr_eq(&v->server.addr, &hp->addr) || v->server.port != hp->port)
			continue;
		if (role_rank(role) > role_rank(v->role)) {
			v->role = role;
			v->vnet_id = vnet_id;
			v->qps = qps;
			v->max_inflight = inflight;
		}
		v->client |= client;
		if (idx != NULL)
			*idx = i;
		return KV_OK;
	}
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
	v->vnet_id = vnet_id;
	v->client = client;
	v->qps = qps;
	v->max_inflight = inflight;
	if (idx != NULL)
		*idx = rep->n_vantages;
	rep->n_vantages++;
	return KV_OK;
}

/* The vantage for a modelled server, with its role and pacing. */
static enum kv_err
add_model_vantage(const struct path_cfg *cfg, struct kv_report *rep, size_t *cap, const struct kv_path_answer *m,
    bool client, size_t *idx)
{
	switch (m->kind) {
	case KV_PK_AZURE:
		return add_vantage(rep, cap, &m->server, KV_VR_AZURE, m->vnet_id, client, AZURE_QPS, AZURE_INFLIGHT, idx);
	case KV_PK_INBOUND:
		return add_vantage(rep, cap, &m->server, KV_VR_INBOUND, m->vnet_id, client, INBOUND_QPS, 0, idx);
	case KV_PK_VM:
	case KV_PK_OPAQUE:
		break;
	}
	return add_vantage(rep, cap, &m->server, KV_VR_CUSTOM, m->vnet_id, client, cfg->dns_qps, 0, idx);
}

/* ---- where the agent stands ---- */

/* The agent's NIC: its VM's first NIC the inventory holds, else the NIC
 * holding one of its addresses (IMDS). */
static const struct inv_nic *
agent_nic(const struct path_cfg *cfg, const struct kv_inv *inv)
{
	const struct inv_vm *vm;
	const struct inv_nic *nic;
	size_t ip;

	if (inv == NULL)
		return NULL;
	if (cfg->agent_vm_id != NULL && (vm = inv_vm_find(inv, cfg->agent_vm_id)) != NULL)
		for (size_t i = 0; i < vm->n_nics; i++)
			if ((nic = inv_nic_find(inv, vm->nic_ids[i])) != NULL)
				return nic;
	for (size_t i = 0; i < cfg->n_agent_addrs; i++)
		if ((nic = inv_nic_by_addr(inv, &cfg->agent_addrs[i], &ip)) != NULL)
			return nic;
	return NULL;
}

static const char *
nic_vnet(struct kv_arena *a, const struct inv_nic *nic)
{
	for (size_t i = 0; nic != NULL && i < nic->n_ips; i++)
		if (nic->ips[i].subnet_id != NULL)
			return subnet_vnet(a, nic->ips[i].subnet_id);
	return NULL;
}

/* Its clients' resolvers, where each resolves, and the vantages to ask. */
static enum kv_err
scope_servers(const struct path_cfg *cfg, const struct kv_inv *inv, struct kv_report *rep, size_t *cap,
    struct kv_vnet_scope *s, const struct inv_nic *nic)
{
	const struct inv_vnet *vn = inv != NULL ? inv_vnet_find(inv, s->id) : NULL;
	const struct kv_addr *src = NULL;
	size_t n = 0;
	struct kv_arena *a = rep->arena;
	enum kv_err rc;

	if (vn != NULL) {
		s->name = vn->name;
		if (s->name != NULL && (s->name = kv_arena_strdup(a, s->name)) == NULL)
			return KV_ENOMEM;
	}
	if (s->agent && nic != NULL && nic->n_dns_servers > 0) {
		src = nic->dns_servers;
		n = nic->n_dns_servers;
		s->servers_from = "nic";
	} else if (vn != NULL && vn->n_dns_servers > 0) {
		src = vn->dns_servers;
		n = vn->n_dns_servers;
		s->servers_from = "vnet";
	} else {
		s->servers_from = "azure";
	}
	s->servers = kv_arena_calloc(a, n ? n : 1, sizeof(*s->servers));
	s->model = kv_arena_calloc(a, n ? n : 1, sizeof(*s->model));
	s->vantages = kv_arena_calloc(a, n ? n : 1, sizeof(*s->vantages));
	if (s->servers == NULL || s->model == NULL || s->vantages == NULL)
		return KV_ENOMEM;
	if (n == 0) {
		if (kv_addr_parse(PATH_AZURE_DNS, &s->servers[0].addr) != KV_OK)
			return KV_EINTERNAL;
		n = 1;
	} else {
		for (size_t i = 0; i < n; i++)
			s->servers[i].addr = src[i];
	}
	s->n_servers = n;
	for (size_t i = 0; i < n; i++) {
		struct kv_path_answer *m = &s->model[i];
		size_t idx = 0;
		s->servers[i].port = 53;
		m->server = s->servers[i];
		m->vantage = -1;
		classify(inv, a, &m->server.addr, s->id, m);
		/* Another VNet's Azure DNS cannot be asked from here: the model
		 * speaks for it. */
		if (m->kind == KV_PK_AZURE && !(cfg->in_azure && s->agent))
			continue;
		if ((rc = add_model_vantage(cfg, rep, cap, m, true, &idx)) != KV_OK)
			return rc;
		m->vantage = (int)idx;
		s->vantages[s->n_vantages++] = idx;
	}
	return KV_OK;
}

enum kv_err
path_scope(const struct path_cfg *cfg, const struct kv_inv *inv, struct kv_report *rep)
{
	struct kv_arena *a = rep->arena;
	const struct inv_nic *nic = agent_nic(cfg, inv);
	const char *agent_vnet = nic_vnet(a, nic);
	size_t cap = 0, n;
	enum kv_err rc = KV_OK;

	rep->vantages = NULL;
	rep->n_vantages = 0;
	rep->vnets = NULL;
	rep->n_vnets = 0;
	if (cfg->off)
		return KV_OK;
	n = cfg->n_vnet_ids > 0 ? cfg->n_vnet_ids : agent_vnet != NULL;
	if (n > 0 && (rep->vnets = kv_arena_calloc(a, n, sizeof(*rep->vnets))) == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct kv_vnet_scope *s = &rep->vnets[rep->n_vnets];
		const char *id = cfg->n_vnet_ids > 0 ? cfg->vnet_ids[i] : agent_vnet;
		bool dup = false;
		for (size_t k = 0; k < rep->n_vnets; k++)
			dup |= kv_streq_ci(rep->vnets[k].id, id);
		if (dup)
			continue;
		rep->n_vnets++;
		if ((s->id = kv_arena_strdup(a, id)) == NULL)
			return KV_ENOMEM;
		s->found_by = cfg->n_vnet_ids > 0 ? "--vnet" : "imds";
		s->agent = agent_vnet != NULL && kv_streq_ci(agent_vnet, id);
		if ((rc = scope_servers(cfg, inv, rep, &cap, s, nic)) != KV_OK)
			return rc;
	}
	/* Every inbound endpoint: a reference point where its resolver resolves. */
	for (size_t i = 0; inv != NULL && i < inv_inbound_count(inv) && rc == KV_OK; i++) {
		const struct inv_inbound *in = inv_inbound_at(inv, i);
		const struct inv_resolver *r = inv_resolver_find(inv, in->resolver_id);
		for (size_t k = 0; k < in->n_addrs && rc == KV_OK; k++) {
			struct kv_hostport hp = {in->addrs[k], 53};
			rc = add_vantage(rep, &cap, &hp, KV_VR_INBOUND, r != NULL ? r->vnet_id : NULL, false, INBOUND_QPS,
			    0, NULL);
		}
	}
	for (size_t i = 0; i < cfg->n_system && rc == KV_OK; i++) {
		struct kv_path_answer m;
		memset(&m, 0, sizeof(m));
		m.server = cfg->system[i];
		classify(inv, a, &m.server.addr, agent_vnet, &m);
		/* The most specific role the model knows; else (and for
		 * 168.63.129.16 outside Azure) just the system's resolver. */
		if (m.kind == KV_PK_OPAQUE || (m.kind == KV_PK_AZURE && !cfg->in_azure))
			rc = add_vantage(rep, &cap, &cfg->system[i], KV_VR_SYSTEM, NULL, true, cfg->dns_qps, 0, NULL);
		else
			rc = add_model_vantage(cfg, rep, &cap, &m, true, NULL);
	}
	if (rc == KV_OK && cfg->in_azure) {
		/* Azure DNS only as the agent's own VNet sees it. */
		struct kv_path_answer m;
		memset(&m, 0, sizeof(m));
		if (kv_addr_parse(PATH_AZURE_DNS, &m.server.addr) != KV_OK)
			return KV_EINTERNAL;
		m.server.port = 53;
		m.kind = KV_PK_AZURE;
		m.vnet_id = agent_vnet;
		rc = add_model_vantage(cfg, rep, &cap, &m, false, NULL);
	}
	for (size_t i = 0; i < cfg->n_given && rc == KV_OK; i++)
		rc = add_vantage(rep, &cap, &cfg->given[i], KV_VR_GIVEN, NULL, false, cfg->dns_qps, 0, NULL);
	return rc;
}

/* ---- the model's answer ---- */

struct walk {
	const struct kv_inv *inv;
	struct kv_arena *a;
	const struct kv_target *t;
	bool approved;
	struct kv_path_hop hops[PATH_HOPS_MAX];
	size_t n;
	const char *visited[PATH_HOPS_MAX]; /* VNets the name was forwarded through */
	size_t n_visited;
	enum kv_path_outcome outcome;
	const struct kv_addr *addrs;
	size_t n_addrs;
};

/* Where a rule's target resolves: an inbound endpoint in its resolver's
 * VNet, a DNS VM in its NIC's; NULL when opaque. */
static const char *
target_vnet(struct walk *w, const struct kv_hostport *hp, bool *inbound)
{
	struct kv_path_answer m;

	memset(&m, 0, sizeof(m));
	classify(w->inv, w->a, &hp->addr, NULL, &m);
	*inbound = m.kind == KV_PK_INBOUND;
	return (m.kind == KV_PK_INBOUND || m.kind == KV_PK_VM) ? m.vnet_id : NULL;
}

/* The most specific linked zone for `name` in `vnet`: its name's length, -1 none. */
static long
match_zone(struct walk *w, const char *vnet, const char *name, struct kv_path_hop *h)
{
	long best = -1;

	for (size_t i = 0; i < inv_link_count(w->inv); i++) {
		const struct inv_link *l = inv_link_at(w->inv, i);
		const struct inv_zone *z;
		long len;
		if (l->vnet_id == NULL || !kv_streq_ci(l->vnet_id, vnet))
			continue;
		if ((z = inv_zone_find(w->inv, l->zone_id)) == NULL || z->name == NULL || !suffix_of(name, z->name))
			continue;
		if ((len = (long)strlen(z->name)) <= best)
			continue;
		best = len;
		h->zone_id = z->id;
		h->zone_name = z->name;
		h->zone_rg = z->resource_group;
		h->zone_sub = z->subscription;
		h->link_id = l->id;
		h->link_name = l->name;
		h->nxdomain_redirect = l->nxdomain_redirect;
	}
	return best;
}

/* The most specific enabled rule for `name` in the rulesets linked to
 * `vnet`; also a rule for exactly the zone's name (shadowed) and a rule
 * targeting an inbound endpoint in `vnet` itself (a loop). */
static long
match_rule(struct walk *w, const char *vnet, const char *name, long zone_len, struct kv_path_hop *h)
{
	long best = -1;

	for (size_t i = 0; i < inv_ruleset_link_count(w->inv); i++) {
		const struct inv_ruleset_link *l = inv_ruleset_link_at(w->inv, i);
		if (l->vnet_id == NULL || !kv_streq_ci(l->vnet_id, vnet))
			continue;
		for (size_t k = 0; k < inv_rule_count(w->inv); k++) {
			const struct inv_rule *r = inv_rule_at(w->inv, k);
			long len;
			if (!r->enabled || r->ruleset_id == NULL || !kv_streq_ci(r->ruleset_id, l->ruleset_id) ||
			    r->domain == NULL || !suffix_of(name, r->domain))
				continue;
			len = (long)strlen(r->domain);
			if (len == zone_len && h->shadowed_rule_id == NULL) {
				h->shadowed_rule_id = r->id;
				h->shadowed_ruleset_id = r->ruleset_id;
				h->shadowed_domain = r->domain;
			}
			for (size_t j = 0; j < r->n_targets && h->loop_rule_id == NULL; j++) {
				bool inbound = false;
				const char *tv = target_vnet(w, &r->targets[j], &inbound);
				if (inbound && tv != NULL && kv_streq_ci(tv, vnet)) {
					h->loop_rule_id = r->id;
					h->loop_ruleset_id = r->ruleset_id;
					h->loop_domain = r->domain;
					h->loop_target = r->targets[j];
				}
			}
			if (len <= best)
				continue;
			best = len;
			h->rule_id = r->id;
			h->rule_name = r->name;
			h->ruleset_id = r->ruleset_id;
			h->rule_domain = r->domain;
			h->targets = r->targets;
			h->n_targets = r->n_targets;
		}
	}
	return best;
}

/* The relative name of `name` in zone `zone` ("@" for the apex). */
static const char *
relative(struct kv_arena *a, const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	return n == z ? "@" : kv_arena_strndup(a, name, n - z - 1);
}

static enum kv_err
walk_name(struct walk *w, const char *vnet, const char *name)
{
	struct kv_path_hop *h;
	long zl, rl;

	if (w->n == PATH_HOPS_MAX) {
		w->outcome = KV_PO_UNKNOWN;
		return KV_OK;
	}
	h = &w->hops[w->n++];
	memset(h, 0, sizeof(*h));
	h->name = name;
	h->vnet_id = vnet;
	zl = match_zone(w, vnet, name, h);
	rl = match_rule(w, vnet, name, zl, h);
	if (zl >= 0 && zl >= rl) {
		/* The zone wins a tie: a name missing from it is NXDOMAIN, never forwarded. */
		const char *rel = relative(w->a, name, h->zone_name);
		const struct inv_record *rec = rel != NULL ? inv_record_find(w->inv, h->zone_id, rel) : NULL;
		if (rel == NULL)
			return KV_ENOMEM;
		h->match = KV_HM_ZONE;
		/* A shorter rule matched too: the zone answers, the rule is not on the path. */
		h->rule_id = h->rule_name = h->ruleset_id = h->rule_domain = NULL;
		h->targets = NULL;
		h->n_targets = 0;
		if (rec != NULL && rec->n_addrs > 0) {
			h->has_record = true;
			h->addrs = kv_arena_memdup(w->a, rec->addrs, rec->n_addrs * sizeof(*rec->addrs));
			if (h->addrs == NULL)
				return KV_ENOMEM;
			h->n_addrs = rec->n_addrs;
			w->outcome = KV_PO_ADDRS;
			w->addrs = h->addrs;
			w->n_addrs = h->n_addrs;
		} else {
			w->outcome = h->nxdomain_redirect ? KV_PO_PUBLIC : KV_PO_NXDOMAIN;
		}
		return KV_OK;
	}
	if (rl >= 0) {
		bool inbound = false;
		const char *next = h->n_targets > 0 ? target_vnet(w, &h->targets[0], &inbound) : NULL;
		h->match = KV_HM_RULE;
		if (h->n_targets > 0 &&
		    (h->targets = kv_arena_memdup(w->a, h->targets, h->n_targets * sizeof(*h->targets))) == NULL)
			return KV_ENOMEM;
		if (next == NULL) {
			w->outcome = KV_PO_UNKNOWN; /* answered as the target gives it */
			return KV_OK;
		}
		for (size_t i = 0; i < w->n_visited; i++) {
			if (kv_streq_ci(w->visited[i], next)) {
				w->outcome = KV_PO_LOOP;
				return KV_OK;
			}
		}
		if (w->n_visited < PATH_HOPS_MAX)
			w->visited[w->n_visited++] = next;
		return walk_name(w, next, name);
	}
	h->match = KV_HM_PUBLIC;
	if (w->approved && kv_streq_ci(name, w->t->fqdn))
		return walk_name(w, vnet, w->t->pl_fqdn); /* public DNS's CNAME to the private link name */
	w->outcome = KV_PO_PUBLIC;
	return KV_OK;
}

static bool
zone_linked(const struct kv_inv *inv, const char *zone_name, const char *vnet)
{
	for (size_t i = 0; vnet != NULL && i < inv_link_count(inv); i++) {
		const struct inv_link *l = inv_link_at(inv, i);
		const struct inv_zone *z;
		if (l->vnet_id != NULL && kv_streq_ci(l->vnet_id, vnet) && (z = inv_zone_find(inv, l->zone_id)) != NULL &&
		    z->name != NULL && kv_streq_ci(z->name, zone_name))
			return true;
	}
	return false;
}

static enum kv_err
expect_answer(const struct kv_inv *inv, struct kv_arena *a, const struct kv_target *t, struct kv_path_answer *ans)
{
	struct walk wk, *w = &wk;
	enum kv_err rc;

	ans->zone_linked = zone_linked(inv, t->pl_zone, ans->vnet_id);
	if (ans->vnet_id == NULL) {
		ans->outcome = KV_PO_UNKNOWN;
		return KV_OK;
	}
	memset(w, 0, sizeof(*w));
	w->inv = inv;
	w->a = a;
	w->t = t;
	w->approved = kv_target_approved(t) || t->expected_manual;
	w->visited[w->n_visited++] = ans->vnet_id;
	if ((rc = walk_name(w, ans->vnet_id, t->fqdn)) != KV_OK)
		return rc;
	ans->outcome = w->outcome;
	ans->addrs = (struct kv_addr *)w->addrs;
	ans->n_addrs = w->n_addrs;
	if ((ans->hops = kv_arena_memdup(a, w->hops, w->n * sizeof(*w->hops))) == NULL)
		return KV_ENOMEM;
	ans->n_hops = w->n;
	return KV_OK;
}

/* Every zone named like the private link zone, with its record and links. */
static enum kv_err
expect_zones(const struct kv_inv *inv, struct kv_arena *a, struct kv_target *t)
{
	size_t cap = 0, nz = inv_zone_count(inv);

	for (size_t i = 0; i < nz; i++)
		cap += inv_zone_at(inv, i)->name != NULL && kv_streq_ci(inv_zone_at(inv, i)->name, t->pl_zone);
	if (cap == 0)
		return KV_OK;
	if ((t->path_zones = kv_arena_calloc(a, cap, sizeof(*t->path_zones))) == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < nz; i++) {
		const struct inv_zone *z = inv_zone_at(inv, i);
		const struct inv_record *rec;
		struct kv_path_zone *pz;
		size_t nl = 0;
		if (z->name == NULL || !kv_streq_ci(z->name, t->pl_zone))
			continue;
		pz = &t->path_zones[t->n_path_zones++];
		pz->id = z->id;
		pz->name = z->name;
		pz->resource_group = z->resource_group;
		pz->subscription = z->subscription;
		if ((rec = inv_record_find(inv, z->id, t->name)) != NULL && rec->n_addrs > 0) {
			pz->has_record = true;
			pz->addrs = kv_arena_memdup(a, rec->addrs, rec->n_addrs * sizeof(*rec->addrs));
			if (pz->addrs == NULL)
				return KV_ENOMEM;
			pz->n_addrs = rec->n_addrs;
			kv_addr_sort_unique(pz->addrs, &pz->n_addrs);
		}
		for (size_t k = 0; k < inv_link_count(inv); k++)
			nl += kv_streq_ci(inv_link_at(inv, k)->zone_id, z->id);
		if (nl == 0)
			continue;
		if ((pz->vnets = kv_arena_calloc(a, nl, sizeof(*pz->vnets))) == NULL)
			return KV_ENOMEM;
		for (size_t k = 0; k < inv_link_count(inv); k++) {
			const struct inv_link *l = inv_link_at(inv, k);
			if (kv_streq_ci(l->zone_id, z->id) && l->vnet_id != NULL)
				pz->vnets[pz->n_vnets++] = l->vnet_id;
		}
	}
	return KV_OK;
}

enum kv_err
path_expect(const struct kv_inv *inv, const struct kv_report *rep, struct kv_target *t)
{
	struct kv_arena *a = rep->arena;
	enum kv_err rc;

	t->paths = NULL;
	t->n_paths = 0;
	t->path_zones = NULL;
	t->n_path_zones = 0;
	t->path_known = false;
	if (inv == NULL || t->incomplete != NULL || t->fqdn == NULL)
		return KV_OK;
	if ((rc = expect_zones(inv, a, t)) != KV_OK)
		return rc;
	if (rep->n_vnets == 0)
		return KV_OK;
	if ((t->paths = kv_arena_calloc(a, rep->n_vnets, sizeof(*t->paths))) == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < rep->n_vnets; i++) {
		const struct kv_vnet_scope *s = &rep->vnets[i];
		struct kv_path_vnet *pv = &t->paths[i];
		pv->vnet = i;
		pv->vnet_id = s->id;
		if ((pv->answers = kv_arena_calloc(a, s->n_servers ? s->n_servers : 1, sizeof(*pv->answers))) == NULL)
			return KV_ENOMEM;
		for (size_t k = 0; k < s->n_servers; k++) {
			pv->answers[k] = s->model[k];
			if ((rc = expect_answer(inv, a, t, &pv->answers[k])) != KV_OK)
				return rc;
		}
		pv->n_answers = s->n_servers;
	}
	t->n_paths = rep->n_vnets;
	t->path_known = true;
	return KV_OK;
}
