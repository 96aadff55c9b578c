/* inv_json.c — ARM JSON into the inventory.  The only place a resource's
 * cJSON tree exists: it is read into inv structs and deleted here.
 *
 * Two shapes are read: ARM's (fields under "properties") and the one the
 * `az network ...` commands print (the same fields flattened to the top
 * level).  A field of the wrong JSON type counts as absent, except in the
 * types of the DNS path (VNets, VMs, NICs' DNS settings, resolvers,
 * rulesets, zone links): there a malformed field is an error naming the
 * resource, since a dropped DNS server or rule would model a path that is
 * not there (and could pass a vault that fails). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kvpe/inv.h"
#include "kvpe/jsonr.h"

#define INV_FILE_MAX (512u * 1024 * 1024)

struct ctx {
	struct kv_inv *inv;
	struct kv_arena *a;
	const char *origin;
	size_t n_resources;
	size_t n_skipped;         /* ARM resources of types kvpe does not read */
	const char *skipped_type; /* the first of them */
	bool oom; /* a copy failed: the page was not read whole */
	char *err; /* a malformed field of the DNS path's types (see bad()) */
	size_t err_size;
};

/* A field under "properties", or at the top level (the flattened shape).
 * Keys are matched case-insensitively, as ARM's casing drifts. */
static const cJSON *
prop(const cJSON *obj, const char *name)
{
	const cJSON *p = cJSON_GetObjectItem(obj, "properties"), *v = NULL;

	if (cJSON_IsObject(p))
		v = cJSON_GetObjectItem(p, name);
	return v != NULL ? v : cJSON_GetObjectItem(obj, name);
}

static const char *
str_of(const cJSON *v)
{
	return (cJSON_IsString(v) && v->valuestring != NULL) ? v->valuestring : NULL;
}

static const char *
field_str(const cJSON *obj, const char *name)
{
	return str_of(cJSON_GetObjectItem(obj, name));
}

/* Copies of present fields: a NULL copy of a non-NULL source is recorded,
 * so a failed allocation never reads as an absent field. */
static const char *
kept(struct ctx *c, const void *src, const char *copy)
{
	if (src != NULL && copy == NULL)
		c->oom = true;
	return copy;
}

static const char *
dup(struct ctx *c, const char *s)
{
	return kept(c, s, s ? kv_arena_strdup(c->a, s) : NULL);
}

static const char *
lower(struct ctx *c, const char *s)
{
	return kept(c, s, s ? kv_arena_lower(c->a, s) : NULL);
}

/* IDs, subscriptions, resource groups, locations and the endpoints' FQDNs
 * recur across resources (a vault's ID in its endpoint's link, the
 * endpoint's in the vault's connection, an FQDN in the endpoint's DNS
 * config and its NIC): they are interned (see inv_intern).  Names are not. */
static const char *
dup_id(struct ctx *c, const char *s)
{
	return kept(c, s, s ? inv_intern(c->inv, s, strlen(s)) : NULL);
}

static const char *
segment(struct ctx *c, const char *id, const char *key)
{
	size_t len;
	const char *v = inv_id_segment_span(id, key, &len);

	return kept(c, v, v ? inv_intern(c->inv, v, len) : NULL);
}

static const char *
parent(struct ctx *c, const char *id, const char *child)
{
	size_t len = inv_id_parent_len(id, child);

	return len > 0 ? kept(c, id, inv_intern(c->inv, id, len)) : NULL;
}

static enum kv_pe_state
state_of(const cJSON *item)
{
	const cJSON *st = prop(item, "privateLinkServiceConnectionState");
	const char *s = cJSON_IsObject(st) ? field_str(st, "status") : NULL;

	if (s == NULL)
		return KV_PE_UNKNOWN;
	if (kv_streq_ci(s, "Approved"))
		return KV_PE_APPROVED;
	if (kv_streq_ci(s, "Pending"))
		return KV_PE_PENDING;
	if (kv_streq_ci(s, "Rejected"))
		return KV_PE_REJECTED;
	if (kv_streq_ci(s, "Disconnected"))
		return KV_PE_DISCONNECTED;
	return KV_PE_UNKNOWN;
}

static const char *
last_segment(struct ctx *c, const char *id)
{
	const char *slash = id ? strrchr(id, '/') : NULL;

	return slash ? dup(c, slash + 1) : NULL;
}

/* Addresses from a list of strings or of {key: "ip"} objects. */
static enum kv_err
addr_list(struct ctx *c, const cJSON *arr, const char *key, struct kv_addr **out, size_t *n)
{
	size_t cap = (size_t)cJSON_GetArraySize(arr), k = 0;
	const cJSON *el;
	struct kv_addr *v;

	*out = NULL;
	*n = 0;
	if (!cJSON_IsArray(arr) || cap == 0)
		return KV_OK;
	v = kv_arena_calloc(c->a, cap, sizeof(*v));
	if (v == NULL)
		return KV_ENOMEM;
	cJSON_ArrayForEach(el, arr) {
		const char *s = key ? (cJSON_IsObject(el) ? field_str(el, key) : NULL) : str_of(el);
		if (s != NULL && k < cap && kv_addr_parse_loose(s, &v[k]) == KV_OK)
			k++;
	}
	kv_addr_sort_unique(v, &k);
	*out = v;
	*n = k;
	return KV_OK;
}

static void
id_parts(struct ctx *c, const char *id, const char **sub, const char **rg)
{
	*sub = segment(c, id, "subscriptions");
	*rg = segment(c, id, "resourceGroups");
}

/* ---- strict fields of the DNS path's types ---- */

/* A malformed field: KV_EPARSE, the message naming the resource and the
 * field (never its value). */
