/* lib/net/tls_servers.c: the in-memory handshake a proxy makes when it
 * originates TLS (DestinationRule SIMPLE / MUTUAL), against world hosts and
 * mesh identities, and what nginx's ssl_verify_client makes of the client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net_internal.h"
#include "pki/pki.h"

typedef struct fx {
    char dir[64];
    store *st;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/meshsim-test-tls.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    bool created = false;
    char err[256];
    f->st = store_open(f->dir, &created, err, sizeof err);
    assert_non_null(f->st);
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

static json_t *external_service(const char *host, const char *tls_json)
{
    json_error_t je;
    json_t *es = json_pack("{s:s,s:s,s:{s:s},s:{s:[s]}}", "apiVersion", "meshsim.dev/v1alpha1", "kind",
                           "ExternalService", "metadata", "name", host, "spec", "hosts", host);
    assert_non_null(es);
    if (tls_json) json_object_set_new(json_object_get(es, "spec"), "tls", json_loads(tls_json, 0, &je));
    return es;
}

/* A proxy's client context trusting the simulated public roots. */
static SSL_CTX *public_client(store *st)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    char *roots = pki_trust_bundle_pem(st);
    assert_non_null(roots);
    assert_int_equal(pki_ctx_trust_pem(ctx, roots), 0);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    free(roots);
    return ctx;
}

static void test_origination_to_a_world_host_verifies_name_and_chain(void **state)
{
    fx *f = *state;
    json_t *es = external_service("api.example.org", NULL);
    SSL_CTX *server = pki_world_server_ctx(f->st, es);
    assert_non_null(server);
    tls_srv client = {.kind = TLS_CLI_ORIGIN, .ctx = public_client(f->st), .verify_sni = true};
    char why[256] = "";
    const char *nginx_error = "unset";
    assert_int_equal(tls_originate_check(&client, server, "api.example.org", NULL, why, sizeof why, &nginx_error), 0);
    assert_null(nginx_error);
    /* the SNI names a host the certificate does not carry */
    assert_int_equal(tls_originate_check(&client, server, "other.example.org", NULL, why, sizeof why, &nginx_error), -1);
    assert_string_equal(why, "TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED");
    /* subjectAltNames the certificate lacks */
    client.verify_sni = false;
    json_error_t je;
    json_t *settings = json_loads("{\"mode\":\"SIMPLE\",\"subjectAltNames\":[\"nope.example.org\"]}", 0, &je);
    assert_int_equal(tls_originate_check(&client, server, "api.example.org", settings, why, sizeof why, &nginx_error), -1);
    json_decref(settings);
    SSL_CTX_free(client.ctx);
    SSL_CTX_free(server);
    json_decref(es);
}

static void test_origination_rejects_expired_and_self_signed_hosts(void **state)
{
    fx *f = *state;
    tls_srv client = {.kind = TLS_CLI_ORIGIN, .ctx = public_client(f->st)};
    char why[256];
    const char *nginx_error;
    json_t *expired = external_service("expired.example.org",
                                       "{\"notBefore\":\"2019-01-01T00:00:00Z\",\"notAfter\":\"2020-01-01T00:00:00Z\"}");
    json_t *self = external_service("self.example.org", "{\"profile\":\"self-signed\"}");
    SSL_CTX *s1 = pki_world_server_ctx(f->st, expired), *s2 = pki_world_server_ctx(f->st, self);
    assert_non_null(s1);
    assert_non_null(s2);
    assert_int_equal(tls_originate_check(&client, s1, "expired.example.org", NULL, why, sizeof why, &nginx_error), -1);
    assert_string_equal(why, "TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED");
    assert_int_equal(tls_originate_check(&client, s2, "self.example.org", NULL, why, sizeof why, &nginx_error), -1);
    /* a proxy that does not verify (no caCertificates before Istio 1.20) goes through */
    tls_srv lax = {.kind = TLS_CLI_ORIGIN, .ctx = SSL_CTX_new(TLS_client_method())};
    assert_int_equal(tls_originate_check(&lax, s1, "expired.example.org", NULL, why, sizeof why, &nginx_error), 0);
    SSL_CTX_free(lax.ctx);
    SSL_CTX_free(s1);
    SSL_CTX_free(s2);
    SSL_CTX_free(client.ctx);
    json_decref(expired);
    json_decref(self);
}

