/* Envoy access-log lines: the formatter must reproduce, byte for byte, the
 * lines printed in Istio's documentation from the same facts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <jansson.h>
#include "model/release.h"
#include "telemetry/accesslog.h"

static long long at(int y, int mo, int d, int h, int mi, int s, int ms)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
    return (long long)timegm(&tm) * 1000 + ms;
}

static void check(const char *fmt, const access_entry *e, const char *want)
{
    char *got = accesslog_format_text(fmt, e);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

/* The egress-gateway page, HTTP via the gateway (Istio 1.3-1.7 format). */
static void test_gateway_http_line_from_the_page(void **state)
{
    (void)state;
    http_msg req;
    http_msg_init(&req);
    http_set(&req, "x-forwarded-for", "10.244.2.10");
    http_set(&req, "user-agent", "curl/7.64.0");
    http_set(&req, "x-request-id", "ea379962-9b5c-4431-ab66-f01994f5a5a5");
    access_entry e = {
        .start_ms = at(2019, 9, 3, 20, 57, 49, 103), .protocol = "HTTP/2",
        .method = "GET", .path = "/politics", .authority = "edition.cnn.com", .req = &req,
        .response_code = 301, .bytes_received = 0, .bytes_sent = 0, .duration_ms = 90,
        .upstream_service_time_ms = 89, .upstream_host = "151.101.65.67:80",
        .upstream_cluster = "outbound|80||edition.cnn.com", .stat_suffix = "",
        .downstream_local = "10.244.1.5:80", .downstream_remote = "10.244.2.10:50482", .sni = "edition.cnn.com",
    };
    const istio_release *r = release_lookup("1.4");
    assert_non_null(r);
    check(r->access_log_format, &e,
          "[2019-09-03T20:57:49.103Z] \"GET /politics HTTP/2\" 301 - \"-\" \"-\" 0 0 90 89 \"10.244.2.10\" "
          "\"curl/7.64.0\" \"ea379962-9b5c-4431-ab66-f01994f5a5a5\" \"edition.cnn.com\" \"151.101.65.67:80\" "
          "outbound|80||edition.cnn.com - 10.244.1.5:80 10.244.2.10:50482 edition.cnn.com -\n");
    http_msg_free(&req);
}

/* The page's TLS passthrough line (2019-01, the unified format before 1.1). */
static void test_gateway_tcp_line_from_the_page(void **state)
{
    (void)state;
    const char *fmt = "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" "
                      "%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% "
                      "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" "
                      "\"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\" %UPSTREAM_CLUSTER% "
                      "%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% "
                      "%REQUESTED_SERVER_NAME%\n";
    access_entry e = {
        .start_ms = at(2019, 1, 2, 11, 46, 46, 981), .bytes_received = 627, .bytes_sent = 1879689,
        .duration_ms = 44, .upstream_service_time_ms = 12, .upstream_host = "151.101.129.67:443",
        .upstream_cluster = "outbound|443||edition.cnn.com", .upstream_local = "172.30.109.80:41122",
        .downstream_local = "172.30.109.80:443", .downstream_remote = "172.30.109.112:59970",
        .sni = "edition.cnn.com",
    };
    check(fmt, &e,
          "[2019-01-02T11:46:46.981Z] \"- - -\" 0 - 627 1879689 44 - \"-\" \"-\" \"-\" \"-\" "
          "\"151.101.129.67:443\" outbound|443||edition.cnn.com 172.30.109.80:41122 172.30.109.80:443 "
          "172.30.109.112:59970 edition.cnn.com\n");
}

