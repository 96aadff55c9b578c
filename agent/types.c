/* types.c — names of the enums in types.h, as the report prints them, and
 * the target helpers. */
#include "kvpe/types.h"

#include <stdio.h>
#include <string.h>

#include "kvpe/arena.h"

enum kv_err
kv_target_names(struct kv_arena *a, struct kv_target *t)
{
	t->pl_zone = cloud_pl_zone(t->cloud, t->kind);
	t->fqdn = kv_arena_printf(a, "%s.%s", t->name, cloud_suffix(t->cloud, t->kind));
	t->pl_fqdn = kv_arena_printf(a, "%s.%s", t->name, t->pl_zone);
	return (t->fqdn && t->pl_fqdn) ? KV_OK : KV_ENOMEM;
}

bool
kv_target_approved(const struct kv_target *t)
{
	for (size_t i = 0; i < t->n_endpoints; i++)
		if (t->endpoints[i].state == KV_PE_APPROVED)
			return true;
	return false;
}

const char *
kv_rcode_name(enum kv_rcode rc)
{
	switch (rc) {
	case KV_RC_NONE:
		return "";
	case KV_RC_NOERROR:
		return "NOERROR";
	case KV_RC_NODATA:
		return "NODATA";
	case KV_RC_NXDOMAIN:
		return "NXDOMAIN";
	case KV_RC_SERVFAIL:
		return "SERVFAIL";
	case KV_RC_REFUSED:
		return "REFUSED";
	case KV_RC_TIMEOUT:
		return "TIMEOUT";
	case KV_RC_ERROR:
		return "ERROR";
	}
	return "ERROR";
}

const char *
kv_wire_rcode_name(int rcode)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	    "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"};

	return rcode >= 0 && (size_t)rcode < KV_ARRAY_LEN(names) ? names[rcode] : NULL;
}

const char *
kv_lookup_rcode_fmt(const struct kv_dns_lookup *lk, char *buf, size_t size)
{
	const char *name = kv_wire_rcode_name(lk->wire_rcode);

	if (lk->rcode != KV_RC_SERVFAIL || lk->wire_rcode <= 0 || lk->wire_rcode == 2 /* SERVFAIL */)
		return kv_rcode_name(lk->rcode);
	snprintf(buf, size, "rcode %d %s", lk->wire_rcode, name != NULL ? name : "(unassigned)");
	return buf;
}

const char *
kv_lookup_rcode_text(struct kv_arena *a, const struct kv_dns_lookup *lk)
{
	char buf[48];
	const char *s = kv_lookup_rcode_fmt(lk, buf, sizeof(buf)), *text;

	if (s != buf)
		return s;
	text = kv_arena_strdup(a, buf);
	return text != NULL ? text : kv_rcode_name(lk->rcode);
}

const char *
kv_status_name(enum kv_status st)
{
	switch (st) {
	case KV_ST_PASS:
		return "pass";
	case KV_ST_FAIL:
		return "fail";
	case KV_ST_ERROR:
		return "error";
	}
	return "error";
}

const char *
kv_pe_state_name(enum kv_pe_state st)
{
	switch (st) {
	case KV_PE_UNKNOWN:
		return "Unknown";
	case KV_PE_APPROVED:
		return "Approved";
	case KV_PE_PENDING:
		return "Pending";
	case KV_PE_REJECTED:
		return "Rejected";
	case KV_PE_DISCONNECTED:
		return "Disconnected";
	}
	return "Unknown";
}

const char *
kv_probe_level_name(enum kv_probe_level lv)
{
	switch (lv) {
	case KV_PROBE_OFF:
		return "off";
	case KV_PROBE_TCP:
		return "tcp";
	case KV_PROBE_TLS:
		return "tls";
	case KV_PROBE_HTTPS:
		return "https";
	}
	return "off";
}

const char *
kv_probe_result_name(enum kv_probe_result r)
{
	switch (r) {
	case KV_PR_NOT_RUN:
		return "not_run";
	case KV_PR_CONNECTED:
		return "connected";
	case KV_PR_VAULT:
		return "vault";
	case KV_PR_FORBIDDEN:
		return "forbidden";
	case KV_PR_NOT_VAULT:
		return "not_key_vault";
	case KV_PR_TCP_FAILED:
		return "tcp_failed";
	case KV_PR_TLS_FAILED:
		return "tls_failed";
	case KV_PR_HTTP_FAILED:
		return "http_failed";
	}
	return "not_run";
}

int
kv_target_cmp(const struct kv_target *a, const struct kv_target *b)
{
	int c = strcmp(a->name, b->name);

	if (c != 0)
		return c;
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	return (int)a->cloud - (int)b->cloud;
}

const char *
kv_path_kind_text(enum kv_path_kind k)
{
	switch (k) {
	case KV_PK_AZURE:
		return "Azure DNS";
	case KV_PK_INBOUND:
		return "inbound endpoint";
	case KV_PK_VM:
		return "DNS VM";
	case KV_PK_OPAQUE:
		break;
	}
	return "custom DNS server";
}

const char *
kv_vantage_role_name(enum kv_vantage_role role)
{
	switch (role) {
	case KV_VR_SYSTEM:
		return "system";
	case KV_VR_CUSTOM:
		return "custom";
	case KV_VR_INBOUND:
		return "inbound";
	case KV_VR_AZURE:
		return "azure";
	case KV_VR_GIVEN:
		return "given";
	}
	return "system";
}

enum kv_severity
kv_finding_severity(const struct kv_finding *f)
{
	return f->has_severity ? f->severity : finding_severity(f->code);
}
