/* lib/pki: the mesh CA, workload certificates, the simulated public PKI and
 * the TLS contexts built from them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pki/pki.h"
#include "pki/cert.h"

typedef struct fx {
    char dir[64];
    store *st;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/meshsim-test-pki.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    bool created = false;
    char err[256];
    f->st = store_open(f->dir, &created, err, sizeof err);
    assert_non_null(f->st);
    assert_true(created);
    assert_int_equal(store_begin(f->st), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    store_rollback(f->st);
    store_close(f->st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

/* ---- helpers ---- */

/* Verify the first certificate of chain_pem (the rest: untrusted
 * intermediates) against roots_pem; host: expected DNS name or NULL.
 * Returns the X509_V_ result. */
static int verify_chain(const char *chain_pem, const char *roots_pem, const char *host)
{
    STACK_OF(X509) *chain = pki_pem_to_certs(chain_pem, strlen(chain_pem));
    STACK_OF(X509) *roots = pki_pem_to_certs(roots_pem, strlen(roots_pem));
    assert_non_null(chain);
    assert_non_null(roots);
    X509_STORE *xs = X509_STORE_new();
    for (int i = 0; i < sk_X509_num(roots); i++) X509_STORE_add_cert(xs, sk_X509_value(roots, i));
    X509_STORE_CTX *c = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_dup(chain);
    (void)sk_X509_shift(untrusted);
    assert_int_equal(X509_STORE_CTX_init(c, xs, sk_X509_value(chain, 0), untrusted), 1);
    if (host) X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(c), host, 0);
    int ok = X509_verify_cert(c);
    int e = X509_STORE_CTX_get_error(c);
    if (ok == 1) assert_int_equal(e, X509_V_OK);
    X509_STORE_CTX_free(c);
    X509_STORE_free(xs);
    sk_X509_free(untrusted);
    sk_X509_pop_free(chain, X509_free);
    sk_X509_pop_free(roots, X509_free);
    ERR_clear_error();
    return e;
}

static char *uri_san(X509 *x, int *critical)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, critical, NULL);
    char *out = NULL;
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type == GEN_URI && !out)
            out = strdup((const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier));
    }
    GENERAL_NAMES_free(names);
    return out;
}

static long long asn1_epoch(const ASN1_TIME *t)
{
    struct tm tm;
    assert_int_equal(ASN1_TIME_to_tm(t, &tm), 1);
    return (long long)timegm(&tm);
}

static json_t *external_service(const char *name, const char *hosts_json, const char *tls_json)
{
    json_error_t je;
    json_t *es = json_pack("{s:s,s:s,s:{s:s},s:{s:o}}", "apiVersion", "meshsim.dev/v1alpha1", "kind",
                           "ExternalService", "metadata", "name", name, "spec", "hosts",
                           json_loads(hosts_json, 0, &je));
    assert_non_null(es);
    if (tls_json) {
        json_t *tls = json_loads(tls_json, 0, &je);
        assert_non_null(tls);
        json_object_set_new(json_object_get(es, "spec"), "tls", tls);
    }
    return es;
}

/* Drive a TLS handshake between two SSL objects over a BIO pair.
 * Returns 1 when both sides finished, 0 when either failed. */
static int handshake(SSL *client, SSL *server)
{
    BIO *cb, *sb;
    assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
    SSL_set_bio(client, cb, cb);
    SSL_set_bio(server, sb, sb);
    SSL_set_connect_state(client);
    SSL_set_accept_state(server);
    int cdone = 0, sdone = 0;
    for (int round = 0; round < 100 && !(cdone && sdone); round++) {
        if (!cdone) {
            int r = SSL_do_handshake(client);
            if (r == 1) cdone = 1;
            else if (SSL_get_error(client, r) != SSL_ERROR_WANT_READ) return 0;
        }
        if (!sdone) {
            int r = SSL_do_handshake(server);
            if (r == 1) sdone = 1;
            else if (SSL_get_error(server, r) != SSL_ERROR_WANT_READ) return 0;
        }
    }
    /* TLS 1.3: the server's verdict on the client certificate reaches the
     * client with its first read */
    char c;
    int r = SSL_read(client, &c, 1);
    if (r <= 0 && SSL_get_error(client, r) != SSL_ERROR_WANT_READ) return 0;
    return cdone && sdone;
}

/* ---- the mesh CA ---- */

