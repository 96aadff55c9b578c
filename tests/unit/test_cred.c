/* test_cred.c — token answers of every shape (Entra, IMDS's string numbers,
 * App Service's expires_on, the Azure CLI), their errors, and the JWT client
 * assertion: its header, claims and a signature OpenSSL verifies (PS256 and
 * RS256) with the certificate's public key. */
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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "kvpe/cred.h"
#include "kvpe/cred_jwt.h"

#define NOW 1800000000LL

static void
test_token_shapes(void **state)
{
	static const struct {
		const char *body;
		enum kv_err rc;
		int64_t exp;
		const char *err;
	} cases[] = {
	    {"{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"tok1\"}", KV_OK, NOW + 3599, NULL},
	    {"{\"access_token\":\"tok2\",\"expires_in\":\"86399\",\"expires_on\":\"1800086399\"}", KV_OK, 1800086399, NULL},
	    {"{\"access_token\":\"tok3\",\"expires_on\":\"1800000100\",\"resource\":\"r\"}", KV_OK, 1800000100, NULL},
	    {"{\"accessToken\":\"tok4\",\"expires_on\":1800001000,\"tokenType\":\"Bearer\"}", KV_OK, 1800001000, NULL},
	    {"{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret.\\nTrace\"}",
		KV_EAUTH, 0, "invalid_client: AADSTS7000215: Invalid client secret. Trace"},
	    {"{\"error\":{\"code\":\"Forbidden\",\"message\":\"nope\"}}", KV_EAUTH, 0, "Forbidden: nope"},
	    {"{\"access_token\":\"tok5\",\"expires_in\":-5}", KV_EAUTH, 0, "already expired"},
	    {"{\"access_token\":\"tok6\"}", KV_EPARSE, 0, "expiry"},
	    {"{\"access_token\":7,\"expires_in\":5}", KV_EPARSE, 0, "no access_token"},
	    {"<html>error</html>", KV_EPARSE, 0, "not one JSON document: not valid JSON at byte 0"},
	    /* Whole answers only: what follows the object fails the request. */
	    {"{\"access_token\":\"tok7\",\"expires_in\":3599}garbage", KV_EPARSE, 0, "more data after the document, at byte 41"},
	    {"{\"access_token\":\"tok8\",\"expires_in\":3599}\n{\"access_token\":\"x\"}", KV_EPARSE, 0, "at byte 42"},
	    {"{\"access_token\":\"tok9\",\"expires_in\":35", KV_EPARSE, 0, "cut off at byte 38"},
	    {"{\"access_token\":\"tok0123", KV_EPARSE, 0, "cut off at byte 24"},
	    {"", KV_EPARSE, 0, "empty"},
	    {"[1]", KV_EPARSE, 0, "not a JSON object"},
	};
	(void)state;
	for (size_t i = 0; i < KV_ARRAY_LEN(cases); i++) {
		char *tok = NULL, err[256] = "";
		int64_t exp = 0;
		enum kv_err rc = cred_parse_token(cases[i].body, strlen(cases[i].body), NOW, &tok, &exp, err, sizeof(err));
		if (rc != cases[i].rc) {
			print_error("case %zu: rc %d (%s)\n", i, rc, err);
			fail();
		}
		if (rc == KV_OK) {
			assert_int_equal(exp, cases[i].exp);
			assert_non_null(tok);
			free(tok);
		} else {
			assert_null(tok);
			assert_non_null(strstr(err, cases[i].err));
			for (const char *p = err; (p = strstr(p, "tok")) != NULL; p++)
				assert_false(p[3] >= '0' && p[3] <= '9'); /* an error never carries the token */
		}
	}
}

/* ---- JWT ---- */

static char keyfile[] = "/tmp/kvpe-jwt-XXXXXX";
static EVP_PKEY *pub;
static unsigned char der_sha1[20], der_sha256[32];

static int
setup(void **state)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	unsigned char *der = NULL;
	int len, fd;
	FILE *f;

	(void)state;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"t", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_sign(x, key, EVP_sha256());
	fd = mkstemp(keyfile);
	f = fdopen(fd, "w");
	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	PEM_write_X509(f, x);
	fclose(f);
	len = i2d_X509(x, &der);
	EVP_Digest(der, (size_t)len, der_sha1, NULL, EVP_sha1(), NULL);
	EVP_Digest(der, (size_t)len, der_sha256, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	pub = key;
	X509_free(x);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(keyfile);
	EVP_PKEY_free(pub);
	return 0;
}

