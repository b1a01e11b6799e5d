/* lib/mesh routing: the decisions sidecars and gateways make. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "mesh_fixture.h"
#include "model/release.h"

static const istio_release *r146(void) { return release_lookup("1.4.6"); }
static const istio_release *r124(void) { return release_lookup("1.24"); }

static void route(const mesh *m, const char *ns, const char *pod, const mesh_request *req, mesh_decision *d)
{
    const mesh_workload *w = mesh_workload_by_pod(m, ns, pod);
    assert_non_null(w);
    assert_int_equal(mesh_route(m, w, req, d), 0);
}

/* ---- the seed page: HTTP through the egress gateway ---- */

static void test_seed_http_sidecar_to_gateway(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add_cnn_http(o);
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("10.244.0.10", "151.101.65.67", 80, "edition.cnn.com", "/politics");
    mesh_decision d;
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local");
    assert_string_equal(d.listener, "0.0.0.0_80");
    assert_string_equal(d.route_config, "80");
    assert_string_equal(d.vhost, "edition.cnn.com:80");
    assert_string_equal(d.virtual_service, "default/direct-cnn-through-egress-gateway");
    assert_int_equal(d.vs_rule, 0);
    assert_string_equal(d.destination_rule, "default/egressgateway-for-cnn");
    assert_string_equal(d.endpoint_ip, "10.244.0.5");
    assert_int_equal(d.endpoint_port, 80);
    assert_non_null(d.endpoint);
    assert_true(d.endpoint->gateway);
    assert_string_equal(d.route_name, "");
    assert_non_null(strstr(d.why, "VirtualService default/direct-cnn-through-egress-gateway http rule #0"));
    assert_false(d.mtls);   /* 1.4: no auto mTLS */
    mesh_free(m);
    json_decref(o);
}

static void test_seed_http_gateway_to_world(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add_cnn_http(o);
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("10.244.0.10", "10.244.0.5", 80, "edition.cnn.com", "/politics");
    mesh_decision d;
    route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "outbound|80||edition.cnn.com");
    assert_string_equal(d.listener, "0.0.0.0_80");
    assert_string_equal(d.route_config, "http.80");
    assert_string_equal(d.vhost, "edition.cnn.com:80");
    assert_int_equal(d.vs_rule, 1);
    assert_string_equal(d.endpoint_ip, "151.101.65.67");
    assert_int_equal(d.endpoint_port, 80);
    assert_null(d.endpoint);
    assert_string_equal(d.cluster_type, "STRICT_DNS");
    mesh_free(m);
    json_decref(o);
}

/* Istio 1.24: the gateway Service's port 80 targets 8080 on the pod. */
static void test_seed_http_target_ports_124(void **state)
{
    (void)state;
    json_t *o = seed_cluster(8080, 8443);
    add_cnn_http(o);
    mesh *m = mesh_build(o, r124());
    mesh_request req = http_req("10.244.0.10", "151.101.65.67", 80, "edition.cnn.com", "/politics");
    mesh_decision d;
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_int_equal(d.endpoint_port, 8080);
    assert_false(d.mtls);   /* plain text to a gateway's HTTP server */
    req = http_req("10.244.0.10", "10.244.0.5", 8080, "edition.cnn.com", "/politics");
    route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.listener, "0.0.0.0_8080");
    assert_string_equal(d.route_config, "http.8080");
    assert_string_equal(d.vhost, "edition.cnn.com:80");
    assert_string_equal(d.cluster, "outbound|80||edition.cnn.com");
    assert_false(d.mtls);   /* the world has no proxy */
    /* nothing listens on the Service port itself */
    req.dst_port = 80;
    route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    assert_int_equal(d.action, HOP_FAIL);
    assert_int_equal(d.status, 0);
    assert_string_equal(d.details, "no listener");
    mesh_free(m);
    json_decref(o);
}

/* ---- the seed page: TLS passthrough ---- */

static void test_seed_tls_passthrough_both_hops(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add_cnn_tls(o);
    mesh *m = mesh_build(o, r146());
    mesh_request req = tls_req("10.244.0.10", "151.101.65.67", 443, "edition.cnn.com");
    mesh_decision d;
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "outbound|443|cnn|istio-egressgateway.istio-system.svc.cluster.local");
    assert_string_equal(d.listener, "0.0.0.0_443");
    assert_string_equal(d.filter_chain, "SNI: edition.cnn.com");
    assert_string_equal(d.endpoint_ip, "10.244.0.5");
    assert_int_equal(d.endpoint_port, 443);

    req = tls_req("10.244.0.10", "10.244.0.5", 443, "edition.cnn.com");
    route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "outbound|443||edition.cnn.com");
    assert_string_equal(d.filter_chain, "SNI: edition.cnn.com");
    assert_string_equal(d.endpoint_ip, "151.101.65.67");
    assert_int_equal(d.endpoint_port, 443);
    assert_int_equal(d.vs_rule, 1);

    /* an SNI no chain knows */
    req = tls_req("10.244.0.10", "10.244.0.5", 443, "www.google.com");
    route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    assert_int_equal(d.action, HOP_FAIL);
    assert_string_equal(d.flags, "NR");
    assert_string_equal(d.details, "filter_chain_not_found");
    mesh_free(m);
    json_decref(o);
}

/* ---- DestinationRule lookup path ---- */

static void test_dr_missing_on_lookup_path(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add_cnn_tls(o);
    add_ns(o, "test-egress", NULL);
    add_pod(o, "test-egress", "sleep-2", "10.244.0.20", "{'app':'sleep'}", 1, NULL);
    mesh *m = mesh_build(o, r146());
    mesh_request req = tls_req("10.244.0.20", "151.101.65.67", 443, "edition.cnn.com");
    mesh_decision d;
    route(m, "test-egress", "sleep-2", &req, &d);
    assert_int_equal(d.action, HOP_FAIL);
    assert_int_equal(d.status, 503);
    assert_string_equal(d.flags, "NC");
    assert_string_equal(d.details, "cluster_not_found");
    assert_string_equal(d.cluster, "outbound|443|cnn|istio-egressgateway.istio-system.svc.cluster.local");
    assert_non_null(strstr(d.why, "lookup path"));
    mesh_free(m);

    /* the page's fix: the same DestinationRule in test-egress */
    add(o, "{'kind':'DestinationRule','metadata':{'name':'egressgateway-for-cnn','namespace':'test-egress'},"
           "'spec':{'host':'istio-egressgateway.istio-system.svc.cluster.local','subsets':[{'name':'cnn'}]}}");
    m = mesh_build(o, r146());
    route(m, "test-egress", "sleep-2", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.destination_rule, "test-egress/egressgateway-for-cnn");
    mesh_free(m);
    json_decref(o);
}

/* A DR exported from the root namespace is on everyone's lookup path; one
 * exported only to its own namespace is not. */