static enum kv_err
bad(struct ctx *c, const char *id, const char *field, const char *why)
{
	char clean[300];

	kv_sanitize(clean, sizeof(clean), id);
	if (c->err != NULL)
		snprintf(c->err, c->err_size, "%s: %s %s", clean, field, why);
	return KV_EPARSE;
}

typedef cJSON_bool (*json_is_fn)(const cJSON *const);

/* An optional field: *out NULL when absent or null, KV_EPARSE when it is
 * there with another JSON type. */
static enum kv_err
opt(struct ctx *c, const cJSON *v, const char *id, const char *field, json_is_fn is, const char *want,
    const cJSON **out)
{
	*out = NULL;
	if (v == NULL || cJSON_IsNull(v))
		return KV_OK;
	if (!is(v))
		return bad(c, id, field, want);
	*out = v;
	return KV_OK;
}

/* {"id": "..."} (a reference to another resource) into *out (interned);
 * NULL when absent and not `required`. */
static enum kv_err
ref_id(struct ctx *c, const cJSON *v, const char *id, const char *field, bool required, const char **out)
{
	const cJSON *o, *rid;
	enum kv_err rc;

	*out = NULL;
	if ((rc = opt(c, v, id, field, cJSON_IsObject, "is not an object", &o)) != KV_OK)
		return rc;
	if (o == NULL)
		return required ? bad(c, id, field, "is missing") : KV_OK;
	rid = cJSON_GetObjectItem(o, "id");
	if (!cJSON_IsString(rid) || rid->valuestring[0] != '/')
		return bad(c, id, field, "has no resource \"id\"");
	*out = dup_id(c, rid->valuestring);
	return KV_OK;
}

/* A list of IP addresses (strings, or objects whose `key` holds one), in
 * the order given: the first DNS server is the one clients try first. */
static enum kv_err
strict_addrs(struct ctx *c, const cJSON *v, const char *id, const char *field, const char *key,
    struct kv_addr **out, size_t *n)
{
	const cJSON *arr, *el;
	size_t cap, k = 0;
	char fname[96];
	enum kv_err rc;

	*out = NULL;
	*n = 0;
	if ((rc = opt(c, v, id, field, cJSON_IsArray, "is not an array", &arr)) != KV_OK)
		return rc;
	if (arr == NULL || (cap = (size_t)cJSON_GetArraySize(arr)) == 0)
		return KV_OK;
	if ((*out = kv_arena_calloc(c->a, cap, sizeof(**out))) == NULL)
		return KV_ENOMEM;
	cJSON_ArrayForEach(el, arr) {
		const char *s = key ? (cJSON_IsObject(el) ? str_of(cJSON_GetObjectItem(el, key)) : NULL) : str_of(el);
		snprintf(fname, sizeof(fname), "%s[%zu]%s%s", field, k, key ? "." : "", key ? key : "");
		if (s == NULL || k >= cap)
			return bad(c, id, fname, "is not a string");
		if (kv_addr_parse(s, &(*out)[k]) != KV_OK)
			return bad(c, id, fname, "is not an IP address");
		k++;
	}
	*n = k;
	return KV_OK;
}

/* An optional string field; KV_EPARSE when it is not a string. */
static enum kv_err
opt_str(struct ctx *c, const cJSON *v, const char *id, const char *field, const char **out)
{
	const cJSON *s;
	enum kv_err rc = opt(c, v, id, field, cJSON_IsString, "is not a string", &s);

	*out = s ? s->valuestring : NULL;
	return rc;
}

/* The common part of every DNS-path resource: id (else skipped, as the
 * other types are), name (else the ID's last segment). */
static const char *
name_of(struct ctx *c, const cJSON *r, const char *id)
{
	const char *name = field_str(r, "name");

	return name ? dup(c, name) : last_segment(c, id);
}

/* ---- readers of the DNS path's types ---- */

static enum kv_err
read_vnet(struct ctx *c, const cJSON *r)
{
	struct inv_vnet v;
	const char *id = field_str(r, "id");
	const cJSON *dhcp, *space, *pfx, *el;
	enum kv_err rc;

	if (id == NULL)
		return KV_OK;
	memset(&v, 0, sizeof(v));
	v.id = dup_id(c, id);
	v.name = name_of(c, r, id);
	v.location = dup_id(c, field_str(r, "location"));
	id_parts(c, id, &v.subscription, &v.resource_group);
	/* dhcpOptions absent or dnsServers empty: Azure-provided DNS */
	if ((rc = opt(c, prop(r, "dhcpOptions"), id, "dhcpOptions", cJSON_IsObject, "is not an object", &dhcp)) != KV_OK)
		return rc;
	if (dhcp != NULL && (rc = strict_addrs(c, cJSON_GetObjectItem(dhcp, "dnsServers"), id, "dhcpOptions.dnsServers",
				 NULL, &v.dns_servers, &v.n_dns_servers)) != KV_OK)
		return rc;
	if ((rc = opt(c, prop(r, "addressSpace"), id, "addressSpace", cJSON_IsObject, "is not an object", &space)) != KV_OK)
		return rc;
	if (space != NULL && (rc = opt(c, cJSON_GetObjectItem(space, "addressPrefixes"), id, "addressSpace.addressPrefixes",
				  cJSON_IsArray, "is not an array", &pfx)) != KV_OK)
		return rc;
	if (space != NULL && pfx != NULL && cJSON_GetArraySize(pfx) > 0) {
		size_t cap = (size_t)cJSON_GetArraySize(pfx);
		if ((v.prefixes = kv_arena_calloc(c->a, cap, sizeof(*v.prefixes))) == NULL)
			return KV_ENOMEM;
		cJSON_ArrayForEach(el, pfx) {
			if (v.n_prefixes >= cap || str_of(el) == NULL || kv_cidr_parse(str_of(el), &v.prefixes[v.n_prefixes]) != KV_OK)
				return bad(c, id, "addressSpace.addressPrefixes", "holds an entry that is not a CIDR range");
			v.n_prefixes++;
		}
	}
	if (v.id == NULL || c->oom)
		return KV_ENOMEM;
	c->n_resources++;
	return inv_add_vnet(c->inv, &v);
}

