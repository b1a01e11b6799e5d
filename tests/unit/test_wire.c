/* Bytes on the wire: the TLS ClientHello reader (on real ClientHellos that
 * OpenSSL writes in-test), the protocol sniffer, and junk handling. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/ssl.h>
#include "net/sni.h"

/* The first flight an OpenSSL client writes for (sni, alpn). */
static size_t client_hello_bytes(const char *sni, const char *alpn_wire, size_t alpn_len,
                                 unsigned char *out, size_t cap)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = SSL_new(ctx);
    BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl, rb, wb);
    if (sni) SSL_set_tlsext_host_name(ssl, sni);
    if (alpn_wire) SSL_set_alpn_protos(ssl, (const unsigned char *)alpn_wire, (unsigned)alpn_len);
    SSL_set_connect_state(ssl);
    assert_true(SSL_do_handshake(ssl) <= 0);      /* wants to read the ServerHello */
    int n = BIO_read(wb, out, (int)cap);
    assert_true(n > 0);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    return (size_t)n;
}

static void test_sni_and_alpn_from_openssl_hello(void **state)
{
    (void)state;
    unsigned char buf[4096];
    size_t n = client_hello_bytes("edition.cnn.com", "\x02h2\x08http/1.1", 12, buf, sizeof buf);
    client_hello h;
    assert_int_equal(tls_client_hello_parse(buf, n, &h), 1);
    assert_string_equal(h.sni, "edition.cnn.com");
    assert_int_equal(h.nalpn, 2);
    assert_string_equal(h.alpn[0], "h2");
    assert_string_equal(h.alpn[1], "http/1.1");
    assert_int_equal(sniff_protocol(buf, n), SNIFF_TLS);
}

static void test_hello_without_sni(void **state)
{
    (void)state;
    unsigned char buf[4096];
    size_t n = client_hello_bytes(NULL, NULL, 0, buf, sizeof buf);
    client_hello h;
    assert_int_equal(tls_client_hello_parse(buf, n, &h), 1);
    assert_string_equal(h.sni, "");
    assert_int_equal(h.nalpn, 0);
}

static void test_every_prefix_needs_more(void **state)
{
    (void)state;
    unsigned char buf[4096];
    size_t n = client_hello_bytes("httpbin.org", NULL, 0, buf, sizeof buf);
    client_hello h;
    for (size_t k = 0; k < n; k++) assert_int_equal(tls_client_hello_parse(buf, k, &h), 0);
    assert_int_equal(tls_client_hello_parse(buf, n, &h), 1);
    assert_string_equal(h.sni, "httpbin.org");
}

static void test_hello_split_over_two_records(void **state)
{
    (void)state;
    unsigned char one[4096], two[4200];
    size_t n = client_hello_bytes("de.wikipedia.org", NULL, 0, one, sizeof one);
    size_t body = n - 5, first = body / 3;
    /* record 1: first bytes of the handshake message, record 2: the rest */
    memcpy(two, one, 5);
    two[3] = (unsigned char)(first >> 8);
    two[4] = (unsigned char)first;
    memcpy(two + 5, one + 5, first);
    size_t off = 5 + first;
    memcpy(two + off, one, 5);
    two[off + 3] = (unsigned char)((body - first) >> 8);
    two[off + 4] = (unsigned char)(body - first);
    memcpy(two + off + 5, one + 5 + first, body - first);
    client_hello h;
    assert_int_equal(tls_client_hello_parse(two, off + 5 + body - first, &h), 1);
    assert_string_equal(h.sni, "de.wikipedia.org");
}

static void test_corrupted_lengths_are_rejected(void **state)
{
    (void)state;
    unsigned char buf[4096], bad[4096];
    size_t n = client_hello_bytes("edition.cnn.com", NULL, 0, buf, sizeof buf);
    client_hello h;
    /* flip every byte of the handshake in turn: never a crash, never a read past n */
    for (size_t i = 5; i < n; i++) {
        memcpy(bad, buf, n);
        bad[i] ^= 0xff;
        int r = tls_client_hello_parse(bad, n, &h);
        assert_true(r >= -1 && r <= 1);
        if (r == 1) assert_true(strlen(h.sni) < sizeof h.sni);
    }
    /* not a handshake record at all */
    memcpy(bad, buf, n);
    bad[0] = 0x17;
    assert_int_equal(tls_client_hello_parse(bad, n, &h), -1);
    /* a ServerHello (type 2) is not a ClientHello */
    memcpy(bad, buf, n);
    bad[5] = 2;
    assert_int_equal(tls_client_hello_parse(bad, n, &h), -1);
}

static void test_sni_with_control_characters_is_rejected(void **state)
{
    (void)state;
    unsigned char buf[4096];
    size_t n = client_hello_bytes("abc.example", NULL, 0, buf, sizeof buf);
    unsigned char *p = memmem(buf, n, "abc.example", 11);
    assert_non_null(p);
    p[1] = '\n';
    client_hello h;
    assert_int_equal(tls_client_hello_parse(buf, n, &h), -1);
}

static void test_sniff_plaintext(void **state)
{
    (void)state;
    const char *get = "GET /politics HTTP/1.1\r\nHost: edition.cnn.com\r\n\r\n";
    assert_int_equal(sniff_protocol((const unsigned char *)get, strlen(get)), SNIFF_HTTP1);
    assert_int_equal(sniff_protocol((const unsigned char *)"GE", 2), SNIFF_MORE);
    assert_int_equal(sniff_protocol((const unsigned char *)"GET / HT", 8), SNIFF_MORE);
    const char *notver = "GET / SPDY/3\r\n";
    assert_int_equal(sniff_protocol((const unsigned char *)notver, strlen(notver)), SNIFF_OTHER);
    const char *pre = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    assert_int_equal(sniff_protocol((const unsigned char *)pre, strlen(pre)), SNIFF_H2C);
    assert_int_equal(sniff_protocol((const unsigned char *)"SSH-2.0-OpenSSH\r\n", 17), SNIFF_OTHER);
    assert_int_equal(sniff_protocol((const unsigned char *)"", 0), SNIFF_MORE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sni_and_alpn_from_openssl_hello),
        cmocka_unit_test(test_hello_without_sni),
        cmocka_unit_test(test_every_prefix_needs_more),
        cmocka_unit_test(test_hello_split_over_two_records),
        cmocka_unit_test(test_corrupted_lengths_are_rejected),
        cmocka_unit_test(test_sni_with_control_characters_is_rejected),
        cmocka_unit_test(test_sniff_plaintext),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
