/* The controllers' view of the store (cluster/cache.c) and what rests on
 * it: lists ordered as the store orders them, writes kept in step, pods of
 * one ReplicaSet admitted once, a settled store left unwritten, and the
 * release rule of the istio-ca-root-cert ConfigMaps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"

#include "cluster_fixture.h"

static json_t *configmap(const char *ns, const char *name)
{
    return json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata", "name", name,
                     "namespace", ns, "data", "k", "v");
}

/* "ns/name ns/name ..." of a list */
static char *names(json_t *list)
{
    static char buf[1024];
    buf[0] = 0;
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o) {
        strcat(buf, obj_namespace(o));
        strcat(buf, "/");
        strcat(buf, obj_name(o));
        strcat(buf, " ");
    }
    return buf;
}

static void test_view_orders_and_follows_writes(void **state)
{
    fixture *f = *state;
    const kind_info *cmk = kind_lookup("configmaps");
    api_error e;
    json_t *o = configmap("default", "m");
    assert_int_equal(api_create(f->st, cmk, o, &e), API_OK);   /* before the view: listed from the store */
    json_decref(o);
    cluster_cache *c = ccache_new(f->st, release_default());
    assert_false(ccache_has_view(c, cmk));
    json_t *l = ccache_list(c, cmk);
    assert_string_equal(names(l), "default/m ");
    json_decref(l);
    assert_true(ccache_has_view(c, cmk));
    /* created out of order: listed as store_list orders them (namespace, then name) */
    const char *made[][2] = {{"default", "z"}, {"a-ns", "q"}, {"default", "b"}};
    for (int i = 0; i < 3; i++) {
        o = configmap(made[i][0], made[i][1]);
        assert_int_equal(ccache_create(c, cmk, o), 0);
        json_decref(o);
    }
    l = ccache_list(c, cmk);
    /* objects created in a view are stored when the reconcile ends (a
     * ReplicaSet created and then given its status is written once) */
    assert_false(store_exists(f->st, "configmaps", "default", "z"));
    assert_int_equal(ccache_flush(c), 0);
    json_t *from_store = store_list(f->st, "configmaps", NULL);
    char want[1024];
    snprintf(want, sizeof want, "%s", names(from_store));
    assert_string_equal(names(l), want);
    assert_string_equal(want, "a-ns/q default/b default/m default/z ");
    json_decref(from_store);
    /* an update is what ccache_get returns next, stamped by the API */
    json_t *stored = ccache_get(c, cmk, "default", "b");
    assert_non_null(stored);
    json_t *copy = json_deep_copy(stored);
    json_object_set_new(json_object_get(copy, "data"), "k", json_string("w"));
    assert_int_equal(ccache_write_if_changed(c, cmk, copy, stored), 1);
    json_decref(copy);
    assert_string_equal(obj_str(ccache_get(c, cmk, "default", "b"), "data.k"), "w");
    assert_int_equal(ccache_flush(c), 0);
    json_t *in_store = store_get(f->st, "configmaps", "default", "b");
    assert_true(json_equal(in_store, ccache_get(c, cmk, "default", "b")));
    json_decref(in_store);
    /* the same object again is no write */
    stored = ccache_get(c, cmk, "default", "b");
    assert_int_equal(ccache_write_if_changed(c, cmk, stored, stored), 0);
    /* a list taken before a delete stays valid; the next one lacks it */
    assert_int_equal(ccache_delete(c, cmk, "default", "m"), 0);
    assert_null(ccache_get(c, cmk, "default", "m"));
    assert_false(store_exists(f->st, "configmaps", "default", "m"));
    assert_string_equal(names(l), "a-ns/q default/b default/m default/z ");
    json_decref(l);
    l = ccache_list(c, cmk);
    assert_string_equal(names(l), "a-ns/q default/b default/z ");
    json_decref(l);
    /* the memo lives as long as the view */
    json_object_set_new(ccache_memo(c), "x", json_true());
    assert_true(json_is_true(json_object_get(ccache_memo(c), "x")));
    ccache_free(c);
}

static const char deployment[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},"
    "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":"
    "{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"}]}}}}";

