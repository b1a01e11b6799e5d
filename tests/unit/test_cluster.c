/* The cluster model's pure parts: generated names, IstioOperator --set
 * paths and validation, profiles, injection, the install manifest. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cluster/cluster.h"
#include "cluster/install.h"
#include "model/obj.h"

static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

static void test_template_hash_is_kubernetes_fnv_in_safe_alphabet(void **state)
{
    (void)state;
    char h[CLUSTER_HASH_MAX];
    json_t *t = json_pack("{s:i}", "a", 1);
    cluster_template_hash(t, h);
    /* FNV-1a 32 of {"a":1} is 2342405393; each decimal digit through the alphabet */
    assert_string_equal(h, "67868497f7");
    json_decref(t);
}

static void test_template_hash_is_stable_and_key_order_free(void **state)
{
    (void)state;
    char a[CLUSTER_HASH_MAX], b[CLUSTER_HASH_MAX], c[CLUSTER_HASH_MAX];
    json_t *t1 = json_loads("{\"metadata\":{\"labels\":{\"app\":\"sleep\"}},\"spec\":{\"containers\":[{\"name\":\"sleep\",\"image\":\"curl\"}]}}", 0, NULL);
    json_t *t2 = json_loads("{\"spec\":{\"containers\":[{\"image\":\"curl\",\"name\":\"sleep\"}]},\"metadata\":{\"labels\":{\"app\":\"sleep\"}}}", 0, NULL);
    json_t *t3 = json_loads("{\"spec\":{\"containers\":[{\"image\":\"curl:8\",\"name\":\"sleep\"}]},\"metadata\":{\"labels\":{\"app\":\"sleep\"}}}", 0, NULL);
    cluster_template_hash(t1, a);
    cluster_template_hash(t2, b);
    cluster_template_hash(t3, c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_true(strlen(a) >= 1 && strlen(a) <= 10);
    for (const char *p = a; *p; p++) assert_non_null(strchr(alphabet, *p));
    json_decref(t1);
    json_decref(t2);
    json_decref(t3);
}

static void test_random_suffix_has_five_safe_characters_and_varies(void **state)
{
    (void)state;
    char s[8], prev[8] = "";
    int different = 0;
    for (int i = 0; i < 20; i++) {
        cluster_random_suffix(s, 5);
        assert_int_equal(strlen(s), 5);
        for (const char *p = s; *p; p++) assert_non_null(strchr(alphabet, *p));
        if (strcmp(s, prev)) different++;
        strcpy(prev, s);
    }
    assert_true(different >= 15);
}

/* A forked child draws names of its own, not the rest of its parent's pool. */
static void test_forked_child_draws_other_names(void **state)
{
    (void)state;
    char first[8], mine[33], theirs[33] = "";
    cluster_random_suffix(first, 5);   /* the pool is filled before the fork */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char s[33];
        cluster_random_suffix(s, 32);
        ssize_t w = write(fds[1], s, 32);
        _exit(w == 32 ? 0 : 1);
    }
    close(fds[1]);
    cluster_random_suffix(mine, 32);
    assert_int_equal(read(fds[0], theirs, 32), 32);
    theirs[32] = 0;
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(strlen(theirs), 32);
    assert_string_not_equal(mine, theirs);
}

static void test_set_paths_with_list_indexes_and_types(void **state)
{
    (void)state;
    char err[256] = "";
    json_t *spec = json_object();
    assert_int_equal(iop_set(spec, "components.egressGateways[0].name", "istio-egressgateway", err, sizeof err), 0);
    assert_int_equal(iop_set(spec, "components.egressGateways[0].enabled", "true", err, sizeof err), 0);
    assert_int_equal(iop_set(spec, "spec.meshConfig.accessLogFile", "/dev/stdout", err, sizeof err), 0);
    assert_int_equal(iop_set(spec, "values.global.proxy.concurrency", "2", err, sizeof err), 0);
    assert_int_equal(iop_set(spec, "tag", "1.24", err, sizeof err), 0);
    json_t *gw = json_array_get(obj_at(spec, "components.egressGateways"), 0);
    assert_string_equal(obj_str(gw, "name"), "istio-egressgateway");
    assert_true(json_is_true(json_object_get(gw, "enabled")));
    assert_string_equal(obj_str(spec, "meshConfig.accessLogFile"), "/dev/stdout");
    assert_int_equal(json_integer_value(obj_at(spec, "values.global.proxy.concurrency")), 2);
    assert_string_equal(obj_str(spec, "tag"), "1.24");
    assert_true(install_component_enabled(spec, COMP_EGRESS));
    assert_false(install_component_enabled(spec, COMP_INGRESS));
    json_decref(spec);
}

