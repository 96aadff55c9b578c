/* path.c — expectations of the DNS path (see path.h).
 *
 * Two steps.  path_scope(): the VNets in scope (the agent's own VNet,
 * found from its VM, and every --vnet), their clients' resolvers, where each of them
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
	size_t cap = 0, n, own;
	enum kv_err rc = KV_OK;

	rep->vantages = NULL;
	rep->n_vantages = 0;
	rep->vnets = NULL;
	rep->n_vnets = 0;
	if (cfg->off)
		return KV_OK;
	/* The agent's own VNet and every --vnet (spec: "The VNets in scope are
	 * the agent's own and every --vnet"): a --vnet elsewhere must not hide
	 * what this VM's own clients get. */
	own = agent_vnet != NULL;
	n = own + cfg->n_vnet_ids;
	if (n > 0 && (rep->vnets = kv_arena_calloc(a, n, sizeof(*rep->vnets))) == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct kv_vnet_scope *s = &rep->vnets[rep->n_vnets];
		const char *id = i < own ? agent_vnet : cfg->vnet_ids[i - own];
		bool dup = false;
		for (size_t k = 0; k < rep->n_vnets; k++)
			dup |= kv_streq_ci(rep->vnets[k].id, id);
		if (dup)
			continue;
		rep->n_vnets++;
		if ((s->id = kv_arena_strdup(a, id)) == NULL)
			return KV_ENOMEM;
		s->found_by = i < own ? "imds" : "--vnet";
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

/* What the walks need of one VNet, gathered once per run (the inventory is
 * walked per VNet met, never per vault). */
struct zview {
	const struct inv_zone *z;
	const struct inv_link *l;
};

struct rview {
	const struct inv_rule *r;
	const char *next;   /* where its first target resolves (inbound endpoint, DNS VM), or NULL */
	int loop;           /* index of a target that is an inbound endpoint of this same VNet, -1 */
};

struct vview {
	const char *vnet;
	struct zview *zones;
	size_t n_zones;
	struct rview *rules;
	size_t n_rules;
};

/* Every zone of one name, with the VNets linked to it. */
struct nview {
	const char *name;
	const struct inv_zone **zones;
	const char ***vnets;
	size_t *n_vnets;
	size_t n;
};

struct path_model {
	const struct kv_inv *inv;
	struct kv_arena *a;
	struct vview *views;
	size_t n_views, cap_views;
	struct nview *names;
	size_t n_names, cap_names;
};

enum kv_err
path_model_new(const struct kv_inv *inv, struct kv_report *rep, struct path_model **out)
{
	struct path_model *m = kv_arena_calloc(rep->arena, 1, sizeof(*m));

	if (m == NULL)
		return KV_ENOMEM;
	m->inv = inv;
	m->a = rep->arena;
	*out = m;
	return KV_OK;
}

/* Grows an arena array of `size`-byte items to hold one more. */
static void *
grow(struct kv_arena *a, void *v, size_t n, size_t *cap, size_t size)
{
	void *nv;

	if (n < *cap)
		return v;
	if ((nv = kv_arena_calloc(a, *cap ? 2 * *cap : 4, size)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(nv, v, n * size);
	*cap = *cap ? 2 * *cap : 4;
	return nv;
}

/* Where a rule's target resolves: an inbound endpoint in its resolver's
 * VNet, a DNS VM in its NIC's; NULL when opaque. */
static const char *
target_vnet(const struct path_model *m, const struct kv_hostport *hp, bool *inbound)
{
	struct kv_path_answer pa;

	memset(&pa, 0, sizeof(pa));
	classify(m->inv, m->a, &hp->addr, NULL, &pa);
	*inbound = pa.kind == KV_PK_INBOUND;
	return (pa.kind == KV_PK_INBOUND || pa.kind == KV_PK_VM) ? pa.vnet_id : NULL;
}

static enum kv_err
view_rules(struct path_model *m, struct vview *v)
{
	const struct kv_inv *inv = m->inv;
	size_t cap = 0;

	for (size_t i = 0; i < inv_ruleset_link_count(inv); i++) {
		const struct inv_ruleset_link *l = inv_ruleset_link_at(inv, i);
		if (l->vnet_id == NULL || l->ruleset_id == NULL || !kv_streq_ci(l->vnet_id, v->vnet))
			continue;
		for (size_t k = 0; k < inv_rule_count(inv); k++) {
			const struct inv_rule *r = inv_rule_at(inv, k);
			struct rview *rv;
			bool inbound = false;
			if (!r->enabled || r->ruleset_id == NULL || r->domain == NULL || !kv_streq_ci(r->ruleset_id, l->ruleset_id))
				continue;
			if ((v->rules = grow(m->a, v->rules, v->n_rules, &cap, sizeof(*v->rules))) == NULL)
				return KV_ENOMEM;
			rv = &v->rules[v->n_rules++];
			rv->r = r;
			rv->loop = -1;
			for (size_t j = 0; j < r->n_targets; j++) {
				const char *tv = target_vnet(m, &r->targets[j], &inbound);
				if (j == 0)
					rv->next = tv;
				if (rv->loop < 0 && inbound && tv != NULL && kv_streq_ci(tv, v->vnet))
					rv->loop = (int)j;
			}
		}
	}
	return KV_OK;
}

/* The view of `vnet`, built the first time a walk meets it.  A later call
 * may move the views (not their zones and rules arrays): use the pointer
 * before asking for another VNet's. */
static const struct vview *
view(struct path_model *m, const char *vnet)
{
	const struct kv_inv *inv = m->inv;
	struct vview *v;
	size_t cap = 0;

	for (size_t i = 0; i < m->n_views; i++)
		if (kv_streq_ci(m->views[i].vnet, vnet))
			return &m->views[i];
	if ((m->views = grow(m->a, m->views, m->n_views, &m->cap_views, sizeof(*m->views))) == NULL)
		return NULL;
	v = &m->views[m->n_views];
	memset(v, 0, sizeof(*v));
	v->vnet = vnet;
	for (size_t i = 0; i < inv_link_count(inv); i++) {
		const struct inv_link *l = inv_link_at(inv, i);
		const struct inv_zone *z;
		if (l->vnet_id == NULL || !kv_streq_ci(l->vnet_id, vnet) || (z = inv_zone_find(inv, l->zone_id)) == NULL ||
		    z->name == NULL)
			continue;
		if ((v->zones = grow(m->a, v->zones, v->n_zones, &cap, sizeof(*v->zones))) == NULL)
			return NULL;
		v->zones[v->n_zones].z = z;
		v->zones[v->n_zones++].l = l;
	}
	if (view_rules(m, v) != KV_OK)
		return NULL;
	m->n_views++;
	return v;
}

struct walk {
	struct path_model *m;
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

/* The most specific linked zone for `name` in `v`: its name's length, -1 none. */
static long
match_zone(const struct vview *v, const char *name, struct kv_path_hop *h)
{
	long best = -1;

	for (size_t i = 0; i < v->n_zones; i++) {
		const struct inv_zone *z = v->zones[i].z;
		const struct inv_link *l = v->zones[i].l;
		long len;
		if (!suffix_of(name, z->name) || (len = (long)strlen(z->name)) <= best)
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

/* The most specific enabled rule for `name` in the rulesets linked to `v`
 * (*hit); also a rule for exactly the zone's name (shadowed) and a rule
 * targeting an inbound endpoint in the VNet itself (a loop). */
static long
match_rule(const struct vview *v, const char *name, long zone_len, struct kv_path_hop *h, const struct rview **hit)
{
	long best = -1;

	*hit = NULL;
	for (size_t k = 0; k < v->n_rules; k++) {
		const struct rview *rv = &v->rules[k];
		const struct inv_rule *r = rv->r;
		long len;
		if (!suffix_of(name, r->domain))
			continue;
		len = (long)strlen(r->domain);
		if (len == zone_len && h->shadowed_rule_id == NULL) {
			h->shadowed_rule_id = r->id;
			h->shadowed_ruleset_id = r->ruleset_id;
			h->shadowed_domain = r->domain;
		}
		if (rv->loop >= 0 && h->loop_rule_id == NULL) {
			h->loop_rule_id = r->id;
			h->loop_ruleset_id = r->ruleset_id;
			h->loop_domain = r->domain;
			h->loop_target = r->targets[rv->loop];
		}
		if (len <= best)
			continue;
		best = len;
		*hit = rv;
		h->rule_id = r->id;
		h->rule_name = r->name;
		h->ruleset_id = r->ruleset_id;
		h->rule_domain = r->domain;
		h->targets = r->targets;
		h->n_targets = r->n_targets;
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
	const struct vview *v = view(w->m, vnet);
	const struct rview *hit = NULL;
	struct kv_path_hop *h;
	long zl, rl;

	if (v == NULL)
		return KV_ENOMEM;
	if (w->n == PATH_HOPS_MAX) {
		w->outcome = KV_PO_UNKNOWN;
		return KV_OK;
	}
	h = &w->hops[w->n++];
	memset(h, 0, sizeof(*h));
	h->name = name;
	h->vnet_id = vnet;
	zl = match_zone(v, name, h);
	rl = match_rule(v, name, zl, h, &hit);
	if (zl >= 0 && zl >= rl) {
		/* The zone wins a tie: a name missing from it is NXDOMAIN, never forwarded. */
		const char *rel = relative(w->a, name, h->zone_name);
		const struct inv_record *rec = rel != NULL ? inv_record_find(w->m->inv, h->zone_id, rel) : NULL;
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
		const char *next = hit->next;
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

static enum kv_err
zone_linked(struct path_model *m, const char *zone_name, const char *vnet, bool *linked)
{
	const struct vview *v;

	*linked = false;
	if (vnet == NULL)
		return KV_OK;
	if ((v = view(m, vnet)) == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < v->n_zones; i++)
		*linked |= kv_streq_ci(v->zones[i].z->name, zone_name);
	return KV_OK;
}

static enum kv_err
expect_answer(struct path_model *m, const struct kv_target *t, struct kv_path_answer *ans)
{
	struct walk wk, *w = &wk;
	enum kv_err rc;

	if ((rc = zone_linked(m, t->pl_zone, ans->vnet_id, &ans->zone_linked)) != KV_OK)
		return rc;
	if (ans->vnet_id == NULL) {
		ans->outcome = KV_PO_UNKNOWN;
		return KV_OK;
	}
	memset(w, 0, sizeof(*w));
	w->m = m;
	w->a = m->a;
	w->t = t;
	w->approved = kv_target_approved(t) || t->expected_manual;
	w->visited[w->n_visited++] = ans->vnet_id;
	if ((rc = walk_name(w, ans->vnet_id, t->fqdn)) != KV_OK)
		return rc;
	ans->outcome = w->outcome;
	ans->addrs = (struct kv_addr *)w->addrs;
	ans->n_addrs = w->n_addrs;
	if ((ans->hops = kv_arena_memdup(m->a, w->hops, w->n * sizeof(*w->hops))) == NULL)
		return KV_ENOMEM;
	ans->n_hops = w->n;
	return KV_OK;
}

/* Every zone named `name` and the VNets linked to each, once per run. */
static const struct nview *
zones_named(struct path_model *m, const char *name)
{
	const struct kv_inv *inv = m->inv;
	struct nview *nv;
	size_t cap = 0;

	for (size_t i = 0; i < m->n_names; i++)
		if (kv_streq_ci(m->names[i].name, name))
			return &m->names[i];
	if ((m->names = grow(m->a, m->names, m->n_names, &m->cap_names, sizeof(*m->names))) == NULL)
		return NULL;
	nv = &m->names[m->n_names];
	memset(nv, 0, sizeof(*nv));
	nv->name = name;
	for (size_t i = 0; i < inv_zone_count(inv); i++) {
		const struct inv_zone *z = inv_zone_at(inv, i);
		if (z->name == NULL || !kv_streq_ci(z->name, name))
			continue;
		if ((nv->zones = grow(m->a, nv->zones, nv->n, &cap, sizeof(*nv->zones))) == NULL)
			return NULL;
		nv->zones[nv->n++] = z;
	}
	nv->vnets = kv_arena_calloc(m->a, nv->n ? nv->n : 1, sizeof(*nv->vnets));
	nv->n_vnets = kv_arena_calloc(m->a, nv->n ? nv->n : 1, sizeof(*nv->n_vnets));
	if (nv->vnets == NULL || nv->n_vnets == NULL)
		return NULL;
	for (size_t i = 0; i < nv->n; i++) {
		size_t vcap = 0;
		for (size_t k = 0; k < inv_link_count(inv); k++) {
			const struct inv_link *l = inv_link_at(inv, k);
			if (l->vnet_id == NULL || !kv_streq_ci(l->zone_id, nv->zones[i]->id))
				continue;
			if ((nv->vnets[i] = grow(m->a, nv->vnets[i], nv->n_vnets[i], &vcap, sizeof(*nv->vnets[i]))) == NULL)
				return NULL;
			nv->vnets[i][nv->n_vnets[i]++] = l->vnet_id;
		}
	}
	m->n_names++;
	return nv;
}

/* Every zone named like the private link zone, with its record and links. */
static enum kv_err
expect_zones(struct path_model *m, struct kv_target *t)
{
	const struct nview *nv = zones_named(m, t->pl_zone);

	if (nv == NULL)
		return KV_ENOMEM;
	if (nv->n == 0)
		return KV_OK;
	if ((t->path_zones = kv_arena_calloc(m->a, nv->n, sizeof(*t->path_zones))) == NULL)
		return KV_ENOMEM;
	for (size_t i = 0; i < nv->n; i++) {
		const struct inv_zone *z = nv->zones[i];
		const struct inv_record *rec = inv_record_find(m->inv, z->id, t->name);
		struct kv_path_zone *pz = &t->path_zones[t->n_path_zones++];
		pz->id = z->id;
		pz->name = z->name;
		pz->resource_group = z->resource_group;
		pz->subscription = z->subscription;
		pz->vnets = nv->vnets[i]; /* shared by the vaults of this zone name */
		pz->n_vnets = nv->n_vnets[i];
		if (rec != NULL && rec->n_addrs > 0) {
			pz->has_record = true;
			pz->addrs = kv_arena_memdup(m->a, rec->addrs, rec->n_addrs * sizeof(*rec->addrs));
			if (pz->addrs == NULL)
				return KV_ENOMEM;
			pz->n_addrs = rec->n_addrs;
			kv_addr_sort_unique(pz->addrs, &pz->n_addrs);
		}
	}
	return KV_OK;
}

enum kv_err
path_expect(struct path_model *m, const struct kv_report *rep, struct kv_target *t)
{
	struct kv_arena *a = rep->arena;
	enum kv_err rc;

	t->paths = NULL;
	t->n_paths = 0;
	t->path_zones = NULL;
	t->n_path_zones = 0;
	t->path_known = false;
	if (m == NULL || m->inv == NULL || t->incomplete != NULL || t->fqdn == NULL)
		return KV_OK;
	if ((rc = expect_zones(m, t)) != KV_OK)
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
			if ((rc = expect_answer(m, t, &pv->answers[k])) != KV_OK)
				return rc;
		}
		pv->n_answers = s->n_servers;
	}
	t->n_paths = rep->n_vnets;
	t->path_known = true;
	return KV_OK;
}