static void test_dr_root_namespace_and_export(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add_cnn_tls(o);
    add_ns(o, "test-egress", NULL);
    add_pod(o, "test-egress", "sleep-2", "10.244.0.20", "{'app':'sleep'}", 1, NULL);
    add(o, "{'kind':'DestinationRule','metadata':{'name':'gw-local','namespace':'istio-system'},"
           "'spec':{'host':'istio-egressgateway','exportTo':['.'],'subsets':[{'name':'cnn'}]}}");
    mesh *m = mesh_build(o, r146());
    mesh_request req = tls_req("10.244.0.20", "151.101.65.67", 443, "edition.cnn.com");
    mesh_decision d;
    route(m, "test-egress", "sleep-2", &req, &d);
    assert_string_equal(d.flags, "NC");
    mesh_free(m);
    json_decref(o);

    o = seed_cluster(80, 443);
    add_cnn_tls(o);
    add_ns(o, "test-egress", NULL);
    add_pod(o, "test-egress", "sleep-2", "10.244.0.20", "{'app':'sleep'}", 1, NULL);
    add(o, "{'kind':'DestinationRule','metadata':{'name':'gw-all','namespace':'istio-system'},"
           "'spec':{'host':'istio-egressgateway','subsets':[{'name':'cnn'}]}}");
    m = mesh_build(o, r146());
    route(m, "test-egress", "sleep-2", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.destination_rule, "istio-system/gw-all");
    mesh_free(m);
    json_decref(o);
}

/* ---- outbound traffic policy ---- */

static void set_mode(json_t *o, const char *mode)
{
    size_t i;
    json_t *x;
    json_array_foreach(o, i, x) {
        const char *k = json_string_value(json_object_get(x, "kind"));
        if (k && !strcmp(k, "ConfigMap")) {
            char text[128];
            snprintf(text, sizeof text, "outboundTrafficPolicy:\n  mode: %s\n", mode);
            json_object_set_new(json_object_get(x, "data"), "mesh", json_string(text));
        }
    }
}

static void test_allow_any(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    mesh *m = mesh_build(o, r146());
    assert_string_equal(json_string_value(json_object_get(json_object_get(mesh_config(m), "outboundTrafficPolicy"), "mode")),
                        "ALLOW_ANY");
    assert_string_equal(json_string_value(json_object_get(mesh_config(m), "accessLogFile")), "/dev/stdout");
    mesh_request req = http_req("10.244.0.10", "142.250.1.1", 80, "www.google.com", "/");
    mesh_decision d;
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "PassthroughCluster");
    assert_string_equal(d.route_name, "allow_any");
    assert_string_equal(d.endpoint_ip, "142.250.1.1");
    assert_int_equal(d.endpoint_port, 80);
    assert_true(d.original_dst);
    req = tls_req("10.244.0.10", "142.250.1.1", 443, "www.google.com");
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "PassthroughCluster");
    mesh_free(m);
    json_decref(o);
}

static void test_registry_only(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    set_mode(o, "REGISTRY_ONLY");
    add(o, "{'kind':'ServiceEntry','metadata':{'name':'cnn','namespace':'default'},"
           "'spec':{'hosts':['edition.cnn.com'],'ports':[{'number':80,'name':'http','protocol':'HTTP'},"
           "{'number':443,'name':'https','protocol':'HTTPS'}],'resolution':'DNS'}}");
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("10.244.0.10", "142.250.1.1", 80, "www.google.com", "/");
    mesh_decision d;
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_DIRECT_RESPONSE);
    assert_int_equal(d.status, 502);
    assert_string_equal(d.route_name, "block_all");
    assert_string_equal(d.details, "direct_response");
    req = tls_req("10.244.0.10", "142.250.1.1", 443, "www.google.com");
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FAIL);
    assert_string_equal(d.cluster, "BlackHoleCluster");
    assert_string_equal(d.flags, "UH");
    /* the registered host still works, with Istio's default route */
    req = http_req("10.244.0.10", "151.101.65.67", 80, "edition.cnn.com", "/politics");
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "outbound|80||edition.cnn.com");
    assert_string_equal(d.route_name, "default");
    assert_string_equal(d.endpoint_ip, "151.101.65.67");
    req = tls_req("10.244.0.10", "151.101.65.67", 443, "edition.cnn.com");
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "outbound|443||edition.cnn.com");
    assert_string_equal(d.filter_chain, "SNI: edition.cnn.com");
    mesh_free(m);
    json_decref(o);
}

/* ---- gateways ---- */

static void test_gateway_without_vs_is_404(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add(o, "{'kind':'Gateway','metadata':{'name':'istio-egressgateway','namespace':'default'},"
           "'spec':{'selector':{'istio':'egressgateway'},'servers':[{'port':{'number':80,'name':'http','protocol':'HTTP'},"
           "'hosts':['edition.cnn.com']}]}}");
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("10.244.0.10", "10.244.0.5", 80, "edition.cnn.com", "/");
    mesh_decision d;
    route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    assert_int_equal(d.action, HOP_FAIL);
    assert_int_equal(d.status, 404);
    assert_string_equal(d.flags, "NR");
    assert_string_equal(d.details, "route_not_found");
    assert_string_equal(d.vhost, "blackhole:80");
    /* port 443 has no server at all */
    req.dst_port = 443;
    route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    assert_int_equal(d.action, HOP_FAIL);
    assert_string_equal(d.details, "no listener");
    assert_string_equal(d.flags, "");
    mesh_free(m);
    json_decref(o);
}

/* A bound VS whose host is not the request's: 404 too; a Gateway whose
 * selector does not match the pod gives no listener. */
static void test_gateway_host_and_selector(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add_cnn_http(o);
    add(o, "{'kind':'Gateway','metadata':{'name':'other','namespace':'default'},"
           "'spec':{'selector':{'istio':'ingressgateway'},'servers':[{'port':{'number':81,'name':'http','protocol':'HTTP'},"
           "'hosts':['*']}]}}");
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("10.244.0.10", "10.244.0.5", 80, "www.google.com", "/");
    mesh_decision d;
    route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    assert_int_equal(d.status, 404);
    assert_string_equal(d.flags, "NR");
    req.dst_port = 81;
    route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    assert_string_equal(d.details, "no listener");
    mesh_free(m);
    json_decref(o);
}

/* ---- resolution NONE ---- */

static void add_cnn_none(json_t *o)
{
    add_cnn_http(o);
    json_t *se = json_array_get(o, json_array_size(o) - 4);
    json_object_set_new(json_object_get(se, "spec"), "resolution", json_string("NONE"));
}

static void test_none_resolution_through_gateway_146_loops(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add_cnn_none(o);
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("10.244.0.10", "10.244.0.5", 80, "edition.cnn.com", "/politics");
    mesh_decision d;
    route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "outbound|80||edition.cnn.com");
    assert_true(d.original_dst);
    assert_string_equal(d.endpoint_ip, "10.244.0.5");   /* itself: the caller sees the loop */
    assert_string_equal(d.cluster_type, "ORIGINAL_DST");
    assert_non_null(strstr(d.why, "gateway itself"));
    mesh_free(m);
    json_decref(o);
}

static void test_none_resolution_through_gateway_124_uh(void **state)
{
    (void)state;
    json_t *o = seed_cluster(8080, 8443);
    add_cnn_none(o);
    mesh *m = mesh_build(o, r124());
    mesh_request req = http_req("10.244.0.10", "10.244.0.5", 8080, "edition.cnn.com", "/politics");
    mesh_decision d;
    route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    assert_int_equal(d.action, HOP_FAIL);
    assert_int_equal(d.status, 503);
    assert_string_equal(d.flags, "UH");
    assert_string_equal(d.details, "no_healthy_upstream");
    assert_non_null(strstr(d.why, "EDS"));
    mesh_free(m);
    json_decref(o);
}

