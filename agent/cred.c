/* cred.c — see cred.h. */
#include "kvpe/cred.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvpe/buf.h"
#include "kvpe/cred_jwt.h"
#include "kvpe/jsonr.h"
#include "kvpe/log.h"

extern char **environ;

#define CRED_REFRESH_S 300 /* refresh this long before expiry */
#define CRED_BODY_MAX (256 * 1024)
#define CRED_CLI_TIMEOUT_MS 30000
#define CRED_IMDS_CONNECT_MS 1000
/* Caps on the files credentials come from: read whole or not at all. */
#define CRED_SECRET_FILE_MAX (16 * 1024)  /* a client secret is ~40 bytes */
#define CRED_TOKEN_FILE_MAX (64 * 1024)   /* a projected service-account token is ~1-2 KB */

enum cred_kind {
	CK_NONE,
	CK_SECRET,
	CK_CERT,
	CK_WORKLOAD,
	CK_APPSERVICE,
	CK_LEGACY_MSI,
	CK_IMDS,
	CK_CLI
};

static const char *const kind_names[] = {
    "none", "environment (client secret)", "environment (client certificate)", "workload identity",
    "managed identity (App Service)", "managed identity (MSI_ENDPOINT)", "managed identity (IMDS)", "Azure CLI",
};

struct cred {
	struct cred_cfg cfg;
	enum cred_kind kind;
	char *token;
	int64_t expires_s, issued_s;
	unsigned long requests;
	struct cred_jwt_cert *jwt;
	/* environment snapshot */
	const char *tenant, *client_id, *secret, *cert_path, *fed_file, *authority;
	const char *id_endpoint, *id_header, *msi_endpoint, *msi_secret, *imds_host;
	bool cert_password, send_chain, rs256;
	char *secret_file;  /* AZURE_CLIENT_SECRET read from $CREDENTIALS_DIRECTORY */
	char *cert_file;    /* $CREDENTIALS_DIRECTORY/AZURE_CLIENT_CERTIFICATE */
	char file_err[300]; /* a credential file that could not be read whole */
};

static void warn_if_readable(const char *path, const char *var);

/* A secret or token file read whole (up to `max` bytes), trailing line
 * ends and blanks removed, as a C string in *out (free() it after wiping).
 * Errors name the variable and the file, never what is in it. */
static enum kv_err
read_secret_file(const char *var, const char *path, size_t max, char **out, char *err, size_t size)
{
	char *text = NULL, rerr[160];
	size_t len = 0, n;
	enum kv_err rc;

	rc = kv_read_file(path, max, &text, &len, rerr, sizeof(rerr));
	if (rc == KV_EIO) {
		snprintf(err, size, "%s: cannot read %s: %s", var, path, rerr);
		rc = KV_EAUTH;
	} else if (rc == KV_ELIMIT) {
		snprintf(err, size, "%s: %s is larger than %zu bytes; not read", var, path, max);
		rc = KV_EAUTH;
	} else if (rc == KV_OK && len > 0 && memchr(text, '\0', len) != NULL) {
		/* A C string would stop there: the secret would go out cut short. */
		snprintf(err, size, "%s: %s holds a NUL byte; expected text", var, path);
		rc = KV_EAUTH;
	}
	if (rc != KV_OK)
		goto out;
	n = len;
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		n--;
	*out = n > 0 ? strndup(text, n) : NULL;
	if (n > 0 && *out == NULL)
		rc = KV_ENOMEM;
out:
	if (text != NULL)
		OPENSSL_cleanse(text, len);
	free(text);
	return rc;
}

/* systemd's LoadCredential=NAME:… puts secrets in $CREDENTIALS_DIRECTORY/NAME
 * (mode 0400, owned by the service): read them there when the environment
 * does not name them, so no secret sits in an environment file.  An
 * unreadable or oversized one is remembered in c->file_err (the chain must
 * not quietly move on to another credential). */