static void test_settled_reconcile_writes_nothing_and_pods_share_one_admission(void **state)
{
    fixture *f = *state;
    const kind_info *dk = kind_lookup("deployments.apps");
    json_t *o = json_loads(deployment, 0, NULL);
    api_error e;
    assert_int_equal(cluster_admit(f->st, release_default(), dk, o, NULL), 0);
    assert_int_equal(api_create(f->st, dk, o, &e), API_OK);
    json_decref(o);
    long long before = store_counter_next(f->st, "resourceVersion");
    assert_int_equal(cluster_reconcile(f->st, release_default()), 0);
    long long after = store_counter_next(f->st, "resourceVersion");
    /* 1 ReplicaSet + its status, 3 pods, the Deployment's status once: 6 writes */
    assert_int_equal(after - before - 1, 6);
    assert_int_equal(cluster_reconcile(f->st, release_default()), 0);
    assert_int_equal(store_counter_next(f->st, "resourceVersion"), after + 1);
    json_t *d = store_get(f->st, "deployments.apps", "default", "web");
    assert_int_equal(obj_int_or(d, "status.readyReplicas", 0), 3);
    assert_int_equal(obj_int_or(d, "status.updatedReplicas", 0), 3);
    assert_string_equal(obj_annotation(d, "deployment.kubernetes.io/revision"), "1");
    json_decref(d);
    /* three pods, one spec, each its own name, uid and IP */
    json_t *pods = store_list(f->st, "pods", "default");
    assert_int_equal(json_array_size(pods), 3);
    json_t *p0 = json_array_get(pods, 0);
    for (size_t i = 1; i < 3; i++) {
        json_t *p = json_array_get(pods, i);
        assert_true(json_equal(json_object_get(p0, "spec"), json_object_get(p, "spec")));
        assert_string_not_equal(obj_name(p0), obj_name(p));
        assert_string_not_equal(obj_str(p0, "metadata.uid"), obj_str(p, "metadata.uid"));
        assert_string_not_equal(obj_str(p0, "status.podIP"), obj_str(p, "status.podIP"));
    }
    assert_string_equal(obj_str(p0, "spec.nodeName"), CLUSTER_NODE_NAME);
    assert_string_equal(obj_str(p0, "spec.serviceAccountName"), "default");
    /* named <replicaset>-<5 characters> */
    const char *gen = obj_str(p0, "metadata.generateName");
    assert_int_equal(strncmp(gen, "web-", 4), 0);
    assert_int_equal(strlen(obj_name(p0)), strlen(gen) + 5);
    assert_int_equal(strncmp(obj_name(p0), gen, strlen(gen)), 0);
    json_decref(pods);
}

static void test_dumps_sharing_is_json_dumps(void **state)
{
    (void)state;
    const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
    json_t *spec = json_loads("{\"containers\":[{\"name\":\"a\\\"b\",\"ports\":[1,2.5,null,true,0,-7,"
                              "9223372036854775807,-9223372036854775808]}],\"z\":{}}", 0, NULL);
    assert_non_null(spec);
    json_t *pod = json_pack("{s:s,s:s,s:{s:s,s:s},s:O,s:{s:s}}", "apiVersion", "v1", "kind", "Pod", "metadata", "name",
                            "p\u00e9", "namespace", "d", "spec", spec, "status", "phase", "Running");
    json_t *md = json_object_get(pod, "metadata");
    json_object_set_new(md, "labels", json_pack("{s:s,s:s}", "app", "x", "z", "\t"));
    /* escapes at either end and in the middle, DEL and UTF-8 as they are */
    json_object_set_new(md, "annotations", json_pack("{s:s,s:s,s:s,s:s}", "q\"k", "\"{\\\"a\\\":1}\"", "b", "\\",
                                                     "del", "\x7f", "u", "\u00e9\u2028"));
    json_t *shared[2] = {spec, json_object_get(md, "labels")};
    char *texts[2] = {json_dumps(spec, flags), json_dumps(shared[1], flags)};
    char *want = json_dumps(pod, flags);
    char *got = cluster_dumps_sharing(pod, shared, (const char *const *)texts, 2);
    assert_string_equal(got, want);
    free(got);
    /* the shared text is used by identity: another equal object is dumped as is */
    json_t *other[1] = {json_deep_copy(spec)};
    const char *x[1] = {"X"};
    got = cluster_dumps_sharing(pod, other, x, 1);
    assert_string_equal(got, want);
    free(got);
    /* and it is what is written, identity being the caller's promise */
    got = cluster_dumps_sharing(pod, shared, x, 1);
    assert_non_null(strstr(got, "\"spec\":X,"));
    free(got);
    json_decref(other[0]);
    free(texts[0]);
    free(texts[1]);
    free(want);
    json_decref(pod);
    json_decref(spec);
}