static void test_none_resolution_on_sidecar_is_original_dst(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add(o, "{'kind':'ServiceEntry','metadata':{'name':'cnn','namespace':'default'},"
           "'spec':{'hosts':['edition.cnn.com'],'ports':[{'number':80,'name':'http','protocol':'HTTP'}],'resolution':'NONE'}}");
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("10.244.0.10", "151.101.1.67", 80, "edition.cnn.com", "/");
    mesh_decision d;
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "outbound|80||edition.cnn.com");
    assert_string_equal(d.endpoint_ip, "151.101.1.67");
    assert_true(d.original_dst);
    mesh_free(m);
    json_decref(o);
}

/* ---- VirtualService matching ---- */

/* reviews with two versions; DR subsets v1, v2. */
static json_t *reviews_cluster(void)
{
    json_t *o = seed_cluster(80, 443);
    add_pod(o, "default", "reviews-v1", "10.244.1.1", "{'app':'reviews','version':'v1'}", 1,
            "[{'name':'http','containerPort':9080}]");
    add_pod(o, "default", "reviews-v2", "10.244.1.2", "{'app':'reviews','version':'v2'}", 1,
            "[{'name':'http','containerPort':9080}]");
    add_service(o, "default", "reviews", "10.96.1.1", "[{'name':'http','port':9080,'targetPort':'http'}]",
                "{'app':'reviews'}");
    add(o, "{'kind':'DestinationRule','metadata':{'name':'reviews','namespace':'default'},"
           "'spec':{'host':'reviews','subsets':[{'name':'v1','labels':{'version':'v1'}},{'name':'v2','labels':{'version':'v2'}}]}}");
    return o;
}

static void test_weights(void **state)
{
    (void)state;
    json_t *o = reviews_cluster();
    add(o, "{'kind':'VirtualService','metadata':{'name':'reviews','namespace':'default'},"
           "'spec':{'hosts':['reviews'],'http':[{'route':[{'destination':{'host':'reviews','subset':'v1'},'weight':75},"
           "{'destination':{'host':'reviews','subset':'v2'},'weight':25}]}]}}");
    mesh *m = mesh_build(o, r146());
    int v1 = 0, v2 = 0;
    for (int i = 0; i < 400; i++) {
        char id[64];
        snprintf(id, sizeof id, "req-%d", i);
        json_t *h = json_pack("{ss}", "x-request-id", id);
        mesh_request req = http_req("10.244.0.10", "10.96.1.1", 9080, "reviews:9080", "/");
        req.headers = h;
        mesh_decision d, d2;
        route(m, "default", "sleep-1", &req, &d);
        route(m, "default", "sleep-1", &req, &d2);
        assert_string_equal(d.cluster, d2.cluster);   /* same id, same choice */
        assert_int_equal(d.action, HOP_FORWARD);
        assert_int_equal(d.endpoint_port, 9080);      /* named targetPort resolved on the pod */
        if (!strcmp(d.cluster, "outbound|9080|v1|reviews.default.svc.cluster.local")) {
            v1++;
            assert_string_equal(d.endpoint_ip, "10.244.1.1");
        } else {
            assert_string_equal(d.cluster, "outbound|9080|v2|reviews.default.svc.cluster.local");
            assert_string_equal(d.endpoint_ip, "10.244.1.2");
            v2++;
        }
        json_decref(h);
    }
    assert_true(v1 > 240 && v1 < 360);
    assert_true(v2 > 40 && v2 < 160);
    mesh_free(m);
    json_decref(o);
}

static void test_uri_and_header_matches(void **state)
{
    (void)state;
    json_t *o = reviews_cluster();
    add(o, "{'kind':'VirtualService','metadata':{'name':'reviews','namespace':'default'},"
           "'spec':{'hosts':['reviews.default.svc.cluster.local'],'http':["
           "{'name':'exact','match':[{'uri':{'exact':'/exact'}}],'route':[{'destination':{'host':'reviews','subset':'v1'}}]},"
           "{'name':'prefix','match':[{'uri':{'prefix':'/api/'}}],'rewrite':{'uri':'/v2/'},'timeout':'1.5s',"
           "'headers':{'request':{'set':{'x-a':'1'}}},'mirror':{'host':'sleep'},"
           "'route':[{'destination':{'host':'reviews','subset':'v2'},'headers':{'response':{'remove':['x-b']}}}]},"
           "{'name':'regex','match':[{'uri':{'regex':'/r/[0-9]+'}}],'route':[{'destination':{'host':'reviews','subset':'v1'}}]},"
           "{'name':'jason','match':[{'headers':{'end-user':{'exact':'jason'}}}],'route':[{'destination':{'host':'reviews','subset':'v2'}}]},"
           "{'name':'moved','match':[{'uri':{'prefix':'/old'}}],'redirect':{'uri':'/new'}},"
           "{'name':'teapot','match':[{'method':{'exact':'POST'}}],'fault':{'abort':{'httpStatus':418,'percentage':{'value':100}}},"
           "'route':[{'destination':{'host':'reviews'}}]}]}}");
    mesh *m = mesh_build(o, r146());
    mesh_decision d;
    mesh_request req = http_req("10.244.0.10", "10.96.1.1", 9080, "reviews", "/exact");
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.route_name, "exact");
    assert_string_equal(d.dest_subset, "v1");
    assert_string_equal(d.vhost, "reviews.default.svc.cluster.local:9080");

    req.path = "/exact/more";   /* exact does not match longer paths; nothing else does */
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FAIL);
    assert_int_equal(d.status, 404);
    assert_string_equal(d.flags, "NR");

    req.path = "/api/items?x=1";
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.route_name, "prefix");
    assert_string_equal(d.dest_subset, "v2");
    assert_string_equal(d.rewrite_uri, "/v2/items?x=1");
    assert_int_equal(d.timeout_ms, 1500);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(d.headers, "request"), "set"), "x-a")), "1");
    assert_non_null(json_object_get(d.dest_headers, "response"));
    assert_string_equal(d.mirror_cluster, "outbound|80||sleep.default.svc.cluster.local");

    req.path = "/r/123";
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.route_name, "regex");
    req.path = "/r/12a";
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.status, 404);

    json_t *h = json_pack("{ss}", "end-user", "jason");
    req.headers = h;
    req.path = "/other";
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.route_name, "jason");
    assert_int_equal(d.vs_rule, 3);
    json_object_set_new(h, "end-user", json_string("json"));
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.status, 404);
    req.headers = NULL;
    json_decref(h);

    req.path = "/old/x";
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_DIRECT_RESPONSE);
    assert_int_equal(d.status, 301);
    assert_string_equal(d.location, "http://reviews/new");

    req.path = "/anything";
    req.method = "POST";
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.status, 418);
    assert_string_equal(d.flags, "FI");
    mesh_free(m);
    json_decref(o);
}

