/* tls.c — see tls.h. */
#include "kvpe/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>

struct tls_cas {
	STACK_OF(X509) *certs;
};

enum kv_err
tls_cas_load(const char *path, struct tls_cas **out)
{
	FILE *f = fopen(path, "r");
	struct tls_cas *c;
	X509 *x;

	if (f == NULL)
		return KV_EIO;
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->certs = sk_X509_new_null()) == NULL) {
		free(c);
		fclose(f);
		return KV_ENOMEM;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(c->certs, x)) {
			X509_free(x);
			break;
		}
	}
	fclose(f);
	ERR_clear_error();
	if (sk_X509_num(c->certs) == 0) {
		tls_cas_free(c);
		return KV_EPARSE;
	}
	*out = c;
	return KV_OK;
}

void
tls_cas_free(struct tls_cas *c)
{
	if (c == NULL)
		return;
	sk_X509_pop_free(c->certs, X509_free);
	free(c);
}

void
tls_cas_apply(const struct tls_cas *c, void *ssl_ctx)
{
	X509_STORE *st = SSL_CTX_get_cert_store((SSL_CTX *)ssl_ctx);

	for (int i = 0; c != NULL && i < sk_X509_num(c->certs); i++)
		(void)X509_STORE_add_cert(st, sk_X509_value(c->certs, i)); /* a duplicate is harmless */
	ERR_clear_error();
}
