/* lib/net/capture: istio-init's ISTIO_OUTPUT chain, in its order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "net/capture.h"

/* a pod whose istio-init got these istio-iptables arguments */
static json_t *pod_with(const char *args_json)
{
    json_t *args = json_loads(args_json, 0, NULL);
    assert_non_null(args);
    return json_pack("{s:{s:[{s:s,s:o}]}}", "spec", "initContainers", "name", "istio-init", "args", args);
}

static void test_default_captures_everything_but_loopback(void **state)
{
    (void)state;
    json_t *pod = pod_with("[\"istio-iptables\",\"-p\",\"15001\",\"-i\",\"*\",\"-x\",\"\",\"-b\",\"*\",\"-d\",\"15020\"]");
    assert_true(capture_outbound(pod, "151.101.1.67", 80, NULL, 0));
    assert_true(capture_outbound(pod, "10.96.0.10", 443, NULL, 0));
    assert_false(capture_outbound(pod, "127.0.0.1", 15000, NULL, 0));
    json_decref(pod);
    /* a pod without istio-init (CNI): Istio's default */
    json_t *bare = json_pack("{s:{}}", "spec");
    assert_true(capture_outbound(bare, "151.101.1.67", 80, NULL, 0));
    json_decref(bare);
}

static void test_ranges_and_ports_in_chain_order(void **state)
{
    (void)state;
    char why[256];
    json_t *pod = pod_with("[\"istio-iptables\",\"-i\",\"10.96.0.0/12, 151.101.0.0/16\",\"-x\",\"151.101.1.0/24\","
                           "\"-q\",\"8080\",\"-o\",\"9000\"]");
    /* included range */
    assert_true(capture_outbound(pod, "10.96.0.12", 80, why, sizeof why));
    assert_string_equal(why, "");
    /* excluded range beats the wider included one */
    assert_false(capture_outbound(pod, "151.101.1.67", 80, why, sizeof why));
    assert_non_null(strstr(why, "inside excludeOutboundIPRanges 151.101.1.0/24"));
    assert_true(capture_outbound(pod, "151.101.2.1", 80, NULL, 0));
    /* outside every included range: out directly, unless the port is included */
    assert_false(capture_outbound(pod, "8.8.8.8", 80, why, sizeof why));
    assert_non_null(strstr(why, "outside includeOutboundIPRanges"));
    assert_true(capture_outbound(pod, "8.8.8.8", 8080, NULL, 0));
    /* an excluded port comes first of all */
    assert_false(capture_outbound(pod, "10.96.0.12", 9000, why, sizeof why));
    assert_non_null(strstr(why, "port 9000 is excluded"));
    json_decref(pod);
}

static void test_empty_include_captures_only_included_ports(void **state)
{
    (void)state;
    json_t *pod = pod_with("[\"istio-iptables\",\"-i\",\"\",\"-x\",\"\",\"-q\",\"3306\"]");
    assert_false(capture_outbound(pod, "10.96.0.12", 80, NULL, 0));
    assert_true(capture_outbound(pod, "10.96.0.12", 3306, NULL, 0));
    json_decref(pod);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_captures_everything_but_loopback),
        cmocka_unit_test(test_ranges_and_ports_in_chain_order),
        cmocka_unit_test(test_empty_include_captures_only_included_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