static void test_subset_not_found(void **state)
{
    (void)state;
    json_t *o = reviews_cluster();
    add(o, "{'kind':'VirtualService','metadata':{'name':'reviews','namespace':'default'},"
           "'spec':{'hosts':['reviews'],'http':[{'route':[{'destination':{'host':'reviews','subset':'v3'}}]}]}}");
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("10.244.0.10", "10.96.1.1", 9080, "reviews.default:9080", "/");
    mesh_decision d;
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FAIL);
    assert_int_equal(d.status, 503);
    assert_string_equal(d.flags, "NC");
    assert_string_equal(d.cluster, "outbound|9080|v3|reviews.default.svc.cluster.local");
    assert_string_equal(d.destination_rule, "default/reviews");
    mesh_free(m);
    json_decref(o);
}

/* A subset whose labels select no pod: the cluster exists but is empty. */
static void test_subset_without_pods_is_uh(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add_pod(o, "default", "reviews-v1", "10.244.1.1", "{'app':'reviews','version':'v1'}", 1, NULL);
    add_service(o, "default", "reviews", "10.96.1.1", "[{'name':'http','port':9080,'targetPort':9080}]",
                "{'app':'reviews'}");
    add(o, "{'kind':'DestinationRule','metadata':{'name':'reviews','namespace':'default'},"
           "'spec':{'host':'reviews','trafficPolicy':{'tls':{'mode':'ISTIO_MUTUAL'}},'subsets':[{'name':'v9','labels':{'version':'v9'}}]}}");
    add(o, "{'kind':'VirtualService','metadata':{'name':'reviews','namespace':'default'},"
           "'spec':{'hosts':['reviews'],'http':[{'route':[{'destination':{'host':'reviews','subset':'v9'}}]}]}}");
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("10.244.0.10", "10.96.1.1", 9080, "reviews:9080", "/");
    mesh_decision d;
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.status, 503);
    assert_string_equal(d.flags, "UH");
    assert_string_equal(d.tls_origination, "ISTIO_MUTUAL");
    assert_string_equal(d.upstream_sni, "outbound_.9080_.v9_.reviews.default.svc.cluster.local");
    mesh_free(m);
    json_decref(o);
}

/* DestinationRule TLS origination, port-level settings win. */
static void test_dr_tls_origination(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add(o, "{'kind':'ServiceEntry','metadata':{'name':'cnn','namespace':'default'},"
           "'spec':{'hosts':['edition.cnn.com'],'ports':[{'number':80,'name':'http','protocol':'HTTP','targetPort':443}],'resolution':'DNS'}}");
    add(o, "{'kind':'DestinationRule','metadata':{'name':'cnn','namespace':'default'},"
           "'spec':{'host':'edition.cnn.com','trafficPolicy':{'tls':{'mode':'MUTUAL'},"
           "'portLevelSettings':[{'port':{'number':80},'tls':{'mode':'SIMPLE','sni':'edition.cnn.com'}}]}}}");
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("10.244.0.10", "151.101.65.67", 80, "edition.cnn.com", "/");
    mesh_decision d;
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.tls_origination, "SIMPLE");
    assert_string_equal(d.upstream_sni, "edition.cnn.com");
    assert_int_equal(d.endpoint_port, 443);
    assert_string_equal(d.destination_rule, "default/cnn");
    mesh_free(m);
    json_decref(o);
}

/* Kubernetes short names in the authority, and the default route. */
static void test_service_default_route_and_short_names(void **state)
{
    (void)state;
    json_t *o = reviews_cluster();
    add_ns(o, "other", NULL);
    add_pod(o, "other", "client", "10.244.2.1", "{'app':'client'}", 1, NULL);
    mesh *m = mesh_build(o, r146());
    const char *forms[] = {"reviews.default:9080", "reviews.default.svc", "reviews.default.svc.cluster.local:9080",
                           "10.96.1.1:9080"};
    for (size_t i = 0; i < 4; i++) {
        mesh_request req = http_req("10.244.2.1", "10.96.1.1", 9080, forms[i], "/");
        mesh_decision d;
        route(m, "other", "client", &req, &d);
        assert_int_equal(d.action, HOP_FORWARD);
        assert_string_equal(d.cluster, "outbound|9080||reviews.default.svc.cluster.local");
        assert_string_equal(d.route_name, "default");
    }
    /* "reviews" alone means other/reviews for this client: no such service */
    mesh_request req = http_req("10.244.2.1", "10.96.1.1", 9080, "reviews", "/");
    mesh_decision d;
    route(m, "other", "client", &req, &d);
    assert_string_equal(d.cluster, "PassthroughCluster");
    mesh_free(m);
    json_decref(o);
}

static void test_inbound(void **state)
{
    (void)state;
    json_t *o = reviews_cluster();
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("10.244.0.10", "10.244.1.1", 9080, "reviews:9080", "/");
    req.inbound = true;
    mesh_decision d;
    route(m, "default", "reviews-v1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "inbound|9080||");
    assert_string_equal(d.endpoint_ip, "127.0.0.1");
    assert_int_equal(d.endpoint_port, 9080);
    assert_string_equal(d.listener, "virtualInbound");
    mesh_free(m);
    json_decref(o);
}

/* A VirtualService exported only to its own namespace is invisible elsewhere. */
static void test_vs_export_to(void **state)
{
    (void)state;
    json_t *o = reviews_cluster();
    add_ns(o, "other", NULL);
    add_pod(o, "other", "client", "10.244.2.1", "{'app':'client'}", 1, NULL);
    add(o, "{'kind':'VirtualService','metadata':{'name':'reviews','namespace':'default'},"
           "'spec':{'hosts':['reviews'],'exportTo':['.'],'http':[{'route':[{'destination':{'host':'reviews','subset':'v2'}}]}]}}");
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("10.244.0.10", "10.96.1.1", 9080, "reviews.default:9080", "/");
    mesh_decision d;
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.dest_subset, "v2");
    req.src_ip = "10.244.2.1";
    route(m, "other", "client", &req, &d);
    assert_string_equal(d.route_name, "default");
    assert_string_equal(d.virtual_service, "");
    mesh_free(m);
    json_decref(o);
}

/* ---- DNS ---- */

static void test_dns(void **state)
{
    (void)state;
    json_t *o = reviews_cluster();
    add(o, "{'kind':'ServiceEntry','metadata':{'name':'db','namespace':'default'},"
           "'spec':{'hosts':['db.internal'],'addresses':['240.0.0.7'],'ports':[{'number':5432,'name':'tcp','protocol':'TCP'}],'resolution':'STATIC',"
           "'endpoints':[{'address':'10.1.1.1'}]}}");
    add_ns(o, "other", NULL);
    add_pod(o, "other", "plain", "10.244.2.2", "{'app':'plain'}", 0, NULL);
    mesh *m = mesh_build(o, r146());
    const mesh_workload *c = mesh_workload_by_pod(m, "default", "sleep-1");
    const mesh_workload *plain = mesh_workload_by_pod(m, "other", "plain");
    char out[8][46];
    assert_int_equal(mesh_dns_lookup(m, c, "reviews", out, 8), 1);
    assert_string_equal(out[0], "10.96.1.1");
    assert_int_equal(mesh_dns_lookup(m, c, "reviews.default", out, 8), 1);
    assert_int_equal(mesh_dns_lookup(m, c, "reviews.default.svc", out, 8), 1);
    assert_int_equal(mesh_dns_lookup(m, c, "reviews.default.svc.cluster.local.", out, 8), 1);
    assert_int_equal(mesh_dns_lookup(m, plain, "reviews", out, 8), 0);    /* other namespace */
    assert_int_equal(mesh_dns_lookup(m, plain, "kube-dns.kube-system", out, 8), 1);
    assert_string_equal(out[0], "10.96.0.10");
    assert_int_equal(mesh_dns_lookup(m, c, "Edition.CNN.com", out, 8), 2);
    assert_string_equal(out[0], "151.101.65.67");
    assert_string_equal(out[1], "151.101.1.67");
    assert_int_equal(mesh_dns_lookup(m, c, "no.such.host", out, 8), 0);
    assert_int_equal(mesh_dns_lookup(m, c, "db.internal", out, 8), 1);
    assert_string_equal(out[0], "240.0.0.7");
    assert_int_equal(mesh_dns_lookup(m, plain, "db.internal", out, 8), 0);  /* no proxy, no capture */
    assert_int_equal(mesh_dns_lookup(m, c, "edition.cnn.com", out, 1), 1);  /* max honoured */
    mesh_free(m);
    json_decref(o);
}

