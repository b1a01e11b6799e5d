/* lib/mesh NetworkPolicy evaluation (Kubernetes semantics). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "mesh_fixture.h"
#include "model/release.h"

static bool allows(const mesh *m, const char *src, const char *dst, int port, const char *proto, char *why)
{
    return mesh_netpol_allows(m, src, dst, port, proto, why, 512);
}

/* The seed page: test-egress may only reach kube-system on UDP 53 and istio-system. */
static json_t *seed_netpol_cluster(void)
{
    json_t *o = seed_cluster(80, 443);
    /* the labels the page adds with kubectl label */
    size_t i;
    json_t *x;
    json_array_foreach(o, i, x) {
        const char *k = json_string_value(json_object_get(x, "kind"));
        const char *n = json_string_value(json_object_get(json_object_get(x, "metadata"), "name"));
        if (!k || strcmp(k, "Namespace")) continue;
        json_t *labels = json_object_get(json_object_get(x, "metadata"), "labels");
        if (!strcmp(n, "istio-system")) json_object_set_new(labels, "istio", json_string("system"));
        if (!strcmp(n, "kube-system")) json_object_set_new(labels, "kube-system", json_string("true"));
    }
    add_ns(o, "test-egress", NULL);
    add_pod(o, "test-egress", "sleep-2", "10.244.0.20", "{'app':'sleep'}", 0, NULL);
    add(o, "{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy',"
           "'metadata':{'name':'allow-egress-to-istio-system-and-kube-dns','namespace':'test-egress'},"
           "'spec':{'podSelector':{},'policyTypes':['Egress'],'egress':["
           "{'to':[{'namespaceSelector':{'matchLabels':{'kube-system':'true'}}}],'ports':[{'protocol':'UDP','port':53}]},"
           "{'to':[{'namespaceSelector':{'matchLabels':{'istio':'system'}}}]}]}}");
    return o;
}

static void test_seed_policy(void **state)
{
    (void)state;
    json_t *o = seed_netpol_cluster();
    mesh *m = mesh_build(o, release_default());
    char why[512];
    assert_true(allows(m, "10.244.0.20", "10.244.0.2", 53, "UDP", why));        /* DNS to the kube-dns pod */
    assert_non_null(strstr(why, "test-egress/allow-egress-to-istio-system-and-kube-dns"));
    assert_false(allows(m, "10.244.0.20", "10.244.0.2", 53, "TCP", why));       /* only UDP */
    assert_true(allows(m, "10.244.0.20", "10.244.0.5", 443, "TCP", why));       /* the egress gateway */
    assert_true(allows(m, "10.244.0.20", "10.244.0.5", 8443, NULL, why));       /* any port in istio-system */
    assert_false(allows(m, "10.244.0.20", "151.101.65.67", 443, "TCP", why));   /* the Internet */
    assert_non_null(strstr(why, "test-egress/allow-egress-to-istio-system-and-kube-dns"));
    assert_non_null(strstr(why, "egress"));
    assert_false(allows(m, "10.244.0.20", "10.244.0.10", 80, "TCP", why));      /* default namespace */
    /* pods the policy does not select are not isolated */
    assert_true(allows(m, "10.244.0.10", "151.101.65.67", 443, "TCP", why));
    assert_non_null(strstr(why, "no NetworkPolicy isolates"));
    /* ingress to test-egress is not isolated (the policy is egress-only) */
    assert_true(allows(m, "10.244.0.10", "10.244.0.20", 80, "TCP", why));
    mesh_free(m);
    json_decref(o);
}

static void test_ipblock_except(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add(o, "{'kind':'NetworkPolicy','metadata':{'name':'fastly','namespace':'default'},"
           "'spec':{'podSelector':{'matchLabels':{'app':'sleep'}},'policyTypes':['Egress'],'egress':["
           "{'to':[{'ipBlock':{'cidr':'151.101.0.0/16','except':['151.101.1.0/24']}}]}]}}");
    mesh *m = mesh_build(o, release_default());
    char why[512];
    assert_true(allows(m, "10.244.0.10", "151.101.65.67", 443, "TCP", why));
    assert_false(allows(m, "10.244.0.10", "151.101.1.67", 443, "TCP", why));
    assert_false(allows(m, "10.244.0.10", "142.250.1.1", 443, "TCP", why));
    /* pod IPs are matched by ipBlocks too: 10.244.0.5 is outside the block */
    assert_false(allows(m, "10.244.0.10", "10.244.0.5", 80, "TCP", why));
    mesh_free(m);
    json_decref(o);

    o = seed_cluster(80, 443);
    add(o, "{'kind':'NetworkPolicy','metadata':{'name':'pods','namespace':'default'},"
           "'spec':{'podSelector':{},'policyTypes':['Egress'],'egress':[{'to':[{'ipBlock':{'cidr':'10.244.0.0/24'}}]}]}}");
    m = mesh_build(o, release_default());
    assert_true(allows(m, "10.244.0.10", "10.244.0.5", 80, "TCP", why));
    mesh_free(m);
    json_decref(o);
}

