/* Fuzz target: Envoy access-log format strings (accessLogFormat in the mesh
 * config), TEXT and JSON encodings.  Input: the format, optionally followed
 * by a NUL and a JSON key map for the JSON encoding.  Promise checked: a
 * line always comes out (unknown operators are printed, not fatal). */
#include "fuzz.h"
#include "telemetry/accesslog.h"

FUZZ_TARGET(accesslog)
{
    char *fmt = fuzz_cstr(data, size);
    size_t flen = strlen(fmt);
    http_msg req, resp;
    http_msg_init(&req);
    http_msg_init(&resp);
    http_add(&req, "user-agent", "curl/7.88.1");
    http_add(&req, "x-request-id", "2b4e0f5c-1111-2222-3333-444455556666");
    http_add(&req, ":authority", "edition.cnn.com");
    http_add(&resp, "content-type", "text/html");
    access_entry e = {
        .start_ms = 1700000000123LL, .protocol = "HTTP/1.1", .method = "GET", .path = "/politics",
        .authority = "edition.cnn.com", .scheme = "http", .req = &req, .resp = &resp,
        .response_code = 301, .response_flags = "-", .response_code_details = "via_upstream",
        .connection_termination_details = "", .upstream_transport_failure_reason = "",
        .bytes_received = 0, .bytes_sent = 12345, .duration_ms = 17, .upstream_service_time_ms = 16,
        .upstream_host = "151.101.65.67:80", .upstream_cluster = "outbound|80||edition.cnn.com",
        .stat_suffix = "", .upstream_local = "10.244.0.9:43210", .downstream_local = "151.101.65.67:80",
        .downstream_remote = "10.244.0.7:51234", .sni = "", .route_name = "default", .mixer_status = "",
    };
    char *line = accesslog_format_text(fmt, &e);
    FUZZ_CHECK(line != NULL);
    free(line);
    /* the same entry as a TCP connection: no request, no response */
    access_entry tcp = e;
    tcp.protocol = NULL;
    tcp.req = tcp.resp = NULL;
    tcp.response_code = 0;
    tcp.method = tcp.path = tcp.authority = tcp.scheme = NULL;
    tcp.upstream_service_time_ms = -1;
    line = accesslog_format_text(fmt, &tcp);
    FUZZ_CHECK(line != NULL);
    free(line);
    if (flen + 1 < size) {
        char *map = fuzz_cstr(data + flen + 1, size - flen - 1);
        line = accesslog_format_json(map, &e);
        free(line);   /* a broken map may be refused (NULL) */
        free(map);
    }
    line = accesslog_format_json(NULL, &tcp);
    FUZZ_CHECK(line != NULL);
    free(line);
    http_msg_free(&req);
    http_msg_free(&resp);
    free(fmt);
    return 0;
}