static void test_workload_cert_has_spiffe_san_and_verifies(void **state)
{
    fx *f = *state;
    char *chain = NULL, *key = NULL, *root = NULL;
    assert_int_equal(pki_workload_pem(f->st, "istio-system", "istio-egressgateway-service-account",
                                      &chain, &key, &root), 0);
    X509 *leaf = cert_from_pem(chain);
    assert_non_null(leaf);
    int crit = 0;
    char *uri = uri_san(leaf, &crit);
    assert_string_equal(uri, "spiffe://cluster.local/ns/istio-system/sa/istio-egressgateway-service-account");
    assert_int_equal(crit, 1);   /* empty subject: the SAN must be critical (RFC 5280) */
    assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(leaf)), 0);
    /* Istio's workload lifetime: 24 hours */
    long long life = asn1_epoch(X509_get0_notAfter(leaf)) - asn1_epoch(X509_get0_notBefore(leaf));
    assert_int_equal(life, 24 * 3600);
    assert_int_equal(verify_chain(chain, root, NULL), X509_V_OK);
    /* the key belongs to the certificate */
    EVP_PKEY *k = cert_key_from_pem(key);
    assert_int_equal(X509_check_private_key(leaf, k), 1);
    EVP_PKEY_free(k);
    /* ... and does not verify against some other root */
    char *other = NULL;
    char *ochain = NULL;
    assert_int_equal(pki_world_client_pem(f->st, "x", &ochain, NULL, &other), 0);
    assert_int_equal(verify_chain(chain, other, NULL), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    free(other);
    free(ochain);
    free(uri);
    X509_free(leaf);
    free(chain);
    free(key);
    free(root);
}

static void test_root_is_cluster_local_for_ten_years(void **state)
{
    fx *f = *state;
    assert_int_equal(pki_mesh_ensure_ca(f->st), 0);
    char *root = NULL;
    assert_int_equal(pki_workload_pem(f->st, "default", "sleep", NULL, NULL, &root), 0);
    X509 *x = cert_from_pem(root);
    assert_non_null(x);
    char name[256];
    X509_NAME_oneline(X509_get_subject_name(x), name, sizeof name);
    assert_string_equal(name, "/O=cluster.local");
    assert_int_equal(X509_check_ca(x), 1);
    long long years = (asn1_epoch(X509_get0_notAfter(x)) - asn1_epoch(X509_get0_notBefore(x))) /
                      (365LL * 86400);
    assert_int_equal(years, 10);
    X509_free(x);
    free(root);
}

static void test_workload_cert_is_stable_per_identity(void **state)
{
    fx *f = *state;
    char *a = NULL, *b = NULL, *c = NULL, *ka = NULL, *kb = NULL;
    assert_int_equal(pki_workload_pem(f->st, "default", "sleep", &a, &ka, NULL), 0);
    assert_int_equal(pki_workload_pem(f->st, "default", "sleep", &b, &kb, NULL), 0);
    assert_int_equal(pki_workload_pem(f->st, "default", "httpbin", &c, NULL, NULL), 0);
    assert_string_equal(a, b);
    assert_string_equal(ka, kb);
    assert_string_not_equal(a, c);
    free(c);
    assert_int_equal(pki_workload_pem(f->st, "", "sleep", &c, NULL, NULL), -1);
    assert_null(c);
    free(a);
    free(b);
    free(ka);
    free(kb);
}

static char *b64(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    return out;
}

