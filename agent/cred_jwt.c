/* cred_jwt.c — see cred_jwt.h. */
#include "kvpe/cred_jwt.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvpe/buf.h"
#include "kvpe/jsonw.h"

#define JWT_LIFETIME_S 600
#define JWT_MAX_FILE (1024 * 1024)

struct cred_jwt_cert {
	EVP_PKEY *key;
	X509 *leaf;
	STACK_OF(X509) *chain; /* leaf first, for x5c */
};

void
cred_jwt_free(struct cred_jwt_cert *c)
{
	if (c == NULL)
		return;
	EVP_PKEY_free(c->key);
	X509_free(c->leaf);
	if (c->chain != NULL)
		sk_X509_pop_free(c->chain, X509_free);
	free(c);
}

/* Refuses to prompt: an encrypted key fails with a clear message instead. */
static int
no_password(char *buf, int size, int rwflag, void *u)
{
	KV_UNUSED(buf);
	KV_UNUSED(size);
	KV_UNUSED(rwflag);
	KV_UNUSED(u);
	return 0;
}

enum kv_err
cred_jwt_load(const char *path, struct cred_jwt_cert **out, char *err, size_t size)
{
	struct cred_jwt_cert *c = calloc(1, sizeof(*c));
	char *pem = NULL, rerr[160];
	size_t pem_len = 0;
	BIO *bio = NULL;
	X509 *x;
	enum kv_err rc = KV_OK;

	if (c == NULL)
		return KV_ENOMEM;
	/* Read once, whole and capped: the key and the certificates are parsed
	 * from the same bytes. */
	rc = kv_read_file(path, JWT_MAX_FILE, &pem, &pem_len, rerr, sizeof(rerr));
	if (rc == KV_EIO) {
		snprintf(err, size, "AZURE_CLIENT_CERTIFICATE_PATH: cannot open %s: %s", path, rerr);
		rc = KV_EAUTH;
		goto out;
	}
	if (rc == KV_ELIMIT) {
		snprintf(err, size, "AZURE_CLIENT_CERTIFICATE_PATH: %s is larger than %d bytes; not read", path, JWT_MAX_FILE);
		rc = KV_EAUTH;
		goto out;
	}
	if (rc != KV_OK)
		goto out;
	bio = BIO_new_mem_buf(pem, (int)pem_len);
	if (bio == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	c->key = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
	if (c->key == NULL) {
		snprintf(err, size,
		    "AZURE_CLIENT_CERTIFICATE_PATH: no unencrypted private key in %s (PEM with the key and the "
		    "certificate is required; encrypted keys are not supported)", path);
		rc = KV_EAUTH;
		goto out;
	}
	if (EVP_PKEY_get_base_id(c->key) != EVP_PKEY_RSA) {
		snprintf(err, size, "AZURE_CLIENT_CERTIFICATE_PATH: the key in %s is not RSA", path);
		rc = KV_EAUTH;
		goto out;
	}
	/* The key may come before or after the certificates: read them again. */
	BIO_free(bio);
	bio = BIO_new_mem_buf(pem, (int)pem_len);
	c->chain = sk_X509_new_null();
	if (bio == NULL || c->chain == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, no_password, NULL)) != NULL) {
		if (c->leaf == NULL && X509_check_private_key(x, c->key) == 1) {
			c->leaf = x;
			X509_up_ref(x);
			if (!sk_X509_insert(c->chain, x, 0)) {
				X509_free(x);
				rc = KV_ENOMEM;
				goto out;
			}
		} else if (!sk_X509_push(c->chain, x)) {
			X509_free(x);
			rc = KV_ENOMEM;
			goto out;
		}
	}
	if (c->leaf == NULL) {
		snprintf(err, size, "AZURE_CLIENT_CERTIFICATE_PATH: no certificate matching the private key in %s", path);
		rc = KV_EAUTH;
		goto out;
	}
out:
	ERR_clear_error();
	BIO_free(bio);
	if (pem != NULL)
		OPENSSL_cleanse(pem, pem_len); /* the private key */
	free(pem);
	if (rc != KV_OK) {
		cred_jwt_free(c);
		return rc;
	}
	*out = c;
	return KV_OK;
}

/* base64url without padding (RFC 7515 §2). */
static enum kv_err
b64url(struct kv_buf *b, const unsigned char *p, size_t n)
{
	size_t cap = 4 * ((n + 2) / 3) + 1;
	unsigned char *tmp = malloc(cap);
	int len;
	enum kv_err rc;

	if (tmp == NULL)
		return KV_ENOMEM;
	len = EVP_EncodeBlock(tmp, p, (int)n);
	while (len > 0 && tmp[len - 1] == '=')
		len--;
	for (int i = 0; i < len; i++)
		tmp[i] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
	rc = kv_buf_append(b, tmp, (size_t)len);
	free(tmp);
	return rc;
}

static enum kv_err
cert_der(X509 *x, unsigned char **der, size_t *n)
{
	int len = i2d_X509(x, NULL);
	unsigned char *p;

	if (len <= 0)
		return KV_EAUTH;
	*der = malloc((size_t)len);
	if (*der == NULL)
		return KV_ENOMEM;
	p = *der;
	i2d_X509(x, &p);
	*n = (size_t)len;
	return KV_OK;
}

