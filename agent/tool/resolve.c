/* resolve.c — `kvpe resolve`: A, AAAA and, for vault names, the private link
 * name, with chains, TTLs, server and timing, plus a one-line diagnosis;
 * written by the report writers (report_write_resolve). */
#include "kvpe/resolve.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvpe/check.h"
#include "kvpe/dns.h"
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

	if (it->vault)
		(void)check_privatelink(b, &it->r, a); /* not queued (out of memory): shown as not asked */
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

/* "ip:port" of each of the resolver's servers, in `a`; NULL when out of
 * memory. */
static const char **
server_names(struct dns_resolver *dns, struct kv_arena *a, size_t *n)
{
	size_t ns = dns_server_count(dns);
	const char **v = kv_arena_calloc(a, ns, sizeof(*v));

	for (size_t i = 0; v != NULL && i < ns; i++) {
		char buf[64];
		dns_server_name(dns, i, buf, sizeof(buf));
		if ((v[i] = kv_arena_strdup(a, buf)) == NULL)
			return NULL;
	}
	*n = ns;
	return v;
}

/* Each name into items[] and asked for A and AAAA (on_a adds a vault's
 * private link name): a short vault name in --cloud, or a vault or Managed
 * HSM FQDN, gets its target; any other name stands for itself. */
static enum kv_err
ask(const struct kv_cfg *cfg, struct kv_arena *a, struct dns_batch *b, struct resolve_item *items)
{
	for (size_t i = 0; i < cfg->n_names; i++) {
		struct resolve_item *it = &items[i];
		char label[64];
		bool pl = false;
		it->name = kv_arena_dnsname(a, cfg->names[i]);
		if (it->name == NULL)
			return KV_ENOMEM;
		it->r.t = &it->t;
		it->t.cloud = cfg->cloud;
		if (strchr(it->name, '.') == NULL && cloud_valid_name(it->name, KV_KIND_VAULT)) {
			it->vault = true; /* a short vault name, in --cloud */
			it->t.name = it->name;
		} else if (cloud_match_fqdn(it->name, label, sizeof(label), &it->t.kind, &it->t.cloud, &pl)) {
			it->vault = true;
			if (kv_arena_strdup_to(a, label, &it->t.name) != KV_OK)
				return KV_ENOMEM;
		}
		if (it->vault) {
			if (kv_target_names(a, &it->t) != KV_OK)
				return KV_ENOMEM;
			it->name = it->t.fqdn;
		} else {
			it->t.name = it->t.fqdn = it->t.pl_fqdn = it->name;
		}
		if (dns_batch_add(b, it->name, DNS_QA, &it->r.dns.a, on_a, it) != KV_OK ||
		    dns_batch_add(b, it->name, DNS_QAAAA, &it->r.dns.aaaa, NULL, NULL) != KV_OK)
			return KV_ENOMEM;
	}
	return KV_OK;
}

/* The verdict on each name and its entry for the writers; *code becomes 1
 * when a name is not private only, or a vault did not pass. */
static enum kv_err
judge(const struct kv_cfg *cfg, struct kv_arena *a, const char *const *servers, size_t ns,
    struct resolve_item *items, struct report_name *names, int *code)
{
	struct verdict_cfg vc;

	memset(&vc, 0, sizeof(vc));
	vc.private_cidrs = cfg->private_cidrs;
	vc.n_private_cidrs = cfg->n_private_cidrs;
	vc.resolvers = servers;
	vc.n_resolvers = ns;
	for (size_t i = 0; i < cfg->n_names; i++) {
		struct resolve_item *it = &items[i];
		struct report_name *n = &names[i];
		if (it->vault && verdict_vault(&vc, a, &it->r) != KV_OK)
			return KV_ENOMEM;
		n->name = it->name;
		n->vault = it->vault;
		n->r = &it->r;
		n->is_private = all_private(&vc, a, it);
		n->diagnosis = it->vault ? verdict_dns_summary(&vc, a, &it->r) : name_diagnosis(&vc, a, it);
		if (n->diagnosis == NULL)
			return KV_ENOMEM;
		if (!n->is_private || (it->vault && it->r.status != KV_ST_PASS))
			*code = 1;
	}
	return KV_OK;
}

int
resolve_main(const struct kv_cfg *cfg)
{
	struct dns_resolver *dns = NULL;
	struct dns_batch *b = NULL;
	struct kv_arena *a = kv_arena_new(64 * 1024);
	struct resolve_item *items = NULL;
	struct report_name *names = NULL;
	struct report_resolve rs;
	struct report_opts o;
	struct check_cfg cc;
	const char **servers = NULL;
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
	cli_check_cfg(cfg, &cc);
	if (check_dns_new(&cc, &dns, err, sizeof(err)) != KV_OK) {
		fprintf(stderr, "kvpe: %s\n", err);
		said = true;
		goto out;
	}
	servers = server_names(dns, a, &ns);
	items = kv_arena_calloc(a, cfg->n_names, sizeof(*items));
	names = kv_arena_calloc(a, cfg->n_names, sizeof(*names));
	if (servers == NULL || items == NULL || names == NULL || dns_batch_new(dns, a, &b) != KV_OK ||
	    ask(cfg, a, b, items) != KV_OK)
		goto out;
	if ((rc = dns_batch_run(b)) != KV_OK) {
		fprintf(stderr, "kvpe: resolve failed: %s\n", kv_strerror(rc));
		said = true;
		goto out;
	}
	if (judge(cfg, a, servers, ns, items, names, &code) != KV_OK)
		goto out;
	rs.resolvers = servers;
	rs.n_resolvers = ns;
	rs.names = names;
	rs.n_names = cfg->n_names;
	memset(&o, 0, sizeof(o));
	o.pretty = true;
	if (report_write_resolve(&rs, json ? REPORT_JSON : REPORT_TABLE, &o, &out) != KV_OK)
		goto out;
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
