/* tls.h — the trust store every TLS connection kvpe makes verifies against:
 * OpenSSL's default locations (the system store; SSL_CERT_FILE/SSL_CERT_DIR
 * honoured) plus --ca-file, built once per process and shared by reference
 * into each connection's SSL_CTX (libcurl's CURLOPT_SSL_CTX_FUNCTION, set by
 * curlx_verify), so a new connection does not parse the system bundle
 * again. */
#ifndef KVPE_TLS_H
#define KVPE_TLS_H

#include "kvpe/common.h"

struct tls_cas;

/* extra_file may be NULL.  KV_EIO: unreadable; KV_EPARSE: no PEM certificate
 * in the file. */
enum kv_err tls_cas_load(const char *extra_file, struct tls_cas **out);
void tls_cas_free(struct tls_cas *c);
/* Makes the SSL_CTX (void * keeps OpenSSL out of headers) use the store. */
/* Builds the store at the first call (one thread: curl's). */
void tls_cas_apply(struct tls_cas *c, void *ssl_ctx);

#endif
