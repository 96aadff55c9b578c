/* test_imds.c — the instance metadata document (imds_parse): the fields
 * kvpe takes (compute.resourceId, subscriptionId, name, every NIC's private
 * IPv4), IMDS's "" for what does not apply, and what is not an instance
 * document (a proxy's HTML, an error object, wrong types). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kvpe/arena.h"
#include "kvpe/imds.h"

#define VMID "/subscriptions/5c1ab000-0000-4000-8000-00000000000a/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
#define COMPUTE "\"compute\": {\"resourceId\": \"" VMID "\", \"subscriptionId\": \"5c1ab000\", \"name\": \"vm1\", \"platformFaultDomain\": \"0\"}"

static void
test_parse(void **state)
{
	static const struct {
		const char *body;
		enum kv_err rc;
		const char *addrs; /* the addresses, or the error's start */
	} cases[] = {
	    {"{" COMPUTE ", \"network\": {\"interface\": [{\"ipv4\": {\"ipAddress\": [{\"privateIpAddress\": \"10.1.4.10\","
	     " \"publicIpAddress\": \"\"}, {\"privateIpAddress\": \"10.1.4.12\", \"publicIpAddress\": \"\"}],"
	     " \"subnet\": [{\"address\": \"10.1.4.0\", \"prefix\": \"24\"}]}, \"ipv6\": {\"ipAddress\": []},"
	     " \"macAddress\": \"000D3A01040A\"}, {\"ipv4\": {\"ipAddress\": [{\"privateIpAddress\": \"10.2.0.4\"}]}}]}}",
		KV_OK, "10.1.4.10 10.1.4.12 10.2.0.4"},
	    {"{" COMPUTE "}", KV_OK, ""},                                                      /* no network: no address */
	    {"{" COMPUTE ", \"network\": {\"interface\": [{\"ipv4\": {\"ipAddress\": [{\"privateIpAddress\": \"\"}]}}]}}",
		KV_OK, ""},                                                                    /* "" = inapplicable */
	    {"<html><body>Proxy error</body></html>", KV_EPARSE, "not valid JSON"},
	    {"{\"error\": \"Bad request. api-version is invalid\"}", KV_EPARSE, "no \"compute\" object"},
	    {"{\"compute\": {\"resourceId\": \"\", \"subscriptionId\": \"s\"}}", KV_EPARSE, "compute.resourceId is missing"},
	    {"{\"compute\": {\"resourceId\": \"" VMID "\"}}", KV_EPARSE, "compute.subscriptionId is missing"},
	    {"{" COMPUTE ", \"network\": {\"interface\": {}}}", KV_EPARSE, "network.interface is not an array"},
	    {"{" COMPUTE ", \"network\": {\"interface\": [{\"ipv4\": {\"ipAddress\": [{\"privateIpAddress\": 10}]}}]}}",
		KV_EPARSE, "network.interface[0].ipv4.ipAddress[].privateIpAddress is not a string"},
	    {"{" COMPUTE ", \"network\": {\"interface\": [{\"ipv4\": {\"ipAddress\": [{\"privateIpAddress\": \"fd00::1\"}]}}]}}",
		KV_EPARSE, "network.interface[0]: a privateIpAddress is not an IPv4 address"},
	    {"{" COMPUTE "} trailing", KV_EPARSE, "not valid JSON"},
	};

	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(cases); i++) {
		struct kv_arena *a = kv_arena_new(1024);
		struct imds_instance in;
		char err[200] = "", got[200] = "";
		enum kv_err rc;
		assert_non_null(a);
		memset(&in, 0, sizeof(in));
		rc = imds_parse(cases[i].body, strlen(cases[i].body), a, &in, err, sizeof(err));
		if (rc == KV_OK) {
			for (size_t k = 0; k < in.n_addrs; k++) {
				char s[KV_ADDR_STRLEN];
				kv_addr_format(&in.addrs[k], s, sizeof(s));
				snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", k ? " " : "", s);
			}
			assert_string_equal(in.vm_id, VMID);
			assert_string_equal(in.subscription, "5c1ab000");
			assert_string_equal(in.name, "vm1");
		}
		if (rc != cases[i].rc || strncmp(rc == KV_OK ? got : err, cases[i].addrs, strlen(cases[i].addrs)) != 0 ||
		    (rc == KV_OK && strcmp(got, cases[i].addrs) != 0)) {
			print_error("case %zu: rc %d, got '%s', err '%s'\n", i, rc, got, err);
			fail();
		}
		kv_arena_free(a);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
