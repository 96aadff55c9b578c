/* fuzz_args.c — the small parsers behind command-line options and config
 * values.  The first byte picks the parser ('0'..'9' in the seeds; any byte
 * works, modulo 10), the rest (a NUL-terminated copy) is the argument:
 *
 *   0 kv_parse_duration_ms   --wait, --interval      5 kv_hostport_parse   --dns-server, --listen
 *   1 kv_parse_long          --timeout, --dns-qps    6 expect_parse_vault  --vault
 *   2 kv_cidr_parse          --private-cidr          7 cloud_match_fqdn    vault FQDNs
 *   3 kv_addr_parse          addresses               8 cloud_parse         --cloud
 *   4 kv_addr_parse_loose    ARM's "10.1.2.3/28"     9 report_format_parse, cloud_from_host,
 *                                                      cloud_valid_name
 *
 * Property: whatever parses, formatted back (kv_addr_format,
 * kv_hostport_format, or the obvious text form), parses to the same value. */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "kvpe/addr.h"
#include "kvpe/arena.h"
#include "kvpe/cloud.h"
#include "kvpe/common.h"
#include "kvpe/expect.h"
#include "kvpe/report.h"

static void
do_duration(const char *s)
{
	int64_t ms, again;
	char buf[48];

	if (kv_parse_duration_ms(s, &ms) != KV_OK)
		return;
	FZ_CHECK(ms >= 0);
	/* As days plus milliseconds: numbers well inside the parser's digit guard. */
	snprintf(buf, sizeof(buf), "%lldd%lldms", (long long)(ms / 86400000), (long long)(ms % 86400000));
	FZ_CHECK(kv_parse_duration_ms(buf, &again) == KV_OK && again == ms);
}

static void
do_long(const char *s)
{
	long v, again;
	char buf[32];

	if (kv_parse_long(s, LONG_MIN, LONG_MAX, &v) != KV_OK)
		return;
	snprintf(buf, sizeof(buf), "%ld", v);
	FZ_CHECK(kv_parse_long(buf, LONG_MIN, LONG_MAX, &again) == KV_OK && again == v);
	/* A tighter range rejects, never wraps. */
	if (kv_parse_long(s, 0, 65535, &again) == KV_OK)
		FZ_CHECK(again == v && v >= 0 && v <= 65535);
}

static void
do_cidr(const char *s)
{
	struct kv_cidr c, again;
	char addr[KV_ADDR_STRLEN], buf[KV_ADDR_STRLEN + 8];

	if (kv_cidr_parse(s, &c) != KV_OK)
		return;
	FZ_CHECK(c.base.family == 4 || c.base.family == 6);
	FZ_CHECK(c.bits <= (c.base.family == 4 ? 32 : 128));
	FZ_CHECK(kv_cidr_contains(&c, &c.base));
	kv_addr_format(&c.base, addr, sizeof(addr));
	snprintf(buf, sizeof(buf), "%s/%u", addr, (unsigned)c.bits);
	FZ_CHECK(kv_cidr_parse(buf, &again) == KV_OK);
	FZ_CHECK(again.bits == c.bits && kv_addr_eq(&again.base, &c.base));
}

static void
addr_roundtrip(const struct kv_addr *a)
{
	char buf[KV_ADDR_STRLEN];
	struct kv_addr again;

	FZ_CHECK(a->family == 4 || a->family == 6);
	kv_addr_format(a, buf, sizeof(buf));
	FZ_CHECK(kv_addr_parse(buf, &again) == KV_OK && kv_addr_eq(&again, a));
	FZ_CHECK(kv_addr_cmp(a, &again) == 0);
}

static void
do_addr(const char *s, bool loose)
{
	struct kv_addr a;

	if ((loose ? kv_addr_parse_loose(s, &a) : kv_addr_parse(s, &a)) != KV_OK)
		return;
	addr_roundtrip(&a);
}

static void
do_hostport(const char *s)
{
	struct kv_hostport hp, again;
	char buf[KV_ADDR_STRLEN + 10];

	if (kv_hostport_parse(s, 53, &hp) != KV_OK)
		return;
	addr_roundtrip(&hp.addr);
	FZ_CHECK(hp.port >= 1);
	kv_hostport_format(&hp, buf, sizeof(buf));
	FZ_CHECK(kv_hostport_parse(buf, 53, &again) == KV_OK);
	FZ_CHECK(again.port == hp.port && kv_addr_eq(&again.addr, &hp.addr));
}

