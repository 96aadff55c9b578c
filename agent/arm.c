/* arm.c — see arm.h. */
#include "kvpe/arm.h"

#include <cjson/cJSON.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvpe/jsonr.h"
#include "kvpe/log.h"

#define ARM_BODY_MAX (32u * 1024 * 1024) /* one page; ARM pages are a few MB at most */
#define ARM_MAX_ATTEMPTS 4               /* 5xx and network errors */
#define ARM_MAX_THROTTLED 6              /* 429s for one request */
#define ARM_MAX_PAGES 20000              /* per collection: a nextLink loop stops here */
#define ARM_BACKOFF_MAX_MS 30000

/* AK_ZONES, AK_RESOLVERS and AK_RULESETS are lists whose last page starts
 * the lists of their children (AK_CHILD). */
enum arm_kind { AK_SUBS, AK_LIST, AK_ZONES, AK_RESOLVERS, AK_RULESETS, AK_CHILD, AK_GET };

struct arm_sub {
	char *id;
	char *error; /* first failure, in the error arena */
};

struct arm_run;

struct arm_req {
	struct arm_req *next;
	struct arm_run *run;
	enum arm_kind kind;
	char *url;
	const char *what; /* "vaults", "private endpoints", ... for messages */
	size_t sub;       /* index into run->subs, SIZE_MAX for none */
	unsigned attempts, throttled, pages;
	int64_t not_before;
};

struct arm_run {
	const struct arm_cfg *cfg;
	struct kv_inv *inv;
	struct kv_arena *ea; /* errors */
	char base[512];      /* "https://host[:port]", no trailing slash */
	char correlation[40];
	struct arm_req *queue;
	size_t inflight;
	struct arm_sub *subs;
	size_t n_subs, cap_subs;
	bool subs_listed; /* the subscription list was asked for */
	bool subs_failed;
	bool closing; /* tearing down: aborted transfers are not retried */
	struct kv_run_error *errs;
	size_t n_errs, cap_errs;
	struct arm_stats st;
	enum kv_err fatal;
	char fatal_msg[512];
	uint64_t rng;
};

/* Exponential backoff after `n` tries, capped, with jitter (50%..150%). */
static int64_t
backoff_ms(struct arm_run *r, unsigned n)
{
	int64_t delay = (int64_t)r->cfg->backoff_base_ms << (n < 16 ? n : 16);
	unsigned pct = (unsigned)(kv_xorshift64(&r->rng) % 101); /* 0..100 */

	if (delay > ARM_BACKOFF_MAX_MS)
		delay = ARM_BACKOFF_MAX_MS;
	return delay / 2 + delay * pct / 100;
}

/* An error that cannot be recorded must not vanish: the run fails instead. */
static void
add_error(struct arm_run *r, const char *scope, const char *msg)
{
	struct kv_run_error *e;

	if (kv_grow((void **)&r->errs, &r->cap_errs, sizeof(*r->errs), r->n_errs + 1) != KV_OK) {
		r->fatal = KV_ENOMEM;
		return;
	}
	e = &r->errs[r->n_errs];
	if (kv_arena_strdup_to(r->ea, scope, &e->scope) != KV_OK || kv_arena_strdup_to(r->ea, msg, &e->message) != KV_OK) {
		r->fatal = KV_ENOMEM;
		return;
	}
	r->n_errs++;
	kv_log_warn("ARM request failed", "scope=%s", scope);
}

static void
fail_req(struct arm_run *r, struct arm_req *q, const char *msg)
{
	char scope[300];

	r->st.failures++;
	if (q->kind == AK_SUBS) {
		r->fatal = KV_ENET;
		snprintf(r->fatal_msg, sizeof(r->fatal_msg), "cannot list subscriptions: %s", msg);
		r->subs_failed = true;
		return;
	}
	if (q->sub != SIZE_MAX) {
		struct arm_sub *s = &r->subs[q->sub];
		char *full = kv_arena_printf(r->ea, "%s: %s", q->what, msg);
		snprintf(scope, sizeof(scope), "subscription/%s", s->id);
		if (full == NULL) {
			r->fatal = KV_ENOMEM; /* the subscription could not be marked failed */
			return;
		}
		if (s->error == NULL)
			s->error = full;
		add_error(r, scope, full);
		return;
	}
	snprintf(scope, sizeof(scope), "%s", q->what);
	add_error(r, scope, msg);
}

