/* Making certificates with OpenSSL 3 (see cert.h). */
#include "pki/cert.h"
#include "pki/pem_cache.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

EVP_PKEY *cert_key_new(cert_key_type type)
{
    if (type == KEY_RSA_2048)
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static int set_random_serial(X509 *x)
{
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1) return -1;
    raw[0] &= 0x7f;                /* a positive INTEGER, as RFC 5280 wants */
    raw[0] |= 0x10;                /* and always 16 bytes long */
    BIGNUM *bn = BN_bin2bn(raw, sizeof raw, NULL);
    if (!bn) return -1;
    int ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (!e) return -1;
    int ok = X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok ? 0 : -1;
}

static int set_subject(X509 *x, const char *const *subject)
{
    X509_NAME *n = X509_get_subject_name(x);
    for (size_t i = 0; subject && subject[i] && subject[i + 1]; i += 2)
        if (!X509_NAME_add_entry_by_txt(n, subject[i], MBSTRING_UTF8,
                                        (const unsigned char *)subject[i + 1], -1, -1, 0))
            return -1;
    return 0;
}

static int add_extensions(X509 *x, const cert_req *r)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, r->issuer ? r->issuer : x, x, NULL, NULL, 0);
    if (r->ca) {
        if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") ||
            add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign") ||
            add_ext(x, &ctx, NID_subject_key_identifier, "hash"))
            return -1;
    } else {
        if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
            add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment"))
            return -1;
        const char *eku = r->server_auth && r->client_auth ? "serverAuth,clientAuth"
                          : r->server_auth ? "serverAuth" : r->client_auth ? "clientAuth" : NULL;
        if (eku && add_ext(x, &ctx, NID_ext_key_usage, eku)) return -1;
    }
    /* a self-signed root identifies itself; others name their issuer's key */
    if (r->issuer && add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always"))
        return -1;
    if (r->san && add_ext(x, &ctx, NID_subject_alt_name, r->san)) return -1;
    return 0;
}

X509 *cert_make(const cert_req *r)
{
    EVP_PKEY *signer = r->issuer ? r->issuer_key : r->key;
    if (!r->key || !signer) return NULL;
    X509 *x = X509_new();
    if (!x) return NULL;
    if (!X509_set_version(x, X509_VERSION_3) || set_random_serial(x) || set_subject(x, r->subject) ||
        !X509_set_issuer_name(x, r->issuer ? X509_get_subject_name(r->issuer)
                                           : X509_get_subject_name(x)) ||
        !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)r->not_before) ||
        !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)r->not_after) ||
        !X509_set_pubkey(x, r->key) || add_extensions(x, r) ||
        !X509_sign(x, signer, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static char *bio_take(BIO *b)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        memcpy(s, data, (size_t)n);
        s[n] = 0;
    }
    BIO_free(b);
    return s;
}

char *cert_to_pem(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b) return NULL;
    if (!PEM_write_bio_X509(b, x)) {
        BIO_free(b);
        return NULL;
    }
    return bio_take(b);
}

char *cert_key_to_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b) return NULL;
    if (!PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) {
        BIO_free(b);
        return NULL;
    }
    return bio_take(b);
}

X509 *cert_from_pem(const char *pem)
{
    if (!pem) return NULL;
    size_t len = strlen(pem);
    X509 *x = pem_cache_get(PEM_CACHE_CERT, pem, len);
    if (x) return x;
    BIO *b = BIO_new_mem_buf(pem, -1);
    x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    ERR_clear_error();
    pem_cache_put(PEM_CACHE_CERT, pem, len, x);
    return x;
}

EVP_PKEY *cert_key_from_pem(const char *pem)
{
    if (!pem) return NULL;
    size_t len = strlen(pem);
    EVP_PKEY *k = pem_cache_get(PEM_CACHE_KEY, pem, len);
    if (k) return k;
    BIO *b = BIO_new_mem_buf(pem, -1);
    k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    ERR_clear_error();
    pem_cache_put(PEM_CACHE_KEY, pem, len, k);
    return k;
}

bool cert_issued_by(X509 *cert, X509 *issuer)
{
    if (!cert || !issuer) return false;
    EVP_PKEY *k = X509_get0_pubkey(issuer);
    bool ok = k && X509_check_issued(issuer, cert) == X509_V_OK && X509_verify(cert, k) == 1;
    ERR_clear_error();
    return ok;
}

bool cert_valid_at(X509 *cert, long long now, long long margin_s)
{
    time_t lo = (time_t)now, hi = (time_t)(now + margin_s);
    return X509_cmp_time(X509_get0_notBefore(cert), &lo) < 0 &&
           X509_cmp_time(X509_get0_notAfter(cert), &hi) > 0;
}

char *cert_concat(const char *first, ...)
{
    va_list ap;
    size_t n = 0;
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *)) n += strlen(s);
    va_end(ap);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    out[0] = 0;
    char *p = out;
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *)) {
        size_t l = strlen(s);
        memcpy(p, s, l);
        p += l;
    }
    va_end(ap);
    *p = 0;
    return out;
}

void cert_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = 0;
}