static void test_cacerts_secret_is_the_signing_ca(void **state)
{
    fx *f = *state;
    /* an operator's root and intermediate, as in Istio's plug-in CA task */
    long long now = (long long)time(NULL);
    static const char *const rs[] = {"O", "Example Org", "CN", "Root CA", NULL};
    static const char *const is[] = {"O", "Example Org", "CN", "Intermediate CA", NULL};
    EVP_PKEY *rk = cert_key_new(KEY_EC_P256), *ik = cert_key_new(KEY_EC_P256);
    cert_req rr = {.subject = rs, .key = rk, .not_before = now - 60, .not_after = now + 86400 * 400, .ca = true};
    X509 *root = cert_make(&rr);
    cert_req ir = {.subject = is, .key = ik, .issuer = root, .issuer_key = rk, .not_before = now - 60,
                   .not_after = now + 86400 * 300, .ca = true};
    X509 *inter = cert_make(&ir);
    char *root_pem = cert_to_pem(root), *inter_pem = cert_to_pem(inter), *ik_pem = cert_key_to_pem(ik);
    char *chain_pem = cert_concat(inter_pem, root_pem, (char *)NULL);
    char *b1 = b64(inter_pem), *b2 = b64(ik_pem), *b3 = b64(root_pem);
    json_t *secret = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s},s:{s:s}}", "apiVersion", "v1", "kind",
                               "Secret", "metadata", "name", "cacerts", "namespace", "istio-system", "data",
                               "ca-cert.pem", b1, "ca-key.pem", b2, "root-cert.pem", b3, "stringData",
                               "cert-chain.pem", chain_pem);
    assert_int_equal(store_put(f->st, "secrets", "istio-system", "cacerts", secret), 0);
    char *chain = NULL, *wroot = NULL;
    assert_int_equal(pki_workload_pem(f->st, "default", "sleep", &chain, NULL, &wroot), 0);
    assert_string_equal(wroot, root_pem);
    /* leaf, then the plug-in chain */
    assert_non_null(strstr(chain, inter_pem));
    X509 *leaf = cert_from_pem(chain);
    char name[256];
    X509_NAME_oneline(X509_get_issuer_name(leaf), name, sizeof name);
    assert_string_equal(name, "/O=Example Org/CN=Intermediate CA");
    assert_int_equal(verify_chain(chain, root_pem, NULL), X509_V_OK);
    /* a damaged Secret is refused, not silently replaced */
    json_object_set_new(json_object_get(secret, "data"), "ca-key.pem", json_string("bm90IGEga2V5"));
    assert_int_equal(store_put(f->st, "secrets", "istio-system", "cacerts", secret), 0);
    assert_int_equal(pki_mesh_ensure_ca(f->st), -1);
    X509_free(leaf);
    X509_free(root);
    X509_free(inter);
    EVP_PKEY_free(rk);
    EVP_PKEY_free(ik);
    json_decref(secret);
    free(root_pem), free(inter_pem), free(ik_pem), free(chain_pem), free(b1), free(b2), free(b3);
    free(chain);
    free(wroot);
}

static void test_mesh_mtls_handshake_and_peer_identity(void **state)
{
    fx *f = *state;
    SSL_CTX *sctx = pki_mesh_ctx(f->st, "default", "httpbin", 1);
    SSL_CTX *cctx = pki_mesh_ctx(f->st, "default", "sleep", 0);
    assert_non_null(sctx);
    assert_non_null(cctx);
    SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
    assert_int_equal(handshake(c, s), 1);
    char *peer = pki_peer_uri_san(s);
    assert_string_equal(peer, "spiffe://cluster.local/ns/default/sa/sleep");
    free(peer);
    peer = pki_peer_uri_san(c);
    assert_string_equal(peer, "spiffe://cluster.local/ns/default/sa/httpbin");
    free(peer);
    SSL_free(s);
    SSL_free(c);

    /* a client without a certificate is refused */
    SSL_CTX *plain = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(plain, SSL_VERIFY_NONE, NULL);
    s = SSL_new(sctx);
    c = SSL_new(plain);
    assert_int_equal(handshake(c, s), 0);
    SSL_free(s);
    SSL_free(c);
    SSL_CTX_free(plain);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    ERR_clear_error();
}

/* ---- the simulated public PKI ---- */

static void test_cnn_chain_is_shaped_like_the_seed(void **state)
{
    fx *f = *state;
    json_t *es = external_service("cnn", "[\"edition.cnn.com\"]", NULL);
    char *chain = pki_world_chain_pem(f->st, es);
    assert_non_null(chain);
    STACK_OF(X509) *sk = pki_pem_to_certs(chain, strlen(chain));
    assert_int_equal(sk_X509_num(sk), 4);
    const char *want[] = {
        "C = US, ST = California, L = San Francisco, O = \"Fastly, Inc.\", CN = turner-tls.map.fastly.net",
        "C = BE, O = GlobalSign nv-sa, CN = GlobalSign CloudSSL CA - SHA256 - G3",
        "C = BE, O = GlobalSign nv-sa, CN = GlobalSign CloudSSL CA - SHA256 - G3",
        "C = BE, O = GlobalSign nv-sa, OU = Root CA, CN = GlobalSign Root CA",
    };
    for (int i = 0; i < 4; i++) {
        BIO *b = BIO_new(BIO_s_mem());
        X509_NAME_print_ex(b, X509_get_subject_name(sk_X509_value(sk, i)), 0, XN_FLAG_ONELINE);
        char *p;
        long n = BIO_get_mem_data(b, &p);
        assert_int_equal(n, (long)strlen(want[i]));
        assert_memory_equal(p, want[i], (size_t)n);
        BIO_free(b);
    }
    char *bundle = pki_trust_bundle_pem(f->st);
    assert_int_equal(verify_chain(chain, bundle, "edition.cnn.com"), X509_V_OK);
    assert_int_equal(verify_chain(chain, bundle, "www.cnn.com"), X509_V_OK);   /* *.cnn.com */
    assert_int_equal(verify_chain(chain, bundle, "www.google.com"), X509_V_ERR_HOSTNAME_MISMATCH);
    /* the same chain on the next call (kept in the store) */
    char *again = pki_world_chain_pem(f->st, es);
    assert_string_equal(chain, again);
    sk_X509_pop_free(sk, X509_free);
    free(again);
    free(bundle);
    free(chain);
    json_decref(es);
}

