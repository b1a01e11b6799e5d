/* The mesh CA (what istiod / Citadel does): a root for cluster.local, or the
 * operator's plug-in CA from the `cacerts` Secret, and the SPIFFE workload
 * certificates it signs. */
#include "pki/pki.h"
#include "pki/cert.h"
#include "pki/pem_cache.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROOT_YEARS 10
#define WORKLOAD_TTL_S (24LL * 3600)
#define TRUST_DOMAIN "cluster.local"

/* The CA that signs workload certificates, and what workloads must trust. */
typedef struct mesh_ca {
    X509 *cert;
    EVP_PKEY *key;
    char *root_pem;    /* root-cert.pem */
    char *chain_pem;   /* appended to the leaf in cert-chain.pem ("" for a self-signed root) */
} mesh_ca;

static void mesh_ca_free(mesh_ca *ca)
{
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    free(ca->root_pem);
    free(ca->chain_pem);
    memset(ca, 0, sizeof *ca);
}

static char *blob_str(store *st, const char *key)
{
    size_t len = 0;
    char *s = store_blob_get(st, key, &len);
    if (s && strlen(s) != len) {   /* PEM never holds a NUL */
        free(s);
        return NULL;
    }
    return s;
}

/* A Secret's value: data (base64) or stringData (plain), malloc'd. */
static char *secret_value(json_t *secret, const char *key)
{
    const char *plain = json_string_value(json_object_get(json_object_get(secret, "stringData"), key));
    if (plain) return strdup(plain);
    const char *b64 = json_string_value(json_object_get(json_object_get(secret, "data"), key));
    if (!b64) return NULL;
    size_t n = strlen(b64);
    char *clean = malloc(n + 1), *out = malloc(n + 1);
    size_t m = 0;
    if (!clean || !out) goto fail;
    for (size_t i = 0; i < n; i++)
        if (b64[i] != '\n' && b64[i] != '\r' && b64[i] != ' ') clean[m++] = b64[i];
    clean[m] = 0;
    if (m % 4) goto fail;
    int got = EVP_DecodeBlock((unsigned char *)out, (unsigned char *)clean, (int)m);
    if (got < 0) goto fail;
    /* EVP_DecodeBlock counts the padding as data bytes */
    while (m > 0 && clean[m - 1] == '=') { got--; m--; }
    out[got] = 0;
    free(clean);
    return out;
fail:
    free(clean);
    free(out);
    return NULL;
}

/* The plug-in CA, when the operator created istio-system/cacerts.
 * Returns 1 when used, 0 when there is no such Secret, -1 when it is unusable. */
static int load_plugin_ca(store *st, mesh_ca *ca)
{
    json_t *secret = store_get(st, "secrets", "istio-system", "cacerts");
    if (!secret) return 0;
    char *cert = secret_value(secret, "ca-cert.pem"), *key = secret_value(secret, "ca-key.pem");
    char *root = secret_value(secret, "root-cert.pem"), *chain = secret_value(secret, "cert-chain.pem");
    json_decref(secret);
    ca->cert = cert_from_pem(cert);
    ca->key = cert_key_from_pem(key);
    free(cert);
    free(key);
    if (!ca->cert || !ca->key || !root || X509_check_private_key(ca->cert, ca->key) != 1) {
        ERR_clear_error();
        fprintf(stderr, "meshsim: Secret istio-system/cacerts: ca-cert.pem, ca-key.pem and "
                        "root-cert.pem must hold a matching certificate, key and root\n");
        free(root);
        free(chain);
        mesh_ca_free(ca);
        return -1;
    }
    ca->root_pem = root;
    /* Istio appends cert-chain.pem (the CA up to the root) to every leaf */
    ca->chain_pem = chain ? chain : cert_to_pem(ca->cert);
    return ca->chain_pem ? 1 : -1;
}

static int make_self_signed_root(store *st)
{
    static const char *const subject[] = {"O", TRUST_DOMAIN, NULL};
    long long now = (long long)time(NULL);
    EVP_PKEY *k = cert_key_new(KEY_EC_P256);
    cert_req r = {.subject = subject, .key = k, .not_before = now - 60,
                  .not_after = now + ROOT_YEARS * 365LL * 86400, .ca = true};
    X509 *x = k ? cert_make(&r) : NULL;
    char *cpem = x ? cert_to_pem(x) : NULL, *kpem = k ? cert_key_to_pem(k) : NULL;
    int rc = cpem && kpem && store_blob_put(st, "pki/mesh/root.key", kpem, strlen(kpem)) == 0 &&
                     store_blob_put(st, "pki/mesh/root.crt", cpem, strlen(cpem)) == 0
                 ? 0 : -1;
    free(cpem);
    free(kpem);
    X509_free(x);
    EVP_PKEY_free(k);
    return rc;
}

