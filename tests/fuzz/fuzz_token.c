/* fuzz_token.c — token endpoint answers through cred_parse_token: Entra
 * (expires_in), IMDS and App Service (expires_on, numbers as strings), the
 * Azure CLI (accessToken, expiresOn), error objects, and anything else.
 *
 * Properties: no crash, no leak (the returned token is freed); on failure
 * `err` is NUL-terminated inside its buffer and never shows the text
 * `access_token":"` unless the server's own error text had it; and, the
 * property cred.h promises, the message does not depend on the token: the
 * same document with a different token value gives the same result and the
 * same message. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "kvpe/cred.h"

#define NOW_S 1800000000
#define ERR_SIZE 192
#define NEEDLE "access_token\":\""

/* Some string (key or value) anywhere in the document contains NEEDLE. */
static int
doc_has_needle(const cJSON *item)
{
	for (; item != NULL; item = item->next) {
		if (item->string != NULL && strstr(item->string, NEEDLE) != NULL)
			return 1;
		if (cJSON_IsString(item) && item->valuestring != NULL && strstr(item->valuestring, NEEDLE) != NULL)
			return 1;
		if (doc_has_needle(item->child))
			return 1;
	}
	return 0;
}

static const char *
token_of(const cJSON *root)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "access_token");

	if (t == NULL)
		t = cJSON_GetObjectItemCaseSensitive(root, "accessToken");
	return cJSON_IsString(t) ? t->valuestring : NULL;
}

struct outcome {
	enum kv_err rc;
	char *token;
	int64_t exp;
	char err[ERR_SIZE];
};

static void
parse(const char *text, size_t len, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->rc = cred_parse_token(text, len, NOW_S, &o->token, &o->exp, o->err, sizeof(o->err));
	if (o->rc != KV_OK) {
		o->token = NULL; /* out-parameters are written only on success */
		FZ_CHECK(fz_terminated(o->err, sizeof(o->err)));
	}
}

/* Parses `root` printed twice: as is, and with every top-level token value
 * replaced by another one of the same emptiness; compares the two. */
static void
differential(cJSON *root)
{
	char *one = NULL, *two = NULL;
	struct outcome a, b;
	const char *orig = token_of(root);
	char *orig_copy = orig ? strdup(orig) : NULL;
	cJSON *it;

	if ((orig != NULL && orig_copy == NULL) || (one = cJSON_PrintUnformatted(root)) == NULL)
		goto out;
	cJSON_ArrayForEach(it, root) {
		if (it->string == NULL || !cJSON_IsString(it) || it->valuestring == NULL || it->valuestring[0] == '\0')
			continue;
		if (strcmp(it->string, "access_token") != 0 && strcmp(it->string, "accessToken") != 0)
			continue;
		if (cJSON_SetValuestring(it, strcmp(it->valuestring, "eyJ0other") == 0 ? "eyJ0other2" : "eyJ0other") ==
		    NULL)
			goto out;
	}
	if ((two = cJSON_PrintUnformatted(root)) == NULL)
		goto out;
	parse(one, strlen(one), &a);
	parse(two, strlen(two), &b);
	FZ_CHECK(a.rc == b.rc);
	if (a.rc == KV_OK) {
		FZ_CHECK(a.exp == b.exp && a.exp > NOW_S);
		FZ_CHECK(a.token != NULL && orig_copy != NULL && strcmp(a.token, orig_copy) == 0);
		FZ_CHECK(b.token != NULL && strcmp(b.token, a.token) != 0);
	} else {
		FZ_CHECK(strcmp(a.err, b.err) == 0);
	}
	free(a.token);
	free(b.token);
out:
	free(orig_copy);
	cJSON_free(one);
	cJSON_free(two);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_cstr(data, size);
	struct outcome o;
	cJSON *root;

	if (text == NULL)
		return 0;
	parse(text, size, &o);
	root = cJSON_ParseWithLength(text, size);
	if (o.rc == KV_OK) {
		FZ_CHECK(o.token != NULL && o.token[0] != '\0' && o.exp > NOW_S);
	} else if (strstr(o.err, NEEDLE) != NULL) {
		/* Only an echo of the server's own error text may say it. */
		FZ_CHECK(root != NULL && doc_has_needle(root));
	}
	free(o.token);
	if (cJSON_IsObject(root))
		differential(root);
	cJSON_Delete(root);
	free(text);
	return 0;
}