/* STATIC entry endpoints and TCP by address. */
static void test_static_tcp_by_address(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add(o, "{'kind':'ServiceEntry','metadata':{'name':'db','namespace':'default'},"
           "'spec':{'hosts':['db.internal'],'addresses':['240.0.0.7'],'ports':[{'number':5432,'name':'tcp','protocol':'TCP'}],'resolution':'STATIC',"
           "'endpoints':[{'address':'10.1.1.1','ports':{'tcp':15432}}]}}");
    mesh *m = mesh_build(o, r146());
    mesh_request req = tls_req("10.244.0.10", "240.0.0.7", 5432, NULL);
    mesh_decision d;
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.listener, "240.0.0.7_5432");
    assert_string_equal(d.cluster, "outbound|5432||db.internal");
    assert_string_equal(d.endpoint_ip, "10.1.1.1");
    assert_int_equal(d.endpoint_port, 15432);
    mesh_free(m);
    json_decref(o);
}

static void test_pod_without_proxy_goes_direct(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add_pod(o, "default", "plain", "10.244.0.99", "{'app':'plain'}", 0, NULL);
    mesh *m = mesh_build(o, r146());
    const mesh_workload *w = mesh_workload_by_ip(m, "10.244.0.99");
    assert_non_null(w);
    assert_false(w->sidecar);
    assert_false(w->gateway);
    assert_true(mesh_workload_by_pod(m, "default", "sleep-1")->sidecar);
    assert_true(mesh_workload_by_pod(m, "istio-system", "istio-egressgateway-1")->gateway);
    assert_false(mesh_workload_by_pod(m, "istio-system", "istio-egressgateway-1")->sidecar);
    mesh_request req = tls_req("10.244.0.99", "151.101.65.67", 443, "edition.cnn.com");
    mesh_decision d;
    route(m, "default", "plain", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.endpoint_ip, "151.101.65.67");
    assert_string_equal(d.cluster, "");
    assert_int_equal(mesh_route(m, NULL, &req, &d), -1);
    mesh_free(m);
    json_decref(o);
}


/* A Sidecar resource narrows what the proxy sees: hidden hosts are unknown. */
static void test_sidecar_egress_hosts(void **state)
{
    (void)state;
    json_t *o = reviews_cluster();
    add(o, "{'kind':'ServiceEntry','metadata':{'name':'cnn','namespace':'default'},"
           "'spec':{'hosts':['edition.cnn.com'],'ports':[{'number':80,'name':'http','protocol':'HTTP'}],'resolution':'DNS'}}");
    add(o, "{'kind':'Sidecar','metadata':{'name':'default','namespace':'default'},"
           "'spec':{'egress':[{'hosts':['./reviews.default.svc.cluster.local','istio-system/*']}],"
           "'outboundTrafficPolicy':{'mode':'REGISTRY_ONLY'}}}");
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("10.244.0.10", "10.96.1.1", 9080, "reviews:9080", "/");
    mesh_decision d;
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "outbound|9080||reviews.default.svc.cluster.local");
    req = http_req("10.244.0.10", "151.101.65.67", 80, "edition.cnn.com", "/");
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_DIRECT_RESPONSE);   /* not imported, and the Sidecar says REGISTRY_ONLY */
    assert_int_equal(d.status, 502);
    mesh_free(m);
    json_decref(o);
}

/* A Service without selector gets its endpoints from the Endpoints object. */
static void test_selectorless_service(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add_service(o, "default", "legacy", "10.96.2.2", "[{'name':'http','port':80,'targetPort':8080}]", NULL);
    add(o, "{'kind':'Endpoints','metadata':{'name':'legacy','namespace':'default'},"
           "'subsets':[{'addresses':[{'ip':'192.168.9.9'}],'ports':[{'name':'http','port':8080}]}]}");
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("10.244.0.10", "10.96.2.2", 80, "legacy", "/");
    mesh_decision d;
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.endpoint_ip, "192.168.9.9");
    assert_int_equal(d.endpoint_port, 8080);
    mesh_free(m);
    json_decref(o);
}

/* An ingress gateway: HTTPS SIMPLE terminates, then routes the request by
 * authority; AUTO_PASSTHROUGH reads the cluster from the SNI; TCP servers
 * use tcp routes. */