static void test_generic_and_self_signed_profiles(void **state)
{
    fx *f = *state;
    json_t *es = external_service("httpbin", "[\"httpbin.org\", \"www.httpbin.org\"]", NULL);
    char *chain = pki_world_chain_pem(f->st, es), *bundle = pki_trust_bundle_pem(f->st);
    STACK_OF(X509) *sk = pki_pem_to_certs(chain, strlen(chain));
    assert_int_equal(sk_X509_num(sk), 2);
    assert_int_equal(verify_chain(chain, bundle, "www.httpbin.org"), X509_V_OK);
    assert_int_equal(verify_chain(chain, bundle, "edition.cnn.com"), X509_V_ERR_HOSTNAME_MISMATCH);
    sk_X509_pop_free(sk, X509_free);
    free(chain);
    json_decref(es);

    es = external_service("selfie", "[\"self.example.com\"]", "{\"profile\":\"self-signed\"}");
    chain = pki_world_chain_pem(f->st, es);
    assert_int_equal(verify_chain(chain, bundle, "self.example.com"), X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    free(chain);
    json_decref(es);
    free(bundle);
}

static void test_expiry_override_fails_verification(void **state)
{
    fx *f = *state;
    json_t *es = external_service("expired", "[\"expired.example.com\"]",
                                  "{\"notBefore\":\"2019-01-01T00:00:00Z\",\"notAfter\":\"2020-01-01T00:00:00Z\"}");
    char *chain = pki_world_chain_pem(f->st, es), *bundle = pki_trust_bundle_pem(f->st);
    assert_non_null(chain);
    assert_int_equal(verify_chain(chain, bundle, "expired.example.com"), X509_V_ERR_CERT_HAS_EXPIRED);
    X509 *leaf = cert_from_pem(chain);
    assert_int_equal(asn1_epoch(X509_get0_notAfter(leaf)), 1577836800LL);
    X509_free(leaf);
    free(chain);
    /* dropping the override gives a valid certificate again */
    json_object_del(json_object_get(es, "spec"), "tls");
    chain = pki_world_chain_pem(f->st, es);
    assert_int_equal(verify_chain(chain, bundle, "expired.example.com"), X509_V_OK);
    free(chain);
    free(bundle);
    json_decref(es);
}

static void test_bad_tls_block_is_refused_with_field_name(void **state)
{
    fx *f = *state;
    char err[256] = "";
    json_error_t je;
    json_t *tls = json_loads("{\"profile\":\"letsencrypt\"}", 0, &je);
    assert_int_equal(pki_world_tls_validate(tls, err, sizeof err), -1);
    assert_non_null(strstr(err, "spec.tls.profile"));
    assert_non_null(strstr(err, "letsencrypt"));
    json_decref(tls);
    tls = json_loads("{\"notAfter\":\"yesterday\"}", 0, &je);
    assert_int_equal(pki_world_tls_validate(tls, err, sizeof err), -1);
    assert_non_null(strstr(err, "spec.tls.notAfter"));
    json_decref(tls);
    tls = json_loads("{\"clientAuth\":\"require\",\"alpn\":[\"http/1.1\"],\"keyType\":\"EC\"}", 0, &je);
    assert_int_equal(pki_world_tls_validate(tls, err, sizeof err), 0);
    json_decref(tls);
    json_t *es = external_service("bad", "[\"bad.example.com\"]", "{\"colour\":\"blue\"}");
    assert_null(pki_world_server_ctx(f->st, es));
    json_decref(es);
}

static const char *alpn_after_handshake(store *st, json_t *es, const char *offer, size_t offer_len)
{
    static char got[32];
    SSL_CTX *sctx = pki_world_server_ctx(st, es);
    assert_non_null(sctx);
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
    if (offer) SSL_set_alpn_protos(c, (const unsigned char *)offer, (unsigned)offer_len);
    assert_int_equal(handshake(c, s), 1);
    const unsigned char *p;
    unsigned len;
    SSL_get0_alpn_selected(c, &p, &len);
    snprintf(got, sizeof got, "%.*s", (int)len, (const char *)p);
    SSL_free(s);
    SSL_free(c);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    return got;
}

static void test_world_server_alpn(void **state)
{
    fx *f = *state;
    json_t *es = external_service("cnn", "[\"edition.cnn.com\"]", NULL);
    assert_string_equal(alpn_after_handshake(f->st, es, "\x08http/1.1\x02h2", 12), "h2");
    assert_string_equal(alpn_after_handshake(f->st, es, "\x08http/1.1", 9), "http/1.1");
    assert_string_equal(alpn_after_handshake(f->st, es, "\x06spdy/1", 7), "");
    assert_string_equal(alpn_after_handshake(f->st, es, NULL, 0), "");
    json_decref(es);
    es = external_service("old", "[\"old.example.com\"]", "{\"alpn\":[\"http/1.1\"]}");
    assert_string_equal(alpn_after_handshake(f->st, es, "\x02h2\x08http/1.1", 12), "http/1.1");
    json_decref(es);
}

static void test_world_server_requires_client_certificate(void **state)
{
    fx *f = *state;
    json_t *es = external_service("mtls", "[\"mtls.example.com\"]", "{\"clientAuth\":\"require\"}");
    SSL_CTX *sctx = pki_world_server_ctx(f->st, es);
    assert_non_null(sctx);
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
    assert_int_equal(handshake(c, s), 0);
    SSL_free(s);
    SSL_free(c);
    char *cert = NULL, *key = NULL;
    assert_int_equal(pki_world_client_pem(f->st, "sleep", &cert, &key, NULL), 0);
    assert_int_equal(pki_ctx_use_pem(cctx, cert, key), 0);
    s = SSL_new(sctx);
    c = SSL_new(cctx);
    assert_int_equal(handshake(c, s), 1);
    X509 *peer = SSL_get0_peer_certificate(s);
    assert_non_null(peer);
    char name[128];
    X509_NAME_oneline(X509_get_subject_name(peer), name, sizeof name);
    assert_string_equal(name, "/CN=sleep");
    SSL_free(s);
    SSL_free(c);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    free(cert);
    free(key);
    json_decref(es);
    ERR_clear_error();
}

/* ---- files in containers ---- */

static void test_pod_files(void **state)
{
    fx *f = *state;
    json_error_t je;
    json_t *gw = json_loads("{\"metadata\":{\"name\":\"istio-egressgateway-1\",\"namespace\":\"istio-system\"},"
                            "\"spec\":{\"serviceAccountName\":\"istio-egressgateway-service-account\","
                            "\"containers\":[{\"name\":\"istio-proxy\"}]}}", 0, &je);
    json_t *sleep = json_loads("{\"metadata\":{\"name\":\"sleep-1\",\"namespace\":\"default\"},"
                               "\"spec\":{\"containers\":[{\"name\":\"sleep\"},{\"name\":\"istio-proxy\"}]}}",
                               0, &je);
    istio_release rel = *release_default();
    rel.cert_dir = "/etc/certs";
    char *content = NULL;
    assert_int_equal(pki_pod_file(f->st, gw, NULL, &rel, "/etc/certs/cert-chain.pem", &content), 0);
    X509 *x = cert_from_pem(content);
    char *uri = uri_san(x, NULL);
    assert_string_equal(uri, "spiffe://cluster.local/ns/istio-system/sa/istio-egressgateway-service-account");
    free(uri);
    X509_free(x);
    free(content);
    assert_int_equal(pki_pod_file(f->st, gw, NULL, &rel, "/etc/certs/key.pem", &content), 0);
    assert_non_null(strstr(content, "-----BEGIN PRIVATE KEY-----"));
    free(content);
    assert_int_equal(pki_pod_file(f->st, gw, NULL, &rel, "/etc/certs/root-cert.pem", &content), 0);
    free(content);
    /* the sleep pod's proxy runs as "default"; its app container has no certs */
    assert_int_equal(pki_pod_file(f->st, sleep, "istio-proxy", &rel, "/etc/certs/cert-chain.pem", &content), 0);
    x = cert_from_pem(content);
    uri = uri_san(x, NULL);
    assert_string_equal(uri, "spiffe://cluster.local/ns/default/sa/default");
    free(uri);
    X509_free(x);
    free(content);
    assert_int_equal(pki_pod_file(f->st, sleep, "sleep", &rel, "/etc/certs/cert-chain.pem", &content), 1);
    assert_null(content);
    assert_int_equal(pki_pod_file(f->st, gw, NULL, &rel, "/etc/certs/other.pem", &content), 1);
    assert_int_equal(pki_pod_file(f->st, gw, NULL, &rel, "/etc/passwd", &content), 1);
    /* every container trusts the simulated public roots */
    assert_int_equal(pki_pod_file(f->st, sleep, "sleep", &rel, "/etc/ssl/certs/ca-certificates.crt", &content), 0);
    char *bundle = pki_trust_bundle_pem(f->st);
    assert_string_equal(content, bundle);
    STACK_OF(X509) *sk = pki_pem_to_certs(bundle, strlen(bundle));
    assert_int_equal(sk_X509_num(sk), 2);
    sk_X509_pop_free(sk, X509_free);
    free(bundle);
    free(content);
    /* SDS-only releases have no /etc/certs */
    rel.cert_dir = "";
    assert_int_equal(pki_pod_file(f->st, gw, NULL, &rel, "/etc/certs/cert-chain.pem", &content), 1);
    json_decref(gw);
    json_decref(sleep);
}

static char *unb64(json_t *v)
{
    const char *s = json_string_value(v);
    assert_non_null(s);
    size_t n = strlen(s);
    unsigned char *out = malloc(n + 1);
    int got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    assert_true(got >= 0);
    while (n > 0 && s[n - 1] == '=') got--, n--;
    out[got] = 0;
    return (char *)out;
}

static void test_citadel_secrets(void **state)
{
    fx *f = *state;
    json_t *s = pki_istio_secret(f->st, "istio-system", "istio-egressgateway-service-account");
    assert_non_null(s);
    assert_string_equal(json_string_value(json_object_get(s, "type")), "istio.io/key-and-cert");
    assert_string_equal(json_string_value(json_object_get(json_object_get(s, "metadata"), "name")),
                        "istio.istio-egressgateway-service-account");
    json_t *data = json_object_get(s, "data");
    assert_int_equal(json_object_size(data), 3);
    char *chain = unb64(json_object_get(data, "cert-chain.pem")), *want = NULL;
    assert_int_equal(pki_workload_pem(f->st, "istio-system", "istio-egressgateway-service-account", &want, NULL,
                                      NULL), 0);
    assert_string_equal(chain, want);   /* the same certificate the proxy's files show */
    free(chain);
    free(want);
    json_decref(s);

    s = pki_ca_secret(f->st);
    assert_non_null(s);
    data = json_object_get(s, "data");
    assert_int_equal(json_object_size(data), 5);
    char *ca = unb64(json_object_get(data, "ca-cert.pem")), *root = NULL;
    assert_int_equal(pki_workload_pem(f->st, "default", "sleep", NULL, NULL, &root), 0);
    assert_string_equal(ca, root);
    char *key = unb64(json_object_get(data, "ca-key.pem"));
    EVP_PKEY *k = cert_key_from_pem(key);
    X509 *x = cert_from_pem(ca);
    assert_int_equal(X509_check_private_key(x, k), 1);
    EVP_PKEY_free(k);
    X509_free(x);
    free(key);
    free(ca);
    free(root);
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_workload_cert_has_spiffe_san_and_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root_is_cluster_local_for_ten_years, setup, teardown),
        cmocka_unit_test_setup_teardown(test_workload_cert_is_stable_per_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cacerts_secret_is_the_signing_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mesh_mtls_handshake_and_peer_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cnn_chain_is_shaped_like_the_seed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generic_and_self_signed_profiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_override_fails_verification, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_tls_block_is_refused_with_field_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_world_server_alpn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_world_server_requires_client_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pod_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_citadel_secrets, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