static enum kv_err
thumbprint(X509 *x, const EVP_MD *md, struct kv_buf *out)
{
	unsigned char *der = NULL, dig[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	size_t n = 0;
	enum kv_err rc = cert_der(x, &der, &n);

	if (rc == KV_OK && EVP_Digest(der, n, dig, &dl, md, NULL) != 1)
		rc = KV_EAUTH;
	if (rc == KV_OK)
		rc = b64url(out, dig, dl);
	free(der);
	return rc;
}

static enum kv_err
header_json(const struct cred_jwt_cert *c, bool rs256, bool send_chain, struct kv_buf *out)
{
	struct kv_buf tp;
	struct jw w;
	enum kv_err rc;

	kv_buf_init(&tp, 256);
	rc = thumbprint(c->leaf, rs256 ? EVP_sha1() : EVP_sha256(), &tp);
	if (rc != KV_OK)
		goto out;
	jw_init(&w, out, false);
	jw_obj(&w);
	jw_kstr(&w, "alg", rs256 ? "RS256" : "PS256");
	jw_kstr(&w, "typ", "JWT");
	jw_kstr(&w, rs256 ? "x5t" : "x5t#S256", tp.data);
	if (send_chain) {
		/* AZURE_CLIENT_SEND_CERTIFICATE_CHAIN: subject name/issuer auth. */
		jw_key(&w, "x5c");
		jw_arr(&w);
		for (int i = 0; i < sk_X509_num(c->chain) && rc == KV_OK; i++) {
			unsigned char *der = NULL;
			size_t n = 0;
			struct kv_buf b64;
			int len;
			kv_buf_init(&b64, 64 * 1024);
			rc = cert_der(sk_X509_value(c->chain, i), &der, &n);
			if (rc == KV_OK) { /* x5c is plain base64 (RFC 7515 §4.1.6), not base64url */
				unsigned char *tmp = malloc(4 * ((n + 2) / 3) + 1);
				if (tmp == NULL) {
					rc = KV_ENOMEM;
				} else {
					len = EVP_EncodeBlock(tmp, der, (int)n);
					rc = kv_buf_append(&b64, tmp, (size_t)len);
					free(tmp);
				}
			}
			if (rc == KV_OK)
				jw_str(&w, b64.data);
			kv_buf_free(&b64);
			free(der);
		}
		jw_arr_end(&w);
	}
	jw_obj_end(&w);
	if (rc == KV_OK)
		rc = w.err;
out:
	kv_buf_free(&tp);
	return rc;
}

static enum kv_err
sign(EVP_PKEY *key, bool rs256, const char *input, size_t n, unsigned char **sig, size_t *sig_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	enum kv_err rc = KV_EAUTH;

	*sig = NULL;
	if (md == NULL)
		return KV_ENOMEM;
	if (EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, key) != 1)
		goto out;
	if (!rs256 && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
			  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
			  EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1))
		goto out;
	if (EVP_DigestSign(md, NULL, sig_len, (const unsigned char *)input, n) != 1)
		goto out;
	*sig = malloc(*sig_len);
	if (*sig == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	if (EVP_DigestSign(md, *sig, sig_len, (const unsigned char *)input, n) != 1) {
		free(*sig);
		*sig = NULL;
		goto out;
	}
	rc = KV_OK;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	return rc;
}

enum kv_err
cred_jwt_assertion(const struct cred_jwt_cert *c, const char *client_id, const char *aud, int64_t now_s, bool rs256,
    bool send_chain, char **out)
{
	struct kv_buf hdr, claims, jwt;
	unsigned char rnd[16], *sig = NULL;
	size_t sig_len = 0;
	char jti[40];
	struct jw w;
	enum kv_err rc;

	kv_buf_init(&hdr, 256 * 1024);
	kv_buf_init(&claims, 8192);
	kv_buf_init(&jwt, 512 * 1024);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		rc = KV_EAUTH;
		goto out;
	}
	kv_uuid4(rnd, jti, sizeof(jti));
	if ((rc = header_json(c, rs256, send_chain, &hdr)) != KV_OK)
		goto out;
	jw_init(&w, &claims, false);
	jw_obj(&w);
	jw_kstr(&w, "aud", aud);
	jw_kstr(&w, "iss", client_id);
	jw_kstr(&w, "sub", client_id);
	jw_kstr(&w, "jti", jti);
	jw_kint(&w, "nbf", now_s);
	jw_kint(&w, "iat", now_s);
	jw_kint(&w, "exp", now_s + JWT_LIFETIME_S);
	jw_obj_end(&w);
	if ((rc = w.err) != KV_OK)
		goto out;
	if ((rc = b64url(&jwt, (unsigned char *)hdr.data, hdr.len)) != KV_OK || (rc = kv_buf_putc(&jwt, '.')) != KV_OK ||
	    (rc = b64url(&jwt, (unsigned char *)claims.data, claims.len)) != KV_OK)
		goto out;
	if ((rc = sign(c->key, rs256, jwt.data, jwt.len, &sig, &sig_len)) != KV_OK)
		goto out;
	if ((rc = kv_buf_putc(&jwt, '.')) != KV_OK || (rc = b64url(&jwt, sig, sig_len)) != KV_OK)
		goto out;
	*out = kv_buf_steal(&jwt, NULL);
	if (*out == NULL)
		rc = KV_ENOMEM;
out:
	free(sig);
	kv_buf_free(&hdr);
	kv_buf_free(&claims);
	kv_buf_free(&jwt);
	return rc;
}