static char *
systemd_credential(struct cred *c, const char *name, bool want_path)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char path[4096], var[128];
	char *s = NULL;
	enum kv_err rc;

	if (dir == NULL || dir[0] == '\0' || (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return NULL;
	if (access(path, R_OK) != 0)
		return NULL;
	warn_if_readable(path, name);
	snprintf(var, sizeof(var), "CREDENTIALS_DIRECTORY/%s", name);
	if (want_path) {
		if ((s = strdup(path)) == NULL)
			snprintf(c->file_err, sizeof(c->file_err), "%s: %s", var, kv_strerror(KV_ENOMEM));
		return s;
	}
	if ((rc = read_secret_file(var, path, CRED_SECRET_FILE_MAX, &s, c->file_err, sizeof(c->file_err))) != KV_OK) {
		if (rc == KV_ENOMEM)
			snprintf(c->file_err, sizeof(c->file_err), "%s: %s", var, kv_strerror(rc));
		return NULL;
	}
	return s;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && v[0] != '\0') ? v : NULL;
}

const char *
cred_imds_host(void)
{
	const char *h = env("AZURE_POD_IDENTITY_AUTHORITY_HOST");

	return h != NULL ? h : "http://169.254.169.254";
}

/* An authority host is https://HOST[:PORT][/...]: the token request is
 * built on it, and a secret must never go out in clear text. */
