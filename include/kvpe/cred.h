/* cred.h — the Azure credential chain, in the Azure SDKs' order:
 *   1. environment: AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET
 *      or AZURE_CLIENT_CERTIFICATE_PATH (JWT client assertion, cred_jwt.h);
 *   2. workload identity: AZURE_FEDERATED_TOKEN_FILE (+ client and tenant id),
 *      the file re-read at every exchange;
 *   3. managed identity: IDENTITY_ENDPOINT/IDENTITY_HEADER (App Service),
 *      MSI_ENDPOINT/MSI_SECRET (legacy), else IMDS (AZURE_CLIENT_ID selects a
 *      user-assigned identity; AZURE_POD_IDENTITY_AUTHORITY_HOST overrides
 *      the IMDS address);
 *   4. Azure CLI: `az account get-access-token`, run without a shell.
 * Tokens are cached and refreshed before they expire.  No secret, assertion
 * or token ever reaches a log line, an error message or a report. */
#ifndef KVPE_CRED_H
#define KVPE_CRED_H

#include <stddef.h>

#include "kvpe/cloud.h"
#include "kvpe/common.h"
#include "kvpe/http.h"

struct cred_cfg {
	enum kv_cloud_id cloud;
	struct http_client *http; /* shared; cred uses its synchronous handle */
	const char *resource;     /* e.g. "https://management.azure.com/" */
	long timeout_ms;
	const volatile int *cancel; /* stops a hanging `az` (agent shutdown) */
};

struct cred;

/* Snapshots the credential environment.  KV_EUSAGE, with `err` naming the
 * variable, when one of them cannot be used (AZURE_AUTHORITY_HOST not an
 * https:// URL). */
enum kv_err cred_new(const struct cred_cfg *cfg, struct cred **out, char *err, size_t size);
void cred_free(struct cred *c);

/* A bearer token valid for at least a few more minutes.  The pointer stays
 * valid until the next call.  On failure `err` says why, secret-free. */
enum kv_err cred_token(struct cred *c, const char **token, char *err, size_t size);

/* The instance metadata service's base URL: AZURE_POD_IDENTITY_AUTHORITY_HOST,
 * else http://169.254.169.254 (the managed identity and imds.c share it). */
const char *cred_imds_host(void);

/* Which credential answered ("environment (client secret)", "Azure CLI", ...),
 * or "none" before the first token. */
const char *cred_source(const struct cred *c);
unsigned long cred_requests(const struct cred *c);

/* Reads a token endpoint's JSON answer (Entra, App Service, IMDS or the Azure
 * CLI shapes): access token and absolute expiry (epoch seconds).  Exposed
 * for tests and the fuzzer; `err` never contains the token. */
enum kv_err cred_parse_token(const char *body, size_t len, int64_t now_s, char **token, int64_t *expires_s,
    char *err, size_t size);

#endif