static struct arm_req *
req_new(struct arm_run *r, enum arm_kind kind, const char *url, const char *what, size_t sub)
{
	struct arm_req *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->url = strdup(url);
	if (q->url == NULL) {
		free(q);
		return NULL;
	}
	q->run = r;
	q->kind = kind;
	q->what = what;
	q->sub = sub;
	return q;
}

static void
req_free(struct arm_req *q)
{
	if (q == NULL)
		return;
	free(q->url);
	free(q);
}

static void
enqueue(struct arm_run *r, struct arm_req *q)
{
	q->next = r->queue;
	r->queue = q;
}

static enum kv_err
enqueue_url(struct arm_run *r, enum arm_kind kind, const char *url, const char *what, size_t sub)
{
	struct arm_req *q = req_new(r, kind, url, what, sub);

	if (q == NULL)
		return KV_ENOMEM;
	enqueue(r, q);
	return KV_OK;
}

static enum kv_err
enqueue_path(struct arm_run *r, enum arm_kind kind, const char *path, const char *api, const char *what, size_t sub)
{
	char url[2048];

	if ((size_t)snprintf(url, sizeof(url), "%s%s%sapi-version=%s", r->base, path, strchr(path, '?') ? "&" : "?", api) >=
	    sizeof(url))
		return KV_ELIMIT;
	return enqueue_url(r, kind, url, what, sub);
}

/* The per-subscription list calls: requests grow with pages, not vaults.
 * All of them start at once and share the max_inflight window.
 *
 * Requests of a full read (no retries):
 *   P(/subscriptions)                       (without --subscription)
 *   + sum over subscriptions s of
 *       sum over the 9 types T of P(s, T)   vaults, managedHSMs,
 *                                           privateEndpoints, networkInterfaces,
 *                                           privateDnsZones, virtualNetworks,
 *                                           virtualMachines, dnsResolvers,
 *                                           dnsForwardingRulesets
 *     + sum over s's private link zones z of P(z/A) + P(z/virtualNetworkLinks)
 *     + sum over s's resolvers r of P(r/inboundEndpoints)
 *     + sum over s's rulesets q of P(q/forwardingRules) + P(q/virtualNetworkLinks)
 *   + one GET per endpoint (then NIC) that vaults reference outside the
 *     subscriptions read,
 * where P(x) = max(1, ceil(items / page size)).  With nothing paged:
 * 9 + 2 Z + R + 2 Q per subscription.  Never a request per vault; the
 * DNS path added 4 lists per subscription plus R + 2 Q. */
static enum kv_err
start_subscription(struct arm_run *r, size_t s)
{
	static const struct {
		const char *type, *api, *what;
		enum arm_kind kind;
	} lists[] = {
	    {"Microsoft.KeyVault/vaults", ARM_API_KEYVAULT, "vaults", AK_LIST},
	    {"Microsoft.KeyVault/managedHSMs", ARM_API_KEYVAULT, "managed HSMs", AK_LIST},
	    {"Microsoft.Network/privateEndpoints", ARM_API_NETWORK, "private endpoints", AK_LIST},
	    {"Microsoft.Network/networkInterfaces", ARM_API_NETWORK, "network interfaces", AK_LIST},
	    {"Microsoft.Network/privateDnsZones", ARM_API_PRIVATEDNS, "private DNS zones", AK_ZONES},
	    /* the DNS path (spec "DNS path") */
	    {"Microsoft.Network/virtualNetworks", ARM_API_NETWORK, "virtual networks", AK_LIST},
	    {"Microsoft.Compute/virtualMachines", ARM_API_COMPUTE, "virtual machines", AK_LIST},
	    {"Microsoft.Network/dnsResolvers", ARM_API_DNSRESOLVER, "DNS resolvers", AK_RESOLVERS},
	    {"Microsoft.Network/dnsForwardingRulesets", ARM_API_DNSRESOLVER, "DNS forwarding rulesets", AK_RULESETS},
	};
	char path[512];
	enum kv_err rc = KV_OK;

	for (size_t i = 0; i < KV_ARRAY_LEN(lists) && rc == KV_OK; i++) {
		snprintf(path, sizeof(path), "/subscriptions/%s/providers/%s", r->subs[s].id, lists[i].type);
		rc = enqueue_path(r, lists[i].kind, path, lists[i].api, lists[i].what, s);
	}
	return rc;
}

