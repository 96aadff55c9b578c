/* cloud.c — see cloud.h. */
#include "kvpe/cloud.h"

#include <string.h>
#include <strings.h>

static const struct kv_cloud clouds[] = {
#define KV_CLOUD_ROW(id, name, vs, vz, hs, hz, arm, auth) {id, name, vs, vz, hs, hz, arm, auth},
	KV_CLOUD_LIST(KV_CLOUD_ROW)
#undef KV_CLOUD_ROW
};

const struct kv_cloud *
cloud_get(enum kv_cloud_id id)
{
	return &clouds[id < KV_CLOUD_COUNT ? id : KV_CLOUD_PUBLIC];
}

enum kv_err
cloud_parse(const char *name, enum kv_cloud_id *out)
{
	for (size_t i = 0; i < KV_ARRAY_LEN(clouds); i++) {
		if (kv_streq_ci(name, clouds[i].name)) {
			*out = clouds[i].id;
			return KV_OK;
		}
	}
	/* The short aliases az and the SDKs accept. */
	if (kv_streq_ci(name, "public") || kv_streq_ci(name, "AzurePublicCloud")) {
		*out = KV_CLOUD_PUBLIC;
		return KV_OK;
	}
	if (kv_streq_ci(name, "china")) {
		*out = KV_CLOUD_CHINA;
		return KV_OK;
	}
	if (kv_streq_ci(name, "usgov") || kv_streq_ci(name, "AzureUSGovernmentCloud")) {
		*out = KV_CLOUD_USGOV;
		return KV_OK;
	}
	return KV_EUSAGE;
}

const char *
cloud_suffix(enum kv_cloud_id id, enum kv_kind kind)
{
	const struct kv_cloud *c = cloud_get(id);

	return kind == KV_KIND_HSM ? c->hsm_suffix : c->vault_suffix;
}

const char *
cloud_pl_zone(enum kv_cloud_id id, enum kv_kind kind)
{
	const struct kv_cloud *c = cloud_get(id);

	return kind == KV_KIND_HSM ? c->hsm_pl_zone : c->vault_pl_zone;
}

const char *
cloud_kind_name(enum kv_kind kind)
{
	return kind == KV_KIND_HSM ? "managedhsm" : "vault";
}

static bool
split_suffix(const char *fqdn, size_t n, const char *suffix, char *label, size_t label_size)
{
	size_t ls = strlen(suffix);
	size_t lab;

	/* "<label>.<suffix>" with exactly one label in front. */
	if (n < ls + 2 || fqdn[n - ls - 1] != '.')
		return false;
	if (strncasecmp(fqdn + n - ls, suffix, ls) != 0)
		return false;
	lab = n - ls - 1;
	if (lab == 0 || lab >= label_size || memchr(fqdn, '.', lab) != NULL)
		return false;
	memcpy(label, fqdn, lab);
	label[lab] = '\0';
	kv_lower_inplace(label);
	return true;
}

bool
cloud_match_fqdn(const char *fqdn, char *label, size_t label_size, enum kv_kind *kind,
    enum kv_cloud_id *cloud, bool *is_privatelink)
{
	size_t n = strlen(fqdn);

	if (n > 0 && fqdn[n - 1] == '.')
		n--;
	for (size_t i = 0; i < KV_ARRAY_LEN(clouds); i++) {
		for (int k = 0; k < 2; k++) {
			enum kv_kind kd = k ? KV_KIND_HSM : KV_KIND_VAULT;
			for (int pl = 0; pl < 2; pl++) {
				const char *sfx = pl ? cloud_pl_zone(clouds[i].id, kd) : cloud_suffix(clouds[i].id, kd);
				if (split_suffix(fqdn, n, sfx, label, label_size)) {
					*kind = kd;
					*cloud = clouds[i].id;
					if (is_privatelink != NULL)
						*is_privatelink = pl != 0;
					return true;
				}
			}
		}
	}
	return false;
}

bool
cloud_valid_name(const char *name, enum kv_kind kind)
{
	size_t n = strlen(name);

	KV_UNUSED(kind); /* Key Vault and Managed HSM share the 3-24 rule */
	if (n < 3 || n > 24)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
		if (!ok)
			return false;
	}
	return name[0] != '-' && name[n - 1] != '-';
}

bool
cloud_from_host(const char *host, enum kv_kind kind, enum kv_cloud_id *out)
{
	size_t hl = strlen(host);

	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	for (size_t i = 0; i < KV_ARRAY_LEN(clouds); i++) {
		const char *sfx = cloud_suffix(clouds[i].id, kind);
		size_t sl = strlen(sfx);
		if (hl > sl && host[hl - sl - 1] == '.' && strncasecmp(host + hl - sl, sfx, sl) == 0) {
			*out = clouds[i].id;
			return true;
		}
	}
	return false;
}
