/* test_net.c — the probe's readers of what Key Vault sends: the
 * network-info header (both forms), the Bearer challenge (tenant), the 403
 * body's innermost error code; odd and hostile inputs included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kvpe/net.h"

static void
test_network_info(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"conn_type=Ipv4;addr=10.1.2.7;act_addr_fam=InterNetwork;", "10.1.2.7"},
	    {"addr=52.1.2.3;act_addr_fam=InterNetwork;", "52.1.2.3"},
	    {" conn_type=Ipv6 ; addr=fd00::7 ; act_addr_fam=InterNetworkV6", "fd00::7"},
	    {"ADDR=10.0.0.1", "10.0.0.1"},
	    {"conn_type=Ipv4;act_addr_fam=InterNetwork;", NULL},
	    {"addr=;", NULL},
	    {"addr=not-an-ip;", NULL},
	    {"address=10.0.0.1", NULL},
	    {"", NULL},
	    {"addr=10.0.0.1000", NULL},
	    {"addr=1111111111111111111111111111111111111111111111111111111111111111111111", NULL},
	};
	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(cases); i++) {
		char out[64] = "";
		bool ok = net_parse_network_info(cases[i].in, out, sizeof(out));
		if (ok != (cases[i].want != NULL) || (ok && strcmp(out, cases[i].want) != 0)) {
			print_error("case '%s': got %d '%s'\n", cases[i].in, ok, out);
			fail();
		}
	}
}

static void
test_bearer(void **state)
{
	static const struct {
		const char *in;
		bool ok;
		const char *tenant;
	} cases[] = {
	    {"Bearer authorization=\"https://login.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47\", "
	     "resource=\"https://vault.azure.net\"", true, "72f988bf-86f1-41af-91ab-2d7cd011db47"},
	    {"bearer authorization_uri=\"https://login.microsoftonline.com/contoso.onmicrosoft.com/\"", true,
		"contoso.onmicrosoft.com"},
	    {"Bearer resource=\"https://vault.azure.net\", authorization=https://login.windows.net/t1", true, "t1"},
	    {"Bearer realm=\"x\", authorization=\"https://login/a\\\"b\"", true, ""},
	    {"Bearer realm=\"x\"", false, ""},
	    {"Basic realm=\"x\", authorization=\"https://login/t\"", false, ""},
	    {"Bearer", false, ""},
	    {"Bearer ,,,,=\"", false, ""},
	    {"Bearer authorization=\"", false, ""}, /* unterminated, empty: no URI */
	    {"", false, ""},
	};
	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(cases); i++) {
		char tenant[64] = "unset";
		bool ok = net_parse_bearer(cases[i].in, tenant, sizeof(tenant));
		if (ok != cases[i].ok || (ok && strcmp(tenant, cases[i].tenant) != 0)) {
			print_error("case %zu '%s': got %d '%s'\n", i, cases[i].in, ok, tenant);
			fail();
		}
	}
}

static void
test_error_code(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"{\"error\":{\"code\":\"Forbidden\",\"innererror\":{\"code\":\"ForbiddenByConnection\"}}}", "ForbiddenByConnection"},
	    {"{\"error\":{\"code\":\"Forbidden\",\"innererror\":{\"code\":\"ForbiddenByFirewall\"}}}", "ForbiddenByFirewall"},
	    {"{\"error\":{\"code\":\"Forbidden\"}}", "Forbidden"},
	    {"{\"error\":{\"code\":\"A\",\"innererror\":{\"innererror\":{\"code\":\"Deep\"}}}}", "Deep"},
	    {"{\"error\":{\"code\":\"bad code with spaces\"}}", NULL},
	    {"{\"error\":\"x\"}", NULL},
	    {"<html>403</html>", NULL},
	    {"", NULL},
	};
	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(cases); i++) {
		char out[64] = "";
		bool ok = net_parse_error_code(cases[i].in, strlen(cases[i].in), out, sizeof(out));
		if (ok != (cases[i].want != NULL) || (ok && strcmp(out, cases[i].want) != 0)) {
			print_error("case '%s': got %d '%s'\n", cases[i].in, ok, out);
			fail();
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_network_info),
	    cmocka_unit_test(test_bearer),
	    cmocka_unit_test(test_error_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