/* A list of {"id": ...} references (a VM's NICs). */
static enum kv_err
ref_list(struct ctx *c, const cJSON *v, const char *id, const char *field, const char ***out, size_t *n)
{
	const cJSON *arr, *el;
	size_t cap, k = 0;
	enum kv_err rc;

	*out = NULL;
	*n = 0;
	if ((rc = opt(c, v, id, field, cJSON_IsArray, "is not an array", &arr)) != KV_OK)
		return rc;
	if (arr == NULL || (cap = (size_t)cJSON_GetArraySize(arr)) == 0)
		return KV_OK;
	if ((*out = kv_arena_calloc(c->a, cap, sizeof(**out))) == NULL)
		return KV_ENOMEM;
	cJSON_ArrayForEach(el, arr) {
		if (k >= cap)
			break;
		if ((rc = ref_id(c, el, id, field, true, &(*out)[k])) != KV_OK)
			return rc;
		k++;
	}
	*n = k;
	return KV_OK;
}

static enum kv_err
read_vm(struct ctx *c, const cJSON *r)
{
	struct inv_vm vm;
	const char *id = field_str(r, "id");
	const cJSON *np;
	enum kv_err rc;

	if (id == NULL)
		return KV_OK;
	memset(&vm, 0, sizeof(vm));
	vm.id = dup_id(c, id);
	vm.name = name_of(c, r, id);
	id_parts(c, id, &vm.subscription, &vm.resource_group);
	if ((rc = opt(c, prop(r, "networkProfile"), id, "networkProfile", cJSON_IsObject, "is not an object", &np)) != KV_OK)
		return rc;
	if (np != NULL && (rc = ref_list(c, cJSON_GetObjectItem(np, "networkInterfaces"), id,
				"networkProfile.networkInterfaces", &vm.nic_ids, &vm.n_nics)) != KV_OK)
		return rc;
	if (vm.id == NULL || c->oom)
		return KV_ENOMEM;
	c->n_resources++;
	return inv_add_vm(c->inv, &vm);
}

static enum kv_err
read_resolver(struct ctx *c, const cJSON *r)
{
	struct inv_resolver res;
	const char *id = field_str(r, "id");
	enum kv_err rc;

	if (id == NULL)
		return KV_OK;
	memset(&res, 0, sizeof(res));
	res.id = dup_id(c, id);
	res.name = name_of(c, r, id);
	id_parts(c, id, &res.subscription, &res.resource_group);
	if ((rc = ref_id(c, prop(r, "virtualNetwork"), id, "virtualNetwork", true, &res.vnet_id)) != KV_OK)
		return rc;
	if (res.id == NULL || c->oom)
		return KV_ENOMEM;
	c->n_resources++;
	return inv_add_resolver(c->inv, &res);
}

static enum kv_err
read_inbound(struct ctx *c, const cJSON *r)
{
	struct inv_inbound e;
	const char *id = field_str(r, "id");
	const cJSON *ipc, *el;
	enum kv_err rc;

	if (id == NULL)
		return KV_OK;
	memset(&e, 0, sizeof(e));
	e.id = dup_id(c, id);
	e.name = name_of(c, r, id);
	e.resolver_id = parent(c, id, "inboundEndpoints");
	if (e.resolver_id == NULL)
		return bad(c, id, "id", "is not a dnsResolvers/{name}/inboundEndpoints/{name} ID");
	if ((rc = strict_addrs(c, prop(r, "ipConfigurations"), id, "ipConfigurations", "privateIpAddress", &e.addrs,
		 &e.n_addrs)) != KV_OK)
		return rc;
	if ((ipc = prop(r, "ipConfigurations")) != NULL && cJSON_IsArray(ipc)) {
		cJSON_ArrayForEach(el, ipc) {
			const char *sn;
			if ((rc = ref_id(c, prop(el, "subnet"), id, "ipConfigurations[].subnet", false, &sn)) != KV_OK)
				return rc;
			if (e.subnet_id == NULL)
				e.subnet_id = sn;
		}
	}
	if (e.id == NULL || c->oom)
		return KV_ENOMEM;
	c->n_resources++;
	return inv_add_inbound(c->inv, &e);
}

static enum kv_err
read_ruleset(struct ctx *c, const cJSON *r)
{
	struct inv_ruleset rs;
	const char *id = field_str(r, "id");

	if (id == NULL)
		return KV_OK;
	memset(&rs, 0, sizeof(rs));
	rs.id = dup_id(c, id);
	rs.name = name_of(c, r, id);
	id_parts(c, id, &rs.subscription, &rs.resource_group);
	if (rs.id == NULL || c->oom)
		return KV_ENOMEM;
	c->n_resources++;
	return inv_add_ruleset(c->inv, &rs);
}

static enum kv_err
read_targets(struct ctx *c, const cJSON *v, const char *id, struct inv_rule *rule)
{
	const cJSON *arr, *el;
	size_t cap, k = 0;
	enum kv_err rc;

	if ((rc = opt(c, v, id, "targetDnsServers", cJSON_IsArray, "is not an array", &arr)) != KV_OK)
		return rc;
	if (arr == NULL || (cap = (size_t)cJSON_GetArraySize(arr)) == 0)
		return bad(c, id, "targetDnsServers", "is missing or empty");
	if ((rule->targets = kv_arena_calloc(c->a, cap, sizeof(*rule->targets))) == NULL)
		return KV_ENOMEM;
	cJSON_ArrayForEach(el, arr) {
		const cJSON *port = cJSON_IsObject(el) ? cJSON_GetObjectItem(el, "port") : NULL;
		const char *ip = cJSON_IsObject(el) ? str_of(cJSON_GetObjectItem(el, "ipAddress")) : NULL;
		struct kv_hostport *t = &rule->targets[k];
		if (k >= cap)
			break;
		if (ip == NULL || kv_addr_parse(ip, &t->addr) != KV_OK)
			return bad(c, id, "targetDnsServers[].ipAddress", "is not an IP address");
		t->port = 53; /* ARM's default */
		if (port != NULL && !cJSON_IsNull(port)) {
			if (!cJSON_IsNumber(port) || port->valuedouble < 1 || port->valuedouble > 65535 ||
			    port->valuedouble != (double)port->valueint)
				return bad(c, id, "targetDnsServers[].port", "is not a port number");
			t->port = (uint16_t)port->valueint;
		}
		k++;
	}
	rule->n_targets = k;
	return KV_OK;
}

