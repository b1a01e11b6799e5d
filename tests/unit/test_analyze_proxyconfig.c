/* The config dump proxy-config prints and the routing decisions come from
 * one model: what the dump says a route does is what mesh_route() does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "mesh/config_dump.h"
#include "mesh/mesh.h"
#include "model/loader.h"

static const char cluster_yaml[] =
    "apiVersion: v1\nkind: Service\nmetadata: {name: istio-egressgateway, namespace: istio-system}\n"
    "spec:\n  clusterIP: 10.96.0.12\n  selector: {istio: egressgateway}\n"
    "  ports: [{name: http2, port: 80, targetPort: 8080}, {name: https, port: 443, targetPort: 8443}]\n---\n"
    "apiVersion: v1\nkind: Pod\nmetadata: {name: egw, namespace: istio-system, labels: {istio: egressgateway}}\n"
    "spec: {containers: [{name: istio-proxy}]}\nstatus: {phase: Running, podIP: 10.244.0.11}\n---\n"
    "apiVersion: v1\nkind: Pod\nmetadata: {name: sleep, namespace: default, labels: {app: sleep}}\n"
    "spec: {containers: [{name: sleep}, {name: istio-proxy}]}\nstatus: {phase: Running, podIP: 10.244.0.12}\n---\n"
    "apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata: {name: cnn, namespace: default}\n"
    "spec: {hosts: [edition.cnn.com], ports: [{number: 80, name: http-port, protocol: HTTP}], resolution: DNS}\n---\n"
    "apiVersion: networking.istio.io/v1alpha3\nkind: Gateway\nmetadata: {name: istio-egressgateway, namespace: default}\n"
    "spec: {selector: {istio: egressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [edition.cnn.com]}]}\n---\n"
    "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: egressgateway-for-cnn, namespace: default}\n"
    "spec: {host: istio-egressgateway.istio-system.svc.cluster.local, subsets: [{name: cnn}]}\n---\n"
    "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {name: direct-cnn-through-egress-gateway, namespace: default}\n"
    "spec:\n  hosts: [edition.cnn.com]\n  gateways: [istio-egressgateway, mesh]\n  http:\n"
    "  - match: [{gateways: [mesh], port: 80}]\n"
    "    route: [{destination: {host: istio-egressgateway.istio-system.svc.cluster.local, subset: cnn, port: {number: 80}}}]\n"
    "  - match: [{gateways: [istio-egressgateway], port: 80}]\n"
    "    route: [{destination: {host: edition.cnn.com, port: {number: 80}}}]\n";

static json_t *objects(void)
{
    loaded_docs d = {0};
    char err[512];
    if (loader_load_buffer(&d, cluster_yaml, strlen(cluster_yaml), "t", err, sizeof err)) fail_msg("%s", err);
    json_t *arr = json_array();
    for (size_t i = 0; i < d.n; i++) json_array_append(arr, d.docs[i].obj);
    loaded_docs_free(&d);
    return arr;
}

static const char *route_cluster(json_t *dump, const char *rds, const char *vhost)
{
    size_t i, j, k;
    json_t *c, *rc, *vh;
    json_array_foreach(json_object_get(dump, "configs"), i, c)
        json_array_foreach(json_object_get(c, "dynamic_route_configs"), j, rc) {
            json_t *cfg = json_object_get(rc, "route_config");
            if (strcmp(json_string_value(json_object_get(cfg, "name")), rds)) continue;
            json_array_foreach(json_object_get(cfg, "virtual_hosts"), k, vh)
                if (!strcmp(json_string_value(json_object_get(vh, "name")), vhost))
                    return json_string_value(json_object_get(
                        json_object_get(json_array_get(json_object_get(vh, "routes"), 0), "route"), "cluster"));
        }
    return NULL;
}

static bool has_cluster(json_t *dump, const char *name)
{
    size_t i, j;
    json_t *c, *e;
    json_array_foreach(json_object_get(dump, "configs"), i, c)
        json_array_foreach(json_object_get(c, "dynamic_active_clusters"), j, e)
            if (!strcmp(json_string_value(json_object_get(json_object_get(e, "cluster"), "name")), name)) return true;
    return false;
}

static void test_sidecar_dump_matches_its_routing(void **state)
{
    (void)state;
    json_t *objs = objects();
    mesh *m = mesh_build(objs, release_default());
    const mesh_workload *sleep = mesh_workload_by_pod(m, "default", "sleep");
    assert_non_null(sleep);
    json_t *dump = mesh_config_dump(m, sleep);
    const char *dumped = route_cluster(dump, "80", "edition.cnn.com:80");
    assert_non_null(dumped);
    assert_string_equal(dumped, "outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local");
    assert_true(has_cluster(dump, dumped));

    mesh_request req = {0};
    req.src_ip = "10.244.0.12";
    req.dst_ip = "151.101.65.67";
    req.dst_port = 80;
    req.http = true;
    req.method = "GET";
    req.authority = "edition.cnn.com";
    req.path = "/politics";
    mesh_decision d;
    assert_int_equal(mesh_route(m, sleep, &req, &d), 0);
    assert_string_equal(d.cluster, dumped);
    json_decref(dump);
    mesh_free(m);
    json_decref(objs);
}

static void test_gateway_dump_matches_its_routing(void **state)
{
    (void)state;
    json_t *objs = objects();
    mesh *m = mesh_build(objs, release_default());
    const mesh_workload *gw = mesh_workload_by_pod(m, "istio-system", "egw");
    assert_non_null(gw);
    json_t *dump = mesh_config_dump(m, gw);
    const char *dumped = route_cluster(dump, "http.8080", "edition.cnn.com:80");
    assert_non_null(dumped);
    assert_string_equal(dumped, "outbound|80||edition.cnn.com");

    mesh_request req = {0};
    req.src_ip = "10.244.0.12";
    req.dst_ip = "10.244.0.11";
    req.dst_port = 8080;
    req.http = true;
    req.method = "GET";
    req.authority = "edition.cnn.com";
    req.path = "/politics";
    mesh_decision d;
    assert_int_equal(mesh_route(m, gw, &req, &d), 0);
    assert_string_equal(d.cluster, dumped);
    /* and the gateway has that cluster, of the type the decision reports */
    assert_true(has_cluster(dump, dumped));
    json_decref(dump);
    mesh_free(m);
    json_decref(objs);
}

static void test_endpoints_are_pods_on_target_ports(void **state)
{
    (void)state;
    json_t *objs = objects();
    mesh *m = mesh_build(objs, release_default());
    const mesh_workload *sleep = mesh_workload_by_pod(m, "default", "sleep");
    json_t *eps = mesh_proxy_endpoints(m, sleep);
    bool found = false;
    size_t i;
    json_t *e;
    json_array_foreach(eps, i, e)
        if (!strcmp(json_string_value(json_object_get(e, "cluster")),
                    "outbound|443||istio-egressgateway.istio-system.svc.cluster.local")) {
            assert_string_equal(json_string_value(json_object_get(e, "address")), "10.244.0.11");
            assert_int_equal(json_integer_value(json_object_get(e, "port")), 8443);
            found = true;
        }
    assert_true(found);
    json_decref(eps);
    mesh_free(m);
    json_decref(objs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sidecar_dump_matches_its_routing),
        cmocka_unit_test(test_gateway_dump_matches_its_routing),
        cmocka_unit_test(test_endpoints_are_pods_on_target_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
