/* net.c — see net.h.  One CURLM drives every probe; at most max_inflight
 * transfers (and so sockets) exist at once, each with its own timeout, so a
 * black-holed address costs one timeout, not the whole run. */
#include "kvpe/net.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kvpe/buf.h"
#include "kvpe/curlx.h"
#include "kvpe/jsonr.h"

#define NET_BODY_MAX (64 * 1024) /* enough for a 403 body; the rest is not read */

struct probe {
	struct net_target *t;
	CURL *easy;
	struct curl_slist *connect_to;
	struct kv_buf body;
	struct curlx_sink sink; /* into body; keeps the start, drops the rest */
	char url[600], errbuf[CURL_ERROR_SIZE];
};

/* ---- header and body readers ---- */

bool
net_parse_network_info(const char *value, char *addr, size_t size)
{
	const char *p = value;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len > 0 && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		if (len > 5 && strncasecmp(p, "addr=", 5) == 0) {
			char tmp[KV_ADDR_STRLEN];
			struct kv_addr a;
			size_t vl = len - 5;
			while (vl > 0 && isspace((unsigned char)p[5 + vl - 1]))
				vl--;
			if (vl == 0 || vl >= sizeof(tmp) || vl >= size)
				return false;
			memcpy(tmp, p + 5, vl);
			tmp[vl] = '\0';
			if (kv_addr_parse(tmp, &a) != KV_OK)
				return false;
			memcpy(addr, tmp, vl + 1);
			return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* RFC 7230 tchar.  c != '\0' matters: strchr() finds the terminator. */
static bool
is_token_char(char c)
{
	return c != '\0' && (isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 7235 auth-params after the scheme: name=token or name="quoted". */
bool
net_parse_bearer(const char *value, char *tenant, size_t size)
{
	const char *p = value;
	char uri[512] = "";

	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
		return false;
	p += 6;
	while (*p != '\0') {
		char name[32], val[512];
		size_t nl = 0, vl = 0;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		while (is_token_char(*p) && nl + 1 < sizeof(name))
			name[nl++] = *p++;
		name[nl] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (nl == 0 || *p != '=')
			break; /* not an auth-param: another challenge, or junk */
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (vl + 1 < sizeof(val))
					val[vl++] = *p;
			}
			if (*p == '"')
				p++;
		} else {
			while (is_token_char(*p) || *p == '/' || *p == ':') {
				if (vl + 1 < sizeof(val))
					val[vl++] = *p;
				p++;
			}
		}
		val[vl] = '\0';
		if (strcasecmp(name, "authorization") == 0 || strcasecmp(name, "authorization_uri") == 0)
			snprintf(uri, sizeof(uri), "%s", val);
	}
	if (uri[0] == '\0')
		return false;
	{
		size_t n = strlen(uri);
		const char *seg;
		while (n > 0 && uri[n - 1] == '/')
			uri[--n] = '\0';
		seg = strrchr(uri, '/');
		seg = seg ? seg + 1 : uri;
		if (size > 0)
			tenant[0] = '\0';
		if (strlen(seg) < size) {
			bool ok = *seg != '\0';
			for (const char *c = seg; *c; c++)
				ok &= isalnum((unsigned char)*c) || *c == '-' || *c == '.';
			if (ok)
				memcpy(tenant, seg, strlen(seg) + 1);
		}
	}
	return true;
}

bool
net_parse_error_code(const char *body, size_t len, char *code, size_t size)
{
	cJSON *root = NULL;
	const cJSON *e, *c = NULL;
	char perr[160];
	bool found = false;

	/* A body that is not one whole JSON document names no code. */
	if (jr_parse(body, len, &root, perr, sizeof(perr)) != KV_OK)
		root = NULL;
	e = root ? cJSON_GetObjectItem(root, "error") : NULL;

	/* The innermost innererror.code is the specific reason. */
	for (int depth = 0; cJSON_IsObject(e) && depth < 8; depth++) {
		const cJSON *cc = cJSON_GetObjectItem(e, "code");
		if (cJSON_IsString(cc))
			c = cc;
		e = cJSON_GetObjectItem(e, "innererror");
	}
	if (c != NULL && strlen(c->valuestring) < size) {
		bool ok = c->valuestring[0] != '\0';
		for (const char *p = c->valuestring; *p; p++)
			ok &= is_token_char(*p);
		if (ok) {
			memcpy(code, c->valuestring, strlen(c->valuestring) + 1);
			found = true;
		}
	}
	cJSON_Delete(root);
	return found;
}

/* ---- probes ---- */

static enum kv_err
probe_setup(const struct net_cfg *cfg, struct probe *p)
{
	char addr[KV_ADDR_STRLEN], ct[700];
	const struct net_target *t = p->t;
	struct curlx_setopt so = {CURLE_OK, NULL};

	kv_addr_format(&t->addr, addr, sizeof(addr));
	/* CONNECT_TO pins the connection to the DNS answer, keeping the FQDN for
	 * SNI, certificate and Host; the http:// form with CONNECT_ONLY is TCP alone. */
	snprintf(ct, sizeof(ct), "%s:443:%s%s%s:443", t->fqdn, t->addr.family == 6 ? "[" : "", addr,
	    t->addr.family == 6 ? "]" : "");
	p->connect_to = curl_slist_append(NULL, ct);
	p->easy = curl_easy_init();
	if (p->connect_to == NULL || p->easy == NULL)
		return KV_ENOMEM;
	if (cfg->level == KV_PROBE_TCP)
		snprintf(p->url, sizeof(p->url), "http://%s:443/", t->fqdn);
	else
		snprintf(p->url, sizeof(p->url), "https://%s%s", t->fqdn, cfg->level == KV_PROBE_HTTPS ? NET_PROBE_PATH : "/");
	kv_buf_init(&p->body, NET_BODY_MAX);
	p->sink.buf = &p->body;
	p->sink.truncate = true; /* the verdict needs only the start */
	CURLX_SETOPT(&so, p->easy, CURLOPT_URL, p->url);
	CURLX_SETOPT(&so, p->easy, CURLOPT_CONNECT_TO, p->connect_to);
	CURLX_SETOPT(&so, p->easy, CURLOPT_PROXY, "");   /* a proxy would resolve the name itself */
	CURLX_SETOPT(&so, p->easy, CURLOPT_NOPROXY, "*");
	CURLX_SETOPT(&so, p->easy, CURLOPT_FRESH_CONNECT, 1L);
	CURLX_SETOPT(&so, p->easy, CURLOPT_FORBID_REUSE, 1L);
	CURLX_SETOPT(&so, p->easy, CURLOPT_FOLLOWLOCATION, 0L);
	CURLX_SETOPT(&so, p->easy, CURLOPT_NOSIGNAL, 1L);
	CURLX_SETOPT(&so, p->easy, CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
	CURLX_SETOPT(&so, p->easy, CURLOPT_CONNECTTIMEOUT_MS, cfg->timeout_ms);
	CURLX_SETOPT(&so, p->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curlx_verify(&so, p->easy, cfg->cas);
	CURLX_SETOPT(&so, p->easy, CURLOPT_CERTINFO, 1L);
	CURLX_SETOPT(&so, p->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	CURLX_SETOPT(&so, p->easy, CURLOPT_USERAGENT, "kvpe/" KV_VERSION " (private endpoint probe)");
	CURLX_SETOPT(&so, p->easy, CURLOPT_ERRORBUFFER, p->errbuf);
	CURLX_SETOPT(&so, p->easy, CURLOPT_WRITEFUNCTION, curlx_write_cb);
	CURLX_SETOPT(&so, p->easy, CURLOPT_WRITEDATA, &p->sink);
	CURLX_SETOPT(&so, p->easy, CURLOPT_PRIVATE, p);
	if (cfg->level != KV_PROBE_HTTPS)
		CURLX_SETOPT(&so, p->easy, CURLOPT_CONNECT_ONLY, 1L);
	return curlx_setopt_result(&so, "probe");
}

static void
probe_free(struct probe *p)
{
	if (p->easy != NULL)
		curl_easy_cleanup(p->easy);
	curl_slist_free_all(p->connect_to);
	kv_buf_free(&p->body);
	p->easy = NULL;
	p->connect_to = NULL;
}

/* The leaf certificate's expiry, from curl's certificate info. */
static int64_t
cert_not_after(CURL *easy)
{
	struct curl_certinfo *ci = NULL;

	if (curl_easy_getinfo(easy, CURLINFO_CERTINFO, &ci) != CURLE_OK || ci == NULL || ci->num_of_certs < 1)
		return 0;
	for (struct curl_slist *s = ci->certinfo[0]; s != NULL; s = s->next) {
		if (strncasecmp(s->data, "Expire date:", 12) == 0) {
			time_t t = curl_getdate(s->data + 12, NULL);
			return t > 0 ? (int64_t)t : 0;
		}
	}
	return 0;
}

/* The observation from a finished transfer; KV_ENOMEM when its text could
 * not be kept. */
static enum kv_err
classify(const struct net_cfg *cfg, struct probe *p, CURLcode cc, struct kv_arena *a)
{
	struct kv_probe_obs *o = p->t->out;
	curl_off_t t_conn = 0, t_tls = 0, t_total = 0;
	char *local = NULL, buf[256];
	long status = 0, verify = 0;
	const char *ni, *auth;

	curl_easy_getinfo(p->easy, CURLINFO_CONNECT_TIME_T, &t_conn);
	curl_easy_getinfo(p->easy, CURLINFO_APPCONNECT_TIME_T, &t_tls);
	curl_easy_getinfo(p->easy, CURLINFO_TOTAL_TIME_T, &t_total);
	curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(p->easy, CURLINFO_SSL_VERIFYRESULT, &verify);
	if (curl_easy_getinfo(p->easy, CURLINFO_LOCAL_IP, &local) == CURLE_OK && local != NULL && local[0] != '\0')
		(void)kv_addr_parse(local, &o->local);
	o->tcp_ms = t_conn > 0 ? (int32_t)(t_conn / 1000) : -1;
	o->tls_ms = (t_tls > 0 && t_tls >= t_conn) ? (int32_t)((t_tls - t_conn) / 1000) : -1;
	o->http_ms = (status > 0 && t_total >= t_tls) ? (int32_t)((t_total - (t_tls > 0 ? t_tls : t_conn)) / 1000) : -1;
	o->cert_not_after = cfg->level >= KV_PROBE_TLS ? cert_not_after(p->easy) : 0;
	if (cc != CURLE_OK && status == 0) {
		const char *why = p->errbuf[0] ? p->errbuf : curl_easy_strerror(cc);
		/* curl leaves CONNECT_TIME at 0 when the TLS step fails; a local
		 * address exists only once TCP got through. */
		bool tcp_ok = o->local.family != 0;
		if (!tcp_ok) {
			o->result = KV_PR_TCP_FAILED;
			if (cc == CURLE_OPERATION_TIMEDOUT)
				snprintf(buf, sizeof(buf), "no answer within %ld ms", cfg->timeout_ms);
			else
				snprintf(buf, sizeof(buf), "%s", why);
		} else if (cfg->level >= KV_PROBE_TLS && t_tls <= 0) {
			o->result = KV_PR_TLS_FAILED;
			o->verify_result = verify;
			if (cc == CURLE_OPERATION_TIMEDOUT)
				snprintf(buf, sizeof(buf), "no TLS handshake within %ld ms (the server accepted TCP but did not speak TLS)",
				    cfg->timeout_ms);
			else
				snprintf(buf, sizeof(buf), "%s", why);
		} else {
			o->result = KV_PR_HTTP_FAILED;
			snprintf(buf, sizeof(buf), "%s", why);
		}
		return kv_arena_strdup_to(a, buf, &o->error);
	}
	if (cfg->level != KV_PROBE_HTTPS) {
		o->result = KV_PR_CONNECTED;
		return KV_OK;
	}
	o->http_status = (int)status;
	ni = curlx_header(p->easy, "x-ms-keyvault-network-info");
	auth = curlx_header(p->easy, "www-authenticate");
	if (ni != NULL && net_parse_network_info(ni, buf, sizeof(buf))) {
		o->network_info = true;
		if (kv_arena_strdup_to(a, buf, &o->seen_addr) != KV_OK)
			return KV_ENOMEM;
	}
	if (auth != NULL && net_parse_bearer(auth, buf, sizeof(buf))) {
		o->bearer = true;
		if (buf[0] != '\0' && kv_arena_strdup_to(a, buf, &o->tenant) != KV_OK)
			return KV_ENOMEM;
	}
	if (status == 403 && net_parse_error_code(p->body.data ? p->body.data : "", p->body.len, buf, sizeof(buf)) &&
	    kv_arena_strdup_to(a, buf, &o->error_code) != KV_OK)
		return KV_ENOMEM;
	if (status == 403 && (o->network_info || o->error_code != NULL)) {
		o->result = KV_PR_FORBIDDEN;
	} else if (o->network_info || o->bearer) {
		o->result = KV_PR_VAULT;
	} else {
		const char *server = curlx_header(p->easy, "server");
		o->result = KV_PR_NOT_VAULT;
		snprintf(buf, sizeof(buf), "HTTP %ld without x-ms-keyvault-network-info or a Bearer challenge%s%s", status,
		    server ? ", Server: " : "", server ? server : "");
		return kv_arena_strdup_to(a, buf, &o->error);
	}
	return KV_OK;
}

static bool
allowed(const struct net_cfg *cfg, const struct kv_addr *addr)
{
	if (cfg->allow == NULL)
		return true;
	for (size_t i = 0; i < cfg->n_allow; i++)
		if (kv_cidr_contains(&cfg->allow[i], addr))
			return true;
	return false;
}

/* One probe run: what the end of a transfer needs. */
struct net_run {
	const struct net_cfg *cfg;
	struct kv_arena *a;
	CURLM *multi;
	size_t active;
};

static enum kv_err
probe_done(void *arg, void *priv, CURLcode cc)
{
	struct net_run *run = arg;
	struct probe *p = priv;
	enum kv_err rc = classify(run->cfg, p, cc, run->a);

	curl_multi_remove_handle(run->multi, p->easy);
	probe_free(p);
	run->active--;
	return rc;
}

enum kv_err
net_probe(const struct net_cfg *cfg, struct net_target *t, size_t n, struct kv_arena *a, struct net_stats *st)
{
	struct net_run run = {cfg, a, curl_multi_init(), 0};
	struct probe *pr = calloc(n ? n : 1, sizeof(*pr));
	size_t next = 0;
	unsigned max = cfg->max_inflight ? cfg->max_inflight : 64;
	enum kv_err rc = KV_OK;

	memset(st, 0, sizeof(*st));
	if (run.multi == NULL || pr == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	if (curl_multi_setopt(run.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)max) != CURLM_OK) {
		rc = KV_EINTERNAL;
		goto out;
	}
	while (next < n || run.active > 0) {
		if (cfg->cancel != NULL && *cfg->cancel) {
			rc = KV_ECANCELED;
			goto out;
		}
		while (next < n && run.active < max) {
			struct probe *p = &pr[next];
			p->t = &t[next++];
			p->t->out->level = cfg->level;
			p->t->out->address = p->t->addr;
			if (!allowed(cfg, &p->t->addr)) {
				p->t->out->skipped = "the address is outside KVPE_PROBE_ALLOW";
				continue;
			}
			if ((rc = probe_setup(cfg, p)) != KV_OK || curl_multi_add_handle(run.multi, p->easy) != CURLM_OK) {
				rc = rc ? rc : KV_ENOMEM;
				goto out;
			}
			run.active++;
			st->probes++;
			if (run.active > st->peak_inflight)
				st->peak_inflight = run.active;
		}
		if ((rc = curlx_multi_step(run.multi, probe_done, &run)) != KV_OK)
			goto out;
		if (run.active > 0 && (rc = curlx_multi_wait(run.multi, 200)) != KV_OK)
			goto out;
	}
out:
	for (size_t i = 0; pr != NULL && i < n; i++) {
		if (pr[i].easy != NULL) {
			curl_multi_remove_handle(run.multi, pr[i].easy);
			probe_free(&pr[i]);
		}
	}
	free(pr);
	if (run.multi != NULL)
		curl_multi_cleanup(run.multi);
	return rc;
}
