/* test_util.c — the small parsers and helpers every module leans on:
 * addresses, CIDRs, server addresses, durations, cloud names, --vault specs,
 * JSON escaping, the strict JSON reader (every document of a text, byte
 * offsets of what is not JSON), capped buffers, whole-file reads, the
 * arena, log escaping, sanitised server text, UUIDs and jitter.  Library
 * only: argv and --config parsing are the tool's (test_cli.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "kvpe/addr.h"
#include "kvpe/arena.h"
#include "kvpe/buf.h"
#include "kvpe/cloud.h"
#include "kvpe/expect.h"
#include "kvpe/jsonr.h"
#include "kvpe/jsonw.h"
#include "kvpe/log.h"

static void
test_addr(void **state)
{
	struct kv_addr a, b;
	char buf[KV_ADDR_STRLEN];
	struct kv_addr v[4];
	size_t n = 4;

	(void)state;
	assert_int_equal(kv_addr_parse("10.1.2.3", &a), KV_OK);
	assert_int_equal(a.family, 4);
	kv_addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "10.1.2.3");
	assert_int_equal(kv_addr_parse("fd00::1", &b), KV_OK);
	assert_true(kv_addr_cmp(&a, &b) < 0); /* IPv4 first */
	assert_int_not_equal(kv_addr_parse("10.1.2", &a), KV_OK);
	assert_int_not_equal(kv_addr_parse("10.1.2.3/28", &a), KV_OK);
	assert_int_equal(kv_addr_parse_loose("172.20.2.16/28", &a), KV_OK);
	kv_addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "172.20.2.16");
	/* numeric, not lexical, order */
	kv_addr_parse("10.0.0.10", &v[0]);
	kv_addr_parse("10.0.0.9", &v[1]);
	kv_addr_parse("10.0.0.10", &v[2]);
	kv_addr_parse("9.0.0.1", &v[3]);
	kv_addr_sort_unique(v, &n);
	assert_int_equal(n, 3);
	kv_addr_format(&v[0], buf, sizeof(buf));
	assert_string_equal(buf, "9.0.0.1");
	kv_addr_format(&v[2], buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.10");
}

static void
test_private(void **state)
{
	static const struct {
		const char *ip;
		bool priv;
	} cases[] = {
	    {"10.0.0.1", true}, {"10.255.255.255", true}, {"11.0.0.1", false}, {"172.16.0.1", true},
	    {"172.31.255.255", true}, {"172.32.0.1", false}, {"172.15.0.1", false}, {"192.168.1.1", true},
	    {"192.169.1.1", false}, {"100.64.0.1", true}, {"100.127.255.255", true}, {"100.128.0.1", false},
	    {"100.63.255.255", false}, {"52.1.2.3", false}, {"127.0.0.1", false}, {"fd12::1", true},
	    {"fc00::1", true}, {"fe80::1", false}, {"2001:db8::1", false},
	};
	struct kv_addr a;
	struct kv_cidr c;

	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(cases); i++) {
		assert_int_equal(kv_addr_parse(cases[i].ip, &a), KV_OK);
		if (kv_addr_is_default_private(&a) != cases[i].priv) {
			print_error("%s\n", cases[i].ip);
			fail();
		}
	}
	assert_int_equal(kv_cidr_parse("127.0.0.0/8", &c), KV_OK);
	kv_addr_parse("127.0.0.9", &a);
	assert_true(kv_addr_is_private(&a, &c, 1));
	assert_int_equal(kv_cidr_parse("10.1.2.3/8", &c), KV_OK); /* host bits cleared */
	kv_addr_parse("10.200.0.1", &a);
	assert_true(kv_cidr_contains(&c, &a));
	assert_int_equal(kv_cidr_parse("10.1.2.128/25", &c), KV_OK);
	kv_addr_parse("10.1.2.127", &a);
	assert_false(kv_cidr_contains(&c, &a));
	kv_addr_parse("10.1.2.200", &a);
	assert_true(kv_cidr_contains(&c, &a));
	assert_int_equal(kv_cidr_parse("0.0.0.0/0", &c), KV_OK);
	assert_true(kv_cidr_contains(&c, &a));
	assert_int_not_equal(kv_cidr_parse("10.0.0.0/33", &c), KV_OK);
	assert_int_not_equal(kv_cidr_parse("10.0.0.0", &c), KV_OK);
	assert_int_not_equal(kv_cidr_parse("/8", &c), KV_OK);
	assert_int_equal(kv_cidr_parse("2001:db8::/32", &c), KV_OK);
	kv_addr_parse("2001:db8:1::1", &a);
	assert_true(kv_cidr_contains(&c, &a));
}