static void test_set_rejects_unknown_fields_and_values(void **state)
{
    (void)state;
    char err[256] = "";
    json_t *spec = json_object();
    assert_int_equal(iop_set(spec, "foo.bar", "1", err, sizeof err), -1);
    assert_string_equal(err, "unknown field \"foo\" in v1alpha1.IstioOperatorSpec");
    json_decref(spec);
    spec = json_object();
    assert_int_equal(iop_set(spec, "meshConfig.nosuch", "1", err, sizeof err), -1);
    assert_string_equal(err, "unknown field \"nosuch\" in v1alpha1.MeshConfig");
    json_decref(spec);
    spec = json_object();
    assert_int_equal(iop_set(spec, "meshConfig.accessLogEncoding", "XML", err, sizeof err), -1);
    json_decref(spec);
    spec = json_object();
    assert_int_equal(iop_set(spec, "components.egressGateways[x].name", "a", err, sizeof err), -1);
    json_decref(spec);
}

static void test_profiles(void **state)
{
    (void)state;
    const istio_release *old = release_lookup("1.4"), *cur = release_lookup("1.24");
    json_t *demo = install_profile(old, "demo");
    assert_non_null(demo);
    assert_true(install_component_enabled(demo, COMP_EGRESS));
    assert_true(install_component_enabled(demo, COMP_INGRESS));
    assert_string_equal(obj_str(demo, "meshConfig.accessLogFile"), "/dev/stdout");
    json_decref(demo);
    json_t *def = install_profile(cur, "default");
    assert_false(install_component_enabled(def, COMP_EGRESS));
    assert_true(install_component_enabled(def, COMP_PILOT));
    assert_null(obj_at(def, "meshConfig.accessLogFile"));
    assert_string_equal(obj_str(def, "tag"), "1.24.3");
    json_decref(def);
    json_t *empty = install_profile(cur, "empty");
    for (int c = 0; c < COMP_COUNT; c++) assert_false(install_component_enabled(empty, (install_component)c));
    json_decref(empty);
    assert_null(install_profile(old, "ambient"));
    const char *names[16];
    assert_int_equal(install_profile_names(old, names, 16), 5);
}

static json_t *find_obj(json_t *manifest, const char *kind, const char *name)
{
    size_t i;
    json_t *pair;
    json_array_foreach(manifest, i, pair) {
        json_t *o = json_array_get(pair, 1);
        if (!strcmp(obj_kind(o), kind) && !strcmp(obj_name(o), name)) return o;
    }
    return NULL;
}

static void test_manifest_egress_gateway_ports_follow_the_release(void **state)
{
    (void)state;
    const istio_release *cur = release_lookup("1.24");
    json_t *spec = install_profile(cur, "demo");
    json_t *m = install_manifest(cur, spec);
    json_t *svc = find_obj(m, "Service", "istio-egressgateway");
    assert_non_null(svc);
    json_t *p0 = json_array_get(obj_at(svc, "spec.ports"), 0), *p1 = json_array_get(obj_at(svc, "spec.ports"), 1);
    assert_string_equal(obj_str(p0, "name"), "http2");
    assert_int_equal(obj_int_or(p0, "targetPort", 0), 8080);
    assert_string_equal(obj_str(p1, "name"), "https");
    assert_int_equal(obj_int_or(p1, "targetPort", 0), 8443);
    json_t *d = find_obj(m, "Deployment", "istio-egressgateway");
    assert_string_equal(obj_str(d, "spec.template.spec.serviceAccountName"), "istio-egressgateway-service-account");
    assert_string_equal(obj_str(json_array_get(obj_at(d, "spec.template.spec.containers"), 0), "image"),
                        "docker.io/istio/proxyv2:1.24.3");
    assert_non_null(find_obj(m, "ConfigMap", "istio"));
    assert_non_null(find_obj(m, "Service", "istiod"));
    json_decref(m);
    json_decref(spec);
}

static void test_inject_appends_proxy_and_init(void **state)
{
    (void)state;
    const istio_release *rel = release_lookup("1.24");
    json_t *pod = json_loads("{\"metadata\":{\"labels\":{\"app\":\"sleep\",\"version\":\"v1\"}},"
                             "\"spec\":{\"containers\":[{\"name\":\"sleep\",\"image\":\"curlimages/curl\"}]}}", 0, NULL);
    assert_int_equal(cluster_inject(rel, pod, "default", "sleep"), 0);
    json_t *cs = obj_at(pod, "spec.containers");
    assert_int_equal(json_array_size(cs), 2);
    assert_string_equal(obj_str(json_array_get(cs, 1), "name"), "istio-proxy");
    assert_string_equal(obj_str(json_array_get(cs, 1), "image"), rel->proxy_image);
    assert_string_equal(obj_str(json_array_get(obj_at(pod, "spec.initContainers"), 0), "name"), "istio-init");
    assert_string_equal(obj_label(pod, "security.istio.io/tlsMode"), "istio");
    assert_string_equal(obj_label(pod, "service.istio.io/canonical-name"), "sleep");
    assert_string_equal(obj_label(pod, "service.istio.io/canonical-revision"), "v1");
    assert_string_equal(obj_annotation(pod, "kubectl.kubernetes.io/default-container"), "sleep");
    /* a second pass leaves it alone */
    assert_int_equal(cluster_inject(rel, pod, "default", "sleep"), 1);
    assert_int_equal(json_array_size(obj_at(pod, "spec.containers")), 2);
    json_decref(pod);
}