static int load_mesh_ca(store *st, mesh_ca *ca)
{
    memset(ca, 0, sizeof *ca);
    int plugin = load_plugin_ca(st, ca);
    if (plugin) return plugin > 0 ? 0 : -1;
    char *cpem = blob_str(st, "pki/mesh/root.crt"), *kpem = blob_str(st, "pki/mesh/root.key");
    if (!cpem || !kpem) {
        free(cpem);
        free(kpem);
        if (make_self_signed_root(st)) {
            fprintf(stderr, "meshsim: cannot create the mesh root CA\n");
            return -1;
        }
        cpem = blob_str(st, "pki/mesh/root.crt");
        kpem = blob_str(st, "pki/mesh/root.key");
    }
    ca->cert = cert_from_pem(cpem);
    ca->key = cert_key_from_pem(kpem);
    free(kpem);
    ca->root_pem = cpem;
    ca->chain_pem = strdup("");
    if (!ca->cert || !ca->key || !ca->chain_pem) {
        fprintf(stderr, "meshsim: the mesh root CA in the store is damaged\n");
        mesh_ca_free(ca);
        return -1;
    }
    return 0;
}

int pki_mesh_ensure_ca(store *st)
{
    mesh_ca ca;
    if (load_mesh_ca(st, &ca)) return -1;
    mesh_ca_free(&ca);
    return 0;
}

/* What istiod publishes as root-cert.pem (the istio-ca-root-cert
 * ConfigMaps): the plug-in CA's root when istio-system/cacerts exists (as
 * written there, unchecked: istiod's own complaint comes from whoever uses
 * the CA), else the self-signed root, made on first use. */
char *pki_mesh_root_pem(store *st)
{
    json_t *secret = store_get(st, "secrets", "istio-system", "cacerts");
    if (secret) {
        char *root = secret_value(secret, "root-cert.pem");
        json_decref(secret);
        return root;
    }
    char *pem = blob_str(st, "pki/mesh/root.crt");
    if (!pem && make_self_signed_root(st) == 0) pem = blob_str(st, "pki/mesh/root.crt");
    return pem;
}

/* Cached "<cert-chain PEM><key PEM>" for (ns, sa), or a new one. */
static char *workload_blob(store *st, mesh_ca *ca, const char *ns, const char *sa)
{
    char key[600];
    snprintf(key, sizeof key, "pki/workload/%s/%s", ns, sa);
    long long now = (long long)time(NULL);
    char *blob = blob_str(st, key);
    if (blob) {
        X509 *leaf = cert_from_pem(blob);
        /* Istio rotates at half the lifetime; a new CA means new certificates */
        bool fresh = leaf && cert_issued_by(leaf, ca->cert) &&
                     cert_valid_at(leaf, now, WORKLOAD_TTL_S / 2);
        X509_free(leaf);
        if (fresh) return blob;
        free(blob);
    }
    char san[600];
    snprintf(san, sizeof san, "critical,URI:spiffe://%s/ns/%s/sa/%s", TRUST_DOMAIN, ns, sa);
    EVP_PKEY *k = cert_key_new(KEY_EC_P256);
    cert_req r = {.key = k, .issuer = ca->cert, .issuer_key = ca->key, .not_before = now - 60,
                  .not_after = now - 60 + WORKLOAD_TTL_S, .san = san,
                  .server_auth = true, .client_auth = true};
    X509 *x = k ? cert_make(&r) : NULL;
    char *cpem = x ? cert_to_pem(x) : NULL, *kpem = k ? cert_key_to_pem(k) : NULL;
    blob = cpem && kpem ? cert_concat(cpem, ca->chain_pem, kpem, (char *)NULL) : NULL;
    free(cpem);
    free(kpem);
    X509_free(x);
    EVP_PKEY_free(k);
    if (blob && store_blob_put(st, key, blob, strlen(blob))) {
        free(blob);
        blob = NULL;
    }
    return blob;
}