static void test_reserved_pod_ips_follow_the_counter(void **state)
{
    fixture *f = *state;
    const kind_info *dk = kind_lookup("deployments.apps"), *pk = kind_lookup("pods");
    api_error e;
    json_t *o = json_loads(deployment, 0, NULL);
    assert_int_equal(cluster_admit(f->st, release_default(), dk, o, NULL), 0);
    assert_int_equal(api_create(f->st, dk, o, &e), API_OK);
    json_decref(o);
    assert_int_equal(cluster_reconcile(f->st, release_default()), 0);
    json_t *pods = store_list(f->st, "pods", "default");
    char seen[3][32];
    for (size_t i = 0; i < 3; i++) snprintf(seen[i], sizeof seen[i], "%s", obj_str(json_array_get(pods, i), "status.podIP"));
    json_decref(pods);
    /* a pod made afterwards gets the address after the three */
    o = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:[{s:s,s:s}]}}", "apiVersion", "v1", "kind", "Pod", "metadata", "name", "solo",
                  "namespace", "default", "spec", "containers", "name", "c", "image", "x");
    assert_int_equal(cluster_admit(f->st, release_default(), pk, o, NULL), 0);
    const char *solo = obj_str(o, "status.podIP");
    unsigned a, b, c, d, max = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sscanf(seen[i], "%u.%u.%u.%u", &a, &b, &c, &d), 4);
        for (int j = 0; j < i; j++) assert_string_not_equal(seen[i], seen[j]);
        if (d > max) max = d;
    }
    assert_int_equal(sscanf(solo, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
    assert_int_equal(d, max + 1);
    json_decref(o);
}

/* More pods than one sync creates (its burst of 500): the ReplicaSet
 * controller runs again next round although nobody else wrote anything. */
static void test_burst_beyond_one_round(void **state)
{
    fixture *f = *state;
    const kind_info *dk = kind_lookup("deployments.apps");
    json_t *o = json_loads(deployment, 0, NULL);
    json_object_set_new(json_object_get(o, "spec"), "replicas", json_integer(503));
    api_error e;
    assert_int_equal(cluster_admit(f->st, release_default(), dk, o, NULL), 0);
    assert_int_equal(api_create(f->st, dk, o, &e), API_OK);
    json_decref(o);
    assert_int_equal(cluster_reconcile(f->st, release_default()), 0);
    json_t *pods = store_list(f->st, "pods", "default");
    assert_int_equal(json_array_size(pods), 503);
    json_decref(pods);
    json_t *d = store_get(f->st, "deployments.apps", "default", "web");
    assert_int_equal(obj_int_or(d, "status.readyReplicas", 0), 503);
    json_decref(d);
}

/* Views left to the system when the process ends: the reconciles do what
 * they do, one after the other (and leak checkers see nothing lost). */
static void test_views_left_to_the_system(void **state)
{
    fixture *f = *state;
    const kind_info *dk = kind_lookup("deployments.apps");
    cluster_reconcile_leave_views(true);
    for (int i = 0; i < 2; i++) {
        json_t *o = json_loads(deployment, 0, NULL);
        if (i) json_object_set_new(obj_metadata(o), "name", json_string("web2"));
        api_error e;
        assert_int_equal(cluster_admit(f->st, release_default(), dk, o, NULL), 0);
        assert_int_equal(api_create(f->st, dk, o, &e), API_OK);
        json_decref(o);
        assert_int_equal(cluster_reconcile(f->st, release_default()), 0);
        cluster_reconcile_done();
        json_t *pods = store_list(f->st, "pods", "default");
        assert_int_equal(json_array_size(pods), 3 * (i + 1));
        json_decref(pods);
    }
    cluster_reconcile_leave_views(false);
    json_t *d = store_get(f->st, "deployments.apps", "default", "web2");
    assert_int_equal(obj_int_or(d, "status.readyReplicas", 0), 3);
    json_decref(d);
}

static void test_release_rule_for_ca_root_configmaps(void **state)
{
    (void)state;
    assert_false(cluster_release_has_ca_root_configmap(release_lookup("1.4.6")));
    assert_true(cluster_release_has_ca_root_configmap(release_lookup("1.24.3")));
    istio_release r = *release_default();
    r.minor = "1.5";
    assert_true(cluster_release_has_ca_root_configmap(&r));
    r.minor = "2.0";
    assert_true(cluster_release_has_ca_root_configmap(&r));
    r.minor = "garbage";
    assert_false(cluster_release_has_ca_root_configmap(&r));
    assert_false(cluster_release_has_ca_root_configmap(NULL));
}

/* Every containerID (random) as "X", recursively. */
static void blank_container_ids(json_t *v)
{
    const char *key;
    json_t *m;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, key, m) {
            if (!strcmp(key, "containerID")) json_object_set_new(v, key, json_string("X"));
            else blank_container_ids(m);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m) blank_container_ids(m);
    }
}

