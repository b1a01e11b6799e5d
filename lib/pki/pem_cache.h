/* Decoded PEM, remembered for the life of the process.  OpenSSL 3 takes
 * about a millisecond to decode one private key (its decoder framework
 * looks up providers every time), and every connection to the simulated
 * outside world used to decode the same few keys and chains again: most of
 * a probe's time.  Entries are keyed by the exact PEM text, hold their own
 * reference and are never changed; at most PEM_CACHE_MAX are kept. */
#ifndef MESHSIM_PKI_PEM_CACHE_H
#define MESHSIM_PKI_PEM_CACHE_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define PEM_CACHE_MAX 256

typedef enum { PEM_CACHE_CERT, PEM_CACHE_KEY, PEM_CACHE_CHAIN } pem_cache_type;

/* A new reference to what pem decoded to (X509 *, EVP_PKEY *, or a new
 * STACK_OF(X509) of up-referenced certificates), or NULL when unknown. */
void *pem_cache_get(pem_cache_type type, const char *pem, size_t len);
/* Remember obj (the cache takes its own reference; the caller keeps its). */
void pem_cache_put(pem_cache_type type, const char *pem, size_t len, void *obj);

#endif