int pki_workload_pem(store *st, const char *ns, const char *sa,
                     char **cert_chain_pem, char **key_pem, char **root_pem)
{
    if (cert_chain_pem) *cert_chain_pem = NULL;
    if (key_pem) *key_pem = NULL;
    if (root_pem) *root_pem = NULL;
    if (!ns || !*ns || !sa || !*sa) return -1;
    mesh_ca ca;
    if (load_mesh_ca(st, &ca)) return -1;
    char *blob = workload_blob(st, &ca, ns, sa);
    char *keystart = blob ? strstr(blob, "-----BEGIN PRIVATE KEY-----") : NULL;
    int rc = -1;
    if (keystart) {
        char *chain = strndup(blob, (size_t)(keystart - blob)), *k = strdup(keystart);
        char *root = strdup(ca.root_pem);
        if (chain && k && root) {
            rc = 0;
            if (cert_chain_pem) { *cert_chain_pem = chain; chain = NULL; }
            if (key_pem) { *key_pem = k; k = NULL; }
            if (root_pem) { *root_pem = root; root = NULL; }
        }
        free(chain);
        free(k);
        free(root);
    }
    free(blob);
    mesh_ca_free(&ca);
    return rc;
}

STACK_OF(X509) *pki_pem_to_certs(const char *pem, size_t len)
{
    STACK_OF(X509) *known = pem_cache_get(PEM_CACHE_CHAIN, pem, len);
    if (known) return known;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    STACK_OF(X509) *sk = b ? sk_X509_new_null() : NULL;
    X509 *x;
    while (sk && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
        if (!sk_X509_push(sk, x)) X509_free(x);
    ERR_clear_error();
    BIO_free(b);
    if (sk && sk_X509_num(sk) == 0) {
        sk_X509_free(sk);
        sk = NULL;
    }
    pem_cache_put(PEM_CACHE_CHAIN, pem, len, sk);
    return sk;
}

int pki_ctx_use_pem(SSL_CTX *ctx, const char *chain_pem, const char *key_pem)
{
    STACK_OF(X509) *chain = pki_pem_to_certs(chain_pem, strlen(chain_pem));
    EVP_PKEY *k = cert_key_from_pem(key_pem);
    int ok = chain && k && SSL_CTX_use_certificate(ctx, sk_X509_value(chain, 0)) == 1 &&
             SSL_CTX_use_PrivateKey(ctx, k) == 1;
    for (int i = 1; ok && i < sk_X509_num(chain); i++)
        ok = SSL_CTX_add1_chain_cert(ctx, sk_X509_value(chain, i)) == 1;
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

int pki_ctx_trust_pem(SSL_CTX *ctx, const char *roots_pem)
{
    STACK_OF(X509) *roots = pki_pem_to_certs(roots_pem, strlen(roots_pem));
    X509_STORE *xs = SSL_CTX_get_cert_store(ctx);
    int ok = roots != NULL;
    for (int i = 0; ok && i < sk_X509_num(roots); i++)
        ok = X509_STORE_add_cert(xs, sk_X509_value(roots, i)) == 1;
    sk_X509_pop_free(roots, X509_free);
    return ok ? 0 : -1;
}

SSL_CTX *pki_mesh_ctx(store *st, const char *ns, const char *sa, int server)
{
    char *chain = NULL, *key = NULL, *root = NULL;
    if (pki_workload_pem(st, ns, sa, &chain, &key, &root)) return NULL;
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (ctx && (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
                pki_ctx_use_pem(ctx, chain, key) || pki_ctx_trust_pem(ctx, root))) {
        SSL_CTX_free(ctx);
        ctx = NULL;
    }
    if (ctx)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
    free(chain);
    free(key);
    free(root);
    return ctx;
}

char *pki_peer_uri_san(SSL *ssl)
{
    X509 *peer = SSL_get0_peer_certificate(ssl);
    if (!peer) return NULL;
    GENERAL_NAMES *names = X509_get_ext_d2i(peer, NID_subject_alt_name, NULL, NULL);
    char *out = NULL;
    for (int i = 0; names && !out && i < sk_GENERAL_NAME_num(names); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type == GEN_URI)
            out = strndup((const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier),
                          (size_t)ASN1_STRING_length(g->d.uniformResourceIdentifier));
    }
    GENERAL_NAMES_free(names);
    return out;
}