static void
test_hostport(void **state)
{
	struct kv_hostport hp;
	char buf[64];

	(void)state;
	assert_int_equal(kv_hostport_parse("10.0.0.4", 53, &hp), KV_OK);
	kv_hostport_format(&hp, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.4:53");
	assert_int_equal(kv_hostport_parse("127.0.0.1:5353", 53, &hp), KV_OK);
	assert_int_equal(hp.port, 5353);
	assert_int_equal(kv_hostport_parse("[fd00::53]:5353", 53, &hp), KV_OK);
	kv_hostport_format(&hp, buf, sizeof(buf));
	assert_string_equal(buf, "[fd00::53]:5353");
	assert_int_equal(kv_hostport_parse("fd00::53", 53, &hp), KV_OK);
	assert_int_equal(hp.port, 53);
	assert_int_not_equal(kv_hostport_parse("10.0.0.4:0", 53, &hp), KV_OK);
	assert_int_not_equal(kv_hostport_parse("10.0.0.4:65536", 53, &hp), KV_OK);
	assert_int_not_equal(kv_hostport_parse("[fd00::53", 53, &hp), KV_OK);
	assert_int_not_equal(kv_hostport_parse("dns.example:53", 53, &hp), KV_OK);
	assert_int_not_equal(kv_hostport_parse("", 53, &hp), KV_OK);
	/* An unbracketed IPv6 address whose last group could be a port is
	 * ambiguous: refused, not silently port 53 of another address. */
	static const struct {
		const char *s;
		bool ambiguous;
	} v6[] = {
	    {"::1:53", true}, {"fd00::1:5353", true}, {"2001:db8::53:853", true}, {"::1:0", true},
	    {"::1", false}, {"fd00::53", false}, {"::53", false}, {"2001:db8::53", false},
	    {"1:2:3:4:5:6:7:8", false}, {"::ffff:10.0.0.1", false}, {"[::1]:53", false}, {"[::1:53]", false},
	    {"10.0.0.4:53", false}, {"1::", false}, {"::1:123456", false},
	};
	for (size_t i = 0; i < KV_ARRAY_LEN(v6); i++) {
		if (kv_hostport_ambiguous(v6[i].s) != v6[i].ambiguous) {
			print_error("'%s': ambiguous should be %d\n", v6[i].s, v6[i].ambiguous);
			fail();
		}
		if (v6[i].ambiguous)
			assert_int_not_equal(kv_hostport_parse(v6[i].s, 53, &hp), KV_OK);
	}
	assert_int_equal(kv_hostport_parse("::1", 53, &hp), KV_OK);
	kv_hostport_format(&hp, buf, sizeof(buf));
	assert_string_equal(buf, "[::1]:53");
	assert_int_equal(kv_hostport_parse("[::1:53]", 53, &hp), KV_OK); /* the address ::1:53 */
	assert_int_equal(hp.addr.family, 6);
	assert_int_equal(hp.addr.b[13], 1);
	assert_int_equal(hp.addr.b[15], 0x53);
	assert_int_equal(hp.port, 53);
}

static void
test_duration(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(kv_parse_duration_ms("30s", &ms), KV_OK);
	assert_int_equal(ms, 30000);
	assert_int_equal(kv_parse_duration_ms("5m", &ms), KV_OK);
	assert_int_equal(ms, 300000);
	assert_int_equal(kv_parse_duration_ms("1h30m", &ms), KV_OK);
	assert_int_equal(ms, 5400000);
	assert_int_equal(kv_parse_duration_ms("250ms", &ms), KV_OK);
	assert_int_equal(ms, 250);
	assert_int_equal(kv_parse_duration_ms("90", &ms), KV_OK);
	assert_int_equal(ms, 90000);
	assert_int_not_equal(kv_parse_duration_ms("", &ms), KV_OK);
	assert_int_not_equal(kv_parse_duration_ms("5x", &ms), KV_OK);
	assert_int_not_equal(kv_parse_duration_ms("m", &ms), KV_OK);
	assert_int_not_equal(kv_parse_duration_ms("1h5", &ms), KV_OK);
	assert_int_not_equal(kv_parse_duration_ms("99999999999999999999h", &ms), KV_OK);
}

static void
test_cloud(void **state)
{
	char label[64];
	enum kv_kind kind;
	enum kv_cloud_id cloud;
	bool pl;

	(void)state;
	assert_true(cloud_match_fqdn("Contoso.Vault.Azure.CN.", label, sizeof(label), &kind, &cloud, &pl));
	assert_string_equal(label, "contoso");
	assert_int_equal(cloud, KV_CLOUD_CHINA);
	assert_int_equal(kind, KV_KIND_VAULT);
	assert_false(pl);
	assert_true(cloud_match_fqdn("h1.privatelink.managedhsm.azure.net", label, sizeof(label), &kind, &cloud, &pl));
	assert_int_equal(kind, KV_KIND_HSM);
	assert_true(pl);
	assert_true(cloud_match_fqdn("kv.vault.usgovcloudapi.net", label, sizeof(label), &kind, &cloud, &pl));
	assert_int_equal(cloud, KV_CLOUD_USGOV);
	assert_false(cloud_match_fqdn("a.b.vault.azure.net", label, sizeof(label), &kind, &cloud, &pl));
	assert_false(cloud_match_fqdn("vault.azure.net", label, sizeof(label), &kind, &cloud, &pl));
	assert_false(cloud_match_fqdn("kv.example.com", label, sizeof(label), &kind, &cloud, &pl));
	assert_int_equal(cloud_parse("azurechinacloud", &cloud), KV_OK);
	assert_int_equal(cloud, KV_CLOUD_CHINA);
	assert_int_not_equal(cloud_parse("Mars", &cloud), KV_OK);
	assert_true(cloud_valid_name("kv-01", KV_KIND_VAULT));
	assert_false(cloud_valid_name("kv", KV_KIND_VAULT));
	assert_false(cloud_valid_name("-kv1", KV_KIND_VAULT));
	assert_false(cloud_valid_name("a-very-long-vault-name-xyz", KV_KIND_VAULT));
	assert_false(cloud_valid_name("a-very-long-vault-name-xyz", KV_KIND_HSM));
}

static void
test_vault_spec(void **state)
{
	struct kv_arena *a = kv_arena_new(4096);
	struct expect_vault v;
	char buf[64];

	(void)state;
	assert_int_equal(expect_parse_vault(a, "Contoso=10.1.0.5,10.1.0.4", &v, NULL), KV_OK);
	assert_string_equal(v.name, "contoso");
	assert_int_equal(v.n_addrs, 2);
	kv_addr_format(&v.addrs[0], buf, sizeof(buf));
	assert_string_equal(buf, "10.1.0.4");
	assert_int_equal(expect_parse_vault(a, "hsm:hsm1", &v, NULL), KV_OK);
	assert_int_equal(v.kind, KV_KIND_HSM);
	assert_int_equal(expect_parse_vault(a, "kv1.vault.azure.cn", &v, NULL), KV_OK);
	assert_true(v.cloud_from_name);
	assert_int_equal(v.cloud, KV_CLOUD_CHINA);
	assert_int_equal(expect_parse_vault(a, "hsm1.managedhsm.azure.net=10.0.0.1", &v, NULL), KV_OK);
	assert_int_equal(v.kind, KV_KIND_HSM);
	assert_int_not_equal(expect_parse_vault(a, "kv1=", &v, NULL), KV_OK);
	assert_int_not_equal(expect_parse_vault(a, "kv1=10.0.0.1,", &v, NULL), KV_OK);
	assert_int_not_equal(expect_parse_vault(a, "kv1=10.0.0.300", &v, NULL), KV_OK);
	assert_int_not_equal(expect_parse_vault(a, "kv1.privatelink.vaultcore.azure.net", &v, NULL), KV_OK);
	assert_int_not_equal(expect_parse_vault(a, "kv1.example.com", &v, NULL), KV_OK);
	assert_int_not_equal(expect_parse_vault(a, "=10.0.0.1", &v, NULL), KV_OK);
	/* One trailing dot in every form; names compare without it. */
	assert_int_equal(expect_parse_vault(a, "Contoso.", &v, NULL), KV_OK);
	assert_string_equal(v.name, "contoso");
	assert_false(v.cloud_from_name);
	assert_int_equal(expect_parse_vault(a, "contoso.vault.azure.net.", &v, NULL), KV_OK);
	assert_true(v.cloud_from_name);
	assert_int_equal(expect_parse_vault(a, "hsm:hsm1.", &v, NULL), KV_OK);
	assert_int_equal(v.kind, KV_KIND_HSM);
	assert_int_equal(expect_parse_vault(a, "contoso.=10.0.0.1", &v, NULL), KV_OK);
	assert_int_equal(v.n_addrs, 1);
	for (size_t i = 0; i < 5; i++) {
		static const char *const bad[] = {".", "..", "contoso..", "contoso.vault.azure.net..", "hsm:."};
		assert_int_equal(expect_parse_vault(a, bad[i], &v, NULL), KV_EUSAGE);
	}
	/* hsm: with a Key Vault FQDN is refused with its own reason; an HSM
	 * FQDN is an HSM with or without hsm: */
	{
		const char *why = NULL;
		assert_int_equal(expect_parse_vault(a, "hsm:kv1.vault.azure.net", &v, &why), KV_EUSAGE);
		assert_non_null(strstr(why, "hsm: takes a Managed HSM name or a *.managedhsm.* FQDN"));
		assert_int_equal(expect_parse_vault(a, "kv1.privatelink.vaultcore.azure.net", &v, &why), KV_EUSAGE);
		assert_non_null(strstr(why, "private link name"));
		assert_int_equal(expect_parse_vault(a, "kv1", &v, &why), KV_OK);
	}
	assert_int_equal(expect_parse_vault(a, "hsm:hsm01.managedhsm.azure.cn.", &v, NULL), KV_OK);
	assert_int_equal(v.kind, KV_KIND_HSM);
	assert_int_equal(v.cloud, KV_CLOUD_CHINA);
	kv_arena_free(a);
}

static void
test_json_escape(void **state)
{
	struct kv_buf b;
	struct jw w;
	cJSON *root;
	const char *nasty = "quote\" backslash\\ nl\n tab\t ctl\x01 utf8-\xc3\xa9 bad-\xff end";

	(void)state;
	kv_buf_init(&b, 4096);
	jw_init(&w, &b, false);
	jw_obj(&w);
	jw_kstr(&w, "k", nasty);
	jw_kint(&w, "n", -5);
	jw_key(&w, "a");
	jw_arr(&w);
	jw_str(&w, "x");
	jw_null(&w);
	jw_arr_end(&w);
	jw_obj_end(&w);
	assert_int_equal(w.err, KV_OK);
	root = cJSON_Parse(b.data);
	assert_non_null(root);
	assert_non_null(strstr(cJSON_GetObjectItem(root, "k")->valuestring, "quote\" backslash\\ nl\n"));
	assert_non_null(strstr(cJSON_GetObjectItem(root, "k")->valuestring, "utf8-\xc3\xa9 bad-\xef\xbf\xbd end"));
	cJSON_Delete(root);
	kv_buf_free(&b);
}

/* Every document of a text, or the offset of the first byte that is not
 * JSON (of the end, for a document cut off there). */
static void
test_jsonr(void **state)
{
	static const struct {
		const char *text;
		size_t len; /* 0: strlen */
		size_t docs;
		const char *err;
	} cases[] = {
	    {"{\"a\":1}", 0, 1, NULL},
	    {"{\"a\":1}{\"b\":2}", 0, 2, NULL},
	    {"{\"a\":1}\n{\"b\":2}\n", 0, 2, NULL},
	    {"{\n  \"a\": 1\n}\n{\n  \"b\": [\n    1\n  ]\n}\n", 0, 2, NULL},
	    {"[1,2] {\"a\":1}\r\n\t", 0, 2, NULL},
	    {"\xEF\xBB\xBF{\"a\":1}", 0, 1, NULL},
	    {"", 0, 0, NULL},
	    {" \n\t\r ", 0, 0, NULL},
	    {"{\"a\":1}\xEF\xBB\xBF{\"b\":1}", 0, 1, "not valid JSON at byte 7"},
	    {"{\"a\":1}garbage", 0, 1, "not valid JSON at byte 7"},
	    {"{\"a\":1}}", 0, 1, "not valid JSON at byte 7"},
	    {"{\"a\":1", 0, 0, "the document that starts at byte 0 is cut off at byte 6"},
	    {"{\"a\":1}\n{\"b\":\"xy", 0, 1, "the document that starts at byte 8 is cut off at byte 16"},
	    {"{\"a\":\"x\\\"y", 0, 0, "cut off at byte 10"},
	    {"\"abc", 0, 0, "cut off at byte 4"},
	    {"[1,2", 0, 0, "cut off at byte 4"},
	    {"[1,2x", 0, 0, "not valid JSON at byte 4"},
	    {"{\"a\"x}", 0, 0, "not valid JSON at byte 4"},
	    {"{\"a\":\"\\x\"}", 0, 0, "not valid JSON at byte 6"},
	    {"\0\0\0\0", 4, 0, "not valid JSON at byte 0 (control character 0x00)"},
	    {"{\"a\":1}\0", 8, 1, "not valid JSON at byte 7 (control character 0x00)"},
	    {"{\"a\":\"x\0y\"}", 11, 0, "not valid JSON at byte 7 (control character 0x00)"},
	    {"{\"a\":\x01 1}", 0, 0, "not valid JSON at byte 5 (control character 0x01)"},
	    {"{\"a\":\"x\x1f", 0, 0, "not valid JSON at byte 7 (control character 0x1f)"},
	};
	char deep[1200];

	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(cases); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text), docs = 0;
		char err[200] = "";
		struct jr r;
		cJSON *doc = NULL;
		enum kv_err rc;
		jr_init(&r, cases[i].text, len);
		while ((rc = jr_next(&r, &doc, err, sizeof(err))) == KV_OK && doc != NULL) {
			cJSON_Delete(doc);
			docs++;
		}
		if (docs != cases[i].docs || (cases[i].err == NULL) != (rc == KV_OK) ||
		    (cases[i].err != NULL && strstr(err, cases[i].err) == NULL)) {
			print_error("case %zu: %zu documents, rc %d, err '%s'\n", i, docs, rc, err);
			fail();
		}
	}
	/* cJSON's nesting limit, said as such */
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	{
		char err[200] = "";
		cJSON *doc = NULL;
		assert_int_equal(jr_parse(deep, strlen(deep), &doc, err, sizeof(err)), KV_EPARSE);
		assert_non_null(strstr(err, "at byte 1000 (nested deeper than 1000 levels)"));
	}
}

