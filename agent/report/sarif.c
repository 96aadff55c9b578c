/* sarif.c — SARIF 2.1.0 for code-scanning readers (GitHub code
 * scanning, GitHub Advanced Security for Azure DevOps, Defender for DevOps).
 * One rule per finding code, in KV_FINDING_LIST order so ruleIndex is the
 * enum value, with the cause and fix texts of finding.c as its description
 * and help; one result per finding, located at the vault's ARM ID as an
 * artifact under its own cloud's ARM endpoint (uriBaseId ARM, ARM_CN or
 * ARM_USGOV), with a stable partialFingerprint so a reader tracks the same
 * finding across runs.  Severities follow Trivy: security-severity 8.0 /
 * 5.5 / 2.0.  The run's automationDetails.id is the category code scanning
 * keeps alerts apart by: one per host and VNet, or the Azure Pipelines
 * identity GHAzDO ingestion reads (sarif-multitool's Gh and Ado rules). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "kvpe/jsonw.h"
#include "kvpe/report.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define SARIF_INFO_URI "https://github.com/kvpe/kvpe"
#define SARIF_STR_MAX (64u * 1024) /* one built string (URI, fingerprint input, help) */
#define SARIF_PIPE_PREFIX "azuredevops/pipeline/build/"
#define SARIF_ERRORS_JOINED 8 /* messages of one unread source in its notification */

static const char *
sev_level(enum kv_severity sev)
{
	switch (sev) {
	case KV_SEV_LOW:
		return "note";
	case KV_SEV_MEDIUM:
		return "warning";
	case KV_SEV_HIGH:
		return "error";
	}
	return "error";
}

