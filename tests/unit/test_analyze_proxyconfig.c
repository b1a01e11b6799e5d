/* proxy-config prints mesh_proxy_config(): its clusters and routes agree with
 * the decisions mesh_route() makes for the same proxy (one model). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
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

static json_t *find(json_t *arr, const char *key, const char *value)
{
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o)
        if (json_is_string(json_object_get(o, key)) && !strcmp(json_string_value(json_object_get(o, key)), value)) return o;
    return NULL;
}

static void decide(const mesh *m, const mesh_workload *proxy, const char *dst_ip, int port, mesh_decision *d)
{
    mesh_request req = {0};
    req.src_ip = "10.244.0.12";
    req.dst_ip = dst_ip;
    req.dst_port = port;
    req.http = true;
    req.method = "GET";
    req.authority = "edition.cnn.com";
    req.path = "/politics";
    assert_int_equal(mesh_route(m, proxy, &req, d), 0);
}

static void test_sidecar_table_matches_its_routing(void **state)
{
    (void)state;
    json_t *objs = objects();
    mesh *m = mesh_build(objs, release_default());
    const mesh_workload *sleep = mesh_workload_by_pod(m, "default", "sleep");
    assert_non_null(sleep);
    json_t *pc = mesh_proxy_config(m, sleep);
    mesh_decision d;
    decide(m, sleep, "151.101.65.67", 80, &d);
    assert_string_equal(d.cluster, "outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local");
    /* the cluster it routes to is one proxy-config lists, with its DestinationRule */
    json_t *c = find(json_object_get(pc, "clusters"), "name", d.cluster);
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "destination_rule")), "egressgateway-for-cnn.default");
    /* the route that decided is the VirtualService proxy-config names for the vhost */
    json_t *r = find(json_object_get(pc, "routes"), "vhost", "edition.cnn.com:80");
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "virtual_service")), "direct-cnn-through-egress-gateway.default");
    json_decref(pc);
    mesh_free(m);
    json_decref(objs);
}

static void test_gateway_table_matches_its_routing(void **state)
{
    (void)state;
    json_t *objs = objects();
    mesh *m = mesh_build(objs, release_default());
    const mesh_workload *gw = mesh_workload_by_pod(m, "istio-system", "egw");
    assert_non_null(gw);
    json_t *pc = mesh_proxy_config(m, gw);
    json_t *l = json_array_get(json_object_get(pc, "listeners"), 0);
    assert_non_null(l);
    int lport = (int)json_integer_value(json_object_get(l, "port"));
    mesh_decision d;
    decide(m, gw, "10.244.0.11", lport, &d);
    /* (no outside world here: the DNS cluster has no endpoint, but the route chose it) */
    assert_string_equal(d.cluster, "outbound|80||edition.cnn.com");
    assert_non_null(find(json_object_get(pc, "clusters"), "name", d.cluster));
    json_decref(pc);
    mesh_free(m);
    json_decref(objs);
}

static void test_endpoints_are_the_gateway_pod(void **state)
{
    (void)state;
    json_t *objs = objects();
    mesh *m = mesh_build(objs, release_default());
    const mesh_workload *sleep = mesh_workload_by_pod(m, "default", "sleep");
    json_t *pc = mesh_proxy_config(m, sleep);
    json_t *e = find(json_object_get(pc, "endpoints"), "cluster",
                     "outbound|443||istio-egressgateway.istio-system.svc.cluster.local");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "endpoint")), "10.244.0.11:8443");
    json_decref(pc);
    mesh_free(m);
    json_decref(objs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sidecar_table_matches_its_routing),
        cmocka_unit_test(test_gateway_table_matches_its_routing),
        cmocka_unit_test(test_endpoints_are_the_gateway_pod),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