/* The statuses a ReplicaSet's pods get from one kit are the statuses
 * cluster_pod_status_ip gives a pod, but for the random container IDs. */
static void test_status_kit_is_pod_status(void **state)
{
    fixture *f = *state;
    json_t *spec = json_loads("{\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"},{\"name\":\"istio-proxy\","
                              "\"image\":\"docker.io/istio/proxyv2:1.4.6\"}],\"initContainers\":[{\"name\":\"istio-init\","
                              "\"image\":\"docker.io/istio/proxyv2:1.4.6\"}]}", 0, NULL);
    assert_non_null(spec);
    cluster_status_kit *k = cluster_status_kit_new(spec);
    assert_non_null(k);
    for (int attempt = 0; attempt < 3; attempt++) {   /* both within one second */
        json_t *a = json_pack("{s:O}", "spec", spec), *b = json_pack("{s:O}", "spec", spec),
               *b2 = json_pack("{s:O}", "spec", spec);
        cluster_pod_status_ip(f->st, a, "10.244.0.7");
        cluster_pod_status_kit(k, b, "10.244.0.7");
        cluster_pod_status_kit(k, b2, "10.244.0.8");
        assert_string_equal(obj_str(b2, "status.podIP"), "10.244.0.8");
        assert_string_not_equal(obj_str(json_array_get(obj_at(b, "status.containerStatuses"), 0), "containerID"),
                                obj_str(json_array_get(obj_at(b2, "status.containerStatuses"), 0), "containerID"));
        assert_string_equal(obj_str(json_array_get(obj_at(b, "status.initContainerStatuses"), 0), "containerID"),
                            obj_str(json_array_get(obj_at(b, "status.initContainerStatuses"), 0), "state.terminated.containerID"));
        bool same_second = !strcmp(obj_str(a, "status.startTime"), obj_str(b, "status.startTime"));
        json_t *sa = json_deep_copy(json_object_get(a, "status")), *sb = json_deep_copy(json_object_get(b, "status"));
        blank_container_ids(sa);
        blank_container_ids(sb);
        char *ta = json_dumps(sa, JSON_COMPACT | JSON_PRESERVE_ORDER), *tb = json_dumps(sb, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (same_second) assert_string_equal(tb, ta);
        /* and its text, with the kit's shared parts, is json_dumps' */
        char *whole = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER), *shared = cluster_dumps_sharing(b, NULL, NULL, 0);
        assert_string_equal(shared, whole);
        free(whole);
        free(shared);
        free(ta);
        free(tb);
        json_decref(sa);
        json_decref(sb);
        json_decref(a);
        json_decref(b);
        json_decref(b2);
        if (same_second) break;
    }
    cluster_status_kit_free(k);
    json_decref(spec);
}

/* Objects a command stored (cluster_written_add) are the view's own, not
 * parsed again; one whose row was written again since is parsed. */
static void test_written_objects_are_taken_as_stored(void **state)
{
    fixture *f = *state;
    const kind_info *cmk = kind_lookup("configmaps");
    api_error e;
    json_t *written = json_object();
    json_t *kept = configmap("default", "kept"), *again = configmap("default", "again");
    assert_int_equal(api_create_applied(f->st, cmk, kept, NULL, &e), API_OK);
    assert_int_equal(api_create_applied(f->st, cmk, again, NULL, &e), API_OK);
    cluster_written_add(written, cmk, kept);
    cluster_written_add(written, cmk, again);
    /* written again by someone else: the noted object is stale */
    json_t *newer = json_deep_copy(again);
    json_object_set_new(json_object_get(newer, "data"), "k", json_string("newer"));
    assert_int_equal(api_update(f->st, cmk, newer, &e), API_OK);
    json_decref(newer);

    cluster_cache *c = ccache_new(f->st, release_default());
    ccache_written(c, written);
    json_decref(written);
    assert_ptr_equal(ccache_get(c, cmk, "default", "kept"), kept);
    json_t *parsed = ccache_get(c, cmk, "default", "again");
    assert_non_null(parsed);
    assert_ptr_not_equal(parsed, again);
    assert_string_equal(obj_str(parsed, "data.k"), "newer");
    /* what the view took is what the store holds */
    json_t *stored = store_get(f->st, "configmaps", "default", "kept");
    assert_true(json_equal(stored, kept));
    json_decref(stored);
    ccache_free(c);
    json_decref(kept);
    json_decref(again);
}

