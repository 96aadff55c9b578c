/* tls.c — see tls.h. */
#include "kvpe/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>

struct tls_cas {
	STACK_OF(X509) *extra; /* --ca-file, read at start so a bad file is a usage error */
	X509_STORE *store;     /* built at the first TLS connection */
};

enum kv_err
tls_cas_load(const char *extra_file, struct tls_cas **out)
{
	struct tls_cas *c = calloc(1, sizeof(*c));
	enum kv_err rc = KV_OK;
	FILE *f = NULL;
	X509 *x;

	if (c == NULL || (c->extra = sk_X509_new_null()) == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	if (extra_file != NULL) {
		if ((f = fopen(extra_file, "r")) == NULL) {
			rc = KV_EIO;
			goto out;
		}
		while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
			if (!sk_X509_push(c->extra, x)) {
				X509_free(x);
				rc = KV_ENOMEM;
				goto out;
			}
		}
		if (sk_X509_num(c->extra) == 0)
			rc = KV_EPARSE;
	}
out:
	if (f != NULL)
		fclose(f);
	ERR_clear_error();
	if (rc != KV_OK) {
		tls_cas_free(c);
		return rc;
	}
	*out = c;
	return KV_OK;
}

void
tls_cas_free(struct tls_cas *c)
{
	if (c == NULL)
		return;
	X509_STORE_free(c->store);
	sk_X509_pop_free(c->extra, X509_free);
	free(c);
}

void
tls_cas_apply(struct tls_cas *c, void *ssl_ctx)
{
	if (c == NULL)
		return;
	if (c->store == NULL) {
		if ((c->store = X509_STORE_new()) == NULL)
			return; /* verification then fails: no trust anchors */
		(void)X509_STORE_set_default_paths(c->store); /* the system store */
		for (int i = 0; i < sk_X509_num(c->extra); i++)
			(void)X509_STORE_add_cert(c->store, sk_X509_value(c->extra, i)); /* duplicates are harmless */
		ERR_clear_error();
	}
	SSL_CTX_set1_cert_store((SSL_CTX *)ssl_ctx, c->store); /* shared by reference */
}