static enum kv_err
add_sub(struct arm_run *r, const char *id)
{
	for (size_t i = 0; i < r->n_subs; i++)
		if (kv_streq_ci(r->subs[i].id, id))
			return KV_OK;
	if (kv_grow((void **)&r->subs, &r->cap_subs, sizeof(*r->subs), r->n_subs + 1) != KV_OK)
		return KV_ENOMEM;
	r->subs[r->n_subs].id = kv_arena_strdup(r->ea, id);
	r->subs[r->n_subs].error = NULL;
	if (r->subs[r->n_subs].id == NULL)
		return KV_ENOMEM;
	r->n_subs++;
	r->st.subscriptions++;
	return start_subscription(r, r->n_subs - 1);
}

/* A private link zone of any cloud: only these get their records listed. */
static bool
is_pl_zone(const char *name)
{
	for (int c = 0; c < KV_CLOUD_COUNT; c++)
		if (kv_streq_ci(name, cloud_pl_zone((enum kv_cloud_id)c, KV_KIND_VAULT)) ||
		    kv_streq_ci(name, cloud_pl_zone((enum kv_cloud_id)c, KV_KIND_HSM)))
			return true;
	return false;
}

/* One child list of a parent resource (parent ID + "/" + child). */
static enum kv_err
enqueue_child(struct arm_run *r, const char *parent, const char *child, const char *api, const char *what, size_t s)
{
	char path[1024];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", parent, child) >= sizeof(path))
		return KV_ELIMIT;
	return enqueue_path(r, AK_CHILD, path, api, what, s);
}

static bool
in_sub(const struct arm_run *r, size_t s, const char *subscription)
{
	return subscription != NULL && kv_streq_ci(subscription, r->subs[s].id);
}

/* After the last page of a parent list of subscription s: the children of
 * every parent of that subscription. */
static enum kv_err
start_children(struct arm_run *r, enum arm_kind kind, size_t s)
{
	enum kv_err rc = KV_OK;

	if (kind == AK_ZONES) {
		for (size_t i = 0; i < inv_zone_count(r->inv) && rc == KV_OK; i++) {
			const struct inv_zone *z = inv_zone_at(r->inv, i);
			if (!in_sub(r, s, z->subscription) || !is_pl_zone(z->name))
				continue;
			rc = enqueue_child(r, z->id, "A", ARM_API_PRIVATEDNS, "private DNS A records", s);
			if (rc == KV_OK)
				rc = enqueue_child(r, z->id, "virtualNetworkLinks", ARM_API_PRIVATEDNS, "private DNS zone links", s);
		}
	} else if (kind == AK_RESOLVERS) {
		for (size_t i = 0; i < inv_resolver_count(r->inv) && rc == KV_OK; i++) {
			const struct inv_resolver *x = inv_resolver_at(r->inv, i);
			if (in_sub(r, s, x->subscription))
				rc = enqueue_child(r, x->id, "inboundEndpoints", ARM_API_DNSRESOLVER,
				    "DNS resolver inbound endpoints", s);
		}
	} else if (kind == AK_RULESETS) {
		for (size_t i = 0; i < inv_ruleset_count(r->inv) && rc == KV_OK; i++) {
			const struct inv_ruleset *x = inv_ruleset_at(r->inv, i);
			if (!in_sub(r, s, x->subscription))
				continue;
			rc = enqueue_child(r, x->id, "forwardingRules", ARM_API_DNSRESOLVER, "DNS forwarding rules", s);
			if (rc == KV_OK)
				rc = enqueue_child(r, x->id, "virtualNetworkLinks", ARM_API_DNSRESOLVER,
				    "DNS forwarding ruleset links", s);
		}
	}
	return rc;
}