/* jr_parse: exactly one document. */
static void
test_jsonr_one(void **state)
{
	char err[200] = "";
	cJSON *doc = NULL;

	(void)state;
	assert_int_equal(jr_parse("{\"a\":1}  \n", 10, &doc, err, sizeof(err)), KV_OK);
	assert_true(cJSON_IsObject(doc));
	cJSON_Delete(doc);
	doc = NULL;
	assert_int_equal(jr_parse("{\"a\":1} {\"b\":2}", 15, &doc, err, sizeof(err)), KV_EPARSE);
	assert_null(doc);
	assert_string_equal(err, "not valid JSON: more data after the document, at byte 8");
	assert_int_equal(jr_parse("{\"a\":1}\n\0", 9, &doc, err, sizeof(err)), KV_EPARSE);
	assert_string_equal(err, "not valid JSON at byte 8 (control character 0x00)");
	assert_int_equal(jr_parse("", 0, &doc, err, sizeof(err)), KV_EPARSE);
	assert_string_equal(err, "empty: no JSON document");
	assert_int_equal(jr_parse("\n\n", 2, &doc, err, sizeof(err)), KV_EPARSE);
	assert_string_equal(err, "no JSON document, only whitespace");
	assert_null(doc);
}

/* Whole files with a cap; directories and missing files said as such. */
static void
test_read_file(void **state)
{
	char path[] = "/tmp/kvpe-read-XXXXXX", err[200] = "";
	int fd = mkstemp(path);
	char *text = NULL;
	size_t len = 0;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	assert_int_equal(kv_read_file(path, 10, &text, &len, err, sizeof(err)), KV_OK);
	assert_int_equal(len, 10);
	assert_string_equal(text, "0123456789");
	free(text);
	text = NULL;
	assert_int_equal(kv_read_file(path, 9, &text, &len, err, sizeof(err)), KV_ELIMIT);
	assert_string_equal(err, "10 bytes, larger than the 9-byte limit");
	assert_null(text);
	assert_int_equal(kv_read_file("/tmp", 100, &text, &len, err, sizeof(err)), KV_EIO);
	assert_string_equal(err, "is a directory, not a file");
	unlink(path);
	assert_int_equal(kv_read_file(path, 100, &text, &len, err, sizeof(err)), KV_EIO);
	assert_string_equal(err, "No such file or directory");
	/* A pipe is read to its end, within the cap. */
	assert_int_equal(kv_read_file("/proc/self/status", 1 << 20, &text, &len, err, sizeof(err)), KV_OK);
	assert_true(len > 0 && strlen(text) == len);
	free(text);
	assert_int_equal(kv_read_file("/proc/self/status", 8, &text, &len, err, sizeof(err)), KV_ELIMIT);
	assert_string_equal(err, "larger than the 8-byte limit");
	/* Endless devices stop one byte past the cap; an empty one is empty. */
	assert_int_equal(kv_read_file("/dev/zero", 10000, &text, &len, err, sizeof(err)), KV_ELIMIT);
	assert_int_equal(kv_read_file("/dev/null", 16, &text, &len, err, sizeof(err)), KV_OK);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);
}