static void test_gateway_termination_auto_passthrough_tcp(void **state)
{
    (void)state;
    json_t *o = reviews_cluster();
    add_gateway_pod(o, "istio-ingressgateway-1", "10.244.0.6", "ingressgateway");
    add_service(o, "istio-system", "istio-ingressgateway", "10.96.0.21",
                "[{'name':'https','port':443,'targetPort':8443},{'name':'tls','port':15443,'targetPort':15443},"
                "{'name':'tcp','port':31400,'targetPort':31400}]",
                "{'istio':'ingressgateway'}");
    add(o, "{'kind':'Gateway','metadata':{'name':'web','namespace':'default'},"
           "'spec':{'selector':{'istio':'ingressgateway'},'servers':["
           "{'port':{'number':443,'name':'https','protocol':'HTTPS'},'hosts':['*.example.com'],'tls':{'mode':'SIMPLE','credentialName':'c'}},"
           "{'port':{'number':15443,'name':'tls','protocol':'TLS'},'hosts':['*.local'],'tls':{'mode':'AUTO_PASSTHROUGH'}},"
           "{'port':{'number':31400,'name':'tcp','protocol':'TCP'},'hosts':['*']}]}}");
    add(o, "{'kind':'VirtualService','metadata':{'name':'web','namespace':'default'},"
           "'spec':{'hosts':['shop.example.com'],'gateways':['web'],'http':[{'route':[{'destination':{'host':'reviews','subset':'v2'}}]}]}}");
    add(o, "{'kind':'VirtualService','metadata':{'name':'tcp','namespace':'default'},"
           "'spec':{'hosts':['*'],'gateways':['default/web'],'tcp':[{'match':[{'port':31400}],'route':[{'destination':{'host':'reviews','port':{'number':9080}}}]}]}}");
    mesh *m = mesh_build(o, r124());
    mesh_decision d;
    mesh_request req = tls_req("1.2.3.4", "10.244.0.6", 8443, "shop.example.com");
    route(m, "istio-system", "istio-ingressgateway-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.tls_termination, "SIMPLE");
    assert_string_equal(d.cluster, "");
    req.http = true;
    req.method = "GET";
    req.authority = "shop.example.com";
    req.path = "/";
    route(m, "istio-system", "istio-ingressgateway-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.route_config, "https.443.https.web.default");
    assert_string_equal(d.cluster, "outbound|9080|v2|reviews.default.svc.cluster.local");
    assert_string_equal(d.endpoint_ip, "10.244.1.2");
    req.authority = "other.example.com";
    route(m, "istio-system", "istio-ingressgateway-1", &req, &d);
    assert_int_equal(d.status, 404);

    req = tls_req("1.2.3.4", "10.244.0.6", 15443, "outbound_.9080_.v1_.reviews.default.svc.cluster.local");
    route(m, "istio-system", "istio-ingressgateway-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "outbound|9080|v1|reviews.default.svc.cluster.local");
    assert_string_equal(d.endpoint_ip, "10.244.1.1");

    req = tls_req("1.2.3.4", "10.244.0.6", 31400, NULL);
    route(m, "istio-system", "istio-ingressgateway-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "outbound|9080||reviews.default.svc.cluster.local");
    assert_string_equal(d.virtual_service, "default/tcp");
    mesh_free(m);
    json_decref(o);
}

/* sourceLabels, per-match gateways, authority and header prefix/regex. */
static void test_source_and_authority_matches(void **state)
{
    (void)state;
    json_t *o = reviews_cluster();
    add_pod(o, "default", "canary-client", "10.244.0.11", "{'app':'sleep','track':'canary'}", 1, NULL);
    add(o, "{'kind':'VirtualService','metadata':{'name':'reviews','namespace':'default'},"
           "'spec':{'hosts':['reviews'],'http':["
           "{'name':'canary','match':[{'sourceLabels':{'track':'canary'}}],'route':[{'destination':{'host':'reviews','subset':'v2'}}]},"
           "{'name':'gw-only','match':[{'gateways':['some-gateway']}],'route':[{'destination':{'host':'reviews','subset':'v2'}}]},"
           "{'name':'auth','match':[{'authority':{'prefix':'reviews.default'}}],'route':[{'destination':{'host':'reviews','subset':'v2'}}]},"
           "{'name':'hdr','match':[{'headers':{'x-v':{'regex':'v[0-9]+'}}},{'headers':{'x-p':{'prefix':'be'}}}],'route':[{'destination':{'host':'reviews','subset':'v2'}}]},"
           "{'name':'rest','route':[{'destination':{'host':'reviews','subset':'v1'}}]}]}}");
    mesh *m = mesh_build(o, r146());
    mesh_decision d;
    mesh_request req = http_req("10.244.0.11", "10.96.1.1", 9080, "reviews", "/");
    route(m, "default", "canary-client", &req, &d);
    assert_string_equal(d.route_name, "canary");
    req.src_ip = "10.244.0.10";
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.route_name, "rest");     /* the gateway-only rule never applies to sidecars */
    req.authority = "reviews.default:9080";
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.route_name, "auth");
    req.authority = "reviews";
    json_t *h = json_pack("{ss}", "x-v", "v12");
    req.headers = h;
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.route_name, "hdr");
    json_object_set_new(h, "x-v", json_string("v12x"));
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.route_name, "rest");
    json_object_set_new(h, "x-p", json_string("beta"));
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.route_name, "hdr");      /* second match block: OR */
    json_decref(h);
    mesh_free(m);
    json_decref(o);
}

/* Wildcard ServiceEntry hosts and Service exportTo annotations. */
static void test_wildcard_entry_and_service_export(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add(o, "{'kind':'ServiceEntry','metadata':{'name':'wiki','namespace':'default'},"
           "'spec':{'hosts':['*.wikipedia.org'],'ports':[{'number':443,'name':'tls','protocol':'TLS'}],'resolution':'NONE'}}");
    add(o, "{'kind':'Service','metadata':{'name':'private','namespace':'istio-system','annotations':{'networking.istio.io/exportTo':'.'}},"
           "'spec':{'clusterIP':'10.96.3.3','ports':[{'name':'http','port':8081}],'selector':{'app':'none'}}}");
    mesh *m = mesh_build(o, r146());
    mesh_decision d;
    mesh_request req = tls_req("10.244.0.10", "208.80.154.224", 443, "en.wikipedia.org");
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "outbound|443||*.wikipedia.org");
    assert_string_equal(d.endpoint_ip, "208.80.154.224");
    req = http_req("10.244.0.10", "10.96.3.3", 8081, "private.istio-system:8081", "/");
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.cluster, "PassthroughCluster");   /* not exported to default */
    mesh_free(m);
    json_decref(o);
}

/* Objects with every field of the wrong type or missing: no crash, and the
 * sane objects around them still route. */
static void test_malformed_objects(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add_cnn_http(o);
    const char *junk[] = {
        "{'kind':'Pod'}",
        "{'kind':'Pod','metadata':7,'spec':[],'status':{'podIP':5}}",
        "{'kind':'Service','metadata':{'name':'x'},'spec':{'ports':'80','selector':[1],'clusterIP':3}}",
        "{'kind':'Service','metadata':{'name':'y','namespace':'default'},'spec':{'ports':[{'port':'abc','targetPort':{}}]}}",
        "{'kind':'ServiceEntry','metadata':{},'spec':{'hosts':[1,null,'ok.example.com'],'ports':[{'number':'x'}],'addresses':[5,'1.2.3.0/24','9.9.9.9/32'],'endpoints':'no','resolution':7}}",
        "{'kind':'ServiceEntry','spec':{'hosts':'edition.cnn.com'}}",
        "{'kind':'VirtualService','metadata':{'name':'v'},'spec':{'hosts':[3,'edition.cnn.com'],'gateways':'mesh',"
        "'http':[{'match':'x','route':[{'destination':7}]},{'match':[{'uri':{'regex':'(['}}]}],'tls':[{}],'tcp':7}}",
        "{'kind':'VirtualService','metadata':{'name':'w','namespace':'default'},'spec':{'hosts':['reviews'],'http':[{'route':[{'destination':{'host':'reviews','port':{'number':'x'}},'weight':'a'}]}]}}",
        "{'kind':'DestinationRule','metadata':{'name':'d'},'spec':{'host':5,'subsets':[{},{'name':3}],'trafficPolicy':{'tls':'SIMPLE','portLevelSettings':'no'}}}",
        "{'kind':'Gateway','metadata':{'name':'g'},'spec':{'selector':'all','servers':[{},{'port':{'number':'80'}},{'port':{'number':80,'protocol':'TLS'},'hosts':7}]}}",
        "{'kind':'NetworkPolicy','metadata':{'name':'n','namespace':'default'},'spec':{'podSelector':{'matchExpressions':[{'key':'a'}]},"
        "'ingress':[{'from':[{'ipBlock':{'cidr':'bad','except':[1]}},{}],'ports':[{'port':{}},{'protocol':5}]}],'policyTypes':'Ingress'}}",
        "{'kind':'Sidecar','metadata':{'name':'s','namespace':'other'},'spec':{'egress':[{'hosts':['nons','x/']}],'workloadSelector':{'labels':{'a':'b'}}}}",
        "{'kind':'ExternalService','spec':{'hosts':[1,'*.junk.example'],'addresses':'no'}}",
        "{'kind':'Endpoints','metadata':{'name':'y','namespace':'default'},'subsets':[{'addresses':'x','ports':[{'port':'p'}]}]}",
        "{'kind':'ConfigMap','metadata':{'name':'istio','namespace':'istio-system'},'data':{'mesh':': : ['}}",
        "{'kind':5}",
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) add(o, junk[i]);
    json_array_append_new(o, json_integer(7));   /* not even an object */
    mesh *m = mesh_build(o, r146());
    assert_non_null(m);
    mesh_decision d;
    mesh_request req = http_req("10.244.0.10", "151.101.65.67", 80, "edition.cnn.com", "/politics");
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local");
    req = http_req("10.244.0.10", "10.244.0.5", 80, "edition.cnn.com", "/politics");
    route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    assert_string_equal(d.cluster, "outbound|80||edition.cnn.com");
    const char *hosts[] = {"ok.example.com", "y", "reviews", "", NULL};
    for (int i = 0; i < 5; i++) {
        req = http_req("10.244.0.10", "9.9.9.9", 80, hosts[i], "/x");
        route(m, "default", "sleep-1", &req, &d);
        req = tls_req("10.244.0.10", "9.9.9.9", 443, hosts[i]);
        route(m, "default", "sleep-1", &req, &d);
        route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    }
    char why[256], out[4][46];
    mesh_netpol_allows(m, "10.244.0.10", "10.244.0.5", 80, NULL, why, sizeof why);
    mesh_dns_lookup(m, NULL, "x.junk.example", out, 4);
    json_t *cfg = mesh_proxy_config(m, mesh_workload_by_pod(m, "default", "sleep-1"));
    assert_non_null(cfg);
    json_decref(cfg);
    cfg = mesh_proxy_config(m, mesh_workload_by_pod(m, "istio-system", "istio-egressgateway-1"));
    json_decref(cfg);
    mesh_free(m);
    json_decref(o);
}