/* Istio >= 1.23: details fields, UPSTREAM_CLUSTER_RAW (no ";" stat suffix). */
static void test_current_format_lines(void **state)
{
    (void)state;
    const istio_release *r = release_lookup("1.24");
    assert_non_null(r);
    access_entry tcp = {
        .start_ms = at(2024, 1, 11, 21, 9, 42, 835), .bytes_received = 839, .bytes_sent = 2504306,
        .duration_ms = 231, .upstream_service_time_ms = -1, .upstream_host = "151.101.195.5:443",
        .upstream_cluster = "outbound|443||edition.cnn.com", .stat_suffix = r->stat_suffix,
        .upstream_local = "172.30.239.8:34470", .downstream_local = "172.30.239.8:443",
        .downstream_remote = "172.30.239.15:43956", .sni = "edition.cnn.com",
    };
    check(r->access_log_format, &tcp,
          "[2024-01-11T21:09:42.835Z] \"- - -\" 0 - - - \"-\" 839 2504306 231 - \"-\" \"-\" \"-\" \"-\" "
          "\"151.101.195.5:443\" outbound|443||edition.cnn.com 172.30.239.8:34470 172.30.239.8:443 "
          "172.30.239.15:43956 edition.cnn.com -\n");

    http_msg req;
    http_msg_init(&req);
    http_set(&req, "user-agent", "curl/7.81.0-DEV");
    http_set(&req, "x-request-id", "cb171c15-848a-93d8-88d6-beeadcbb683f");
    access_entry blocked = {
        .start_ms = at(2022, 4, 26, 13, 16, 32, 23), .protocol = "HTTP/1.1", .method = "HEAD", .path = "/",
        .authority = "www.baidu.com", .req = &req, .response_code = 502, .response_code_details = "direct_response",
        .upstream_service_time_ms = -1, .downstream_local = "180.97.34.94:80",
        .downstream_remote = "10.122.158.52:48708", .route_name = "block_all",
    };
    check(r->access_log_format, &blocked,
          "[2022-04-26T13:16:32.023Z] \"HEAD / HTTP/1.1\" 502 - direct_response - \"-\" 0 0 0 - \"-\" "
          "\"curl/7.81.0-DEV\" \"cb171c15-848a-93d8-88d6-beeadcbb683f\" \"www.baidu.com\" \"-\" - - "
          "180.97.34.94:80 10.122.158.52:48708 - block_all\n");
    http_msg_free(&req);

    /* a listener's own line for a connection no filter chain takes (Istio >= 1.8) */
    access_entry nr = {
        .start_ms = at(2024, 1, 11, 21, 9, 43, 0), .response_flags = "NR",
        .response_code_details = "filter_chain_not_found", .upstream_service_time_ms = -1,
        .downstream_local = "10.244.0.6:8443", .downstream_remote = "10.244.0.9:46406", .sni = "other.example.com",
    };
    check(r->access_log_format, &nr,
          "[2024-01-11T21:09:43.000Z] \"- - -\" 0 NR filter_chain_not_found - \"-\" 0 0 0 - \"-\" \"-\" \"-\" \"-\" "
          "\"-\" - - 10.244.0.6:8443 10.244.0.9:46406 other.example.com -\n");

    /* %UPSTREAM_CLUSTER% shows the alt_stat_name with its ";" */
    check("%UPSTREAM_CLUSTER% %UPSTREAM_CLUSTER_RAW%", &tcp, "outbound|443||edition.cnn.com; outbound|443||edition.cnn.com");
}

static void test_operator_details(void **state)
{
    (void)state;
    http_msg req, resp;
    http_msg_init(&req);
    http_msg_init(&resp);
    http_set(&req, "x-envoy-original-path", "/orig");
    http_set(&req, "host", "h.example:8000");
    http_set(&resp, "content-type", "text/plain");
    access_entry e = {
        .start_ms = at(2018, 4, 3, 23, 6, 9, 123), .protocol = "HTTP/1.1", .method = "GET", .path = "/new",
        .req = &req, .resp = &resp, .response_code = 503, .response_flags = "UH",
        .upstream_service_time_ms = -1, .downstream_remote = "10.0.0.1:5555",
    };
    check("%START_TIME%", &e, "2018-04-03T23:06:09.123Z");
    check("%START_TIME(%Y/%m/%d %s %3f)%", &e, "2018/04/03 1522796769 123");
    check("%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %REQ(:PATH)% %REQ(:AUTHORITY)%", &e, "/orig /new h.example:8000");
    check("%REQ(X-MISSING?:PATH)% %REQ(X-MISSING)% %REQ(:PATH):2%", &e, "/new - /n");
    check("%RESP(CONTENT-TYPE)% %RESPONSE_FLAGS% %RESPONSE_CODE%", &e, "text/plain UH 503");
    check("%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% 100%% %NOT_AN_OPERATOR%", &e, "10.0.0.1 100% %NOT_AN_OPERATOR%");
    check("%DYNAMIC_METADATA(istio.mixer:status)% %ROUTE_NAME% %UPSTREAM_HOST%", &e, "- - -");
    http_msg_free(&req);
    http_msg_free(&resp);
}

static void test_json_encoding(void **state)
{
    (void)state;
    access_entry e = {
        .start_ms = at(2020, 11, 25, 21, 26, 18, 409), .protocol = "HTTP/1.1", .method = "GET",
        .path = "/status/418", .authority = "httpbin:8000", .response_code = 418, .bytes_sent = 135,
        .duration_ms = 4, .upstream_service_time_ms = 4,
        .upstream_cluster = "outbound|8000||httpbin.foo.svc.cluster.local", .route_name = "default",
    };
    char *line = accesslog_format_json(NULL, &e);
    assert_non_null(line);
    assert_int_equal(line[strlen(line) - 1], '\n');
    json_error_t err;
    json_t *j = json_loads(line, 0, &err);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "response_code")), 418);
    assert_int_equal(json_integer_value(json_object_get(j, "bytes_sent")), 135);
    assert_string_equal(json_string_value(json_object_get(j, "path")), "/status/418");
    assert_string_equal(json_string_value(json_object_get(j, "start_time")), "2020-11-25T21:26:18.409Z");
    assert_string_equal(json_string_value(json_object_get(j, "user_agent")), "-");
    assert_string_equal(json_string_value(json_object_get(j, "route_name")), "default");
    json_decref(j);
    free(line);
    /* a custom key map */
    line = accesslog_format_json("{\"code\":\"%RESPONSE_CODE%\",\"who\":\"%REQ(:AUTHORITY)%\"}", &e);
    assert_string_equal(line, "{\"code\":418,\"who\":\"httpbin:8000\"}\n");
    free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gateway_http_line_from_the_page),
        cmocka_unit_test(test_gateway_tcp_line_from_the_page),
        cmocka_unit_test(test_current_format_lines),
        cmocka_unit_test(test_operator_details),
        cmocka_unit_test(test_json_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