static const char *
sev_score(enum kv_severity sev)
{
	switch (sev) {
	case KV_SEV_LOW:
		return "2.0";
	case KV_SEV_MEDIUM:
		return "5.5";
	case KV_SEV_HIGH:
		return "8.0";
	}
	return "8.0";
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* NO_PRIVATE_ENDPOINT -> NoPrivateEndpoint (SARIF's rule name is an
 * identifier-like, human-readable name). */
static void
pascal_name(const char *code, char *buf, size_t size)
{
	size_t o = 0;
	bool up = true;

	for (const char *p = code; *p != '\0' && o + 1 < size; p++) {
		if (*p == '_') {
			up = true;
			continue;
		}
		buf[o++] = up ? *p : (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		up = false;
	}
	buf[o] = '\0';
}

/* Keeps the first failure of a string built on the side. */
static void
sticky(struct jw *w, enum kv_err rc)
{
	if (w->err == KV_OK && rc != KV_OK)
		w->err = rc;
}

/* Markdown of finding.c as plain text: the backticks around commands go. */
static enum kv_err
put_plain(struct kv_buf *b, const char *md)
{
	enum kv_err rc = KV_OK;

	for (const char *p = md; *p != '\0' && rc == KV_OK; p++)
		if (*p != '`')
			rc = kv_buf_putc(b, *p);
	return rc;
}

/* A multiformatMessageString's "text" and "markdown": the cause, then (for
 * the help) the fix and where the README says more. */
static void
message_texts(struct jw *w, struct kv_buf *s, const char *cause, const char *fix, const char *uri)
{
	enum kv_err rc;

	kv_buf_reset(s);
	rc = put_plain(s, cause);
	if (rc == KV_OK && fix != NULL)
		rc = kv_buf_puts(s, "\n\nFix: ");
	if (rc == KV_OK && fix != NULL)
		rc = put_plain(s, fix);
	if (rc == KV_OK && uri != NULL)
		rc = kv_buf_printf(s, "\n\nMore: %s", uri);
	sticky(w, rc);
	jw_kstr(w, "text", rc == KV_OK ? s->data : "");
	kv_buf_reset(s);
	rc = kv_buf_printf(s, "%s%s", fix != NULL ? "**Cause:** " : "", cause);
	if (rc == KV_OK && fix != NULL)
		rc = kv_buf_printf(s, "\n\n**Fix:** %s", fix);
	if (rc == KV_OK && uri != NULL)
		rc = kv_buf_printf(s, "\n\nSee [the README](%s).", uri);
	sticky(w, rc);
	jw_kstr(w, "markdown", rc == KV_OK ? s->data : "");
}

static void
rule_json(struct jw *w, struct kv_buf *s, enum kv_finding_code c)
{
	const char *code = finding_name(c);
	enum kv_severity sev = finding_severity(c);
	char name[64], anchor[64], uri[128];
	size_t i;

	pascal_name(code, name, sizeof(name));
	for (i = 0; code[i] != '\0' && i + 1 < sizeof(anchor); i++)
		anchor[i] = (char)(code[i] >= 'A' && code[i] <= 'Z' ? code[i] - 'A' + 'a' : code[i]);
	anchor[i] = '\0';
	snprintf(uri, sizeof(uri), "%s#%s", SARIF_INFO_URI, anchor);

	jw_obj(w);
	jw_kstr(w, "id", code);
	jw_kstr(w, "name", name);
	jw_key(w, "shortDescription");
	jw_obj(w);
	jw_kstr(w, "text", finding_cause(c));
	jw_obj_end(w);
	jw_key(w, "fullDescription");
	jw_obj(w);
	message_texts(w, s, finding_help_cause(c), NULL, NULL);
	jw_obj_end(w);
	jw_key(w, "help");
	jw_obj(w);
	message_texts(w, s, finding_help_cause(c), finding_help_fix(c), uri);
	jw_obj_end(w);
	jw_kstr(w, "helpUri", uri);
	jw_key(w, "defaultConfiguration");
	jw_obj(w);
	jw_kstr(w, "level", sev_level(sev));
	jw_obj_end(w);
	jw_key(w, "properties");
	jw_obj(w);
	jw_key(w, "tags");
	jw_arr(w);
	jw_str(w, "security");
	jw_str(w, "azure");
	jw_str(w, "key-vault");
	/* Which observation the rule reads: DNS answers, ARM data (zones are
	 * ARM resources about DNS), or the connection probe. */
	if (has_prefix(code, "DNS_")) {
		jw_str(w, "dns");
	} else if (has_prefix(code, "PROBE_")) {
		jw_str(w, "probe");
	} else if (has_prefix(code, "ZONE_")) {
		jw_str(w, "arm");
		jw_str(w, "dns");
	} else {
		jw_str(w, "arm");
	}
	jw_arr_end(w);
	jw_kstr(w, "precision", "very-high");
	jw_kstr(w, "security-severity", sev_score(sev));
	jw_obj_end(w);
	jw_obj_end(w);
}

/* Percent-encodes what a URI reference may not carry (RFC 3986: anything
 * but unreserved, sub-delims, ':', '@' and '/'), byte by byte, so an ARM ID
 * with odd characters still makes a valid artifactLocation.uri and decodes
 * back to the exact bytes. */
static enum kv_err
uri_escape(struct kv_buf *b, const char *s)
{
	static const char keep[] = "-._~!$&'()*+,;=:@/";
	enum kv_err rc = KV_OK;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0' && rc == KV_OK; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr(keep, *p) != NULL)
			rc = kv_buf_putc(b, (char)*p);
		else
			rc = kv_buf_printf(b, "%%%02X", (unsigned)*p);
	}
	return rc;
}

/* kvpeFinding/v1 = lower-case hex SHA-256 of "<code>|<lower-cased ARM ID,
 * or FQDN when there is none>": stable across runs and message wording. */
static enum kv_err
fingerprint(const char *code, const char *where, char hex[65])
{
	struct kv_buf in;
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	size_t at;
	enum kv_err rc;

	kv_buf_init(&in, SARIF_STR_MAX);
	rc = kv_buf_printf(&in, "%s|", code);
	at = in.len;
	if (rc == KV_OK)
		rc = kv_buf_puts(&in, where);
	if (rc == KV_OK) {
		kv_lower_inplace(in.data + at);
		if (EVP_Digest(in.data, in.len, dig, &dl, EVP_sha256(), NULL) != 1 || dl != 32)
			rc = KV_EINTERNAL;
	}
	if (rc == KV_OK)
		for (unsigned int i = 0; i < dl; i++)
			snprintf(hex + 2 * i, 3, "%02x", dig[i]);
	kv_buf_free(&in);
	return rc;
}

/* The uriBaseId of a cloud's ARM endpoint: each vault's location sits under
 * its own cloud, also in a run that mixes clouds. */
static const char *
base_id(enum kv_cloud_id c)
{
	switch (c) {
	case KV_CLOUD_CHINA:
		return "ARM_CN";
	case KV_CLOUD_USGOV:
		return "ARM_USGOV";
	case KV_CLOUD_PUBLIC:
	case KV_CLOUD_COUNT:
		break;
	}
	return "ARM";
}

/* The artifact URI of a vault, relative to the ARM base: its resource ID
 * without the leading slash, or "vaults/<name>" ("managedHSMs/<name>") for
 * a vault known only by name. */
static enum kv_err
artifact_uri(const struct kv_target *t, struct kv_buf *b)
{
	if (t->id != NULL && t->id[0] != '\0')
		return uri_escape(b, t->id[0] == '/' ? t->id + 1 : t->id);
	enum kv_err rc = kv_buf_puts(b, t->kind == KV_KIND_HSM ? "managedHSMs/" : "vaults/");

	return rc == KV_OK ? uri_escape(b, t->name) : rc;
}

static void
result_json(struct jw *w, const struct kv_result *x, const struct kv_finding *f)
{
	const struct kv_target *t = x->t;
	const char *code = finding_name(f->code);
	const char *where = t->id != NULL && t->id[0] != '\0' ? t->id : t->fqdn;
	struct kv_buf s;
	char hex[65];
	enum kv_err rc;

	kv_buf_init(&s, SARIF_STR_MAX);
	jw_obj(w);
	jw_kstr(w, "ruleId", code);
	jw_kint(w, "ruleIndex", (int64_t)f->code);
	jw_kstr(w, "level", sev_level(kv_finding_severity(f)));
	jw_key(w, "message");
	jw_obj(w);
	rc = kv_buf_puts(&s, f->message != NULL ? f->message : code);
	if (rc == KV_OK && f->remediation != NULL)
		rc = kv_buf_printf(&s, " Fix: %s", f->remediation);
	sticky(w, rc);
	jw_kstr(w, "text", s.data != NULL ? s.data : "");
	jw_obj_end(w);

	jw_key(w, "locations");
	jw_arr(w);
	jw_obj(w);
	jw_key(w, "physicalLocation");
	jw_obj(w);
	jw_key(w, "artifactLocation");
	jw_obj(w);
	kv_buf_reset(&s);
	sticky(w, artifact_uri(t, &s));
	jw_kstr(w, "uri", s.data != NULL ? s.data : "");
	jw_kstr(w, "uriBaseId", base_id(t->cloud));
	jw_obj_end(w);
	jw_key(w, "region");
	jw_obj(w);
	jw_kint(w, "startLine", 1);
	jw_obj_end(w);
	jw_obj_end(w);
	jw_key(w, "logicalLocations");
	jw_arr(w);
	jw_obj(w);
	jw_kstr(w, "name", t->name);
	jw_kstr(w, "fullyQualifiedName", where);
	jw_kstr(w, "kind", "resource");
	jw_obj_end(w);
	jw_arr_end(w);
	jw_obj_end(w);
	jw_arr_end(w);

	jw_key(w, "partialFingerprints");
	jw_obj(w);
	rc = fingerprint(code, where, hex);
	if (rc != KV_OK)
		hex[0] = '\0';
	sticky(w, rc);
	jw_kstr(w, "kvpeFinding/v1", hex);
	jw_obj_end(w);

	jw_key(w, "properties");
	jw_obj(w);
	jw_kstr(w, "vault", t->name);
	jw_kstr(w, "fqdn", t->fqdn);
	jw_kstr(w, "severity", finding_severity_name(kv_finding_severity(f)));
	jw_kstr(w, "status", kv_status_name(x->status));
	jw_obj_end(w);
	jw_obj_end(w);
	kv_buf_free(&s);
}

/* One error-level notification whose text is `s`. */
static void
notification(struct jw *w, const struct kv_buf *s)
{
	jw_obj(w);
	jw_kstr(w, "level", "error");
	jw_key(w, "message");
	jw_obj(w);
	jw_kstr(w, "text", s->data != NULL ? s->data : "");
	jw_obj_end(w);
	jw_obj_end(w);
}

/* Sources that could not be read and vaults that could not be checked have
 * no result to carry them: they become notifications of the invocation, one
 * per unread source (its errors joined) and one per vault. */
static void
notifications(struct jw *w, const struct kv_report *r)
{
	const struct kv_run_error **ev = NULL;
	struct kv_buf s;
	size_t n = 0;

	sticky(w, report_errors_by_scope(r, &ev, &n));
	for (size_t i = 0; i < r->n_results; i++)
		n += r->results[i].t->incomplete != NULL;
	if (n == 0)
		return;
	kv_buf_init(&s, SARIF_STR_MAX);
	jw_key(w, "toolExecutionNotifications");
	jw_arr(w);
	for (size_t i = 0, k = 0; ev != NULL && i < r->n_errors; i++, k++) {
		const struct kv_run_error *e = ev[i];
		if (report_scope_first(ev, i)) {
			kv_buf_reset(&s);
			k = 0;
			sticky(w, kv_buf_printf(&s, "%s not read: %s", e->scope ? e->scope : "run", e->message ? e->message : ""));
		} else if (k < SARIF_ERRORS_JOINED) {
			sticky(w, kv_buf_printf(&s, "; %s", e->message ? e->message : ""));
		} else if (k == SARIF_ERRORS_JOINED) {
			sticky(w, kv_buf_puts(&s, "; more in the JSON report's errors"));
		}
		if (i + 1 == r->n_errors || report_scope_first(ev, i + 1))
			notification(w, &s);
	}
	free(ev);
	for (size_t i = 0; i < r->n_results; i++) {
		const struct kv_target *t = r->results[i].t;
		if (t->incomplete == NULL)
			continue;
		kv_buf_reset(&s);
		sticky(w, kv_buf_printf(&s, "%s not checked: %s", t->name, t->incomplete));
		notification(w, &s);
	}
	jw_arr_end(w);
	kv_buf_free(&s);
}

static void
invocation(struct jw *w, const struct kv_report *r, const struct report_opts *o)
{
	char ts[32];

	jw_key(w, "invocations");
	jw_arr(w);
	jw_obj(w);
	/* Findings are results, not a tool failure; a source that could not
	 * be read is: a reader must not close the alerts of vaults it never saw. */
	jw_kbool(w, "executionSuccessful", !report_partial(r));
	jw_kint(w, "exitCode", o->exit_code);
	kv_fmt_time(r->started_ms, ts, sizeof(ts));
	jw_kstr(w, "startTimeUtc", ts);
	kv_fmt_time(r->started_ms + (r->duration_ms > 0 ? r->duration_ms : 0), ts, sizeof(ts));
	jw_kstr(w, "endTimeUtc", ts);
	if (r->host != NULL)
		jw_kstr(w, "machine", r->host);
	notifications(w, r);
	jw_obj_end(w);
	jw_arr_end(w);
}

/* The ARM endpoints the results sit under: the run's own (--arm-endpoint
 * when given) for its cloud, each other cloud's from the cloud table, for
 * the clouds the run has vaults in.  A base URI ends with a slash (SARIF
 * 3.14.14), or resolving a relative URI against it would drop its last
 * segment. */
static void
base_uris(struct jw *w, struct kv_buf *s, const struct kv_report *r)
{
	enum kv_cloud_id run = KV_CLOUD_PUBLIC;
	bool used[KV_CLOUD_COUNT] = {false};

	if (r->cloud != NULL)
		(void)cloud_parse(r->cloud, &run);
	used[run] = true;
	for (size_t i = 0; i < r->n_results; i++)
		if (r->results[i].t->cloud < KV_CLOUD_COUNT)
			used[r->results[i].t->cloud] = true;
	jw_key(w, "originalUriBaseIds");
	jw_obj(w);
	for (int c = 0; c < KV_CLOUD_COUNT; c++) {
		const char *arm = cloud_get((enum kv_cloud_id)c)->arm_endpoint;
		enum kv_err rc;
		if (!used[c])
			continue;
		if (c == (int)run && r->arm_endpoint != NULL && r->arm_endpoint[0] != '\0')
			arm = r->arm_endpoint;
		kv_buf_reset(s);
		rc = kv_buf_puts(s, arm);
		if (rc == KV_OK && arm[strlen(arm) - 1] != '/')
			rc = kv_buf_putc(s, '/');
		sticky(w, rc);
		jw_key(w, base_id((enum kv_cloud_id)c));
		jw_obj(w);
		jw_kstr(w, "uri", rc == KV_OK ? s->data : "");
		jw_key(w, "description");
		jw_obj(w);
		kv_buf_reset(s);
		rc = kv_buf_printf(s, "Azure Resource Manager, %s", cloud_get((enum kv_cloud_id)c)->name);
		sticky(w, rc);
		jw_kstr(w, "text", rc == KV_OK ? s->data : "");
		jw_obj_end(w);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

/* "kvpe/<host>/<VNet name or default>/": stable per host and VNet, so
 * that uploads from agents in several VNets do not close each other's
 * alerts; the trailing slash makes all of it the category (GitHub reads
 * what follows the last slash as a run id). */
static enum kv_err
default_category(struct kv_buf *s, const struct kv_report *r, const char *vnet_id)
{
	const char *vnet = "default";
	size_t n = strlen("default");

	if (vnet_id != NULL && vnet_id[0] != '\0') {
		const char *end = vnet_id + strlen(vnet_id);
		while (end > vnet_id && end[-1] == '/')
			end--;
		vnet = end;
		while (vnet > vnet_id && vnet[-1] != '/')
			vnet--;
		n = (size_t)(end - vnet);
		if (n == 0) {
			vnet = "default";
			n = strlen("default");
		}
	}
	return kv_buf_printf(s, "kvpe/%s/%.*s/", r->host != NULL && r->host[0] != '\0' ? r->host : "unknown",
	    (int)n, vnet);
}

/* The run's automationDetails: --sarif-category, else the Azure Pipelines
 * identity GHAzDO attaches the run by (its id and the four
 * azuredevops/pipeline/build/ properties), else the host/VNet category.
 * Inside a pipeline the host/VNet category is kept as a property. */
static void
automation(struct jw *w, struct kv_buf *s, const struct kv_report *r, const struct report_opts *o)
{
	const struct report_pipeline *p = o->pipeline;
	enum kv_err rc = KV_OK;

	kv_buf_reset(s);
	if (o->sarif_category != NULL && o->sarif_category[0] != '\0')
		rc = kv_buf_puts(s, o->sarif_category);
	else if (p != NULL)
		rc = kv_buf_printf(s, SARIF_PIPE_PREFIX "%s/%s/%s/%s/%s/%s", p->org, p->project_id, p->definition_id,
		    p->phase_id, p->branch, p->build_id);
	else
		rc = default_category(s, r, o->vnet_id);
	sticky(w, rc);
	jw_key(w, "automationDetails");
	jw_obj(w);
	jw_kstr(w, "id", rc == KV_OK ? s->data : "kvpe/");
	if (p != NULL) {
		jw_key(w, "properties");
		jw_obj(w);
		jw_kstr(w, SARIF_PIPE_PREFIX "buildDefinitionId", p->definition_id);
		jw_kstr(w, SARIF_PIPE_PREFIX "buildDefinitionName", p->definition_name);
		jw_kstr(w, SARIF_PIPE_PREFIX "phaseId", p->phase_id);
		jw_kstr(w, SARIF_PIPE_PREFIX "phaseName", p->phase_name);
		kv_buf_reset(s);
		rc = default_category(s, r, o->vnet_id);
		sticky(w, rc);
		jw_kstr(w, "kvpe/category", rc == KV_OK ? s->data : "");
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

/* ---- Azure Pipelines ---- */

static const char *
env_first(char *(*get)(const char *), const char *a, const char *b)
{
	const char *v = get(a);

	if ((v == NULL || v[0] == '\0') && b != NULL)
		v = get(b);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

static bool
is_guid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	bool zero = true;

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
		zero = zero && (s[i] == '-' || s[i] == '0');
	}
	return !zero;
}

static bool
is_positive(const char *s)
{
	long v;

	return kv_parse_long(s, 1, INT32_MAX, &v) == KV_OK;
}

/* The organization of SYSTEM_COLLECTIONURI: https://dev.azure.com/<org>/
 * or https://<org>.visualstudio.com/ (vsrm. forms too). */
static bool
collection_org(const char *uri, char *org, size_t size)
{
	const char *host, *end, *o;
	size_t n;

	if (strncasecmp(uri, "https://", 8) != 0 && strncasecmp(uri, "http://", 7) != 0)
		return false;
	host = strstr(uri, "://") + 3;
	end = host + strcspn(host, "/");
	if ((size_t)(end - host) == strlen("dev.azure.com") && strncasecmp(host, "dev.azure.com", 13) == 0)
		o = end;
	else if ((size_t)(end - host) == strlen("vsrm.dev.azure.com") && strncasecmp(host, "vsrm.dev.azure.com", 18) == 0)
		o = end;
	else
		o = NULL;
	if (o != NULL) {
		o += *o == '/';
		n = strcspn(o, "/");
	} else {
		static const char vs[] = ".visualstudio.com";
		size_t hl = (size_t)(end - host);
		if (hl <= sizeof(vs) - 1 || strncasecmp(end - (sizeof(vs) - 1), vs, sizeof(vs) - 1) != 0)
			return false;
		o = host;
		n = hl - (sizeof(vs) - 1);
		if (n > 5 && strncasecmp(o + n - 5, ".vsrm", 5) == 0)
			n -= 5;
	}
	if (n == 0 || n >= size)
		return false;
	memcpy(org, o, n);
	org[n] = '\0';
	return true;
}

enum kv_err
report_sarif_pipeline(char *(*get)(const char *), struct report_pipeline *out, char *why, size_t size)
{
	struct report_pipeline p;
	const char *tf = get("TF_BUILD"), *uri;

	why[0] = '\0';
	if (tf == NULL || !(kv_streq_ci(tf, "true") || strcmp(tf, "1") == 0))
		return KV_ENOTFOUND;
	memset(&p, 0, sizeof(p));
	uri = env_first(get, "SYSTEM_COLLECTIONURI", NULL);
	p.project_id = env_first(get, "SYSTEM_TEAMPROJECTID", NULL);
	p.definition_id = env_first(get, "BUILD_DEFINITIONID", "SYSTEM_DEFINITIONID");
	p.definition_name = env_first(get, "BUILD_DEFINITIONNAME", NULL);
	p.build_id = env_first(get, "BUILD_BUILDID", NULL);
	p.phase_id = env_first(get, "SYSTEM_PHASEID", "SYSTEM_JOBID");
	p.phase_name = env_first(get, "SYSTEM_PHASENAME", "SYSTEM_JOBNAME");
	p.branch = env_first(get, "BUILD_SOURCEBRANCH", NULL);
	if (uri == NULL && p.project_id == NULL && p.definition_id == NULL && p.definition_name == NULL &&
	    p.build_id == NULL && p.phase_id == NULL && p.phase_name == NULL && p.branch == NULL)
		return KV_ENOTFOUND; /* TF_BUILD alone: not a pipeline agent */
	if (uri == NULL || !collection_org(uri, p.org, sizeof(p.org)))
		snprintf(why, size, "SYSTEM_COLLECTIONURI is not https://dev.azure.com/<org>/ or https://<org>.visualstudio.com/");
	else if (p.project_id == NULL || !is_guid(p.project_id))
		snprintf(why, size, "SYSTEM_TEAMPROJECTID is not a GUID");
	else if (p.definition_id == NULL || !is_positive(p.definition_id))
		snprintf(why, size, "BUILD_DEFINITIONID is not a positive number");
	else if (p.definition_name == NULL)
		snprintf(why, size, "BUILD_DEFINITIONNAME is not set");
	else if (p.build_id == NULL || !is_positive(p.build_id))
		snprintf(why, size, "BUILD_BUILDID is not a positive number");
	else if (p.phase_id == NULL || !is_guid(p.phase_id))
		snprintf(why, size, "SYSTEM_PHASEID (or SYSTEM_JOBID) is not a GUID");
	else if (p.phase_name == NULL)
		snprintf(why, size, "SYSTEM_PHASENAME (or SYSTEM_JOBNAME) is not set");
	else if (p.branch == NULL)
		snprintf(why, size, "BUILD_SOURCEBRANCH is not set");
	if (why[0] != '\0')
		return KV_EPARSE;
	*out = p;
	return KV_OK;
}

enum kv_err
report_sarif(const struct kv_report *r, const struct report_opts *o, struct kv_buf *out)
{
	struct kv_buf s;
	struct jw w;

	kv_buf_init(&s, SARIF_STR_MAX);
	jw_init(&w, out, o->pretty);
	jw_obj(&w);
	jw_kstr(&w, "$schema", SARIF_SCHEMA);
	jw_kstr(&w, "version", "2.1.0");
	jw_key(&w, "runs");
	jw_arr(&w);
	jw_obj(&w);

	jw_key(&w, "tool");
	jw_obj(&w);
	jw_key(&w, "driver");
	jw_obj(&w);
	jw_kstr(&w, "name", "kvpe");
	kv_buf_reset(&s);
	sticky(&w, kv_buf_printf(&s, "kvpe %s, Key Vault private endpoint checker", r->version));
	jw_kstr(&w, "fullName", s.data != NULL ? s.data : "kvpe");
	jw_kstr(&w, "version", r->version);
	jw_kstr(&w, "semanticVersion", r->version);
	jw_kstr(&w, "informationUri", SARIF_INFO_URI);
	jw_key(&w, "rules");
	jw_arr(&w);
	for (unsigned c = 0; c < KV_F_COUNT; c++)
		rule_json(&w, &s, (enum kv_finding_code)c);
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_obj_end(&w);

	automation(&w, &s, r, o);
	base_uris(&w, &s, r);
	invocation(&w, r, o);

	jw_key(&w, "results");
	jw_arr(&w);
	for (size_t i = 0; i < r->n_results; i++) {
		for (size_t k = 0; k < r->results[i].n_findings; k++)
			result_json(&w, &r->results[i], &r->results[i].findings[k]);
		jw_drain(&w);
	}
	jw_arr_end(&w);

	jw_key(&w, "properties");
	jw_obj(&w);
	jw_kstr(&w, "cloud", r->cloud);
	jw_key(&w, "resolvers");
	jw_arr(&w);
	for (size_t i = 0; i < r->n_resolvers; i++)
		jw_str(&w, r->resolvers[i]);
	jw_arr_end(&w);
	jw_obj_end(&w);

	jw_obj_end(&w);
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (w.err == KV_OK)
		w.err = kv_buf_putc(out, '\n');
	kv_buf_free(&s);
	return w.err;
}