static enum kv_err
read_rule(struct ctx *c, const cJSON *r)
{
	struct inv_rule rule;
	const char *id = field_str(r, "id"), *domain, *state;
	char *d;
	size_t dl;
	enum kv_err rc;

	if (id == NULL)
		return KV_OK;
	memset(&rule, 0, sizeof(rule));
	rule.id = dup_id(c, id);
	rule.name = name_of(c, r, id);
	rule.ruleset_id = parent(c, id, "forwardingRules");
	if (rule.ruleset_id == NULL)
		return bad(c, id, "id", "is not a dnsForwardingRulesets/{name}/forwardingRules/{name} ID");
	if ((rc = opt_str(c, prop(r, "domainName"), id, "domainName", &domain)) != KV_OK)
		return rc;
	if (domain == NULL || domain[0] == '\0' || strlen(domain) > 254)
		return bad(c, id, "domainName", "is missing or not a domain name");
	/* "contoso.com." -> "contoso.com"; "." (every name) -> "" */
	if ((d = kv_arena_lower(c->a, domain)) == NULL)
		return KV_ENOMEM;
	dl = strlen(d);
	if (d[dl - 1] == '.')
		d[--dl] = '\0';
	if (strstr(d, "..") != NULL || d[0] == '.')
		return bad(c, id, "domainName", "is not a domain name");
	rule.domain = d;
	if ((rc = read_targets(c, prop(r, "targetDnsServers"), id, &rule)) != KV_OK)
		return rc;
	if ((rc = opt_str(c, prop(r, "forwardingRuleState"), id, "forwardingRuleState", &state)) != KV_OK)
		return rc;
	if (state == NULL || kv_streq_ci(state, "Enabled"))
		rule.enabled = true;
	else if (!kv_streq_ci(state, "Disabled"))
		return bad(c, id, "forwardingRuleState", "is neither Enabled nor Disabled");
	if (rule.id == NULL || c->oom)
		return KV_ENOMEM;
	c->n_resources++;
	return inv_add_rule(c->inv, &rule);
}

static enum kv_err
read_ruleset_link(struct ctx *c, const cJSON *r)
{
	struct inv_ruleset_link l;
	const char *id = field_str(r, "id");
	enum kv_err rc;

	if (id == NULL)
		return KV_OK;
	memset(&l, 0, sizeof(l));
	l.id = dup_id(c, id);
	l.name = name_of(c, r, id);
	l.ruleset_id = parent(c, id, "virtualNetworkLinks");
	if (l.ruleset_id == NULL)
		return bad(c, id, "id", "is not a dnsForwardingRulesets/{name}/virtualNetworkLinks/{name} ID");
	if ((rc = ref_id(c, prop(r, "virtualNetwork"), id, "virtualNetwork", true, &l.vnet_id)) != KV_OK)
		return rc;
	if (l.id == NULL || c->oom)
		return KV_ENOMEM;
	c->n_resources++;
	return inv_add_ruleset_link(c->inv, &l);
}

/* A NIC's DNS-path fields: dnsSettings.dnsServers (they override the
 * VNet's), virtualMachine.id, macAddress and each IP's subnet. */
static enum kv_err
read_nic_path(struct ctx *c, const cJSON *r, const char *id, struct inv_nic *nic)
{
	const cJSON *ds;
	const char *mac;
	enum kv_err rc;

	if ((rc = opt(c, prop(r, "dnsSettings"), id, "dnsSettings", cJSON_IsObject, "is not an object", &ds)) != KV_OK)
		return rc;
	if (ds != NULL && (rc = strict_addrs(c, cJSON_GetObjectItem(ds, "dnsServers"), id, "dnsSettings.dnsServers", NULL,
			      &nic->dns_servers, &nic->n_dns_servers)) != KV_OK)
		return rc;
	if ((rc = ref_id(c, prop(r, "virtualMachine"), id, "virtualMachine", false, &nic->vm_id)) != KV_OK)
		return rc;
	if ((rc = opt_str(c, prop(r, "macAddress"), id, "macAddress", &mac)) != KV_OK)
		return rc;
	nic->mac = mac && mac[0] ? dup(c, mac) : NULL;
	return KV_OK;
}

/* ---- resource readers ---- */

static enum kv_err
read_conns(struct ctx *c, const cJSON *arr, struct inv_conn **out, size_t *n)
{
	size_t cap = (size_t)cJSON_GetArraySize(arr), k = 0;
	const cJSON *el;

	*out = NULL;
	*n = 0;
	if (!cJSON_IsArray(arr) || cap == 0)
		return KV_OK;
	*out = kv_arena_calloc(c->a, cap, sizeof(**out));
	if (*out == NULL)
		return KV_ENOMEM;
	cJSON_ArrayForEach(el, arr) {
		const cJSON *pe = prop(el, "privateEndpoint");
		const char *pe_id = cJSON_IsObject(pe) ? field_str(pe, "id") : NULL;
		const char *name = field_str(el, "name");
		if (!cJSON_IsObject(el) || pe_id == NULL || k >= cap)
			continue;
		(*out)[k].pe_id = dup_id(c, pe_id);
		(*out)[k].name = name ? dup(c, name) : last_segment(c, field_str(el, "id"));
		(*out)[k].state = state_of(el);
		k++;
	}
	*n = k;
	return KV_OK;
}

