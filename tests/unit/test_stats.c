/* Envoy counter names and the per-proxy collector. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "telemetry/stats.h"

/* The collector keeps what it was told; read it back through a fake store
 * walk: stats_flush needs a store, so these tests use a real one in a temp dir. */
typedef struct seen { char names[64][512]; long long vals[64]; int n; } seen;

static int collect(void *ctx, const char *name, long long v)
{
    seen *s = ctx;
    if (s->n < 64) {
        snprintf(s->names[s->n], sizeof s->names[0], "%s", name);
        s->vals[s->n++] = v;
    }
    return 0;
}

static long long value_of(seen *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->names[i], name)) return s->vals[i];
    return -1;
}

static store *temp_store(char *dir)
{
    strcpy(dir, "/tmp/meshsim-test-stats-XXXXXX");
    assert_non_null(mkdtemp(dir));
    bool created;
    char err[256];
    store *st = store_open(dir, &created, err, sizeof err);
    assert_non_null(st);
    assert_int_equal(store_begin(st), 0);
    return st;
}

static void drop_store(store *st, const char *dir)
{
    store_rollback(st);
    store_close(st);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_cluster_stat_names(void **state)
{
    (void)state;
    char b[512];
    stats_cluster_name(b, sizeof b, "outbound|443||edition.cnn.com", "", "upstream_cx_total");
    assert_string_equal(b, "cluster.outbound|443||edition.cnn.com.upstream_cx_total");
    stats_cluster_name(b, sizeof b, "outbound|443||api.facebook.com", ";", "upstream_rq_retry");
    assert_string_equal(b, "cluster.outbound|443||api.facebook.com;.upstream_rq_retry");
}

static void test_tcp_and_http_events(void **state)
{
    (void)state;
    char dir[64];
    store *st = temp_store(dir);
    stats *s = stats_new();
    stats_event tcp = {
        .ns = "istio-system", .pod = "gw", .cluster = "outbound|443||edition.cnn.com", .suffix = "",
        .listener = "0.0.0.0_443", .new_connection = true, .flags = "", .rx_bytes = 1879689, .tx_bytes = 627,
        .upstream_attempted = true,
    };
    stats_record(s, &tcp);
    stats_record(s, &tcp);
    stats_event http = {
        .ns = "istio-system", .pod = "gw", .cluster = "outbound|80||edition.cnn.com", .suffix = "",
        .listener = "0.0.0.0_80", .http_prefix = "outbound_0.0.0.0_80", .http = true, .new_connection = true,
        .status = 301, .flags = "", .rx_bytes = 300, .tx_bytes = 100, .upstream_attempted = true,
    };
    stats_record(s, &http);
    stats_event uh = {
        .ns = "istio-system", .pod = "gw", .cluster = "outbound|443||nowhere.example", .suffix = "",
        .flags = "UH", .upstream_attempted = false,
    };
    stats_record(s, &uh);
    assert_int_equal(stats_flush(s, st), 0);
    seen got = {0};
    store_stat_each(st, "istio-system", "gw", collect, &got);
    assert_int_equal(value_of(&got, "cluster.outbound|443||edition.cnn.com.upstream_cx_total"), 2);
    assert_int_equal(value_of(&got, "cluster.outbound|443||edition.cnn.com.upstream_cx_rx_bytes_total"), 2 * 1879689);
    assert_int_equal(value_of(&got, "cluster.outbound|443||edition.cnn.com.upstream_cx_tx_bytes_total"), 2 * 627);
    assert_int_equal(value_of(&got, "cluster.outbound|443||edition.cnn.com.upstream_cx_active"), 0);
    assert_int_equal(value_of(&got, "cluster.outbound|80||edition.cnn.com.upstream_rq_total"), 1);
    assert_int_equal(value_of(&got, "cluster.outbound|80||edition.cnn.com.upstream_rq_3xx"), 1);
    assert_int_equal(value_of(&got, "cluster.outbound|80||edition.cnn.com.upstream_rq_301"), 1);
    assert_int_equal(value_of(&got, "cluster.outbound|80||edition.cnn.com.upstream_rq_2xx"), -1);
    assert_int_equal(value_of(&got, "http.outbound_0.0.0.0_80.downstream_rq_3xx"), 1);
    assert_int_equal(value_of(&got, "listener.0.0.0.0_443.downstream_cx_total"), 2);
    assert_int_equal(value_of(&got, "cluster.outbound|443||nowhere.example.upstream_cx_none_healthy"), 1);
    assert_int_equal(value_of(&got, "cluster.outbound|443||nowhere.example.upstream_cx_total"), -1);
    stats_free(s);
    drop_store(st, dir);
}

static void test_istio_metrics_labels(void **state)
{
    (void)state;
    char dir[64];
    store *st = temp_store(dir);
    stats *s = stats_new();
    stats_event e = {
        .ns = "default", .pod = "sleep-1", .cluster = "outbound|8000||httpbin.default.svc.cluster.local",
        .suffix = "", .http = true, .status = 418, .flags = "", .upstream_attempted = true, .reporter = "source",
        .source_workload = "sleep", .source_namespace = "default", .request_protocol = "http",
        .security_policy = "unknown",
    };
    stats_record(s, &e);
    assert_int_equal(stats_flush(s, st), 0);
    seen got = {0};
    store_stat_each(st, "default", "sleep-1", collect, &got);
    bool found = false;
    for (int i = 0; i < got.n; i++) {
        if (strncmp(got.names[i], "istio_requests_total{", 21)) continue;
        found = true;
        assert_non_null(strstr(got.names[i], "reporter=\"source\""));
        assert_non_null(strstr(got.names[i], "response_code=\"418\""));
        assert_non_null(strstr(got.names[i], "destination_workload=\"unknown\""));
        assert_int_equal(got.vals[i], 1);
    }
    assert_true(found);
    stats_free(s);
    drop_store(st, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_stat_names),
        cmocka_unit_test(test_tcp_and_http_events),
        cmocka_unit_test(test_istio_metrics_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