static size_t
b64url_decode(const char *in, size_t n, unsigned char *out)
{
	char buf[8192];
	size_t m = 0;
	int len;

	for (size_t i = 0; i < n; i++)
		buf[m++] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	while (m % 4)
		buf[m++] = '=';
	buf[m] = '\0';
	len = EVP_DecodeBlock(out, (unsigned char *)buf, (int)m);
	while (m > 0 && buf[m - 1] == '=') {
		m--;
		len--;
	}
	return (size_t)len;
}

static cJSON *
part_json(const char *p, size_t n)
{
	unsigned char raw[4096];
	size_t len = b64url_decode(p, n, raw);

	raw[len] = '\0';
	return cJSON_Parse((char *)raw);
}

static void
check_jwt(bool rs256)
{
	struct cred_jwt_cert *c = NULL;
	char err[256], *jwt = NULL;
	const char *dot1, *dot2;
	cJSON *hdr, *claims;
	unsigned char sig[1024], want[64];
	size_t sig_len;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const char *aud = "https://login.example/tenant/oauth2/v2.0/token";

	assert_int_equal(cred_jwt_load(keyfile, &c, err, sizeof(err)), KV_OK);
	assert_int_equal(cred_jwt_assertion(c, "client-1", aud, NOW, rs256, false, &jwt), KV_OK);
	dot1 = strchr(jwt, '.');
	dot2 = strchr(dot1 + 1, '.');
	assert_non_null(dot2);
	hdr = part_json(jwt, (size_t)(dot1 - jwt));
	claims = part_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	assert_string_equal(cJSON_GetObjectItem(hdr, "alg")->valuestring, rs256 ? "RS256" : "PS256");
	{
		const char *tp = cJSON_GetObjectItem(hdr, rs256 ? "x5t" : "x5t#S256")->valuestring;
		size_t n = b64url_decode(tp, strlen(tp), want);
		assert_int_equal(n, rs256 ? 20 : 32);
		assert_memory_equal(want, rs256 ? der_sha1 : der_sha256, n);
	}
	assert_string_equal(cJSON_GetObjectItem(claims, "aud")->valuestring, aud);
	assert_string_equal(cJSON_GetObjectItem(claims, "iss")->valuestring, "client-1");
	assert_string_equal(cJSON_GetObjectItem(claims, "sub")->valuestring, "client-1");
	assert_int_equal((int64_t)cJSON_GetObjectItem(claims, "nbf")->valuedouble, NOW);
	assert_int_equal((int64_t)cJSON_GetObjectItem(claims, "exp")->valuedouble, NOW + 600);
	assert_int_equal(strlen(cJSON_GetObjectItem(claims, "jti")->valuestring), 36);
	sig_len = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig);
	assert_int_equal(EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pub), 1);
	if (!rs256) {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
	}
	assert_int_equal(EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)jwt, (size_t)(dot2 - jwt)), 1);
	/* Tampering breaks it. */
	sig[5] ^= 1;
	EVP_MD_CTX_reset(md);
	pctx = NULL;
	EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pub);
	if (!rs256) {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
	}
	assert_int_not_equal(EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)jwt, (size_t)(dot2 - jwt)), 1);
	EVP_MD_CTX_free(md);
	cJSON_Delete(hdr);
	cJSON_Delete(claims);
	free(jwt);
	cred_jwt_free(c);
}

static void
test_jwt_ps256(void **state)
{
	(void)state;
	check_jwt(false);
}

static void
test_jwt_rs256(void **state)
{
	(void)state;
	check_jwt(true);
}

static void
test_jwt_bad_files(void **state)
{
	struct cred_jwt_cert *c = NULL;
	char err[256], path[] = "/tmp/kvpe-jwt-bad-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_int_equal(write(fd, "not a pem\n", 10), 10);
	close(fd);
	assert_int_equal(cred_jwt_load(path, &c, err, sizeof(err)), KV_EAUTH);
	assert_non_null(strstr(err, "no unencrypted private key"));
	assert_int_equal(cred_jwt_load("/nonexistent/x.pem", &c, err, sizeof(err)), KV_EAUTH);
	assert_non_null(strstr(err, "cannot open"));
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token_shapes),
	    cmocka_unit_test(test_jwt_ps256),
	    cmocka_unit_test(test_jwt_rs256),
	    cmocka_unit_test(test_jwt_bad_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