/* Objects a command left to the reconcile to store (ccache_held) are in the
 * view, count as written, and are stored when the reconcile ends, as the
 * controllers left them, in their listing's order. */
static void test_held_objects_are_stored_at_the_flush(void **state)
{
    fixture *f = *state;
    const kind_info *cmk = kind_lookup("configmaps");
    api_error e;
    json_t *stored_first = configmap("default", "b");
    assert_int_equal(api_create_applied(f->st, cmk, stored_first, NULL, &e), API_OK);
    json_decref(stored_first);
    json_t *held = json_object(), *a = configmap("default", "a"), *c2 = configmap("default", "c");
    api_stamp s;
    api_stamp_draw(f->st, &s);
    api_stamp_set(a, &s);
    api_stamp_draw(f->st, &s);
    api_stamp_set(c2, &s);
    cluster_written_add(held, cmk, a);
    cluster_written_add(held, cmk, c2);
    json_t *secret = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Secret", "metadata", "name", "s",
                               "namespace", "default");
    api_stamp_draw(f->st, &s);
    api_stamp_set(secret, &s);
    cluster_written_add(held, kind_lookup("secrets"), secret);

    cluster_cache *c = ccache_new(f->st, release_default());
    assert_false(ccache_resource_written(c, "secrets"));
    assert_int_equal(ccache_held(c, held), 0);
    json_decref(held);
    assert_true(ccache_resource_written(c, "secrets"));   /* (the store has none of them yet) */
    assert_false(store_exists(f->st, "secrets", "default", "s"));
    assert_false(ccache_resource_written(c, "virtualservices.networking.istio.io"));
    assert_ptr_equal(ccache_get(c, cmk, "default", "a"), a);
    json_t *names = ccache_list(c, cmk);
    const char *order[] = {"a", "b", "c"};
    size_t i, at = 0;
    json_t *o;
    json_array_foreach(names, i, o) {
        if (strcmp(obj_namespace(o), "default") || strlen(obj_name(o)) != 1) continue;
        assert_true(at < 3);
        assert_string_equal(obj_name(o), order[at++]);
    }
    assert_int_equal(at, 3);
    json_decref(names);
    /* not in the store until the flush; then as a controller changed it */
    assert_false(store_exists(f->st, "configmaps", "default", "a"));
    json_t *changed = ccache_writable(a, false);
    json_object_set_new(changed, "data", json_pack("{s:s}", "k", "changed"));
    assert_int_equal(ccache_update(c, cmk, changed), 0);
    json_decref(changed);
    assert_int_equal(ccache_flush(c), 0);
    json_t *got = store_get(f->st, "configmaps", "default", "a");
    assert_non_null(got);
    assert_string_equal(obj_str(got, "data.k"), "changed");
    assert_string_equal(obj_str(got, "metadata.uid"), obj_str(a, "metadata.uid"));
    json_decref(got);
    got = store_get(f->st, "configmaps", "default", "c");
    assert_non_null(got);
    assert_true(json_equal(got, c2));
    json_decref(got);
    assert_true(store_exists(f->st, "secrets", "default", "s"));
    ccache_free(c);
    json_decref(secret);
    json_decref(a);
    json_decref(c2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_view_orders_and_follows_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_written_objects_are_taken_as_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_held_objects_are_stored_at_the_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settled_reconcile_writes_nothing_and_pods_share_one_admission, setup, teardown),
        cmocka_unit_test(test_release_rule_for_ca_root_configmaps),
        cmocka_unit_test_setup_teardown(test_views_left_to_the_system, setup, teardown),
        cmocka_unit_test(test_dumps_sharing_is_json_dumps),
        cmocka_unit_test_setup_teardown(test_burst_beyond_one_round, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserved_pod_ips_follow_the_counter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_kit_is_pod_status, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
