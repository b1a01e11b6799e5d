/* Making certificates with OpenSSL 3: keys, names, extensions, signing, and
 * PEM conversion.  Internal to lib/pki (and the openssl probe's tests). */
#ifndef MESHSIM_PKI_CERT_H
#define MESHSIM_PKI_CERT_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { KEY_EC_P256, KEY_RSA_2048 } cert_key_type;

typedef struct cert_req {
    /* subject as field/value pairs ("C", "BE", "O", "GlobalSign nv-sa", NULL);
     * NULL or an empty list makes an empty subject (Istio workload certs). */
    const char *const *subject;
    EVP_PKEY *key;                 /* the subject's key (public part is used) */
    X509 *issuer;                  /* NULL: self-signed with key */
    EVP_PKEY *issuer_key;
    long long not_before, not_after; /* epoch seconds */
    bool ca;
    const char *san;               /* X509v3 config form: "DNS:a,DNS:b", "critical,URI:x" */
    bool server_auth, client_auth; /* extended key usage of a leaf */
} cert_req;

EVP_PKEY *cert_key_new(cert_key_type type);
/* Sign a new certificate as described; NULL on failure (OpenSSL error queue set). */
X509 *cert_make(const cert_req *r);

/* PEM text, malloc'd, NUL-terminated. */
char *cert_to_pem(X509 *x);
char *cert_key_to_pem(EVP_PKEY *k);
/* The first certificate / private key found in PEM text (NULL if none). */
X509 *cert_from_pem(const char *pem);
EVP_PKEY *cert_key_from_pem(const char *pem);

/* Does cert sign by issuer's key and is it inside its validity at `now`? */
bool cert_issued_by(X509 *cert, X509 *issuer);
bool cert_valid_at(X509 *cert, long long now, long long margin_s);

/* malloc'd concatenation of the NULL-terminated list of strings. */
char *cert_concat(const char *first, ...);

/* Lowercase hex SHA-256 of data, into out[65]. */
void cert_sha256_hex(const void *data, size_t len, char out[65]);

#endif
