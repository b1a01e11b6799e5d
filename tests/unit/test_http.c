/* HTTP/1.1 as the simulated servers read and write it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "net/http1.h"

static long parse(const char *s, http_msg *m)
{
    char err[128] = "";
    return http1_parse_request((const unsigned char *)s, strlen(s), m, err, sizeof err);
}

static void test_curl_request(void **state)
{
    (void)state;
    const char *req = "GET /politics HTTP/1.1\r\nHost: edition.cnn.com\r\nUser-Agent: curl/7.88.1\r\n"
                      "Accept: */*\r\n\r\n";
    http_msg m;
    assert_int_equal(parse(req, &m), (long)strlen(req));
    assert_string_equal(m.method, "GET");
    assert_string_equal(m.target, "/politics");
    assert_string_equal(m.version, "HTTP/1.1");
    assert_string_equal(http_get(&m, "host"), "edition.cnn.com");
    assert_string_equal(http_get(&m, "USER-AGENT"), "curl/7.88.1");
    assert_null(http_get(&m, "x-request-id"));
    assert_int_equal(m.body_len, 0);
    http_msg_free(&m);
}

static void test_incomplete_needs_more(void **state)
{
    (void)state;
    const char *req = "POST /post HTTP/1.1\r\nHost: httpbin.org\r\nContent-Length: 5\r\n\r\nabcde";
    size_t n = strlen(req);
    http_msg m;
    for (size_t k = 0; k < n; k++) {
        char err[64];
        assert_int_equal(http1_parse_request((const unsigned char *)req, k, &m, err, sizeof err), 0);
    }
    assert_int_equal(parse(req, &m), (long)n);
    assert_int_equal(m.body_len, 5);
    assert_memory_equal(m.body, "abcde", 5);
    http_msg_free(&m);
}

static void test_pipelined_requests(void **state)
{
    (void)state;
    const char *two = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    http_msg m;
    long used = parse(two, &m);
    assert_true(used > 0 && (size_t)used < strlen(two));
    assert_string_equal(m.target, "/a");
    http_msg_free(&m);
    assert_true(parse(two + used, &m) > 0);
    assert_string_equal(m.target, "/b");
    http_msg_free(&m);
}

static void test_chunked_body(void **state)
{
    (void)state;
    const char *req = "POST /post HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n";
    http_msg m;
    assert_int_equal(parse(req, &m), (long)strlen(req));
    assert_int_equal(m.body_len, 9);
    assert_memory_equal(m.body, "Wikipedia", 9);
    http_msg_free(&m);
}

static void test_malformed_requests(void **state)
{
    (void)state;
    http_msg m;
    assert_int_equal(parse("GET\r\n\r\n", &m), -1);
    assert_int_equal(parse("GET / HTTP/9.9\r\n\r\n", &m), -1);
    assert_int_equal(parse("G(T / HTTP/1.1\r\n\r\n", &m), -1);
    assert_int_equal(parse("GET / HTTP/1.1\r\nno colon here\r\n\r\n", &m), -1);
    assert_int_equal(parse("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", &m), -1);
    assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", &m), -1);
    assert_int_equal(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", &m), -1);
}

static void test_header_set_and_remove(void **state)
{
    (void)state;
    http_msg m;
    http_msg_init(&m);
    http_set(&m, "Server", "gunicorn");
    http_set(&m, "server", "envoy");
    assert_int_equal(m.nh, 1);
    assert_string_equal(http_get(&m, "SERVER"), "envoy");
    http_add(&m, "via", "a");
    http_set(&m, "server", NULL);
    assert_int_equal(m.nh, 1);
    assert_null(http_get(&m, "server"));
    http_msg_free(&m);
}

static void test_response_writer(void **state)
{
    (void)state;
    http_msg r;
    http_msg_init(&r);
    r.status = 301;
    http_set(&r, "location", "https://edition.cnn.com/politics");
    http_set(&r, "content-length", "0");
    size_t n;
    unsigned char *out = http1_write_response(&r, 0, &n);
    const char *want = "HTTP/1.1 301 Moved Permanently\r\nlocation: https://edition.cnn.com/politics\r\n"
                       "content-length: 0\r\n\r\n";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
    free(out);
    http_set_body(&r, "hello", 5);
    r.status = 418;
    out = http1_write_response(&r, 1, &n);      /* HEAD: no body */
    assert_null(memmem(out, n, "hello", 5));
    assert_non_null(memmem(out, n, "418 I'm a teapot", 16));
    free(out);
    http_msg_free(&r);
}

static void test_wire_sizes(void **state)
{
    (void)state;
    const char *req = "GET /politics HTTP/1.1\r\nHost: edition.cnn.com\r\nAccept: */*\r\n\r\n";
    http_msg m;
    assert_int_equal(parse(req, &m), (long)strlen(req));
    assert_int_equal(http1_request_size(&m), strlen(req));
    http_msg_free(&m);
    http_msg r;
    http_msg_init(&r);
    r.status = 200;
    http_set(&r, "content-length", "5");
    http_set_body(&r, "hello", 5);
    size_t n;
    unsigned char *out = http1_write_response(&r, 0, &n);
    assert_int_equal(http1_response_size(&r), n);
    free(out);
    http_msg_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_curl_request),
        cmocka_unit_test(test_incomplete_needs_more),
        cmocka_unit_test(test_pipelined_requests),
        cmocka_unit_test(test_chunked_body),
        cmocka_unit_test(test_malformed_requests),
        cmocka_unit_test(test_header_set_and_remove),
        cmocka_unit_test(test_response_writer),
        cmocka_unit_test(test_wire_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