/* Injections sharing one parts are the injections made alone, byte for
 * byte, for both injector generations; the shared values are the same
 * objects in both pods. */
static void test_inject_shared_is_inject(void **state)
{
    (void)state;
    const char *rels[] = {"1.4", "1.24"};
    for (int r = 0; r < 2; r++) {
        const istio_release *rel = release_lookup(rels[r]);
        assert_non_null(rel);
        const char *text = "{\"metadata\":{\"name\":\"web-abc-xxxxx\",\"labels\":{\"app\":\"web\"}},"
                           "\"spec\":{\"serviceAccountName\":\"web\",\"containers\":[{\"name\":\"web\",\"image\":\"nginx\","
                           "\"ports\":[{\"containerPort\":80}]}]}}";
        json_t *alone = json_loads(text, 0, NULL), *a = json_loads(text, 0, NULL), *b = json_loads(text, 0, NULL);
        json_t *values = json_pack("{s:s}", "excludeIPRanges", "10.0.0.0/8");
        assert_int_equal(cluster_inject_with(rel, alone, "default", "web", values), 0);
        json_t *parts = cluster_inject_parts(rel);
        assert_int_equal(cluster_inject_shared(rel, a, "default", "web", values, parts), 0);
        assert_int_equal(cluster_inject_shared(rel, b, "default", "other", values, parts), 0);
        char *want = json_dumps(alone, JSON_COMPACT | JSON_PRESERVE_ORDER), *got = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_string_equal(got, want);
        free(want);
        free(got);
        /* istio-init's arguments worked out once for the install's values:
         * the same, and a pod with capture annotations still gets its own */
        json_t *parts_for = cluster_inject_parts(rel);
        cluster_inject_parts_for(parts_for, rel, values);
        json_t *c = json_loads(text, 0, NULL);
        assert_int_equal(cluster_inject_shared(rel, c, "default", "web", values, parts_for), 0);
        want = json_dumps(alone, JSON_COMPACT | JSON_PRESERVE_ORDER);
        got = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_string_equal(got, want);
        free(want);
        free(got);
        json_t *own = json_loads(text, 0, NULL), *own_alone = json_loads(text, 0, NULL);
        json_object_set_new(obj_annotations_mut(own), "traffic.sidecar.istio.io/excludeOutboundPorts", json_string("9000"));
        json_object_set_new(obj_annotations_mut(own_alone), "traffic.sidecar.istio.io/excludeOutboundPorts", json_string("9000"));
        assert_int_equal(cluster_inject_shared(rel, own, "default", "web", values, parts_for), 0);
        assert_int_equal(cluster_inject_with(rel, own_alone, "default", "web", values), 0);
        want = json_dumps(own_alone, JSON_COMPACT | JSON_PRESERVE_ORDER);
        got = json_dumps(own, JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_string_equal(got, want);
        assert_non_null(strstr(got, "\"-o\",\"9000\""));
        free(want);
        free(got);
        json_decref(own);
        json_decref(own_alone);
        json_decref(c);
        json_decref(parts_for);
        json_t *pa = json_array_get(obj_at(a, "spec.containers"), 1), *pb = json_array_get(obj_at(b, "spec.containers"), 1);
        assert_ptr_equal(json_object_get(pa, "volumeMounts"), json_object_get(pb, "volumeMounts"));
        assert_ptr_equal(json_array_get(json_object_get(pa, "env"), 0), json_array_get(json_object_get(pb, "env"), 0));
        assert_ptr_not_equal(json_object_get(pa, "env"), json_object_get(pb, "env"));
        assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(pb, "env"),
                            json_array_size(json_object_get(pb, "env")) - 1), "value")), "other");
        json_decref(parts);
        json_decref(values);
        json_decref(alone);
        json_decref(a);
        json_decref(b);
    }
}

static void test_mesh_config_yaml(void **state)
{
    (void)state;
    json_t *spec = json_pack("{s:{s:s,s:{s:s}}}", "meshConfig", "accessLogFile", "/dev/stdout",
                             "outboundTrafficPolicy", "mode", "REGISTRY_ONLY");
    char *y = install_mesh_config_yaml(spec);
    assert_non_null(strstr(y, "accessLogFile: /dev/stdout\n"));
    assert_non_null(strstr(y, "outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n"));
    assert_non_null(strstr(y, "rootNamespace: istio-system\n"));
    free(y);
    json_decref(spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template_hash_is_kubernetes_fnv_in_safe_alphabet),
        cmocka_unit_test(test_template_hash_is_stable_and_key_order_free),
        cmocka_unit_test(test_random_suffix_has_five_safe_characters_and_varies),
        cmocka_unit_test(test_forked_child_draws_other_names),
        cmocka_unit_test(test_set_paths_with_list_indexes_and_types),
        cmocka_unit_test(test_set_rejects_unknown_fields_and_values),
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_manifest_egress_gateway_ports_follow_the_release),
        cmocka_unit_test(test_inject_appends_proxy_and_init),
        cmocka_unit_test(test_inject_shared_is_inject),
        cmocka_unit_test(test_mesh_config_yaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
