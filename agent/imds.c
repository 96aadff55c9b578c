/* imds.c — see imds.h. */
#include "kvpe/imds.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "kvpe/arena.h"
#include "kvpe/http.h"
#include "kvpe/jsonr.h"

#define IMDS_BODY_MAX (256u * 1024) /* the full document is a few KB */
#define IMDS_MAX_ADDRS 256          /* NICs x IP configurations of one VM: Azure allows far fewer */

static const cJSON *
obj(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;

	return v;
}

/* network.interface[].ipv4.ipAddress[].privateIpAddress.  IMDS gives every
 * primitive as a string and "" for what does not apply. */
static enum kv_err
read_addrs(const cJSON *root, struct kv_arena *a, struct imds_instance *out, char *err, size_t size)
{
	const cJSON *ifs = obj(obj(root, "network"), "interface"), *nic, *ip;
	size_t k = 0, i = 0;

	if (ifs == NULL || cJSON_IsNull(ifs))
		return KV_OK;
	if (!cJSON_IsArray(ifs)) {
		snprintf(err, size, "network.interface is not an array");
		return KV_EPARSE;
	}
	if ((out->addrs = kv_arena_calloc(a, IMDS_MAX_ADDRS, sizeof(*out->addrs))) == NULL)
		return KV_ENOMEM;
	cJSON_ArrayForEach(nic, ifs) {
		const cJSON *ips = obj(obj(nic, "ipv4"), "ipAddress");
		if (ips != NULL && !cJSON_IsArray(ips)) {
			snprintf(err, size, "network.interface[%zu].ipv4.ipAddress is not an array", i);
			return KV_EPARSE;
		}
		cJSON_ArrayForEach(ip, ips) {
			const char *v = cJSON_GetStringValue(obj(ip, "privateIpAddress"));
			if (v == NULL) {
				snprintf(err, size, "network.interface[%zu].ipv4.ipAddress[].privateIpAddress is not a string", i);
				return KV_EPARSE;
			}
			if (v[0] == '\0')
				continue;
			if (k >= IMDS_MAX_ADDRS) {
				snprintf(err, size, "more than %d private addresses", IMDS_MAX_ADDRS);
				return KV_EPARSE;
			}
			if (kv_addr_parse(v, &out->addrs[k]) != KV_OK || out->addrs[k].family != 4) {
				snprintf(err, size, "network.interface[%zu]: a privateIpAddress is not an IPv4 address", i);
				return KV_EPARSE;
			}
			k++;
		}
		i++;
	}
	out->n_addrs = k;
	return KV_OK;
}

enum kv_err
imds_parse(const char *body, size_t len, struct kv_arena *a, struct imds_instance *out, char *err, size_t size)
{
	struct imds_instance x;
	cJSON *root = NULL;
	const cJSON *compute;
	const char *rid, *sub, *name;
	enum kv_err rc;

	memset(&x, 0, sizeof(x));
	if ((rc = jr_parse(body, len, &root, err, size)) != KV_OK)
		return rc;
	compute = obj(root, "compute");
	/* NULL when absent or not a string */
	rid = cJSON_GetStringValue(obj(compute, "resourceId"));
	sub = cJSON_GetStringValue(obj(compute, "subscriptionId"));
	name = cJSON_GetStringValue(obj(compute, "name"));
	if (!cJSON_IsObject(compute)) {
		snprintf(err, size, "no \"compute\" object: not an instance document");
		rc = KV_EPARSE;
	} else if (rid == NULL || strncmp(rid, "/subscriptions/", 15) != 0) {
		snprintf(err, size, "compute.resourceId is missing or not an ARM ID");
		rc = KV_EPARSE;
	} else if (sub == NULL || sub[0] == '\0') {
		snprintf(err, size, "compute.subscriptionId is missing");
		rc = KV_EPARSE;
	} else if (name == NULL && obj(compute, "name") != NULL) {
		snprintf(err, size, "compute.name is not a string");
		rc = KV_EPARSE;
	} else {
		x.vm_id = kv_arena_strdup(a, rid);
		x.subscription = kv_arena_strdup(a, sub);
		x.name = name != NULL && name[0] != '\0' ? kv_arena_strdup(a, name) : NULL;
		if (x.vm_id == NULL || x.subscription == NULL || (name != NULL && name[0] != '\0' && x.name == NULL))
			rc = KV_ENOMEM;
		else
			rc = read_addrs(root, a, &x, err, size);
	}
	cJSON_Delete(root);
	if (rc == KV_OK)
		*out = x;
	return rc;
}

enum kv_err
imds_instance_get(struct http_client *http, const char *host, struct kv_arena *a, struct imds_instance *out,
    char *err, size_t size)
{
	struct http_req req;
	struct http_resp resp;
	char url[1024], perr[200];
	size_t hl = strlen(host);
	enum kv_err rc;

	while (hl > 0 && host[hl - 1] == '/')
		hl--; /* with or without a trailing slash, as the credential reads it */
	if (hl > 512) {
		snprintf(err, size, "AZURE_POD_IDENTITY_AUTHORITY_HOST is too long");
		return KV_EPARSE;
	}
	snprintf(url, sizeof(url), "%.*s/metadata/instance?api-version=%s", (int)hl, host, IMDS_API_VERSION);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.headers[0] = "Metadata: true";
	req.headers[1] = "Accept: application/json";
	req.max_body = IMDS_BODY_MAX;
	req.allow_http = true;
	req.no_proxy = true; /* IMDS behind a proxy is unsupported (and would be another host's) */
	req.timeout_ms = IMDS_TIMEOUT_MS;
	req.connect_timeout_ms = IMDS_CONNECT_TIMEOUT_MS;
	http_resp_init(&resp, IMDS_BODY_MAX);
	rc = http_do(http, &req, &resp);
	if (rc == KV_EUSAGE) {
		snprintf(err, size, "AZURE_POD_IDENTITY_AUTHORITY_HOST is not an http:// or https:// URL");
		rc = KV_EPARSE;
	} else if (rc == KV_OK && resp.err != KV_OK && resp.status == 0) {
		char clean[200];
		kv_sanitize(clean, sizeof(clean), resp.error);
		snprintf(err, size, "no answer: %s", clean[0] ? clean : kv_strerror(resp.err));
		rc = KV_ENOTFOUND;
	} else if (rc == KV_OK && resp.err != KV_OK) {
		snprintf(err, size, "HTTP %ld, then %s", resp.status, kv_strerror(resp.err));
		rc = KV_EPARSE;
	} else if (rc == KV_OK && resp.status != 200) {
		snprintf(err, size, "HTTP %ld instead of an instance document", resp.status);
		rc = KV_EPARSE;
	} else if (rc == KV_OK) {
		rc = imds_parse(resp.body.data ? resp.body.data : "", resp.body.len, a, out, perr, sizeof(perr));
		if (rc == KV_EPARSE)
			snprintf(err, size, "not an instance document: %s", perr);
	} else if (rc != KV_ECANCELED && rc != KV_ENOMEM) {
		snprintf(err, size, "%s", kv_strerror(rc));
		rc = KV_ENOTFOUND;
	}
	http_resp_free(&resp);
	return rc;
}