/* ExternalName Services are DNS clusters (and CNAMEs in DNS). */
static void test_external_name_service(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add(o, "{'kind':'Service','metadata':{'name':'cnn','namespace':'default'},"
           "'spec':{'type':'ExternalName','externalName':'edition.cnn.com','ports':[{'name':'http','port':80}]}}");
    mesh *m = mesh_build(o, r146());
    char out[4][46];
    assert_int_equal(mesh_dns_lookup(m, mesh_workload_by_pod(m, "default", "sleep-1"), "cnn", out, 4), 2);
    assert_string_equal(out[0], "151.101.65.67");
    mesh_request req = http_req("10.244.0.10", "151.101.65.67", 80, "cnn", "/");
    mesh_decision d;
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "outbound|80||cnn.default.svc.cluster.local");
    assert_string_equal(d.cluster_type, "STRICT_DNS");
    assert_string_equal(d.endpoint_ip, "151.101.65.67");
    mesh_free(m);
    json_decref(o);
}

/* A VirtualService exported only to its own namespace still serves a
 * Gateway in that namespace, whatever namespace the gateway pod runs in. */
static void test_gateway_vs_export_to_gateway_namespace(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add_cnn_http(o);
    json_t *vs = json_array_get(o, json_array_size(o) - 1);
    json_object_set_new(json_object_get(vs, "spec"), "exportTo", J("['.']"));
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("10.244.0.10", "10.244.0.5", 80, "edition.cnn.com", "/politics");
    mesh_decision d;
    route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    assert_string_equal(d.cluster, "outbound|80||edition.cnn.com");
    mesh_free(m);
    json_decref(o);
}

/* ServiceEntry address ranges: the most specific range wins. */
static void test_cidr_service_entries(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add(o, "{'kind':'ServiceEntry','metadata':{'name':'wide','namespace':'default'},"
           "'spec':{'hosts':['wide.internal'],'addresses':['10.50.0.0/16'],'ports':[{'number':9999,'name':'tcp','protocol':'TCP'}],'resolution':'NONE'}}");
    add(o, "{'kind':'ServiceEntry','metadata':{'name':'narrow','namespace':'default'},"
           "'spec':{'hosts':['narrow.internal'],'addresses':['10.50.1.0/24'],'ports':[{'number':9999,'name':'tcp','protocol':'TCP'}],'resolution':'NONE'}}");
    mesh *m = mesh_build(o, r146());
    mesh_decision d;
    mesh_request req = tls_req("10.244.0.10", "10.50.1.7", 9999, NULL);
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.cluster, "outbound|9999||narrow.internal");
    assert_string_equal(d.listener, "0.0.0.0_9999");
    assert_string_equal(d.filter_chain, "Addr: 10.50.1.0/24");
    assert_string_equal(d.endpoint_ip, "10.50.1.7");
    req.dst_ip = "10.50.2.7";
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.cluster, "outbound|9999||wide.internal");
    req.dst_ip = "10.51.0.1";
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.cluster, "PassthroughCluster");
    mesh_free(m);
    json_decref(o);
}

static void test_peer_authentication(void **state)
{
    (void)state;
    json_t *o = reviews_cluster();
    add(o, "{'kind':'PeerAuthentication','metadata':{'name':'default','namespace':'istio-system'},'spec':{'mtls':{'mode':'STRICT'}}}");
    mesh *m = mesh_build(o, r124());
    const mesh_workload *v1 = mesh_workload_by_pod(m, "default", "reviews-v1");
    char why[256];
    assert_string_equal(mesh_peer_authn_mode(m, v1, 9080, why, sizeof why), "STRICT");
    assert_non_null(strstr(why, "mesh-wide PeerAuthentication istio-system/default"));
    mesh_free(m);
    add(o, "{'kind':'PeerAuthentication','metadata':{'name':'ns','namespace':'default'},'spec':{'mtls':{'mode':'PERMISSIVE'}}}");
    add(o, "{'kind':'PeerAuthentication','metadata':{'name':'v1','namespace':'default'},"
           "'spec':{'selector':{'matchLabels':{'version':'v1'}},'mtls':{'mode':'UNSET'},'portLevelMtls':{'9080':{'mode':'DISABLE'}}}}");
    m = mesh_build(o, r124());
    v1 = mesh_workload_by_pod(m, "default", "reviews-v1");
    const mesh_workload *v2 = mesh_workload_by_pod(m, "default", "reviews-v2");
    assert_string_equal(mesh_peer_authn_mode(m, v1, 9080, why, sizeof why), "DISABLE");
    assert_non_null(strstr(why, "port-level"));
    assert_string_equal(mesh_peer_authn_mode(m, v1, 9090, NULL, 0), "PERMISSIVE");   /* UNSET inherits */
    assert_string_equal(mesh_peer_authn_mode(m, v2, 9080, why, sizeof why), "PERMISSIVE");
    assert_non_null(strstr(why, "namespace PeerAuthentication default/ns"));
    /* auto mTLS leaves a DISABLE port in plaintext */
    add(o, "{'kind':'VirtualService','metadata':{'name':'reviews','namespace':'default'},"
           "'spec':{'hosts':['reviews'],'http':[{'route':[{'destination':{'host':'reviews','subset':'v1'}}]}]}}");
    mesh_free(m);
    m = mesh_build(o, r124());
    mesh_request req = http_req("10.244.0.10", "10.96.1.1", 9080, "reviews", "/");
    mesh_decision d;
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.endpoint_ip, "10.244.1.1");
    assert_false(d.mtls);
    mesh_free(m);
    /* without the DISABLE, auto mTLS to the sidecar */
    json_array_remove(o, json_array_size(o) - 2);
    m = mesh_build(o, r124());
    route(m, "default", "sleep-1", &req, &d);
    assert_string_equal(d.endpoint_ip, "10.244.1.1");
    assert_true(d.mtls);
    assert_string_equal(d.mtls_sni, "outbound_.9080_.v1_.reviews.default.svc.cluster.local");
    mesh_free(m);
    json_decref(o);
}