static enum kv_tri
tri_of(const char *s, const char *yes, const char *no)
{
	if (s == NULL)
		return KV_TRI_UNKNOWN;
	if (kv_streq_ci(s, yes))
		return KV_TRI_YES;
	if (kv_streq_ci(s, no))
		return KV_TRI_NO;
	return KV_TRI_UNKNOWN;
}

static enum kv_err
read_vault(struct ctx *c, const cJSON *r, enum kv_kind kind)
{
	struct inv_vault v;
	const char *id = field_str(r, "id"), *name = field_str(r, "name"), *uri, *pna;
	const cJSON *props = cJSON_GetObjectItem(r, "properties"), *acls;
	enum kv_err rc;

	if (id == NULL || name == NULL)
		return KV_OK; /* cannot be joined: skipped */
	memset(&v, 0, sizeof(v));
	v.id = dup_id(c, id);
	v.name = lower(c, name);
	v.kind = kind;
	v.location = dup_id(c, field_str(r, "location"));
	v.origin = c->origin;
	id_parts(c, id, &v.subscription, &v.resource_group);
	v.has_properties = cJSON_IsObject(props);
	if (v.has_properties) {
		uri = str_of(prop(r, kind == KV_KIND_HSM ? "hsmUri" : "vaultUri"));
		if (uri != NULL) {
			char host[256];
			const char *h = strstr(uri, "://");
			size_t hl;
			h = h ? h + 3 : uri;
			hl = strcspn(h, "/:");
			if (hl < sizeof(host)) {
				memcpy(host, h, hl);
				host[hl] = '\0';
				v.cloud_known = cloud_from_host(host, kind, &v.cloud);
			}
		}
		/* publicNetworkAccess is free-form: Enabled, enabled, Disabled,
		 * SecuredByPerimeter; absent means enabled (ARM's default). */
		pna = str_of(prop(r, "publicNetworkAccess"));
		v.public_access = pna == NULL ? KV_TRI_UNKNOWN : kv_streq_ci(pna, "Enabled") ? KV_TRI_YES
		    : (kv_streq_ci(pna, "Disabled") || kv_streq_ci(pna, "SecuredByPerimeter")) ? KV_TRI_NO : KV_TRI_YES;
		acls = prop(r, "networkAcls");
		v.acl_default_allow = cJSON_IsObject(acls) ? tri_of(field_str(acls, "defaultAction"), "Allow", "Deny")
							   : KV_TRI_UNKNOWN;
		if ((rc = read_conns(c, prop(r, "privateEndpointConnections"), &v.conns, &v.n_conns)) != KV_OK)
			return rc;
	}
	if (v.id == NULL || v.name == NULL)
		return KV_ENOMEM;
	c->n_resources++;
	return inv_add_vault(c->inv, &v);
}

/* A privateEndpointConnections child resource listed on its own. */
static enum kv_err
read_conn_resource(struct ctx *c, const cJSON *r, enum kv_kind kind)
{
	const char *id = field_str(r, "id");
	const char *vault_id = id ? parent(c, id, "privateEndpointConnections") : NULL;
	const cJSON *pe = prop(r, "privateEndpoint");
	struct inv_conn conn;
	enum kv_err rc;

	if (vault_id == NULL || !cJSON_IsObject(pe) || field_str(pe, "id") == NULL)
		return KV_OK;
	conn.pe_id = dup_id(c, field_str(pe, "id"));
	conn.name = field_str(r, "name") ? dup(c, field_str(r, "name")) : last_segment(c, id);
	conn.state = state_of(r);
	rc = inv_add_vault_conn(c->inv, vault_id, &conn);
	if (rc == KV_ENOTFOUND) {
		/* The vault itself is not (yet) known: a stub without properties,
		 * replaced if the full vault arrives. */
		struct inv_vault v;
		memset(&v, 0, sizeof(v));
		v.id = vault_id;
		v.name = strrchr(vault_id, '/') ? lower(c, strrchr(vault_id, '/') + 1) : NULL;
		v.kind = kind;
		v.origin = c->origin;
		id_parts(c, vault_id, &v.subscription, &v.resource_group);
		if ((rc = inv_add_vault(c->inv, &v)) == KV_OK)
			rc = inv_add_vault_conn(c->inv, vault_id, &conn);
	}
	c->n_resources++;
	return rc;
}