static void test_named_ports_and_endport(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add_pod(o, "default", "web", "10.244.3.1", "{'app':'web'}", 0,
            "[{'name':'http','containerPort':8080},{'name':'metrics','containerPort':9090}]");
    add(o, "{'kind':'NetworkPolicy','metadata':{'name':'web-in','namespace':'default'},"
           "'spec':{'podSelector':{'matchLabels':{'app':'web'}},'ingress':["
           "{'ports':[{'port':'http'},{'port':7000,'endPort':7010}]}]}}");
    mesh *m = mesh_build(o, release_default());
    char why[512];
    assert_true(allows(m, "10.244.0.10", "10.244.3.1", 8080, "TCP", why));
    assert_non_null(strstr(why, "default/web-in"));
    assert_false(allows(m, "10.244.0.10", "10.244.3.1", 9090, "TCP", why));
    assert_non_null(strstr(why, "ingress"));
    assert_false(allows(m, "10.244.0.10", "10.244.3.1", 8080, "UDP", why));    /* the named port is TCP */
    assert_true(allows(m, "10.244.0.10", "10.244.3.1", 7005, "TCP", why));
    assert_true(allows(m, "10.244.0.10", "10.244.3.1", 7010, "TCP", why));
    assert_false(allows(m, "10.244.0.10", "10.244.3.1", 7011, "TCP", why));
    /* policyTypes defaulted to Ingress: egress of web is not isolated */
    assert_true(allows(m, "10.244.3.1", "151.101.65.67", 443, "TCP", why));
    mesh_free(m);
    json_decref(o);
}

static void test_selector_expressions(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add_ns(o, "prod", "{'env':'prod'}");
    add_pod(o, "default", "db", "10.244.4.1", "{'app':'db'}", 0, NULL);
    add_pod(o, "default", "a", "10.244.4.2", "{'app':'a'}", 0, NULL);
    add_pod(o, "default", "b", "10.244.4.3", "{'app':'b','tier':'prod'}", 0, NULL);
    add_pod(o, "prod", "c", "10.244.4.4", "{'app':'a'}", 0, NULL);
    add(o, "{'kind':'NetworkPolicy','metadata':{'name':'db-in','namespace':'default'},"
           "'spec':{'podSelector':{'matchLabels':{'app':'db'}},'ingress':[{'from':["
           "{'podSelector':{'matchExpressions':[{'key':'tier','operator':'NotIn','values':['prod']}]}},"
           "{'namespaceSelector':{'matchLabels':{'env':'prod'}},'podSelector':{'matchLabels':{'app':'z'}}}]}]}}");
    mesh *m = mesh_build(o, release_default());
    char why[512];
    assert_true(allows(m, "10.244.4.2", "10.244.4.1", 5432, "TCP", why));   /* tier absent: NotIn matches */
    assert_false(allows(m, "10.244.4.3", "10.244.4.1", 5432, "TCP", why));  /* tier=prod */
    assert_non_null(strstr(why, "default/db-in"));
    /* namespaceSelector AND podSelector: right namespace, wrong pod */
    assert_false(allows(m, "10.244.4.4", "10.244.4.1", 5432, "TCP", why));
    /* an outside address is no pod: pod selectors never match it */
    assert_false(allows(m, "151.101.65.67", "10.244.4.1", 5432, "TCP", why));
    /* a pod can always reach itself */
    assert_true(allows(m, "10.244.4.1", "10.244.4.1", 5432, "TCP", why));
    mesh_free(m);
    json_decref(o);
}

/* An ingress-only policy without rules isolates; policies add up. */
static void test_deny_all_and_additive(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add(o, "{'kind':'NetworkPolicy','metadata':{'name':'deny-all','namespace':'default'},'spec':{'podSelector':{}}}");
    mesh *m = mesh_build(o, release_default());
    char why[512];
    assert_false(allows(m, "10.244.0.5", "10.244.0.10", 80, "TCP", why));
    assert_non_null(strstr(why, "default/deny-all"));
    mesh_free(m);
    add(o, "{'kind':'NetworkPolicy','metadata':{'name':'from-istio','namespace':'default'},"
           "'spec':{'podSelector':{'matchLabels':{'app':'sleep'}},'ingress':[{'from':[{'namespaceSelector':"
           "{'matchLabels':{'kubernetes.io/metadata.name':'istio-system'}}}]}]}}");
    m = mesh_build(o, release_default());
    assert_true(allows(m, "10.244.0.5", "10.244.0.10", 80, "TCP", why));
    assert_non_null(strstr(why, "default/from-istio"));
    assert_false(allows(m, "10.244.0.2", "10.244.0.10", 80, "TCP", why));
    mesh_free(m);
    json_decref(o);
}

/* Egress of the source AND ingress of the destination. */
static void test_both_directions(void **state)
{
    (void)state;
    json_t *o = seed_cluster(80, 443);
    add_ns(o, "a", NULL);
    add_pod(o, "a", "client", "10.244.5.1", "{'app':'client'}", 0, NULL);
    add(o, "{'kind':'NetworkPolicy','metadata':{'name':'no-egress','namespace':'a'},"
           "'spec':{'podSelector':{},'policyTypes':['Egress']}}");
    add(o, "{'kind':'NetworkPolicy','metadata':{'name':'allow-all-in','namespace':'default'},"
           "'spec':{'podSelector':{},'ingress':[{}]}}");
    mesh *m = mesh_build(o, release_default());
    char why[512];
    assert_false(allows(m, "10.244.5.1", "10.244.0.10", 80, "TCP", why));
    assert_non_null(strstr(why, "a/no-egress"));
    assert_true(allows(m, "10.244.0.5", "10.244.0.10", 80, "TCP", why));
    mesh_free(m);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_policy),
        cmocka_unit_test(test_ipblock_except),
        cmocka_unit_test(test_named_ports_and_endport),
        cmocka_unit_test(test_selector_expressions),
        cmocka_unit_test(test_deny_all_and_additive),
        cmocka_unit_test(test_both_directions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