/* ARM's error body: {"error": {"code": ..., "message": ...}}. */
static void
describe(const struct http_resp *resp, char *buf, size_t size)
{
	cJSON *root = NULL;
	const cJSON *e;
	char perr[160];
	/* Best effort: an error body that is not one JSON document adds nothing. */
	if (resp->body.len == 0 || jr_parse(resp->body.data, resp->body.len, &root, perr, sizeof(perr)) != KV_OK)
		root = NULL;
	e = root ? cJSON_GetObjectItem(root, "error") : NULL;
	const char *code = cJSON_IsObject(e) ? cJSON_GetStringValue(cJSON_GetObjectItem(e, "code")) : NULL;
	const char *msg = cJSON_IsObject(e) ? cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")) : NULL;
	char clean[256];

	kv_sanitize(clean, sizeof(clean), msg);
	snprintf(buf, size, "HTTP %ld%s%s%s%s (x-ms-request-id: %s, correlation: %s)", resp->status,
	    code ? " " : "", code ? code : "", clean[0] ? ": " : "", clean,
	    resp->request_id[0] ? resp->request_id : "none", resp->correlation_id[0] ? resp->correlation_id : "none");
	cJSON_Delete(root);
}

/* Follows a nextLink only to the ARM host we were given. */
static bool
same_host(const struct arm_run *r, const char *url)
{
	size_t bl = strlen(r->base);

	return strncmp(url, r->base, bl) == 0 && url[bl] == '/';
}

/* The longest a throttled request may wait: one request's timeout, and
 * never past the ARM stage's deadline. */
static int64_t
throttle_budget_ms(const struct arm_run *r)
{
	int64_t left = r->cfg->deadline_ms - kv_now_ms();

	if (r->cfg->request_timeout_ms > 0 && r->cfg->request_timeout_ms < left)
		left = r->cfg->request_timeout_ms;
	return left > 0 ? left : 0;
}

static void
schedule_retry(struct arm_run *r, struct arm_req *q, int64_t delay_ms)
{
	int64_t now = kv_now_ms();

	if (now + delay_ms >= r->cfg->deadline_ms) {
		char msg[300];
		snprintf(msg, sizeof(msg), "gave up: a retry in %lld ms would pass the run's deadline",
		    (long long)delay_ms);
		fail_req(r, q, msg);
		req_free(q);
		return;
	}
	r->st.retries++;
	q->not_before = now + delay_ms;
	enqueue(r, q);
}

static enum kv_err
handle_subs(struct arm_run *r, const struct http_resp *resp, const char **next, char *err, size_t size)
{
	cJSON *root = NULL;
	const cJSON *value, *el;
	const char *nl;
	enum kv_err rc;

	*next = NULL;
	/* One page is one document: anything after it fails the page. */
	if ((rc = jr_parse(resp->body.data ? resp->body.data : "", resp->body.len, &root, err, size)) != KV_OK)
		return rc;
	value = cJSON_GetObjectItem(root, "value");
	if (!cJSON_IsArray(value)) {
		snprintf(err, size, "no \"value\" array");
		cJSON_Delete(root);
		return KV_EPARSE;
	}
	cJSON_ArrayForEach(el, value) {
		const cJSON *id = cJSON_GetObjectItem(el, "subscriptionId"), *state = cJSON_GetObjectItem(el, "state");
		/* Disabled and deleted subscriptions have no readable resources. */
		if (!cJSON_IsString(id) ||
		    (cJSON_IsString(state) && (kv_streq_ci(state->valuestring, "Disabled") || kv_streq_ci(state->valuestring, "Deleted"))))
			continue;
		if ((rc = add_sub(r, id->valuestring)) != KV_OK)
			break;
	}
	nl = root ? cJSON_GetStringValue(cJSON_GetObjectItem(root, "nextLink")) : NULL;
	if (rc == KV_OK && nl != NULL && nl[0] != '\0')
		rc = kv_arena_strdup_to(r->ea, nl, next);
	cJSON_Delete(root);
	return rc;
}

