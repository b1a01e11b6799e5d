/* The controllers over a real store in a temporary directory: a Deployment
 * becomes a ReplicaSet and pods, Endpoints follow, garbage is collected,
 * injection happens at pod creation only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "cluster/cluster.h"
#include "cluster/install.h"
#include "model/api.h"
#include "model/obj.h"

#include "cluster_fixture.h"

static void create(store *st, const char *kind, const char *json)
{
    json_t *o = json_loads(json, 0, NULL);
    assert_non_null(o);
    const kind_info *k = kind_lookup(kind);
    api_error e;
    assert_int_equal(cluster_admit(st, release_default(), k, o, NULL), 0);
    assert_int_equal(api_create(st, k, o, &e), API_OK);
    json_decref(o);
}

static size_t count(store *st, const char *resource, const char *ns)
{
    json_t *l = store_list(st, resource, ns);
    size_t n = json_array_size(l);
    json_decref(l);
    return n;
}

static const char deployment[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},"
    "\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":"
    "{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\",\"ports\":[{\"name\":\"http\","
    "\"containerPort\":8080}]}]}}}}";
static const char service[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},"
    "\"spec\":{\"selector\":{\"app\":\"web\"},\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":\"http\"}]}}";

static void test_deployment_to_pods_and_endpoints(void **state)
{
    fixture *f = *state;
    create(f->st, "Deployment", deployment);
    create(f->st, "Service", service);
    assert_int_equal(cluster_reconcile(f->st, release_default()), 0);
    assert_int_equal(count(f->st, "replicasets.apps", "default"), 1);
    json_t *pods = store_list(f->st, "pods", "default");
    assert_int_equal(json_array_size(pods), 2);
    json_t *p = json_array_get(pods, 0);
    assert_string_equal(obj_str(p, "status.phase"), "Running");
    assert_non_null(obj_str(p, "status.podIP"));
    json_t *ep = store_get(f->st, "endpoints", "default", "web");
    assert_non_null(ep);
    json_t *subset = json_array_get(obj_at(ep, "subsets"), 0);
    assert_int_equal(json_array_size(json_object_get(subset, "addresses")), 2);
    assert_int_equal(obj_int_or(json_array_get(json_object_get(subset, "ports"), 0), "port", 0), 8080);
    json_t *d = store_get(f->st, "deployments.apps", "default", "web");
    assert_int_equal(obj_int_or(d, "status.readyReplicas", 0), 2);
    json_decref(d);
    json_decref(ep);
    json_decref(pods);
    /* a settled store stays settled: a second pass writes nothing */
    long long before = store_counter_next(f->st, "resourceVersion");
    assert_int_equal(cluster_reconcile(f->st, release_default()), 0);
    assert_int_equal(store_counter_next(f->st, "resourceVersion"), before + 1);
}

static void test_deleting_the_deployment_collects_its_garbage(void **state)
{
    fixture *f = *state;
    create(f->st, "Deployment", deployment);
    cluster_reconcile(f->st, release_default());
    api_error e;
    assert_int_equal(api_delete(f->st, kind_lookup("deployments.apps"), "default", "web", &e), API_OK);
    assert_int_equal(cluster_reconcile(f->st, release_default()), 0);
    assert_int_equal(count(f->st, "replicasets.apps", "default"), 0);
    assert_int_equal(count(f->st, "pods", "default"), 0);
    /* pods nobody owns are left alone (the bootstrap's kube-system pods) */
    assert_true(count(f->st, "pods", "kube-system") > 0);
}

static void test_default_service_account_everywhere(void **state)
{
    fixture *f = *state;
    create(f->st, "Namespace", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"n1\"}}");
    cluster_reconcile(f->st, release_default());
    json_t *sa = store_get(f->st, "serviceaccounts", "n1", "default");
    assert_non_null(sa);
    json_decref(sa);
}

static void test_injection_needs_istio_and_the_label(void **state)
{
    fixture *f = *state;
    json_t *pod = json_pack("{s:{s:s},s:{s:[{s:s,s:s}]}}", "metadata", "name", "p", "spec", "containers",
                            "name", "c", "image", "curlimages/curl");
    assert_false(cluster_wants_injection(f->st, pod, "default"));
    json_t *spec = install_profile(release_default(), "minimal");
    char err[256] = "";
    assert_int_equal(install_apply(f->st, release_default(), spec, err, sizeof err), 0);
    json_decref(spec);
    assert_true(cluster_istio_installed(f->st));
    assert_false(cluster_wants_injection(f->st, pod, "default"));
    json_t *ns = store_get(f->st, "namespaces", "", "default");
    json_object_set_new(obj_labels_mut(ns), "istio-injection", json_string("enabled"));
    api_error e;
    assert_int_equal(api_update(f->st, kind_lookup("namespaces"), ns, &e), API_OK);
    json_decref(ns);
    assert_true(cluster_wants_injection(f->st, pod, "default"));
    assert_false(cluster_wants_injection(f->st, pod, "istio-system"));
    json_object_set_new(obj_annotations_mut(pod), "sidecar.istio.io/inject", json_string("false"));
    assert_false(cluster_wants_injection(f->st, pod, "default"));
    json_decref(pod);
}

static void test_pod_files(void **state)
{
    fixture *f = *state;
    create(f->st, "Pod", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"default\"},"
                         "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}");
    json_t *pod = store_get(f->st, "pods", "default", "p");
    char *c = NULL;
    assert_int_equal(cluster_pod_file(f->st, pod, NULL, "/etc/hostname", &c), 0);
    assert_string_equal(c, "p\n");
    free(c);
    assert_int_equal(cluster_pod_file(f->st, pod, NULL, "/etc/resolv.conf", &c), 0);
    assert_non_null(strstr(c, "nameserver 10.96.0.10\n"));
    free(c);
    assert_int_equal(cluster_pod_file(f->st, pod, NULL, "/nope", &c), 1);
    json_decref(pod);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_deployment_to_pods_and_endpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleting_the_deployment_collects_its_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_service_account_everywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_injection_needs_istio_and_the_label, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pod_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
