/* resolve.c — `kvpe resolve`: A, AAAA and, for vault names, the private link
 * name, with chains, TTLs, server and timing, plus a one-line diagnosis. */
#include "kvpe/resolve.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvpe/check.h"
#include "kvpe/dns.h"
#include "kvpe/expect.h"
#include "kvpe/jsonw.h"
#include "kvpe/log.h"
#include "kvpe/report.h"
#include "kvpe/verdict.h"

struct resolve_item {
	const char *name;
	bool vault;
	struct kv_target t;
	struct kv_result r;
};

static void
on_a(struct dns_batch *b, void *arg, struct kv_dns_lookup *a)
{
	struct resolve_item *it = arg;

	if (!it->vault || a->rcode == KV_RC_TIMEOUT)
		return;
	if (dns_lookup_from(a, it->t.pl_fqdn, &it->r.dns.pl)) {
		it->r.dns.pl_from_chain = true;
		return;
	}
	(void)dns_batch_add(b, it->t.pl_fqdn, DNS_QA, &it->r.dns.pl, NULL, NULL);
}

static void
lookup_json(struct jw *w, const char *key, const struct kv_dns_lookup *l, const char *const *servers, size_t ns)
{
	char buf[KV_ADDR_STRLEN];

	jw_key(w, key);
	if (l->rcode == KV_RC_NONE) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	jw_kstr(w, "name", l->qname);
	jw_kstr(w, "rcode", kv_rcode_name(l->rcode));
	jw_key(w, "chain");
	jw_arr(w);
	for (size_t i = 0; i < l->n_chain; i++)
		jw_str(w, l->chain[i]);
	jw_arr_end(w);
	/* As in the check report: present only when true. */
	if (l->chain_loop)
		jw_kbool(w, "chain_loop", true);
	if (l->chain_truncated)
		jw_kbool(w, "chain_truncated", true);
	report_json_lookup_failure(w, l);
	jw_key(w, "addresses");
	jw_arr(w);
	for (size_t i = 0; i < l->n_addrs; i++) {
		kv_addr_format(&l->addrs[i], buf, sizeof(buf));
		jw_str(w, buf);
	}
	jw_arr_end(w);
	jw_kint(w, "ttl", l->ttl);
	jw_kstr(w, "server", l->server >= 0 && (size_t)l->server < ns ? servers[l->server] : NULL);
	jw_kint(w, "ms", l->ms);
	jw_kint(w, "attempts", l->attempts);
	jw_obj_end(w);
}

static enum kv_err
lookup_table(struct kv_buf *o, struct kv_arena *a, const char *label, const struct kv_dns_lookup *l,
    const char *const *servers, size_t ns)
{
	char buf[KV_ADDR_STRLEN];
	const char *why;
	enum kv_err rc;

	if (l->rcode == KV_RC_NONE)
		return KV_OK;
	why = kv_lookup_rcode_text(a, l);
	rc = kv_buf_printf(o, "  %-12s %-9s", label, kv_rcode_name(l->rcode));
	if (rc == KV_OK && strcmp(why, kv_rcode_name(l->rcode)) != 0)
		rc = kv_buf_printf(o, " (%s)", why);
	if (rc == KV_OK && l->error != NULL)
		rc = kv_buf_printf(o, " (%s)", l->error);
	for (size_t i = 0; i < l->n_addrs && rc == KV_OK; i++) {
		kv_addr_format(&l->addrs[i], buf, sizeof(buf));
		rc = kv_buf_printf(o, "%s%s", i ? "," : " ", buf);
	}
	if (rc == KV_OK)
		rc = kv_buf_printf(o, "  ttl %u  via %s  %u ms\n", l->ttl,
		    l->server >= 0 && (size_t)l->server < ns ? servers[l->server] : "-", l->ms);
	if (rc == KV_OK && l->n_chain > 1) {
		rc = kv_buf_puts(o, "               chain ");
		for (size_t i = 0; i < l->n_chain && rc == KV_OK; i++)
			rc = kv_buf_printf(o, "%s%s", i ? " -> " : "", l->chain[i]);
		if (rc == KV_OK)
			rc = kv_buf_puts(o, l->chain_loop ? " (loop)\n" : l->chain_truncated ? " -> ...\n" : "\n");
	}
	return rc;
}

/* Private only when read whole: a cut chain or a failed AAAA query beside
 * the A answer leaves the name unchecked, never "private". */