/* What became of an answer: a page to read, a request queued again (or
 * given up by schedule_retry), a list that is empty by construction, or a
 * failure that `msg` describes. */
enum arm_answer { ARM_PAGE, ARM_AGAIN, ARM_EMPTY, ARM_FAILED };

/* 409 MissingSubscriptionRegistration on a subscription's list: the
 * resource provider (say Microsoft.Compute in a Key Vault-only subscription)
 * is not registered there.  ARM refuses to unregister a provider while
 * resources of it exist, so that subscription holds none of the type: an
 * empty list, not a failure (which would make every run partial). */
static bool
unregistered(const struct arm_req *q, const struct http_resp *resp)
{
	cJSON *root = NULL;
	const cJSON *e;
	char perr[160];
	bool yes;

	if (resp->status != 409 || q->pages > 0 || (q->kind != AK_LIST && q->kind != AK_ZONES &&
						       q->kind != AK_RESOLVERS && q->kind != AK_RULESETS))
		return false;
	if (resp->body.len == 0 || jr_parse(resp->body.data, resp->body.len, &root, perr, sizeof(perr)) != KV_OK)
		return false;
	e = cJSON_GetObjectItem(root, "error");
	yes = cJSON_IsObject(e) && cJSON_GetStringValue(cJSON_GetObjectItem(e, "code")) != NULL &&
	    kv_streq_ci(cJSON_GetStringValue(cJSON_GetObjectItem(e, "code")), "MissingSubscriptionRegistration");
	cJSON_Delete(root);
	return yes;
}

/* Retries: 5xx, 408 and network errors with backoff up to ARM_MAX_ATTEMPTS;
 * 429 after the server's Retry-After (or our backoff) up to
 * ARM_MAX_THROTTLED, within the run's budget.  Any other status but 200
 * fails the request. */
static enum arm_answer
classify(struct arm_run *r, struct arm_req *q, const struct http_resp *resp, char *msg, size_t size)
{
	if (resp->err == KV_ELIMIT) {
		snprintf(msg, size, "response larger than %u bytes", ARM_BODY_MAX);
		return ARM_FAILED;
	}
	if (resp->err != KV_OK || resp->status >= 500 || resp->status == 408) {
		int64_t delay;
		if (resp->err != KV_OK)
			snprintf(msg, size, "%s", resp->error);
		else
			describe(resp, msg, size);
		if (q->attempts >= ARM_MAX_ATTEMPTS)
			return ARM_FAILED;
		delay = backoff_ms(r, q->attempts);
		kv_log_debug("ARM retry", "what=\"%s\" attempt=%u delay_ms=%lld reason=\"%s\"", q->what, q->attempts,
		    (long long)delay, resp->err != KV_OK ? "network" : "5xx");
		schedule_retry(r, q, delay);
		return ARM_AGAIN;
	}
	if (resp->status == 429) {
		int64_t budget = throttle_budget_ms(r), delay = resp->retry_after_ms;
		r->st.throttled++;
		if (++q->throttled > ARM_MAX_THROTTLED) {
			describe(resp, msg, size);
			return ARM_FAILED;
		}
		q->attempts--; /* throttling is not a failed attempt */
		if (delay > budget) {
			/* Waiting would only hang the run: this one is throttled. */
			snprintf(msg, size,
			    "throttled: Retry-After %lld s exceeds the run's budget (%lld s); try later or raise --arm-timeout",
			    (long long)((delay + 999) / 1000), (long long)(budget / 1000));
			return ARM_FAILED;
		}
		if (delay < 0)
			delay = backoff_ms(r, q->throttled - 1); /* absent or unusable: our own backoff */
		kv_log_info("ARM throttled", "what=\"%s\" retry_after_ms=%lld wait_ms=%lld", q->what,
		    (long long)resp->retry_after_ms, (long long)delay);
		schedule_retry(r, q, delay);
		return ARM_AGAIN;
	}
	if (unregistered(q, resp)) {
		kv_log_info("ARM resource provider not registered in the subscription: none of its resources there",
		    "what=\"%s\"", q->what);
		return ARM_EMPTY;
	}
	if (resp->status != 200) {
		describe(resp, msg, size);
		return ARM_FAILED;
	}
	return ARM_PAGE;
}