static void test_mesh_server_requires_the_client_certificate(void **state)
{
    fx *f = *state;
    SSL_CTX *server = pki_mesh_ctx(f->st, "default", "httpbin", 1);
    tls_srv mesh_client = {.kind = TLS_CLI_ORIGIN, .ctx = pki_mesh_ctx(f->st, "default", "sleep", 0)};
    assert_non_null(server);
    assert_non_null(mesh_client.ctx);
    char why[256];
    const char *nginx_error;
    assert_int_equal(tls_originate_check(&mesh_client, server, "outbound_.8000_._.httpbin.default.svc.cluster.local",
                                         NULL, why, sizeof why, &nginx_error), 0);
    /* no client certificate: TLS 1.3's server refuses after the client's Finished */
    tls_srv bare = {.kind = TLS_CLI_ORIGIN, .ctx = SSL_CTX_new(TLS_client_method())};
    assert_int_equal(tls_originate_check(&bare, server, NULL, NULL, why, sizeof why, &nginx_error), -1);
    /* a missing context (certificates that did not load) fails too */
    tls_srv none = {.kind = TLS_CLI_ORIGIN, .ctx = NULL};
    assert_int_equal(tls_originate_check(&none, server, NULL, NULL, why, sizeof why, &nginx_error), -1);
    assert_string_equal(why, "TLS error: handshake failure");
    SSL_CTX_free(bare.ctx);
    SSL_CTX_free(mesh_client.ctx);
    SSL_CTX_free(server);
}

static int accept_any(int ok, X509_STORE_CTX *x)
{
    (void)ok; (void)x;
    return 1;
}

static void test_nginx_style_verification_reports_after_the_handshake(void **state)
{
    fx *f = *state;
    /* nginx's ssl_verify_client on: ask, let the handshake through, judge in HTTP */
    SSL_CTX *server = pki_mesh_ctx(f->st, "mesh-external", "default", 1);
    assert_non_null(server);
    SSL_CTX_set_verify(server, SSL_VERIFY_PEER, accept_any);
    char why[256];
    const char *nginx_error = NULL;
    tls_srv bare = {.kind = TLS_CLI_ORIGIN, .ctx = SSL_CTX_new(TLS_client_method())};
    assert_int_equal(tls_originate_check(&bare, server, NULL, NULL, why, sizeof why, &nginx_error), 0);
    assert_string_equal(nginx_error, "No required SSL certificate was sent");
    /* a certificate from a CA the server does not trust */
    char *cert = NULL, *key = NULL, *ca = NULL;
    assert_int_equal(pki_world_client_pem(f->st, "client", &cert, &key, &ca), 0);
    tls_srv rogue = {.kind = TLS_CLI_ORIGIN, .ctx = SSL_CTX_new(TLS_client_method())};
    assert_int_equal(pki_ctx_use_pem(rogue.ctx, cert, key), 0);
    assert_int_equal(tls_originate_check(&rogue, server, NULL, NULL, why, sizeof why, &nginx_error), 0);
    assert_string_equal(nginx_error, "The SSL certificate error");
    /* one from the mesh CA it does trust */
    tls_srv good = {.kind = TLS_CLI_ORIGIN, .ctx = pki_mesh_ctx(f->st, "default", "sleep", 0)};
    assert_int_equal(tls_originate_check(&good, server, NULL, NULL, why, sizeof why, &nginx_error), 0);
    assert_null(nginx_error);
    free(cert);
    free(key);
    free(ca);
    SSL_CTX_free(good.ctx);
    SSL_CTX_free(rogue.ctx);
    SSL_CTX_free(bare.ctx);
    SSL_CTX_free(server);
}

static void test_nginx_bad_request_page(void **state)
{
    (void)state;
    http_msg resp;
    http_msg_init(&resp);
    nginx_bad_request("The plain HTTP request was sent to HTTPS port", 0, &resp);
    assert_int_equal(resp.status, 400);
    assert_string_equal(http_get(&resp, "server"), "nginx/1.25.3");
    assert_non_null(memmem(resp.body, resp.body_len, "<title>400 The plain HTTP request was sent to HTTPS port</title>",
                           62));
    char len[32];
    snprintf(len, sizeof len, "%zu", resp.body_len);
    assert_string_equal(http_get(&resp, "content-length"), len);
    http_msg_free(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_origination_to_a_world_host_verifies_name_and_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_origination_rejects_expired_and_self_signed_hosts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mesh_server_requires_the_client_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nginx_style_verification_reports_after_the_handshake, setup, teardown),
        cmocka_unit_test(test_nginx_bad_request_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
