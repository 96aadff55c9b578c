/* cloud.h — the Azure clouds kvpe knows: DNS suffixes of vaults and Managed
 * HSMs and their private link zones, the ARM endpoint and the Entra authority.
 * One table (KV_CLOUD_LIST) feeds parsing, name building and the docs. */
#ifndef KVPE_CLOUD_H
#define KVPE_CLOUD_H

#include <stdbool.h>
#include <stddef.h>

#include "kvpe/common.h"

enum kv_kind { KV_KIND_VAULT, KV_KIND_HSM };

/* id, --cloud name, vault suffix, vault private link zone, HSM suffix, HSM
 * private link zone, ARM endpoint, authority host.  Suffixes from Azure's
 * "private endpoint DNS zone values" document. */
#define KV_CLOUD_LIST(X)                                                                        \
	X(KV_CLOUD_PUBLIC, "AzureCloud", "vault.azure.net", "privatelink.vaultcore.azure.net",     \
	    "managedhsm.azure.net", "privatelink.managedhsm.azure.net",                          \
	    "https://management.azure.com/", "https://login.microsoftonline.com/")               \
	X(KV_CLOUD_CHINA, "AzureChinaCloud", "vault.azure.cn", "privatelink.vaultcore.azure.cn",    \
	    "managedhsm.azure.cn", "privatelink.managedhsm.azure.cn",                            \
	    "https://management.chinacloudapi.cn/", "https://login.chinacloudapi.cn/")           \
	X(KV_CLOUD_USGOV, "AzureUSGovernment", "vault.usgovcloudapi.net",                           \
	    "privatelink.vaultcore.usgovcloudapi.net", "managedhsm.usgovcloudapi.net",            \
	    "privatelink.managedhsm.usgovcloudapi.net", "https://management.usgovcloudapi.net/",  \
	    "https://login.microsoftonline.us/")

enum kv_cloud_id {
#define KV_CLOUD_ENUM(id, ...) id,
	KV_CLOUD_LIST(KV_CLOUD_ENUM)
#undef KV_CLOUD_ENUM
	KV_CLOUD_COUNT
};

struct kv_cloud {
	enum kv_cloud_id id;
	const char *name;
	const char *vault_suffix, *vault_pl_zone;
	const char *hsm_suffix, *hsm_pl_zone;
	const char *arm_endpoint, *authority_host;
};

const struct kv_cloud *cloud_get(enum kv_cloud_id id);
enum kv_err cloud_parse(const char *name, enum kv_cloud_id *out);

const char *cloud_suffix(enum kv_cloud_id id, enum kv_kind kind);
const char *cloud_pl_zone(enum kv_cloud_id id, enum kv_kind kind);
const char *cloud_kind_name(enum kv_kind kind);

/* Splits a full name ("contoso.vault.azure.cn.", "h.managedhsm.azure.net",
 * "contoso.privatelink.vaultcore.azure.net") into its short name, kind and
 * cloud.  Returns false when the name is not a vault or HSM name; `label`
 * (at least 64 bytes) receives the lower-cased short name. */
bool cloud_match_fqdn(const char *fqdn, char *label, size_t label_size, enum kv_kind *kind,
    enum kv_cloud_id *cloud, bool *is_privatelink);

/* The cloud whose vault (or HSM) suffix ends `host` (any number of labels
 * in front: hsmUri has appeared as https://<region>.<name>.managedhsm...). */
bool cloud_from_host(const char *host, enum kv_kind kind, enum kv_cloud_id *out);

/* A vault or Managed HSM short name: 3-24 chars of [a-zA-Z0-9-], not
 * starting or ending with a hyphen. */
bool cloud_valid_name(const char *name, enum kv_kind kind);

#endif