/* A page: into the inventory (or the subscription list), then its
 * nextLink, followed only to the ARM host, or what the page starts (the
 * zones' records and links). */
static void
on_page(struct arm_run *r, struct arm_req *q, const struct http_resp *resp)
{
	const char *next = NULL;
	char msg[640], perr[400];
	size_t n = 0;
	enum kv_err rc;

	r->st.pages++;
	if (q->kind == AK_SUBS)
		rc = handle_subs(r, resp, &next, perr, sizeof(perr));
	else
		rc = inv_json_load(r->inv, resp->body.data ? resp->body.data : "", resp->body.len, "arm", &next, &n, perr,
		    sizeof(perr));
	if (rc == KV_EPARSE)
		snprintf(msg, sizeof(msg), "malformed answer: %s (x-ms-request-id: %s)", perr,
		    resp->request_id[0] ? resp->request_id : "none");
	if (rc == KV_ENOMEM) {
		r->fatal = KV_ENOMEM;
		snprintf(msg, sizeof(msg), "out of memory");
	}
	if (rc != KV_OK)
		goto fail;
	if (next != NULL && q->kind != AK_GET) {
		if (!same_host(r, next)) {
			snprintf(msg, sizeof(msg), "nextLink points away from %.200s; not followed", r->base);
			goto fail;
		}
		if (++q->pages >= ARM_MAX_PAGES) {
			snprintf(msg, sizeof(msg), "more than %d pages; stopped", ARM_MAX_PAGES);
			goto fail;
		}
		free(q->url);
		q->url = strdup(next);
		q->attempts = 0;
		q->throttled = 0;
		q->not_before = 0;
		if (q->url == NULL) {
			r->fatal = KV_ENOMEM;
			req_free(q);
			return;
		}
		enqueue(r, q);
		return;
	}
	if ((rc = start_children(r, q->kind, q->sub)) != KV_OK) {
		/* an ID too long for a URL fails that subscription, said */
		if (rc != KV_ELIMIT) {
			r->fatal = KV_ENOMEM;
		} else {
			snprintf(msg, sizeof(msg), "a resource ID too long to list its children");
			goto fail;
		}
	}
	req_free(q);
	return;
fail:
	fail_req(r, q, msg);
	req_free(q);
}

static void
on_done(void *arg, struct http_resp *resp)
{
	struct arm_req *q = arg;
	struct arm_run *r = q->run;
	char msg[512];

	r->inflight--;
	if (r->closing) {
		req_free(q);
		return;
	}
	switch (classify(r, q, resp, msg, sizeof(msg))) {
	case ARM_PAGE:
		on_page(r, q, resp);
		break;
	case ARM_AGAIN:
		break;
	case ARM_EMPTY:
		req_free(q); /* no parent listed: no children */
		break;
	case ARM_FAILED:
		fail_req(r, q, msg);
		req_free(q);
		break;
	}
}

static enum kv_err
submit(struct arm_run *r, struct arm_req *q, char *err, size_t size)
{
	struct http_req hr;
	const char *token = NULL;
	char auth[8192], corr[80];
	enum kv_err rc;

	rc = cred_token(r->cfg->cred, &token, err, size);
	if (rc != KV_OK)
		return rc;
	if (strlen(token) + 32 > sizeof(auth)) {
		snprintf(err, size, "access token longer than %zu bytes", sizeof(auth) - 32);
		return KV_EAUTH;
	}
	memset(&hr, 0, sizeof(hr));
	hr.method = "GET";
	hr.url = q->url;
	hr.max_body = ARM_BODY_MAX;
	hr.timeout_ms = r->cfg->request_timeout_ms;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	snprintf(corr, sizeof(corr), "x-ms-correlation-request-id: %s", r->correlation);
	hr.headers[0] = auth;
	hr.headers[1] = corr;
	hr.headers[2] = "Accept: application/json";
	q->attempts++;
	r->st.requests++;
	rc = http_submit(r->cfg->http, &hr, on_done, q);
	OPENSSL_cleanse(auth, sizeof(auth));
	if (rc == KV_OK)
		r->inflight++;
	return rc;
}

