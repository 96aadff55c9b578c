/* cred_jwt.h — the JWT client assertion for certificate credentials
 * (RFC 7523), signed with OpenSSL: PS256 with an x5t#S256 header as current
 * Entra documentation shows, or RS256 with x5t.  Claims: aud = the token URL,
 * iss = sub = client id, jti, nbf, iat, exp (10 minutes). */
#ifndef KVPE_CRED_JWT_H
#define KVPE_CRED_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvpe/common.h"

struct cred_jwt_cert;

/* Loads an unencrypted PEM holding an RSA private key and its certificate
 * (plus, optionally, the chain).  `err` never contains key material. */
enum kv_err cred_jwt_load(const char *path, struct cred_jwt_cert **out, char *err, size_t size);
void cred_jwt_free(struct cred_jwt_cert *c);

/* A signed assertion in *out (malloc'd; the caller cleanses and frees it). */
enum kv_err cred_jwt_assertion(const struct cred_jwt_cert *c, const char *client_id, const char *aud,
    int64_t now_s, bool rs256, bool send_chain, char **out);

#endif