static void
test_buf_cap(void **state)
{
	struct kv_buf b;

	(void)state;
	kv_buf_init(&b, 10);
	assert_int_equal(kv_buf_puts(&b, "0123456789"), KV_OK);
	assert_int_equal(kv_buf_puts(&b, "x"), KV_ELIMIT);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "0123456789");
	kv_buf_free(&b);
}

static enum kv_err
collect_sink(void *ctx, const char *data, size_t len)
{
	struct kv_buf *into = ctx;

	return len == 3 && memcmp(data, "bad", 3) == 0 ? KV_EIO : kv_buf_append(into, data, len);
}

/* Streaming: bytes reach the sink only at drain points past the threshold
 * or at flush, in order, and the cap counts what was already sent. */
static void
test_buf_stream(void **state)
{
	struct kv_buf b, got;
	char chunk[1000];

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	kv_buf_init(&got, 1 << 20);
	kv_buf_init(&b, 100 * 1000);
	assert_int_equal(kv_buf_drain(&b), KV_OK); /* no sink: nothing happens */
	kv_buf_set_sink(&b, collect_sink, &got);
	for (int i = 0; i < 70; i++) {
		assert_int_equal(kv_buf_append(&b, chunk, sizeof(chunk)), KV_OK);
		assert_int_equal(kv_buf_drain(&b), KV_OK);
	}
	assert_int_equal(got.len, 66000); /* drained once, at 66 x 1000 >= 64 KiB */
	assert_int_equal(b.len, 4000);
	assert_int_equal(b.sent, 66000);
	for (int i = 0; i < 30; i++)
		assert_int_equal(kv_buf_append(&b, chunk, sizeof(chunk)), KV_OK);
	assert_int_equal(kv_buf_putc(&b, 'y'), KV_ELIMIT); /* 100,000 in all */
	assert_int_equal(kv_buf_flush(&b), KV_OK);
	assert_int_equal(got.len, 100000);
	assert_int_equal(b.len, 0);
	assert_int_equal(kv_buf_flush(&b), KV_OK); /* empty: no call */
	kv_buf_reset(&b);
	assert_int_equal(kv_buf_puts(&b, "bad"), KV_OK);
	assert_int_equal(kv_buf_flush(&b), KV_EIO); /* the sink's error, data kept */
	assert_int_equal(b.len, 3);
	kv_buf_free(&b);
	kv_buf_free(&got);
}