/* Runs the queue until it is empty (including what handlers add). */
static enum kv_err
drain(struct arm_run *r, char *err, size_t size)
{
	enum kv_err rc = KV_OK;

	while ((r->queue != NULL || r->inflight > 0) && r->fatal == KV_OK) {
		int64_t now = kv_now_ms(), wake = 0;
		struct arm_req **pp = &r->queue;

		if (r->cfg->cancel != NULL && *r->cfg->cancel) {
			snprintf(err, size, "stopped by a signal");
			return KV_ECANCELED;
		}
		if (now >= r->cfg->deadline_ms) {
			http_abort_all(r->cfg->http);
			while (r->queue != NULL) {
				struct arm_req *q = r->queue;
				r->queue = q->next;
				fail_req(r, q, "the ARM stage ran out of time");
				req_free(q);
			}
			break;
		}
		while (*pp != NULL && r->inflight < r->cfg->max_inflight) {
			struct arm_req *q = *pp;
			if (q->not_before > now) {
				if (wake == 0 || q->not_before < wake)
					wake = q->not_before;
				pp = &q->next;
				continue;
			}
			*pp = q->next;
			if ((rc = submit(r, q, err, size)) != KV_OK) {
				req_free(q);
				return rc;
			}
		}
		for (struct arm_req *q = *pp; q != NULL; q = q->next)
			if (q->not_before > now && (wake == 0 || q->not_before < wake))
				wake = q->not_before;
		if (wake == 0 || wake > r->cfg->deadline_ms)
			wake = r->cfg->deadline_ms;
		if (wake > now + 200)
			wake = now + 200; /* look at the cancel flag */
		if (r->inflight > 0) {
			if ((rc = http_run(r->cfg->http, wake)) != KV_OK)
				return rc;
		} else if (r->queue != NULL) {
			int64_t ms = wake - kv_now_ms();
			struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
			if (ms > 0)
				nanosleep(&ts, NULL);
		}
	}
	return r->fatal;
}

static enum kv_err
fetch_missing(struct arm_run *r, bool nics, char *err, size_t size)
{
	const char **ids = NULL;
	size_t n = 0;
	enum kv_err rc;
	struct kv_arena *tmp = kv_arena_new(16 * 1024);

	if (tmp == NULL)
		return KV_ENOMEM;
	rc = nics ? inv_missing_nics(r->inv, tmp, &ids, &n) : inv_missing_endpoints(r->inv, tmp, &ids, &n);
	for (size_t i = 0; i < n && rc == KV_OK; i++) {
		rc = enqueue_path(r, AK_GET, ids[i], ARM_API_NETWORK, nics ? "network interface" : "private endpoint",
		    SIZE_MAX);
		if (rc == KV_OK &&
		    (r->queue->what = kv_arena_printf(r->ea, "%s/%s", nics ? "nic" : "endpoint", ids[i])) == NULL)
			rc = KV_ENOMEM;
	}
	kv_arena_free(tmp);
	if (rc == KV_OK && n > 0) {
		kv_log_debug("ARM fetching resources outside the subscriptions read", "kind=%s count=%zu",
		    nics ? "nic" : "endpoint", n);
		rc = drain(r, err, size);
	}
	return rc;
}

