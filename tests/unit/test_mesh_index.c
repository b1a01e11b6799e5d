/* lib/mesh building blocks: hash index, host matching, CIDRs, and building
 * and routing with many resources (correctness only: bench/ measures speed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "mesh_fixture.h"
#include "mesh/host.h"
#include "mesh/index.h"
#include "model/release.h"

static void test_index(void **state)
{
    (void)state;
    mindex *ix = mindex_new(4);
    static int vals[5000];
    char key[32];
    for (int i = 0; i < 5000; i++) {
        vals[i] = i;
        snprintf(key, sizeof key, "k%d", i % 1000);
        assert_int_equal(mindex_add(ix, key, &vals[i]), 0);
    }
    size_t n;
    void *const *v = mindex_get(ix, "k7", &n);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) assert_int_equal(*(int *)v[i], 7 + 1000 * (int)i);   /* insertion order */
    assert_ptr_equal(mindex_first(ix, "k999"), &vals[999]);
    assert_null(mindex_get(ix, "nope", &n));
    assert_int_equal(n, 0);
    assert_null(mindex_first(ix, ""));
    mindex_free(ix);

    arena *a = arena_new();
    char *s = arena_printf(a, "%s|%d", "outbound", 80);
    assert_string_equal(s, "outbound|80");
    char *big = arena_alloc(a, 200000);   /* bigger than a chunk */
    assert_non_null(big);
    assert_int_equal(big[199999], 0);
    arena_free(a);
}

static void test_host_matching(void **state)
{
    (void)state;
    /* istio pkg/config/host Name.Matches */
    assert_true(host_matches("foo.com", "foo.com"));
    assert_false(host_matches("foo.com", "bar.com"));
    assert_true(host_matches("*.com", "foo.com"));
    assert_true(host_matches("bar.com", "*.com"));
    assert_false(host_matches("*.foo.com", "foo.com"));
    assert_true(host_matches("*", "foo.com"));
    assert_true(host_matches("*", "*.com"));
    assert_true(host_matches("*.a.com", "*.com"));
    /* SubsetOf is one-way */
    assert_true(host_subset_of("a.foo.com", "*.foo.com"));
    assert_false(host_subset_of("*.foo.com", "a.foo.com"));
    assert_true(host_subset_of("*.a.foo.com", "*.foo.com"));
    assert_false(host_subset_of("*.com", "*.foo.com"));

    arena *a = arena_new();
    assert_string_equal(host_fqdn(a, "reviews", "default"), "reviews.default.svc.cluster.local");
    assert_string_equal(host_fqdn(a, "Edition.CNN.com", "default"), "edition.cnn.com");
    assert_string_equal(host_fqdn(a, "*", "default"), "*");
    assert_string_equal(host_fqdn(a, "reviews.other", "default"), "reviews.other");
    assert_string_equal(gateway_ref(a, "istio-egressgateway", "default"), "default/istio-egressgateway");
    assert_string_equal(gateway_ref(a, "./gw", "ns1"), "ns1/gw");
    assert_string_equal(gateway_ref(a, "istio-system/gw", "ns1"), "istio-system/gw");
    assert_string_equal(gateway_ref(a, "gw.istio-system.svc.cluster.local", "ns1"), "istio-system/gw");
    assert_string_equal(gateway_ref(a, "mesh", "ns1"), "mesh");
    arena_free(a);

    char h[64];
    int port;
    host_split_authority("Edition.cnn.com:8080", h, sizeof h, &port);
    assert_string_equal(h, "edition.cnn.com");
    assert_int_equal(port, 8080);
    host_split_authority("[::1]:443", h, sizeof h, &port);
    assert_string_equal(h, "::1");
    assert_int_equal(port, 443);
    host_split_authority("example.com.", h, sizeof h, &port);
    assert_string_equal(h, "example.com");
    assert_int_equal(port, 0);

    json_t *exp = J("['.']");
    assert_true(export_visible(exp, "a", "a"));
    assert_false(export_visible(exp, "a", "b"));
    json_decref(exp);
    exp = J("['b','c']");
    assert_true(export_visible(exp, "a", "c"));
    assert_false(export_visible(exp, "a", "a"));
    json_decref(exp);
    assert_true(export_visible(NULL, "a", "z"));
}

static void test_cidr(void **state)
{
    (void)state;
    assert_true(ip_in_cidr("151.101.65.67", "151.101.0.0/16"));
    assert_false(ip_in_cidr("151.102.65.67", "151.101.0.0/16"));
    assert_true(ip_in_cidr("10.0.0.1", "0.0.0.0/0"));
    assert_true(ip_in_cidr("10.0.0.1", "10.0.0.1"));
    assert_false(ip_in_cidr("10.0.0.2", "10.0.0.1/32"));
    assert_true(ip_in_cidr("10.0.0.130", "10.0.0.128/25"));
    assert_false(ip_in_cidr("10.0.0.127", "10.0.0.128/25"));
    assert_true(ip_in_cidr("2001:db8::1", "2001:db8::/32"));
    assert_false(ip_in_cidr("10.0.0.1", "2001:db8::/32"));
    assert_false(ip_in_cidr("10.0.0.1", "10.0.0.0/33"));
    assert_false(ip_in_cidr("bogus", "10.0.0.0/8"));
}

/* 10k ServiceEntries (and VirtualServices and DestinationRules for some):
 * building stays well under 50 ms and one decision does not scan them. */
static void test_scale(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    for (int i = 0; i < 10000; i++) {
        addf(o, "{'kind':'ServiceEntry','metadata':{'name':'se%d','namespace':'default'},"
                "'spec':{'hosts':['h%d.example.com'],'ports':[{'number':443,'name':'tls','protocol':'TLS'},"
                "{'number':80,'name':'http','protocol':'HTTP'}],'resolution':'NONE'}}", i, i);
        if (i % 10 == 0) {
            addf(o, "{'kind':'VirtualService','metadata':{'name':'vs%d','namespace':'default'},"
                    "'spec':{'hosts':['h%d.example.com'],'http':[{'route':[{'destination':{'host':'h%d.example.com'}}]}]}}",
                 i, i, i);
            addf(o, "{'kind':'DestinationRule','metadata':{'name':'dr%d','namespace':'default'},"
                    "'spec':{'host':'h%d.example.com'}}", i, i);
        }
    }
    /* correctness at scale; how fast is for bench/, not for a test */
    mesh *m = mesh_build(o, release_default());
    assert_non_null(m);

    const mesh_workload *w = mesh_workload_by_pod(m, "default", "sleep-1");
    for (int i = 0; i < 2000; i++) {
        char host[64];
        snprintf(host, sizeof host, "h%d.example.com", (i * 37) % 10000);
        mesh_request req = http_req("10.244.0.10", "1.2.3.4", 80, host, "/");
        mesh_decision d;
        assert_int_equal(mesh_route(m, w, &req, &d), 0);
        assert_int_equal(d.action, HOP_FORWARD);
        char want[96];
        snprintf(want, sizeof want, "outbound|80||%s", host);
        assert_string_equal(d.cluster, want);
        mesh_request treq = tls_req("10.244.0.10", "1.2.3.4", 443, host);
        assert_int_equal(mesh_route(m, w, &treq, &d), 0);
        snprintf(want, sizeof want, "outbound|443||%s", host);
        assert_string_equal(d.cluster, want);
    }
    mesh_free(m);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_host_matching),
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