static enum kv_err
read_pe(struct ctx *c, const cJSON *r)
{
	struct inv_pe pe;
	const char *id = field_str(r, "id");
	const cJSON *sn = prop(r, "subnet"), *nics = prop(r, "networkInterfaces"), *dns = prop(r, "customDnsConfigs");
	const cJSON *ipc = prop(r, "ipConfigurations"), *el;
	const char *lists[2] = {"privateLinkServiceConnections", "manualPrivateLinkServiceConnections"};
	size_t cap, k;
	enum kv_err rc;

	if (id == NULL)
		return KV_OK;
	memset(&pe, 0, sizeof(pe));
	pe.id = dup_id(c, id);
	pe.name = dup(c, field_str(r, "name"));
	id_parts(c, id, &pe.subscription, &pe.resource_group);
	pe.subnet_id = cJSON_IsObject(sn) ? dup_id(c, field_str(sn, "id")) : NULL;
	if (cJSON_IsArray(nics) && (cap = (size_t)cJSON_GetArraySize(nics)) > 0) {
		pe.nic_ids = kv_arena_calloc(c->a, cap, sizeof(*pe.nic_ids));
		if (pe.nic_ids == NULL)
			return KV_ENOMEM;
		cJSON_ArrayForEach(el, nics) if (cJSON_IsObject(el) && field_str(el, "id") && pe.n_nics < cap)
			pe.nic_ids[pe.n_nics++] = dup_id(c, field_str(el, "id"));
	}
	if (cJSON_IsArray(dns) && (cap = (size_t)cJSON_GetArraySize(dns)) > 0) {
		pe.dns = kv_arena_calloc(c->a, cap, sizeof(*pe.dns));
		if (pe.dns == NULL)
			return KV_ENOMEM;
		cJSON_ArrayForEach(el, dns) {
			struct inv_dnscfg *d;
			if (!cJSON_IsObject(el) || pe.n_dns >= cap)
				continue;
			d = &pe.dns[pe.n_dns++];
			d->fqdn = dup_id(c, field_str(el, "fqdn")); /* the NIC names it too */
			if ((rc = addr_list(c, cJSON_GetObjectItem(el, "ipAddresses"), NULL, &d->addrs, &d->n_addrs)) != KV_OK)
				return rc;
		}
	}
	if (cJSON_IsArray(ipc) && (cap = (size_t)cJSON_GetArraySize(ipc)) > 0) {
		pe.static_addrs = kv_arena_calloc(c->a, cap, sizeof(*pe.static_addrs));
		if (pe.static_addrs == NULL)
			return KV_ENOMEM;
		cJSON_ArrayForEach(el, ipc) {
			const char *ip = cJSON_IsObject(el) ? str_of(prop(el, "privateIPAddress")) : NULL;
			if (ip != NULL && pe.n_static < cap && kv_addr_parse_loose(ip, &pe.static_addrs[pe.n_static]) == KV_OK)
				pe.n_static++;
		}
	}
	cap = 0;
	for (k = 0; k < 2; k++)
		cap += (size_t)cJSON_GetArraySize(prop(r, lists[k]));
	if (cap > 0) {
		pe.links = kv_arena_calloc(c->a, cap, sizeof(*pe.links));
		if (pe.links == NULL)
			return KV_ENOMEM;
		for (k = 0; k < 2; k++) {
			const cJSON *arr = prop(r, lists[k]);
			if (!cJSON_IsArray(arr))
				continue;
			cJSON_ArrayForEach(el, arr) {
				const char *target = cJSON_IsObject(el) ? str_of(prop(el, "privateLinkServiceId")) : NULL;
				if (target == NULL || pe.n_links >= cap)
					continue;
				pe.links[pe.n_links].target_id = dup_id(c, target);
				pe.links[pe.n_links].name = dup(c, field_str(el, "name"));
				pe.links[pe.n_links].state = state_of(el);
				pe.n_links++;
			}
		}
	}
	if (pe.id == NULL)
		return KV_ENOMEM;
	c->n_resources++;
	return inv_add_pe(c->inv, &pe);
}

static enum kv_err
read_nic(struct ctx *c, const cJSON *r)
{
	struct inv_nic nic;
	const char *id = field_str(r, "id");
	const cJSON *ipc = prop(r, "ipConfigurations"), *el;
	size_t cap;
	enum kv_err rc;

	if (id == NULL)
		return KV_OK;
	memset(&nic, 0, sizeof(nic));
	nic.id = dup_id(c, id);
	if ((rc = read_nic_path(c, r, id, &nic)) != KV_OK)
		return rc;
	if (cJSON_IsArray(ipc) && (cap = (size_t)cJSON_GetArraySize(ipc)) > 0) {
		nic.ips = kv_arena_calloc(c->a, cap, sizeof(*nic.ips));
		if (nic.ips == NULL)
			return KV_ENOMEM;
		cJSON_ArrayForEach(el, ipc) {
			const char *ip = cJSON_IsObject(el) ? str_of(prop(el, "privateIPAddress")) : NULL;
			const cJSON *plc = cJSON_IsObject(el) ? prop(el, "privateLinkConnectionProperties") : NULL;
			const cJSON *fq = cJSON_IsObject(plc) ? cJSON_GetObjectItem(plc, "fqdns") : NULL, *f;
			struct inv_nic_ip *x;
			if (ip == NULL || nic.n_ips >= cap)
				continue;
			x = &nic.ips[nic.n_ips];
			if (kv_addr_parse_loose(ip, &x->addr) != KV_OK)
				continue;
			if ((rc = ref_id(c, prop(el, "subnet"), id, "ipConfigurations[].subnet", false, &x->subnet_id)) != KV_OK)
				return rc;
			if (cJSON_IsArray(fq) && cJSON_GetArraySize(fq) > 0) {
				x->fqdns = kv_arena_calloc(c->a, (size_t)cJSON_GetArraySize(fq), sizeof(*x->fqdns));
				if (x->fqdns == NULL)
					return KV_ENOMEM;
				cJSON_ArrayForEach(f, fq) if (str_of(f) != NULL)
					x->fqdns[x->n_fqdns++] = dup_id(c, str_of(f));
			}
			nic.n_ips++;
		}
	}
	if (nic.id == NULL)
		return KV_ENOMEM;
	c->n_resources++;
	return inv_add_nic(c->inv, &nic);
}

static enum kv_err
read_zone(struct ctx *c, const cJSON *r)
{
	struct inv_zone z;
	const char *id = field_str(r, "id"), *name = field_str(r, "name");

	if (id == NULL || name == NULL)
		return KV_OK;
	memset(&z, 0, sizeof(z));
	z.id = dup_id(c, id);
	z.name = kept(c, name, name ? kv_arena_dnsname(c->a, name) : NULL);
	id_parts(c, id, &z.subscription, &z.resource_group);
	if (z.id == NULL || z.name == NULL)
		return KV_ENOMEM;
	c->n_resources++;
	return inv_add_zone(c->inv, &z);
}

