/* lib/mesh proxy configuration dumps (what `istioctl proxy-config` lists). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "mesh_fixture.h"
#include "model/release.h"

/* The entry of arr whose field k equals v (and k2 equals v2 when given). */
static json_t *find(json_t *arr, const char *k, const char *v, const char *k2, const char *v2)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        const char *a = json_string_value(json_object_get(e, k));
        if (!a || strcmp(a, v)) continue;
        if (k2) {
            const char *b = json_string_value(json_object_get(e, k2));
            if (!b || strcmp(b, v2)) continue;
        }
        return e;
    }
    return NULL;
}

static int count(json_t *arr, const char *k, const char *v)
{
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        const char *a = json_string_value(json_object_get(e, k));
        if (a && !strcmp(a, v)) n++;
    }
    return n;
}

static void test_sidecar_dump(void **state)
{
    (void)state;
    json_t *o = seed_cluster(8080, 8443);
    add_cnn_http(o);
    mesh *m = mesh_build(o, release_lookup("1.24"));
    json_t *c = mesh_proxy_config(m, mesh_workload_by_pod(m, "default", "sleep-1"));
    assert_non_null(c);
    json_t *clusters = json_object_get(c, "clusters");
    json_t *cl = find(clusters, "name", "outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local", NULL, NULL);
    assert_non_null(cl);
    assert_string_equal(json_string_value(json_object_get(cl, "destination_rule")), "egressgateway-for-cnn.default");
    assert_string_equal(json_string_value(json_object_get(cl, "type")), "EDS");
    assert_string_equal(json_string_value(json_object_get(cl, "subset")), "cnn");
    cl = find(clusters, "name", "outbound|80||edition.cnn.com", NULL, NULL);
    assert_non_null(cl);
    assert_string_equal(json_string_value(json_object_get(cl, "type")), "STRICT_DNS");
    assert_non_null(find(clusters, "name", "PassthroughCluster", NULL, NULL));
    assert_non_null(find(clusters, "name", "inbound|80||", NULL, NULL));
    assert_null(find(clusters, "name", "outbound|53||kube-dns.kube-system.svc.cluster.local", NULL, NULL));  /* UDP */
    /* sorted: BlackHoleCluster (upper case) first */
    assert_string_equal(json_string_value(json_object_get(json_array_get(clusters, 0), "name")), "BlackHoleCluster");

    json_t *routes = json_object_get(c, "routes");
    json_t *r = find(routes, "vhost", "edition.cnn.com:80", NULL, NULL);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "name")), "80");
    assert_string_equal(json_string_value(json_object_get(r, "virtual_service")), "direct-cnn-through-egress-gateway.default");
    assert_int_equal(count(routes, "vhost", "edition.cnn.com:80"), 1);   /* the gateway's rule is not the sidecar's */

    json_t *ls = json_object_get(c, "listeners");
    assert_non_null(find(ls, "destination", "Route: 80", NULL, NULL));
    assert_non_null(find(ls, "match", "SNI: edition.cnn.com", "destination", "Cluster: outbound|443||edition.cnn.com"));
    assert_non_null(find(ls, "name", "virtualOutbound", "destination", "PassthroughCluster"));

    json_t *eps = json_object_get(c, "endpoints");
    assert_non_null(find(eps, "endpoint", "10.244.0.5:8080", "cluster",
                         "outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local"));
    assert_non_null(find(eps, "endpoint", "151.101.65.67:80", "cluster", "outbound|80||edition.cnn.com"));
    json_decref(c);
    mesh_free(m);
    json_decref(o);
}

static void test_gateway_dump(void **state)
{
    (void)state;
    json_t *o = seed_cluster(8080, 8443);
    add_cnn_http(o);
    mesh *m = mesh_build(o, release_lookup("1.24"));
    const mesh_workload *gw = mesh_workload_by_pod(m, "istio-system", "istio-egressgateway-1");
    json_t *c = mesh_proxy_config(m, gw);
    json_t *ls = json_object_get(c, "listeners");
    assert_int_equal(json_array_size(ls), 1);
    json_t *l = json_array_get(ls, 0);
    assert_int_equal(json_integer_value(json_object_get(l, "port")), 8080);
    assert_string_equal(json_string_value(json_object_get(l, "destination")), "Route: http.8080");
    json_t *routes = json_object_get(c, "routes");
    assert_int_equal(json_array_size(routes), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(routes, 0), "vhost")), "edition.cnn.com:80");
    assert_null(find(json_object_get(c, "clusters"), "name", "PassthroughCluster", NULL, NULL));
    json_decref(c);
    mesh_free(m);
    json_decref(o);

    /* TLS passthrough: an SNI listener; no VirtualService on HTTP: the 404 vhost */
    o = seed_cluster(80, 443);
    add_cnn_tls(o);
    add(o, "{'kind':'Gateway','metadata':{'name':'plain','namespace':'default'},"
           "'spec':{'selector':{'istio':'egressgateway'},'servers':[{'port':{'number':80,'name':'http','protocol':'HTTP'},'hosts':['*']}]}}");
    m = mesh_build(o, release_default());
    c = mesh_proxy_config(m, mesh_workload_by_pod(m, "istio-system", "istio-egressgateway-1"));
    ls = json_object_get(c, "listeners");
    assert_non_null(find(ls, "match", "SNI: edition.cnn.com", "destination", "Cluster: outbound|443||edition.cnn.com"));
    routes = json_object_get(c, "routes");
    json_t *r = find(routes, "vhost", "blackhole:80", NULL, NULL);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "virtual_service")), "404");
    json_decref(c);
    mesh_free(m);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sidecar_dump),
        cmocka_unit_test(test_gateway_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