static void test_gateway_https_redirect(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add(o, "{'kind':'Gateway','metadata':{'name':'gw','namespace':'default'},"
           "'spec':{'selector':{'istio':'egressgateway'},'servers':[{'port':{'number':80,'name':'http','protocol':'HTTP'},"
           "'hosts':['*.example.com'],'tls':{'httpsRedirect':true}}]}}");
    mesh *m = mesh_build(o, r146());
    mesh_request req = http_req("1.2.3.4", "10.244.0.5", 80, "shop.example.com", "/cart");
    mesh_decision d;
    route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    assert_int_equal(d.action, HOP_DIRECT_RESPONSE);
    assert_int_equal(d.status, 301);
    assert_string_equal(d.location, "https://shop.example.com/cart");
    req.authority = "other.org";
    route(m, "istio-system", "istio-egressgateway-1", &req, &d);
    assert_int_equal(d.status, 404);
    mesh_free(m);
    json_decref(o);
}

static void test_authorization_policy(void **state)
{
    (void)state;
    json_t *o = reviews_cluster();
    add_ns(o, "other", NULL);
    add_pod(o, "other", "client", "10.244.2.1", "{'app':'client'}", 1, NULL);
    add(o, "{'kind':'AuthorizationPolicy','metadata':{'name':'reviews-viewer','namespace':'default'},"
           "'spec':{'selector':{'matchLabels':{'app':'reviews'}},'action':'ALLOW','rules':[{"
           "'from':[{'source':{'principals':['cluster.local/ns/default/sa/sleep']}}],"
           "'to':[{'operation':{'methods':['GET'],'paths':['/reviews/*']}}]}]}}");
    add(o, "{'kind':'AuthorizationPolicy','metadata':{'name':'no-admin','namespace':'istio-system'},"
           "'spec':{'action':'DENY','rules':[{'to':[{'operation':{'paths':['/admin*']}}]}]}}");
    mesh *m = mesh_build(o, r124());
    mesh_decision d;
    mesh_request req = http_req("10.244.0.10", "10.244.1.1", 9080, "reviews:9080", "/reviews/1");
    req.inbound = true;
    req.src_principal = "cluster.local/ns/default/sa/sleep";
    route(m, "default", "reviews-v1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    req.method = "POST";
    route(m, "default", "reviews-v1", &req, &d);
    assert_int_equal(d.action, HOP_DIRECT_RESPONSE);
    assert_int_equal(d.status, 403);
    assert_string_equal(d.details, "rbac_access_denied_matched_policy[none]");
    assert_string_equal(d.response_body, "RBAC: access denied");
    req.method = "GET";
    req.src_principal = NULL;   /* plaintext: no identity */
    route(m, "default", "reviews-v1", &req, &d);
    assert_int_equal(d.status, 403);
    /* the mesh-wide DENY wins over the ALLOW */
    req.src_principal = "cluster.local/ns/default/sa/sleep";
    req.path = "/admin/x";
    route(m, "default", "reviews-v1", &req, &d);
    assert_int_equal(d.status, 403);
    assert_string_equal(d.details, "rbac_access_denied_matched_policy[ns[istio-system]-policy[no-admin]-rule[0]]");
    /* a TCP connection: the ALLOW rule has HTTP-only fields, so it cannot match */
    mesh_request tcp = tls_req("10.244.0.10", "10.244.1.1", 9080, NULL);
    tcp.inbound = true;
    tcp.src_principal = "cluster.local/ns/default/sa/sleep";
    route(m, "default", "reviews-v1", &tcp, &d);
    assert_int_equal(d.action, HOP_FAIL);
    /* no policy selects sleep: everything is allowed */
    req.path = "/";
    route(m, "default", "sleep-1", &req, &d);
    assert_int_equal(d.action, HOP_FORWARD);
    char why[256];
    assert_true(mesh_authz_allows(m, mesh_workload_by_pod(m, "default", "reviews-v2"),
                                  &(mesh_request){.http = true, .method = "GET", .path = "/reviews/2", .dst_port = 9080,
                                                  .src_principal = "cluster.local/ns/default/sa/sleep"},
                                  why, sizeof why));
    assert_non_null(strstr(why, "default/reviews-viewer"));
    mesh_free(m);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_http_sidecar_to_gateway),
        cmocka_unit_test(test_seed_http_gateway_to_world),
        cmocka_unit_test(test_seed_http_target_ports_124),
        cmocka_unit_test(test_seed_tls_passthrough_both_hops),
        cmocka_unit_test(test_dr_missing_on_lookup_path),
        cmocka_unit_test(test_dr_root_namespace_and_export),
        cmocka_unit_test(test_allow_any),
        cmocka_unit_test(test_registry_only),
        cmocka_unit_test(test_gateway_without_vs_is_404),
        cmocka_unit_test(test_gateway_host_and_selector),
        cmocka_unit_test(test_none_resolution_through_gateway_146_loops),
        cmocka_unit_test(test_none_resolution_through_gateway_124_uh),
        cmocka_unit_test(test_none_resolution_on_sidecar_is_original_dst),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_uri_and_header_matches),
        cmocka_unit_test(test_subset_not_found),
        cmocka_unit_test(test_subset_without_pods_is_uh),
        cmocka_unit_test(test_dr_tls_origination),
        cmocka_unit_test(test_service_default_route_and_short_names),
        cmocka_unit_test(test_inbound),
        cmocka_unit_test(test_vs_export_to),
        cmocka_unit_test(test_dns),
        cmocka_unit_test(test_static_tcp_by_address),
        cmocka_unit_test(test_pod_without_proxy_goes_direct),
        cmocka_unit_test(test_sidecar_egress_hosts),
        cmocka_unit_test(test_selectorless_service),
        cmocka_unit_test(test_gateway_termination_auto_passthrough_tcp),
        cmocka_unit_test(test_source_and_authority_matches),
        cmocka_unit_test(test_wildcard_entry_and_service_export),
        cmocka_unit_test(test_malformed_objects),
        cmocka_unit_test(test_external_name_service),
        cmocka_unit_test(test_cidr_service_entries),
        cmocka_unit_test(test_peer_authentication),
        cmocka_unit_test(test_gateway_https_redirect),
        cmocka_unit_test(test_authorization_policy),
        cmocka_unit_test(test_gateway_vs_export_to_gateway_namespace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
