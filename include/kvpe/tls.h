/* tls.h — extra trusted CAs (--ca-file) for every TLS connection kvpe makes.
 * They are added to the system store of each connection's SSL_CTX (libcurl's
 * CURLOPT_SSL_CTX_FUNCTION), never replacing it. */
#ifndef KVPE_TLS_H
#define KVPE_TLS_H

#include "kvpe/common.h"

struct tls_cas;

/* KV_EIO: unreadable; KV_EPARSE: no PEM certificate in the file. */
enum kv_err tls_cas_load(const char *path, struct tls_cas **out);
void tls_cas_free(struct tls_cas *c);
/* Adds the CAs to an OpenSSL SSL_CTX (void * to keep OpenSSL out of headers). */
void tls_cas_apply(const struct tls_cas *c, void *ssl_ctx);

#endif