static enum kv_err
read_record(struct ctx *c, const cJSON *r)
{
	struct inv_record rec;
	const char *id = field_str(r, "id"), *name = field_str(r, "name");
	const cJSON *ttl = prop(r, "ttl");
	enum kv_err rc;

	if (id == NULL || name == NULL)
		return KV_OK;
	memset(&rec, 0, sizeof(rec));
	rec.zone_id = parent(c, id, "A");
	rec.name = lower(c, name);
	if (rec.zone_id == NULL)
		return KV_OK;
	if (cJSON_IsNumber(ttl) && ttl->valuedouble >= 0 && ttl->valuedouble < 4294967296.0)
		rec.ttl = (uint32_t)ttl->valuedouble;
	if ((rc = addr_list(c, prop(r, "aRecords"), "ipv4Address", &rec.addrs, &rec.n_addrs)) != KV_OK)
		return rc;
	c->n_resources++;
	return inv_add_record(c->inv, &rec);
}

/* A private DNS zone's VNet link.  Strict (the DNS path reads its policy):
 * a link whose VNet, state or resolutionPolicy cannot be read is an error,
 * never a link dropped or a Default policy assumed. */
static enum kv_err
read_link(struct ctx *c, const cJSON *r)
{
	struct inv_link l;
	const char *id = field_str(r, "id"), *st, *pol;
	const cJSON *reg;
	enum kv_err rc;

	if (id == NULL)
		return KV_OK;
	memset(&l, 0, sizeof(l));
	l.id = dup_id(c, id);
	l.name = name_of(c, r, id);
	l.zone_id = parent(c, id, "virtualNetworkLinks");
	if (l.zone_id == NULL)
		return bad(c, id, "id", "is not a privateDnsZones/{zone}/virtualNetworkLinks/{name} ID");
	if ((rc = ref_id(c, prop(r, "virtualNetwork"), id, "virtualNetwork", true, &l.vnet_id)) != KV_OK)
		return rc;
	if ((rc = opt_str(c, prop(r, "virtualNetworkLinkState"), id, "virtualNetworkLinkState", &st)) != KV_OK)
		return rc;
	l.completed = st == NULL || kv_streq_ci(st, "Completed");
	/* absent before api-version 2024-06-01: Default */
	if ((rc = opt_str(c, prop(r, "resolutionPolicy"), id, "resolutionPolicy", &pol)) != KV_OK)
		return rc;
	if (pol != NULL && kv_streq_ci(pol, "NxDomainRedirect"))
		l.nxdomain_redirect = true;
	else if (pol != NULL && !kv_streq_ci(pol, "Default"))
		return bad(c, id, "resolutionPolicy", "is neither Default nor NxDomainRedirect");
	if ((rc = opt(c, prop(r, "registrationEnabled"), id, "registrationEnabled", cJSON_IsBool, "is not a boolean",
		 &reg)) != KV_OK)
		return rc;
	l.registration = reg != NULL && cJSON_IsTrue(reg);
	if (l.id == NULL || l.vnet_id == NULL || c->oom)
		return KV_ENOMEM;
	c->n_resources++;
	return inv_add_link(c->inv, &l);
}