static bool
authority_ok(const char *v)
{
	size_t host;

	if (strncasecmp(v, "https://", 8) != 0)
		return false;
	host = strcspn(v + 8, "/");
	if (host == 0)
		return false;
	for (const char *p = v + 8; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	for (size_t i = 0; i < host; i++) {
		char ch = v[8 + i];
		if (!isalnum((unsigned char)ch) && ch != '.' && ch != '-' && ch != ':' && ch != '[' && ch != ']')
			return false;
	}
	return true;
}

enum kv_err
cred_new(const struct cred_cfg *cfg, struct cred **out, char *err, size_t size)
{
	struct cred *c;
	const char *chain = env("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN"), *alg = env("KVPE_ASSERTION_ALG");
	const char *authority = env("AZURE_AUTHORITY_HOST");

	if (authority != NULL && !authority_ok(authority)) {
		snprintf(err, size, "AZURE_AUTHORITY_HOST is not an https:// URL such as %s",
		    cloud_get(cfg->cloud)->authority_host);
		return KV_EUSAGE;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return KV_ENOMEM;
	c->cfg = *cfg;
	c->tenant = env("AZURE_TENANT_ID");
	c->client_id = env("AZURE_CLIENT_ID");
	c->secret = env("AZURE_CLIENT_SECRET");
	if (c->secret == NULL)
		c->secret = c->secret_file = systemd_credential(c, "AZURE_CLIENT_SECRET", false);
	c->cert_path = env("AZURE_CLIENT_CERTIFICATE_PATH");
	if (c->cert_path == NULL)
		c->cert_path = c->cert_file = systemd_credential(c, "AZURE_CLIENT_CERTIFICATE", true);
	c->cert_password = env("AZURE_CLIENT_CERTIFICATE_PASSWORD") != NULL;
	c->fed_file = env("AZURE_FEDERATED_TOKEN_FILE");
	c->authority = authority;
	if (c->authority == NULL)
		c->authority = cloud_get(cfg->cloud)->authority_host;
	c->id_endpoint = env("IDENTITY_ENDPOINT");
	c->id_header = env("IDENTITY_HEADER");
	c->msi_endpoint = env("MSI_ENDPOINT");
	c->msi_secret = env("MSI_SECRET");
	c->imds_host = cred_imds_host();
	c->send_chain = chain != NULL && (kv_streq_ci(chain, "true") || strcmp(chain, "1") == 0);
	c->rs256 = alg != NULL && kv_streq_ci(alg, "RS256");
	*out = c;
	return KV_OK;
}

static void
drop_token(struct cred *c)
{
	if (c->token != NULL) {
		OPENSSL_cleanse(c->token, strlen(c->token));
		free(c->token);
		c->token = NULL;
	}
}

void
cred_free(struct cred *c)
{
	if (c == NULL)
		return;
	drop_token(c);
	cred_jwt_free(c->jwt);
	if (c->secret_file != NULL) {
		OPENSSL_cleanse(c->secret_file, strlen(c->secret_file));
		free(c->secret_file);
	}
	free(c->cert_file);
	free(c);
}

const char *
cred_source(const struct cred *c)
{
	return kind_names[c->kind];
}

unsigned long
cred_requests(const struct cred *c)
{
	return c->requests;
}

/* ---- token responses ---- */

static bool
json_epoch(const cJSON *v, int64_t *out)
{
	char *end;
	long long n;

	if (cJSON_IsNumber(v)) {
		/* Any double may come in: only a sane epoch or lifetime is one. */
		if (!isfinite(v->valuedouble) || v->valuedouble < -4e18 || v->valuedouble > 4e18)
			return false;
		*out = (int64_t)v->valuedouble;
		return true;
	}
	if (cJSON_IsString(v) && v->valuestring[0] != '\0') {
		errno = 0;
		n = strtoll(v->valuestring, &end, 10);
		if (errno == 0 && *end == '\0') {
			*out = n;
			return true;
		}
	}
	return false;
}

enum kv_err
cred_parse_token(const char *body, size_t len, int64_t now_s, char **token, int64_t *expires_s, char *err, size_t size)
{
	cJSON *root = NULL;
	const cJSON *tok, *e;
	int64_t exp = 0, n;
	enum kv_err rc = KV_OK;
	char desc[240];
	struct jr r;

	/* One whole document, the message naming an offset, never the text.
	 * Not jr_parse: a tree refused for what follows it is wiped below too. */
	jr_init(&r, body, len);
	if ((rc = jr_next(&r, &root, desc, sizeof(desc))) == KV_OK && root == NULL)
		snprintf(desc, sizeof(desc), "%s", len == 0 ? "empty" : "only whitespace");
	if (rc == KV_OK && root != NULL)
		rc = jr_end(&r, desc, sizeof(desc));
	if (rc != KV_OK || root == NULL) {
		snprintf(err, size, "the answer is not one JSON document: %s", desc);
		rc = KV_EPARSE;
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		snprintf(err, size, "the answer is not a JSON object");
		rc = KV_EPARSE;
		goto out;
	}
	e = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (e != NULL) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "error_description");
		if (cJSON_IsObject(e)) { /* ARM-style error object */
			d = cJSON_GetObjectItemCaseSensitive(e, "message");
			e = cJSON_GetObjectItemCaseSensitive(e, "code");
		}
		kv_sanitize(desc, sizeof(desc), cJSON_IsString(d) ? d->valuestring : "");
		snprintf(err, size, "%s%s%s", cJSON_IsString(e) ? e->valuestring : "error", desc[0] ? ": " : "", desc);
		rc = KV_EAUTH;
		goto out;
	}
	tok = cJSON_GetObjectItemCaseSensitive(root, "access_token");
	if (tok == NULL)
		tok = cJSON_GetObjectItemCaseSensitive(root, "accessToken"); /* Azure CLI */
	if (!cJSON_IsString(tok) || tok->valuestring[0] == '\0') {
		snprintf(err, size, "no access_token in the answer");
		rc = KV_EPARSE;
		goto out;
	}
	if (json_epoch(cJSON_GetObjectItemCaseSensitive(root, "expires_on"), &n)) {
		exp = n;
	} else if (json_epoch(cJSON_GetObjectItemCaseSensitive(root, "expires_in"), &n)) {
		/* json_epoch() bounds n to ±4e18: only a huge lifetime can overflow. */
		if (n > INT64_MAX - now_s) {
			snprintf(err, size, "the answer's expires_in is out of range");
			rc = KV_EPARSE;
			goto out;
		}
		exp = now_s + n; /* negative: already expired, said below */
	} else {
		/* Older Azure CLI: "expiresOn": "2026-11-28 10:00:00.000000", local time. */
		const cJSON *eo = cJSON_GetObjectItemCaseSensitive(root, "expiresOn");
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		if (cJSON_IsString(eo) && strptime(eo->valuestring, "%Y-%m-%d %H:%M:%S", &tm) != NULL) {
			tm.tm_isdst = -1;
			exp = (int64_t)mktime(&tm);
		}
	}
	if (exp <= 0) {
		snprintf(err, size, "the answer says nothing of the token's expiry");
		rc = KV_EPARSE;
		goto out;
	}
	if (exp <= now_s) {
		snprintf(err, size, "the token it returned has already expired");
		rc = KV_EAUTH;
		goto out;
	}
	*token = strdup(tok->valuestring);
	if (*token == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	*expires_s = exp;
out:
	if (root != NULL) {
		/* The tree holds the token: wipe it before freeing. */
		tok = cJSON_GetObjectItemCaseSensitive(root, "access_token");
		if (tok == NULL)
			tok = cJSON_GetObjectItemCaseSensitive(root, "accessToken");
		if (cJSON_IsString(tok))
			OPENSSL_cleanse(tok->valuestring, strlen(tok->valuestring));
		cJSON_Delete(root);
	}
	return rc;
}

/* ---- requests ---- */

static char *
join_url(const char *base, const char *path)
{
	size_t bl = strlen(base);
	char *u = malloc(bl + strlen(path) + 2);

	if (u == NULL)
		return NULL;
	memcpy(u, base, bl);
	if (bl > 0 && base[bl - 1] == '/')
		bl--; /* AZURE_AUTHORITY_HOST with or without a trailing slash */
	u[bl] = '/';
	strcpy(u + bl + 1, path[0] == '/' ? path + 1 : path);
	return u;
}

/* One HTTP exchange with a token endpoint, then the answer read into c->token.
 * `probe` (IMDS, asked before anything says it exists): whatever answers
 * that is not a token — no answer, an error status, HTML from a proxy or a
 * non-Azure host, a 400 "Identity not found" — is KV_ENOTFOUND, "managed
 * identity unavailable", and the chain moves on as DefaultAzureCredential
 * does (azidentity's managed_identity_client.go treats a non-JSON or non-2xx
 * IMDS answer in a chain the same way). */
static enum kv_err
exchange(struct cred *c, struct http_req *req, const char *what, bool probe, char *err, size_t size)
{
	struct http_resp resp;
	char perr[256];
	char *tok = NULL;
	int64_t exp = 0, now = kv_wall_ms() / 1000;
	enum kv_err rc;

	req->max_body = CRED_BODY_MAX;
	if (req->timeout_ms == 0)
		req->timeout_ms = c->cfg.timeout_ms ? c->cfg.timeout_ms : 30000;
	c->requests++;
	rc = http_do(c->cfg.http, req, &resp);
	if (rc != KV_OK) {
		snprintf(err, size, "%s: cannot send the request (%s)", what, kv_strerror(rc));
		return rc;
	}
	if (resp.err != KV_OK) {
		snprintf(err, size, "%s: %s", what, resp.error);
		rc = KV_EAUTH;
		goto out;
	}
	rc = cred_parse_token(resp.body.data ? resp.body.data : "", resp.body.len, now, &tok, &exp, perr, sizeof(perr));
	if (rc == KV_EPARSE) {
		snprintf(err, size, "%s: HTTP %ld with a body that is not a token answer (%s; %s)", what, resp.status,
		    resp.content_type[0] ? resp.content_type : "no content type", perr);
		rc = KV_EAUTH;
		goto out;
	}
	if (rc != KV_OK) {
		snprintf(err, size, "%s: HTTP %ld: %s", what, resp.status, perr);
		if (rc == KV_EPARSE)
			rc = KV_EAUTH;
		goto out;
	}
	if (resp.status != 200) {
		snprintf(err, size, "%s: unexpected HTTP %ld", what, resp.status);
		OPENSSL_cleanse(tok, strlen(tok));
		free(tok);
		rc = KV_EAUTH;
		goto out;
	}
	drop_token(c);
	c->token = tok;
	c->expires_s = exp;
	c->issued_s = now;
out:
	if (resp.body.data != NULL)
		OPENSSL_cleanse(resp.body.data, resp.body.len);
	http_resp_free(&resp);
	if (probe && rc != KV_OK && rc != KV_ENOMEM)
		rc = KV_ENOTFOUND;
	return rc;
}

static const char *
scope_of(const struct cred *c, char *buf, size_t size)
{
	const char *r = c->cfg.resource;
	size_t n = strlen(r);

	snprintf(buf, size, "%s%s.default", r, (n > 0 && r[n - 1] == '/') ? "" : "/");
	return buf;
}

/* Entra v2 client-credentials grant: secret, certificate or federated token. */
static enum kv_err
token_entra(struct cred *c, char *err, size_t size)
{
	struct kv_buf form;
	struct http_req req;
	char scope[512], path[256];
	char *url = NULL, *assertion = NULL, *fed = NULL;
	enum kv_err rc;

	kv_buf_init(&form, 512 * 1024);
	snprintf(path, sizeof(path), "%s/oauth2/v2.0/token", c->tenant);
	url = join_url(c->authority, path);
	if (url == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	rc = http_form_add(&form, "grant_type", "client_credentials");
	if (rc == KV_OK)
		rc = http_form_add(&form, "client_id", c->client_id);
	if (rc == KV_OK)
		rc = http_form_add(&form, "scope", scope_of(c, scope, sizeof(scope)));
	if (rc != KV_OK)
		goto out;
	if (c->kind == CK_SECRET) {
		rc = http_form_add(&form, "client_secret", c->secret);
	} else if (c->kind == CK_CERT) {
		if (c->jwt == NULL && (rc = cred_jwt_load(c->cert_path, &c->jwt, err, size)) != KV_OK)
			goto out;
		rc = cred_jwt_assertion(c->jwt, c->client_id, url, kv_wall_ms() / 1000, c->rs256, c->send_chain, &assertion);
		if (rc == KV_OK)
			rc = http_form_add(&form, "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
		if (rc == KV_OK)
			rc = http_form_add(&form, "client_assertion", assertion);
	} else {
		/* Workload identity: the projected token file rotates; read it now. */
		if ((rc = read_secret_file("AZURE_FEDERATED_TOKEN_FILE", c->fed_file, CRED_TOKEN_FILE_MAX, &fed, err,
			 size)) != KV_OK)
			goto out;
		if (fed == NULL) {
			snprintf(err, size, "AZURE_FEDERATED_TOKEN_FILE: %s is empty", c->fed_file);
			rc = KV_EAUTH;
			goto out;
		}
		rc = http_form_add(&form, "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
		if (rc == KV_OK)
			rc = http_form_add(&form, "client_assertion", fed);
	}
	if (rc != KV_OK)
		goto out;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.body = form.data;
	req.body_len = form.len;
	req.headers[0] = "Content-Type: application/x-www-form-urlencoded";
	req.headers[1] = "Accept: application/json";
	rc = exchange(c, &req, "token endpoint", false, err, size);
out:
	if (form.data != NULL)
		OPENSSL_cleanse(form.data, form.len);
	kv_buf_free(&form);
	if (assertion != NULL) {
		OPENSSL_cleanse(assertion, strlen(assertion));
		free(assertion);
	}
	if (fed != NULL) {
		OPENSSL_cleanse(fed, strlen(fed));
		free(fed);
	}
	free(url);
	return rc;
}

/* App Service / Functions (2019-08-01), legacy MSI_ENDPOINT (2017-09-01) and IMDS. */
static enum kv_err
token_managed(struct cred *c, bool probe, char *err, size_t size)
{
	struct http_req req;
	struct kv_buf url;
	char hdr[600];
	char *res = curl_easy_escape(NULL, c->cfg.resource, 0);
	char *cid = c->client_id ? curl_easy_escape(NULL, c->client_id, 0) : NULL;
	const char *what;
	enum kv_err rc;

	kv_buf_init(&url, 4096);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.allow_http = true; /* these endpoints are plain HTTP by design (loopback / link-local) */
	if (res == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	if (c->kind == CK_APPSERVICE) {
		rc = kv_buf_printf(&url, "%s%sapi-version=2019-08-01&resource=%s", c->id_endpoint,
		    strchr(c->id_endpoint, '?') ? "&" : "?", res);
		snprintf(hdr, sizeof(hdr), "X-IDENTITY-HEADER: %s", c->id_header);
		what = "managed identity endpoint (IDENTITY_ENDPOINT)";
	} else if (c->kind == CK_LEGACY_MSI) {
		rc = kv_buf_printf(&url, "%s%sapi-version=2017-09-01&resource=%s", c->msi_endpoint,
		    strchr(c->msi_endpoint, '?') ? "&" : "?", res);
		snprintf(hdr, sizeof(hdr), "secret: %s", c->msi_secret);
		what = "managed identity endpoint (MSI_ENDPOINT)";
	} else {
		char *base = join_url(c->imds_host, "metadata/identity/oauth2/token");
		rc = base ? kv_buf_printf(&url, "%s?api-version=2018-02-01&resource=%s", base, res) : KV_ENOMEM;
		free(base);
		snprintf(hdr, sizeof(hdr), "Metadata: true");
		req.no_proxy = true; /* IMDS behind a proxy is unsupported */
		what = "managed identity (IMDS)";
		if (probe)
			req.timeout_ms = 5000; /* IMDS answers fast or not at all */
	}
	if (rc == KV_OK && cid != NULL)
		rc = kv_buf_printf(&url, "&%s=%s", c->kind == CK_APPSERVICE ? "client_id" : "client_id", cid);
	if (rc != KV_OK)
		goto out;
	req.url = url.data;
	req.headers[0] = hdr;
	req.headers[1] = "Accept: application/json";
	rc = exchange(c, &req, what, probe, err, size);
out:
	OPENSSL_cleanse(hdr, sizeof(hdr));
	kv_buf_free(&url);
	curl_free(res);
	curl_free(cid);
	return rc;
}

/* Runs argv[0] from PATH, without a shell, standard input /dev/null, and
 * gathers its standard output and error into `out` and `errb` until it
 * exits (*status: its wait status).  A child that writes past either cap
 * is killed (its output cannot be what we asked for); one still running
 * at `deadline` (monotonic) or when *cancel is set is killed too:
 * KV_ETIMEOUT or KV_ECANCELED.  KV_ENOTFOUND: it could not be started;
 * KV_EIO: no pipe, or poll failed. */
static enum kv_err
spawn_capture(char *const argv[], int64_t deadline, const volatile int *cancel, struct kv_buf *out,
    struct kv_buf *errb, int *status)
{
	posix_spawn_file_actions_t fa;
	int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
	pid_t pid = -1;
	enum kv_err rc = KV_OK;
	int sp;

	*status = 0;
	if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
		rc = KV_EIO;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
	sp = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;
	if (sp != 0) {
		rc = KV_ENOTFOUND;
		goto out;
	}
	for (int open_fds = 2; open_fds > 0;) {
		struct pollfd p[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
		int64_t left = deadline - kv_now_ms();
		char buf[4096];
		if (left <= 0 || (cancel != NULL && *cancel)) {
			kill(pid, SIGKILL);
			rc = left <= 0 ? KV_ETIMEOUT : KV_ECANCELED;
			break;
		}
		if (poll(p, 2, left < 200 ? (int)left : 200) < 0 && errno != EINTR) {
			rc = KV_EIO;
			break;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(i == 0 ? out_pipe[0] : err_pipe[0]);
				if (i == 0)
					out_pipe[0] = -1;
				else
					err_pipe[0] = -1;
				open_fds--;
			} else if (kv_buf_append(i == 0 ? out : errb, buf, (size_t)n) != KV_OK) {
				kill(pid, SIGKILL); /* more output than it can mean */
			}
		}
	}
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
out:
	for (int i = 0; i < 2; i++) {
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	return rc;
}

/* `az account get-access-token --resource R -o json`, spawned without a shell. */
static enum kv_err
token_cli(struct cred *c, char *err, size_t size)
{
	char *argv[] = {"az", "account", "get-access-token", "--resource", (char *)(uintptr_t)c->cfg.resource,
	    "--output", "json", NULL};
	struct kv_buf out, errb;
	char perr[256], line[240];
	char *tok = NULL;
	int64_t exp = 0;
	int status = 0;
	enum kv_err rc;

	kv_buf_init(&out, CRED_BODY_MAX); /* a token answer is far smaller */
	kv_buf_init(&errb, 16 * 1024);
	c->requests++;
	rc = spawn_capture(argv, kv_now_ms() + CRED_CLI_TIMEOUT_MS, c->cfg.cancel, &out, &errb, &status);
	switch (rc) {
	case KV_OK:
		break;
	case KV_ENOTFOUND:
		snprintf(err, size, "Azure CLI: az not found on PATH");
		goto out;
	case KV_ETIMEOUT:
		snprintf(err, size, "Azure CLI: az did not answer within %d s", CRED_CLI_TIMEOUT_MS / 1000);
		rc = KV_EAUTH;
		goto out;
	case KV_ECANCELED:
		snprintf(err, size, "stopped by a signal");
		goto out;
	default:
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && out.len == 0) {
		/* The exec failed in the child (posix_spawn cannot always say so,
		 * e.g. under valgrind), or a wrapper could not find az. */
		snprintf(err, size, "Azure CLI: az not found on PATH");
		rc = KV_ENOTFOUND;
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		const char *nl = errb.data ? strchr(errb.data, '\n') : NULL;
		if (nl != NULL)
			*(char *)(uintptr_t)nl = '\0';
		kv_sanitize(line, sizeof(line), errb.data ? errb.data : "");
		snprintf(err, size, "Azure CLI: az account get-access-token failed%s%s", line[0] ? ": " : "", line);
		rc = KV_EAUTH;
		goto out;
	}
	rc = cred_parse_token(out.data ? out.data : "", out.len, kv_wall_ms() / 1000, &tok, &exp, perr, sizeof(perr));
	if (rc != KV_OK) {
		snprintf(err, size, "Azure CLI: %s", perr);
		rc = KV_EAUTH;
		goto out;
	}
	drop_token(c);
	c->token = tok;
	c->expires_s = exp;
	c->issued_s = kv_wall_ms() / 1000;
out:
	if (out.data != NULL)
		OPENSSL_cleanse(out.data, out.len);
	kv_buf_free(&out);
	kv_buf_free(&errb);
	return rc;
}

static void
warn_if_readable(const char *path, const char *var)
{
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
		kv_log_warn("credential file is readable by other users; chmod 600 it", "variable=%s mode=%04o", var,
		    (unsigned)(st.st_mode & 07777));
}

static enum kv_err
fetch(struct cred *c, char *err, size_t size)
{
	switch (c->kind) {
	case CK_SECRET:
	case CK_CERT:
	case CK_WORKLOAD:
		return token_entra(c, err, size);
	case CK_APPSERVICE:
	case CK_LEGACY_MSI:
	case CK_IMDS:
		return token_managed(c, false, err, size);
	case CK_CLI:
		return token_cli(c, err, size);
	case CK_NONE:
		break;
	}
	return KV_EINTERNAL;
}

/* The first configured credential, as DefaultAzureCredential picks it. */
static enum kv_err
choose(struct cred *c, char *err, size_t size)
{
	char imds_err[256], cli_err[256];
	enum kv_err rc;

	if (c->file_err[0] != '\0') {
		snprintf(err, size, "%s", c->file_err);
		return KV_EAUTH;
	}
	if (c->tenant && c->client_id && c->secret) {
		c->kind = CK_SECRET;
	} else if (c->tenant && c->client_id && c->cert_path) {
		if (c->cert_password) {
			snprintf(err, size,
			    "AZURE_CLIENT_CERTIFICATE_PASSWORD is set, but kvpe reads only unencrypted PEM files: "
			    "export the key without a password (openssl pkey -in key.pem -out key-plain.pem) and keep it mode 0600");
			return KV_EAUTH;
		}
		warn_if_readable(c->cert_path, "AZURE_CLIENT_CERTIFICATE_PATH");
		c->kind = CK_CERT;
	} else if (c->fed_file && c->client_id && c->tenant) {
		c->kind = CK_WORKLOAD;
	} else if (c->id_endpoint && c->id_header) {
		c->kind = CK_APPSERVICE;
	} else if (c->msi_endpoint && c->msi_secret) {
		c->kind = CK_LEGACY_MSI;
	} else {
		/* IMDS answers only on an Azure VM: probe it, then fall back to az. */
		c->kind = CK_IMDS;
		rc = token_managed(c, true, imds_err, sizeof(imds_err));
		if (rc == KV_OK)
			return KV_OK;
		if (rc != KV_ENOTFOUND) {
			snprintf(err, size, "%s", imds_err);
			return rc;
		}
		kv_log_info("managed identity unavailable; trying the Azure CLI", "reason=\"%s\"", imds_err);
		c->kind = CK_CLI;
		rc = token_cli(c, cli_err, sizeof(cli_err));
		if (rc == KV_OK)
			return KV_OK;
		if (rc != KV_ENOTFOUND) {
			snprintf(err, size, "%s", cli_err);
			return KV_EAUTH;
		}
		c->kind = CK_NONE;
		snprintf(err, size,
		    "no credential: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or "
		    "AZURE_CLIENT_CERTIFICATE_PATH), or AZURE_FEDERATED_TOKEN_FILE, run on an Azure VM with a managed "
		    "identity, or run `az login` (managed identity: %s; %s)", imds_err, cli_err);
		return KV_EAUTH;
	}
	rc = fetch(c, err, size);
	if (rc != KV_OK)
		c->kind = CK_NONE;
	return rc;
}

enum kv_err
cred_token(struct cred *c, const char **token, char *err, size_t size)
{
	int64_t now = kv_wall_ms() / 1000;
	int64_t margin = CRED_REFRESH_S;
	enum kv_err rc;

	err[0] = '\0';
	if (c->token != NULL) {
		/* Refresh early; short-lived tokens at half their life. */
		if ((c->expires_s - c->issued_s) / 2 < margin)
			margin = (c->expires_s - c->issued_s) / 2;
		if (c->expires_s - now > margin) {
			*token = c->token;
			return KV_OK;
		}
	}
	if (c->kind == CK_NONE) {
		rc = choose(c, err, size);
		if (rc == KV_OK)
			kv_log_info("credential selected", "source=\"%s\"", cred_source(c));
	} else {
		rc = fetch(c, err, size);
		if (rc == KV_OK)
			kv_log_debug("token refreshed", "source=\"%s\"", cred_source(c));
	}
	if (rc != KV_OK)
		return rc == KV_ENOTFOUND ? KV_EAUTH : rc;
	*token = c->token;
	return KV_OK;
}