static bool
all_private(const struct verdict_cfg *vc, struct kv_arena *a, const struct resolve_item *it)
{
	if (it->r.dns.a.rcode != KV_RC_NOERROR || verdict_dns_unchecked(a, &it->r.dns) != NULL)
		return false;
	for (size_t i = 0; i < it->r.dns.a.n_addrs; i++)
		if (!verdict_addr_private(vc, &it->t, &it->r.dns.a.addrs[i]))
			return false;
	for (size_t i = 0; i < it->r.dns.aaaa.n_addrs; i++)
		if (!verdict_addr_private(vc, &it->t, &it->r.dns.aaaa.addrs[i]))
			return false;
	return true;
}

/* The diagnosis of a name that is not a vault's: private or why not. */
static const char *
name_diagnosis(const struct verdict_cfg *vc, struct kv_arena *a, const struct resolve_item *it)
{
	const char *unchecked = verdict_dns_unchecked(a, &it->r.dns);

	if (all_private(vc, a, it))
		return "private";
	return unchecked != NULL ? unchecked : "not private (or not resolved)";
}

int
resolve_main(const struct kv_cfg *cfg)
{
	struct dns_resolver *dns = NULL;
	struct dns_batch *b = NULL;
	struct kv_arena *a = kv_arena_new(64 * 1024);
	struct resolve_item *items = NULL;
	const char **servers = NULL;
	struct verdict_cfg vc;
	struct kv_buf out;
	struct report_file file;
	char err[256];
	size_t ns = 0;
	int exit_code = 2, code = 0;
	bool said = false; /* a failure's reason is on stderr */
	bool json = cfg->format_set ? cfg->format == REPORT_JSON : !isatty(STDOUT_FILENO);
	enum kv_err rc;

	kv_buf_init(&out, REPORT_MAX);
	memset(&file, 0, sizeof(file));
	file.fd = -1;
	if (a == NULL)
		goto out;
	/* Other formats were refused by cli_parse (CLI_FORMAT_LIST). */
	/* Before any query: an output that cannot be written stops here. */
	if (report_file_open(&file, cfg->output ? cfg->output : "-", REPORT_FILE_REPLACE, err, sizeof(err)) != KV_OK) {
		fprintf(stderr, "kvpe: cannot write report: %s\n", err);
		said = true;
		goto out;
	}
	if (check_dns_new(cfg, &dns, err, sizeof(err)) != KV_OK) {
		fprintf(stderr, "kvpe: %s\n", err);
		said = true;
		goto out;
	}
	ns = dns_server_count(dns);
	servers = kv_arena_calloc(a, ns, sizeof(*servers));
	items = kv_arena_calloc(a, cfg->n_names, sizeof(*items));
	if (servers == NULL || items == NULL || dns_batch_new(dns, a, &b) != KV_OK)
		goto out;
	for (size_t i = 0; i < ns; i++) {
		char buf[64];
		dns_server_name(dns, i, buf, sizeof(buf));
		if ((servers[i] = kv_arena_strdup(a, buf)) == NULL)
			goto out;
	}
	for (size_t i = 0; i < cfg->n_names; i++) {
		struct resolve_item *it = &items[i];
		char label[64];
		bool pl = false;
		it->name = kv_arena_dnsname(a, cfg->names[i]);
		if (it->name == NULL)
			goto out;
		it->r.t = &it->t;
		it->t.cloud = cfg->cloud;
		if (strchr(it->name, '.') == NULL && cloud_valid_name(it->name, KV_KIND_VAULT)) {
			it->vault = true; /* a short vault name, in --cloud */
			it->t.name = it->name;
		} else if (cloud_match_fqdn(it->name, label, sizeof(label), &it->t.kind, &it->t.cloud, &pl)) {
			it->vault = true;
			if (kv_arena_strdup_to(a, label, &it->t.name) != KV_OK)
				goto out;
		}
		if (it->vault) {
			if (kv_target_names(a, &it->t) != KV_OK)
				goto out;
			it->name = it->t.fqdn;
		} else {
			it->t.name = it->t.fqdn = it->t.pl_fqdn = it->name;
		}
		if (dns_batch_add(b, it->name, DNS_QA, &it->r.dns.a, on_a, it) != KV_OK ||
		    dns_batch_add(b, it->name, DNS_QAAAA, &it->r.dns.aaaa, NULL, NULL) != KV_OK)
			goto out;
	}
	if ((rc = dns_batch_run(b)) != KV_OK) {
		fprintf(stderr, "kvpe: resolve failed: %s\n", kv_strerror(rc));
		said = true;
		goto out;
	}
	memset(&vc, 0, sizeof(vc));
	vc.private_cidrs = cfg->private_cidrs;
	vc.n_private_cidrs = cfg->n_private_cidrs;
	vc.resolvers = servers;
	vc.n_resolvers = ns;
	for (size_t i = 0; i < cfg->n_names; i++) {
		if (items[i].vault && verdict_vault(&vc, a, &items[i].r) != KV_OK)
			goto out;
		if (!all_private(&vc, a, &items[i]) || (items[i].vault && items[i].r.status != KV_ST_PASS))
			code = 1;
	}
	if (json) {
		struct jw w;
		jw_init(&w, &out, true);
		jw_obj(&w);
		jw_kstr(&w, "schema", "kvpe.resolve/v1");
		jw_key(&w, "resolvers");
		jw_arr(&w);
		for (size_t i = 0; i < ns; i++)
			jw_str(&w, servers[i]);
		jw_arr_end(&w);
		jw_key(&w, "names");
		jw_arr(&w);
		for (size_t i = 0; i < cfg->n_names; i++) {
			const struct resolve_item *it = &items[i];
			jw_obj(&w);
			jw_kstr(&w, "name", it->name);
			jw_kstr(&w, "kind", it->vault ? cloud_kind_name(it->t.kind) : NULL);
			lookup_json(&w, "a", &it->r.dns.a, servers, ns);
			lookup_json(&w, "aaaa", &it->r.dns.aaaa, servers, ns);
			lookup_json(&w, "privatelink", &it->r.dns.pl, servers, ns);
			jw_kbool(&w, "private", all_private(&vc, a, it));
			jw_kstr(&w, "diagnosis", it->vault ? verdict_dns_summary(&vc, a, &it->r) : name_diagnosis(&vc, a, it));
			jw_key(&w, "findings");
			jw_arr(&w);
			for (size_t k = 0; it->vault && k < it->r.n_findings; k++)
				jw_str(&w, finding_name(it->r.findings[k].code));
			jw_arr_end(&w);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_obj_end(&w);
		if (w.err != KV_OK || kv_buf_putc(&out, '\n') != KV_OK)
			goto out;
	} else {
		for (size_t i = 0; i < cfg->n_names; i++) {
			const struct resolve_item *it = &items[i];
			if (kv_buf_printf(&out, "%s%s%s\n", i ? "\n" : "", it->name,
				it->vault ? (it->t.kind == KV_KIND_HSM ? "  (managed HSM)" : "  (key vault)") : "") != KV_OK ||
			    lookup_table(&out, a, "A", &it->r.dns.a, servers, ns) != KV_OK ||
			    lookup_table(&out, a, "AAAA", &it->r.dns.aaaa, servers, ns) != KV_OK ||
			    (it->vault && lookup_table(&out, a, "privatelink", &it->r.dns.pl, servers, ns) != KV_OK))
				goto out;
			if (it->vault) {
				if (kv_buf_printf(&out, "  diagnosis    %s\n", verdict_dns_summary(&vc, a, &it->r)) != KV_OK)
					goto out;
				for (size_t k = 0; k < it->r.n_findings; k++)
					if (kv_buf_printf(&out, "  finding      %s: %s\n", finding_name(it->r.findings[k].code),
						it->r.findings[k].message) != KV_OK)
						goto out;
			} else if (kv_buf_printf(&out, "  diagnosis    %s\n", name_diagnosis(&vc, a, it)) != KV_OK) {
				goto out;
			}
		}
	}
	if (report_file_sink(&file, out.data, out.len) != KV_OK) {
		fprintf(stderr, "kvpe: cannot write report: %s\n", file.err);
		said = true;
	} else if (report_file_commit(&file, err, sizeof(err)) != KV_OK) {
		fprintf(stderr, "kvpe: cannot write report: %s\n", err);
		said = true;
	} else {
		exit_code = code;
	}
out:
	/* The paths that said nothing are the allocations that failed. */
	if (exit_code == 2 && !said)
		fprintf(stderr, "kvpe: resolve: %s\n", kv_strerror(KV_ENOMEM));
	report_file_abort(&file);
	kv_buf_free(&out);
	dns_batch_free(b);
	dns_free(dns);
	kv_arena_free(a);
	return exit_code;
}
