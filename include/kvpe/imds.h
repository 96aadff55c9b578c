/* imds.h — where kvpe runs, from the Azure instance metadata service
 * (spec "DNS path": IMDS answering is what "runs in Azure" means).
 *
 *   GET {cred_imds_host()}/metadata/instance?api-version=2021-02-01
 *   Metadata: true
 *
 * over plain HTTP, never through a proxy, with a short budget (connect 1 s,
 * whole request 2 s): off Azure nothing answers and the run must not wait. */
#ifndef KVPE_IMDS_H
#define KVPE_IMDS_H

#include <stddef.h>

#include "kvpe/addr.h"
#include "kvpe/common.h"

#define IMDS_API_VERSION "2021-02-01"
#define IMDS_CONNECT_TIMEOUT_MS 1000L
#define IMDS_TIMEOUT_MS 2000L

struct http_client;
struct kv_arena;

struct imds_instance {
	const char *vm_id;        /* compute.resourceId: the VM's ARM ID */
	const char *subscription; /* compute.subscriptionId */
	const char *name;         /* compute.name, or NULL */
	struct kv_addr *addrs;    /* every NIC's private IPv4 addresses, in IMDS's order */
	size_t n_addrs;
};

/* Asks IMDS at `host` (a base URL, e.g. cred_imds_host()); strings and
 * addresses go into `a`.
 *   KV_OK        it answered with an instance document: *out filled;
 *   KV_ENOTFOUND nothing answered (no route, refused, timed out): not in
 *                Azure, the normal case off Azure;
 *   KV_EPARSE    something answered, but not an instance document (an
 *                error status, HTML from a proxy, JSON without
 *                compute.resourceId): not in Azure either, worth a warning;
 *   KV_ENOMEM, KV_ECANCELED.
 * `err` says what happened in the last three cases (never the body). */
enum kv_err imds_instance_get(struct http_client *http, const char *host, struct kv_arena *a,
    struct imds_instance *out, char *err, size_t size);

/* The answer's body read into *out (exposed for the unit tests). */
enum kv_err imds_parse(const char *body, size_t len, struct kv_arena *a, struct imds_instance *out, char *err,
    size_t size);

#endif