enum kv_err
arm_load(const struct arm_cfg *cfg, struct kv_inv *inv, struct kv_arena *a, struct kv_run_error **errs,
    size_t *n_errs, struct kv_source **srcs, size_t *n_srcs, struct arm_stats *st, char *err, size_t size)
{
	struct arm_run r;
	const char *ep = cfg->endpoint;
	size_t el = strlen(ep);
	unsigned char rnd[16];
	enum kv_err rc = KV_OK;
	size_t failed = 0;

	memset(&r, 0, sizeof(r));
	err[0] = '\0';
	r.cfg = cfg;
	r.inv = inv;
	r.ea = a;
	while (el > 0 && ep[el - 1] == '/')
		el--; /* --arm-endpoint with or without a trailing slash */
	if (el >= sizeof(r.base)) {
		snprintf(err, size, "ARM endpoint too long");
		return KV_EUSAGE;
	}
	memcpy(r.base, ep, el);
	r.base[el] = '\0';
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0x5a, sizeof(rnd));
	kv_uuid4(rnd, r.correlation, sizeof(r.correlation));
	memcpy(&r.rng, rnd, sizeof(r.rng));
	r.rng |= 1;
	if (cfg->n_subscriptions == 0) {
		r.subs_listed = true;
		rc = enqueue_path(&r, AK_SUBS, "/subscriptions", ARM_API_SUBSCRIPTIONS, "subscriptions", SIZE_MAX);
	}
	for (size_t i = 0; i < cfg->n_subscriptions && rc == KV_OK; i++)
		rc = add_sub(&r, cfg->subscriptions[i]);
	if (rc == KV_OK)
		rc = drain(&r, err, size);
	if (rc == KV_OK && r.fatal == KV_OK)
		rc = fetch_missing(&r, false, err, size);
	if (rc == KV_OK && r.fatal == KV_OK)
		rc = fetch_missing(&r, true, err, size);
	/* drain() returns r.fatal itself: its message (fatal_msg) is said either way. */
	if (r.fatal != KV_OK && (rc == KV_OK || rc == r.fatal) && err[0] == '\0') {
		rc = r.fatal;
		snprintf(err, size, "%s", r.fatal_msg[0] ? r.fatal_msg : kv_strerror(rc));
	}
	for (size_t i = 0; i < r.n_subs; i++) {
		if (r.subs[i].error != NULL) {
			const char *why = kv_arena_printf(inv_arena(inv), "ARM data for subscription %s is incomplete: %s",
			    r.subs[i].id, r.subs[i].error);
			failed++;
			if (why == NULL && rc == KV_OK)
				rc = KV_ENOMEM; /* its vaults are still marked, with the shorter text */
			inv_mark_subscription(inv, r.subs[i].id, why ? why : r.subs[i].error);
		}
	}
	if (rc == KV_OK && r.n_subs == 0 && r.subs_listed) {
		snprintf(err, size, "the credential (%s) sees no enabled subscription; give --subscription",
		    cred_source(cfg->cred));
		rc = KV_ENOTFOUND;
	}
	if (rc == KV_OK && r.n_subs > 0 && failed == r.n_subs) {
		snprintf(err, size, "ARM unreachable: every subscription failed (first: %s)",
		    r.errs && r.n_errs ? r.errs[0].message : "unknown");
		rc = KV_ENET;
	}
	/* Abort what is still in flight (a cancelled run) before freeing the
	 * queue: an aborted transfer's handler must not queue a retry. */
	r.closing = true;
	http_abort_all(cfg->http);
	while (r.queue != NULL) {
		struct arm_req *q = r.queue;
		r.queue = q->next;
		req_free(q);
	}
	if (srcs != NULL && rc == KV_OK) {
		*srcs = kv_arena_calloc(a, r.n_subs ? r.n_subs : 1, sizeof(**srcs));
		for (size_t i = 0; *srcs != NULL && i < r.n_subs; i++) {
			(*srcs)[i].name = kv_arena_printf(a, "subscription/%s", r.subs[i].id);
			(*srcs)[i].up = r.subs[i].error == NULL;
			if ((*srcs)[i].name == NULL)
				*srcs = NULL;
		}
		*n_srcs = r.n_subs;
		if (*srcs == NULL)
			rc = KV_ENOMEM;
	}
	free(r.subs);
	*st = r.st;
	if (errs != NULL) {
		*errs = r.n_errs ? kv_arena_memdup(a, r.errs, r.n_errs * sizeof(*r.errs)) : NULL;
		*n_errs = r.n_errs;
		if (r.n_errs > 0 && *errs == NULL) {
			*n_errs = 0;
			if (rc == KV_OK)
				rc = KV_ENOMEM;
		}
	}
	free(r.errs);
	return rc;
}