static enum kv_err
read_resource(struct ctx *c, const cJSON *r)
{
	const char *type = cJSON_IsObject(r) ? field_str(r, "type") : NULL;

	if (type == NULL)
		return KV_OK;
	if (kv_streq_ci(type, "Microsoft.KeyVault/vaults"))
		return read_vault(c, r, KV_KIND_VAULT);
	if (kv_streq_ci(type, "Microsoft.KeyVault/managedHSMs"))
		return read_vault(c, r, KV_KIND_HSM);
	if (kv_streq_ci(type, "Microsoft.KeyVault/vaults/privateEndpointConnections"))
		return read_conn_resource(c, r, KV_KIND_VAULT);
	if (kv_streq_ci(type, "Microsoft.KeyVault/managedHSMs/privateEndpointConnections"))
		return read_conn_resource(c, r, KV_KIND_HSM);
	if (kv_streq_ci(type, "Microsoft.Network/privateEndpoints"))
		return read_pe(c, r);
	if (kv_streq_ci(type, "Microsoft.Network/networkInterfaces"))
		return read_nic(c, r);
	if (kv_streq_ci(type, "Microsoft.Network/privateDnsZones"))
		return read_zone(c, r);
	if (kv_streq_ci(type, "Microsoft.Network/privateDnsZones/A"))
		return read_record(c, r);
	if (kv_streq_ci(type, "Microsoft.Network/privateDnsZones/virtualNetworkLinks"))
		return read_link(c, r);
	if (kv_streq_ci(type, "Microsoft.Network/virtualNetworks"))
		return read_vnet(c, r);
	if (kv_streq_ci(type, "Microsoft.Compute/virtualMachines"))
		return read_vm(c, r);
	if (kv_streq_ci(type, "Microsoft.Network/dnsResolvers"))
		return read_resolver(c, r);
	if (kv_streq_ci(type, "Microsoft.Network/dnsResolvers/inboundEndpoints"))
		return read_inbound(c, r);
	if (kv_streq_ci(type, "Microsoft.Network/dnsForwardingRulesets"))
		return read_ruleset(c, r);
	if (kv_streq_ci(type, "Microsoft.Network/dnsForwardingRulesets/forwardingRules"))
		return read_rule(c, r);
	if (kv_streq_ci(type, "Microsoft.Network/dnsForwardingRulesets/virtualNetworkLinks"))
		return read_ruleset_link(c, r);
	/* Another type (a VNet list saved beside the vaults): not ours to
	 * read, and no reason to stop; counted so the caller can say so. */
	if (field_str(r, "id") != NULL) {
		char *t;
		/* Said in a log line and an error: one short, printable line. */
		if (c->skipped_type == NULL && (t = kv_arena_strndup(c->a, type, strnlen(type, 100))) != NULL) {
			for (char *p = t; *p != '\0'; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					*p = '?';
			c->skipped_type = t;
		}
		c->n_skipped++;
	}
	return KV_OK;
}

static enum kv_err
read_array(struct ctx *c, const cJSON *arr)
{
	const cJSON *el;
	enum kv_err rc = KV_OK;

	cJSON_ArrayForEach(el, arr) {
		if ((rc = read_resource(c, el)) != KV_OK)
			break;
	}
	return rc;
}

/* One parsed document: a list page, an array, or one resource. */
static enum kv_err
load_doc(struct ctx *c, const cJSON *root, const char **next_link, char *err, size_t size)
{
	const cJSON *value, *nl;
	enum kv_err rc = KV_OK;

	c->err = err; /* a reader's message about a malformed field */
	c->err_size = size;
	if (cJSON_IsArray(root)) {
		rc = read_array(c, root);
	} else if (cJSON_IsObject(root)) {
		value = cJSON_GetObjectItem(root, "value");
		if (value == NULL)
			value = cJSON_GetObjectItem(root, "data"); /* Resource Graph */
		if (cJSON_IsArray(value)) {
			rc = read_array(c, value);
			nl = cJSON_GetObjectItem(root, "nextLink");
			if (next_link != NULL && cJSON_IsString(nl) && nl->valuestring[0] != '\0')
				*next_link = dup(c, nl->valuestring);
		} else if (value != NULL) {
			snprintf(err, size, "\"value\" is not an array");
			rc = KV_EPARSE;
		} else if (cJSON_GetObjectItem(root, "type") != NULL) {
			rc = read_resource(c, root);
		} else {
			snprintf(err, size, "expected an ARM list ({\"value\": [...]}), an array of resources, or one resource");
			rc = KV_EPARSE;
		}
	} else {
		snprintf(err, size, "expected a JSON object or array");
		rc = KV_EPARSE;
	}
	if (rc == KV_OK && c->oom)
		rc = KV_ENOMEM;
	if (rc == KV_ENOMEM)
		snprintf(err, size, "out of memory");
	return rc;
}

enum kv_err
inv_json_load(struct kv_inv *inv, const char *text, size_t len, const char *origin, const char **next_link,
    size_t *n_resources, char *err, size_t size)
{
	struct ctx c = {inv, inv_arena(inv), origin, 0, 0, NULL, false, NULL, 0};
	cJSON *root = NULL;
	enum kv_err rc;

	if (next_link != NULL)
		*next_link = NULL;
	/* One page is one document: anything after it fails the page. */
	if ((rc = jr_parse(text, len, &root, err, size)) != KV_OK)
		return rc;
	rc = load_doc(&c, root, next_link, err, size);
	cJSON_Delete(root);
	if (n_resources != NULL)
		*n_resources = c.n_resources;
	return rc;
}

/* How a file is named in messages. */
static const char *
shown(const char *path)
{
	return strcmp(path, "-") == 0 ? "- (standard input)" : path;
}

enum kv_err
inv_json_load_text(struct kv_inv *inv, const char *text, size_t len, const char *origin, struct inv_json_stats *st,
    char *err, size_t size)
{
	struct ctx c = {inv, inv_arena(inv), origin, 0, 0, NULL, false, NULL, 0};
	struct jr r;
	char perr[400];
	size_t docs = 0;
	enum kv_err rc = KV_OK;

	/* Every document of the text: one, several one after another (`az ...
	 * show >> inv.json` twice), or one resource a line. */
	jr_init(&r, text, len);
	for (;;) {
		cJSON *root = NULL;
		if ((rc = jr_next(&r, &root, perr, sizeof(perr))) != KV_OK) {
			snprintf(err, size, "--inventory %s: %s", shown(origin), perr);
			return rc;
		}
		if (root == NULL)
			break;
		docs++;
		rc = load_doc(&c, root, NULL, perr, sizeof(perr));
		cJSON_Delete(root);
		if (rc != KV_OK) {
			snprintf(err, size, "--inventory %s: the document at byte %zu: %s", shown(origin), r.start, perr);
			return rc;
		}
	}
	if (docs == 0) {
		snprintf(err, size, "--inventory %s: %s", shown(origin),
		    len == 0 ? "empty, no JSON document" : "no JSON document, only whitespace");
		return KV_EPARSE;
	}
	if (c.n_resources == 0 && c.n_skipped == 0) {
		snprintf(err, size, "--inventory %s: no ARM resource in it (expected resources with \"id\" and \"type\", "
		    "as az ... -o json or az rest print them)", shown(origin));
		return KV_EPARSE;
	}
	if (st != NULL) {
		st->documents = docs;
		st->resources = c.n_resources;
		st->skipped = c.n_skipped;
		st->skipped_type = c.skipped_type;
	}
	return KV_OK;
}

enum kv_err
inv_json_read(const char *path, char **text, size_t *len, char *err, size_t size)
{
	char rerr[160];
	enum kv_err rc;

	rc = kv_read_file(strcmp(path, "-") == 0 ? NULL : path, INV_FILE_MAX, text, len, rerr, sizeof(rerr));
	if (rc != KV_OK)
		snprintf(err, size, "--inventory %s: %s", shown(path), rc == KV_ENOMEM ? "out of memory" : rerr);
	return rc;
}

enum kv_err
inv_json_load_file(struct kv_inv *inv, const char *path, struct inv_json_stats *st, char *err, size_t size)
{
	char *text = NULL;
	size_t len = 0;
	enum kv_err rc;

	if ((rc = inv_json_read(path, &text, &len, err, size)) != KV_OK)
		return rc;
	rc = inv_json_load_text(inv, text, len, kv_arena_strdup(inv_arena(inv), path), st, err, size);
	free(text);
	return rc;
}