static void
test_arena(void **state)
{
	struct kv_arena *a = kv_arena_new(1024);
	char *big;

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_non_null(kv_arena_printf(a, "item-%d", i));
	big = kv_arena_alloc(a, 100000);
	assert_non_null(big);
	assert_int_equal(((uintptr_t)big) % 16, 0);
	assert_string_equal(kv_arena_dnsname(a, "KV.Vault.Azure.Net."), "kv.vault.azure.net");
	kv_arena_free(a);
	kv_arena_free(NULL);
}

/* Runs `fn` with stderr sent to a temp file; returns what it wrote. */
static char *
capture_stderr(void (*fn)(void))
{
	char path[] = "/tmp/kvpe-test-log.XXXXXX", *text;
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	FILE *fp;
	long n;

	assert_true(fd >= 0 && saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	fn();
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	close(fd);
	fp = fopen(path, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	unlink(path);
	return text;
}

#define SERVER_TEXT "HTTP 403: he said \"no\"\nlevel=error msg=forged \\ end\x01"

static void
log_some(void)
{
	kv_log_init(KV_LOG_DEBUG, KV_LOG_LOGFMT);
	/* quoted in the format: escaped inside the quotes */
	kv_log_error("cycle failed", "error=\"%s\" failures=%lu", SERVER_TEXT, 3ul);
	/* bare: quoted when needed, as is otherwise */
	kv_log_info("pairs", "vault=%s spaced=%s empty=%s n=%zu mode=%04o neg=%lld cut=%.3s pct=100%% c=%c", "kv-a",
	    "a b=c", "", (size_t)5, 0644u, -42LL, "abcdef", 'x');
	kv_log_warn("no pairs", NULL);
	kv_log_info("ints", "h=%hu hh=%hhd lx=%lx zd=%zd j=%jd t=%td w=%5d|", (unsigned short)4464, (signed char)-56,
	    0xdeadbeefUL, (ssize_t)-7, (intmax_t)INT64_MIN, (ptrdiff_t)-3, 42);
	kv_log_init(KV_LOG_INFO, KV_LOG_TEXT);
	kv_log_info("text too", "error=\"%s\"", SERVER_TEXT);
}

static void
test_log_escape(void **state)
{
	char *text = capture_stderr(log_some), *line[8], *save = NULL;
	size_t n = 0;

	(void)state;
	for (char *l = strtok_r(text, "\n", &save); l != NULL && n < 8; l = strtok_r(NULL, "\n", &save))
		line[n++] = l;
	/* One line per event: the newline in the server's text forged none. */
	assert_int_equal(n, 5);
	assert_non_null(strstr(line[0], " level=error msg=\"cycle failed\" "));
	assert_non_null(strstr(line[0], " msg=\"cycle failed\" error=\"HTTP 403: he said \\\"no\\\" level=error "
					 "msg=forged \\\\ end \" failures=3"));
	assert_true(strncmp(line[0], "time=", 5) == 0);
	assert_non_null(strstr(line[1], " msg=pairs vault=kv-a spaced=\"a b=c\" empty=\"\" n=5 mode=0644 neg=-42 "
					"cut=abc pct=100% c=x"));
	assert_non_null(strstr(line[2], " level=warn msg=\"no pairs\""));
	assert_non_null(strstr(line[3], " msg=ints h=4464 hh=-56 lx=deadbeef zd=-7 j=-9223372036854775808 t=-3 w=   42|"));
	assert_non_null(strstr(line[4], " info text too error=\"HTTP 403: he said \\\"no\\\" level=error"));
	assert_non_null(strstr(line[4], "msg=forged \\\\ end \""));
	free(text);
}

/* The small shared helpers: server text made printable and cut, a UUIDv4's
 * version and variant, xorshift64 from a known seed. */
static void
test_helpers(void **state)
{
	static const unsigned char rnd[16] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0xff, 0x67, 0xff, 0xab, 0xcd, 0xef,
	    0x01, 0x23, 0x45, 0x67};
	char buf[64], tiny[4];
	uint64_t st = 1;

	(void)state;
	kv_sanitize(buf, sizeof(buf), "bad\r\nline\t\x7f" "end");
	assert_string_equal(buf, "bad  line  end");
	kv_sanitize(tiny, sizeof(tiny), "abcdef");
	assert_string_equal(tiny, "abc");
	kv_sanitize(buf, sizeof(buf), NULL);
	assert_string_equal(buf, "");
	kv_uuid4(rnd, buf, sizeof(buf));
	assert_string_equal(buf, "deadbeef-0123-4f67-bfab-cdef01234567");
	assert_int_equal(kv_xorshift64(&st), 1082269761ull);
	assert_int_equal(st, 1082269761ull);
	assert_int_equal(kv_xorshift64(&st), 1152992998833853505ull);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr),       cmocka_unit_test(test_private),
	    cmocka_unit_test(test_hostport),   cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_cloud),      cmocka_unit_test(test_vault_spec),
	    cmocka_unit_test(test_json_escape),
	    cmocka_unit_test(test_buf_cap),    cmocka_unit_test(test_buf_stream),
	    cmocka_unit_test(test_arena),      cmocka_unit_test(test_jsonr),
	    cmocka_unit_test(test_jsonr_one),  cmocka_unit_test(test_read_file),
	    cmocka_unit_test(test_log_escape), cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