static void
do_vault(const char *s)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct expect_vault v, again;
	char buf[1024], addr[KV_ADDR_STRLEN];
	const char *why = NULL;
	size_t o;

	if (a == NULL)
		return;
	if (expect_parse_vault(a, s, &v, &why) != KV_OK) {
		FZ_CHECK(why != NULL && why[0] != '\0'); /* a refusal says why */
		goto out;
	}
	FZ_CHECK(v.name != NULL && cloud_valid_name(v.name, v.kind));
	for (const char *p = v.name; *p; p++)
		FZ_CHECK(*p < 'A' || *p > 'Z');
	FZ_CHECK(v.n_addrs == 0 || v.addrs != NULL);
	/* Back to the option's text: [hsm:]NAME or NAME.<suffix>, then =IP,... */
	if (v.cloud_from_name)
		o = (size_t)snprintf(buf, sizeof(buf), "%s.%s", v.name, cloud_suffix(v.cloud, v.kind));
	else
		o = (size_t)snprintf(buf, sizeof(buf), "%s%s", v.kind == KV_KIND_HSM ? "hsm:" : "", v.name);
	for (size_t i = 0; i < v.n_addrs && o < sizeof(buf); i++) {
		FZ_CHECK(i == 0 || kv_addr_cmp(&v.addrs[i - 1], &v.addrs[i]) < 0);
		kv_addr_format(&v.addrs[i], addr, sizeof(addr));
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? "," : "=", addr);
	}
	if (o >= sizeof(buf))
		goto out; /* too many addresses to write back here */
	FZ_CHECK(expect_parse_vault(a, buf, &again, NULL) == KV_OK);
	FZ_CHECK(strcmp(again.name, v.name) == 0 && again.kind == v.kind);
	FZ_CHECK(again.cloud_from_name == v.cloud_from_name);
	FZ_CHECK(!v.cloud_from_name || again.cloud == v.cloud);
	FZ_CHECK(again.n_addrs == v.n_addrs);
	for (size_t i = 0; i < v.n_addrs; i++)
		FZ_CHECK(kv_addr_eq(&again.addrs[i], &v.addrs[i]));
out:
	kv_arena_free(a);
}

static void
do_fqdn(const char *s)
{
	char label[64], again_label[64], buf[256];
	enum kv_kind kind, again_kind;
	enum kv_cloud_id cloud, again_cloud;
	bool pl = false, again_pl = false;

	if (!cloud_match_fqdn(s, label, sizeof(label), &kind, &cloud, &pl))
		return;
	FZ_CHECK(fz_terminated(label, sizeof(label)) && label[0] != '\0');
	FZ_CHECK(strchr(label, '.') == NULL);
	FZ_CHECK(cloud < KV_CLOUD_COUNT);
	snprintf(buf, sizeof(buf), "%s.%s", label, pl ? cloud_pl_zone(cloud, kind) : cloud_suffix(cloud, kind));
	FZ_CHECK(cloud_match_fqdn(buf, again_label, sizeof(again_label), &again_kind, &again_cloud, &again_pl));
	FZ_CHECK(strcmp(again_label, label) == 0 && again_kind == kind && again_cloud == cloud && again_pl == pl);
	/* A vault name (not a private link one) is also a host of its cloud. */
	if (!pl)
		FZ_CHECK(cloud_from_host(buf, kind, &again_cloud) && again_cloud == cloud);
}

static void
do_cloud(const char *s)
{
	enum kv_cloud_id id, again;

	if (cloud_parse(s, &id) != KV_OK)
		return;
	FZ_CHECK(id < KV_CLOUD_COUNT && cloud_get(id)->id == id);
	FZ_CHECK(cloud_parse(cloud_get(id)->name, &again) == KV_OK && again == id);
}

static void
do_misc(const char *s)
{
	enum report_format f, again;
	enum kv_cloud_id cloud;

	if (report_format_parse(s, &f) == KV_OK)
		FZ_CHECK(report_format_parse(report_format_name(f), &again) == KV_OK && again == f);
	for (int k = 0; k < 2; k++)
		if (cloud_from_host(s, k ? KV_KIND_HSM : KV_KIND_VAULT, &cloud))
			FZ_CHECK(cloud < KV_CLOUD_COUNT);
	if (cloud_valid_name(s, KV_KIND_VAULT)) {
		size_t n = strlen(s);
		FZ_CHECK(n >= 3 && n <= 24 && s[0] != '-' && s[n - 1] != '-');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *arg;

	if (size < 1)
		return 0;
	arg = fz_cstr(data + 1, size - 1);
	if (arg == NULL)
		return 0;
	switch ((uint8_t)(data[0] - '0') % 10) {
	case 0:
		do_duration(arg);
		break;
	case 1:
		do_long(arg);
		break;
	case 2:
		do_cidr(arg);
		break;
	case 3:
		do_addr(arg, false);
		break;
	case 4:
		do_addr(arg, true);
		break;
	case 5:
		do_hostport(arg);
		break;
	case 6:
		do_vault(arg);
		break;
	case 7:
		do_fqdn(arg);
		break;
	case 8:
		do_cloud(arg);
		break;
	default:
		do_misc(arg);
		break;
	}
	free(arg);
	return 0;
}
