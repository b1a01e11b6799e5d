/* The pods a ReplicaSet makes as texts (cluster/podtext.c) are stored as
 * the pods it makes as objects one by one: the same body, listing row,
 * labels and shared spec, but for what is drawn at random or read from the
 * clock (names' suffixes, uids, container ids, times), and the view's
 * objects of them are the stored ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"
#include "store/store_internal.h"

#include "cluster_fixture.h"

/* more Deployments than the controllers' threads need to start, and pods
 * enough to be written behind (ctl_replicasets.c) */
#define MANY 100

/* Deployments whose texts need every escape: quotes, backslashes, a
 * control character, non-ASCII text, a JSON annotation; one in a namespace
 * without injection, one on the host network (its pods made as objects);
 * two whose templates hold the forms' placeholder character themselves
 * (prepared alone, not from a memo entry). */
static const char *const manifests[] = {
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},"
    "\"spec\":{\"replicas\":4,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":"
    "{\"app\":\"web\",\"version\":\"v\\\"1\\\\\"},\"annotations\":{\"note\":\"caf\\u00e9 <b>&\\u2028 {\\\"a\\\":[1]}\","
    "\"traffic.sidecar.istio.io/excludeOutboundPorts\":\"9000\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80,\"name\":\"http\"}],"
    "\"env\":[{\"name\":\"MULTI\",\"value\":\"line\\none\\ttab\"}]},{\"name\":\"side\",\"image\":\"busybox\"}]}}}}",
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"plain\",\"namespace\":\"plain\"},"
    "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"plain\"}},\"template\":{\"metadata\":{\"labels\":"
    "{\"app\":\"plain\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}}}",
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"tok-1\",\"namespace\":\"default\"},"
    "\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"tok-1\"}},\"template\":{\"metadata\":{\"labels\":"
    "{\"app\":\"tok-1\"},\"annotations\":{\"odd\":\"a\\u007fDb\\u007fN\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}}}",
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"tok-2\",\"namespace\":\"default\"},"
    "\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"tok-2\"}},\"template\":{\"metadata\":{\"labels\":"
    "{\"app\":\"tok-2\"},\"annotations\":{\"odd\":\"a\\u007fDb\\u007fN\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}}}",
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"hostnet\",\"namespace\":\"default\"},"
    "\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"h\"}},\"template\":{\"metadata\":{\"labels\":"
    "{\"app\":\"h\"}},\"spec\":{\"hostNetwork\":true,\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}}}",
    NULL,
};

static void put_json(store *st, const char *resource, const char *text)
{
    json_t *o = json_loads(text, 0, NULL);
    assert_non_null(o);
    const kind_info *k = kind_lookup(resource);
    assert_int_equal(cluster_admit(st, release_default(), k, o, NULL), 0);
    api_error e;
    assert_int_equal(api_create(st, k, o, &e), API_OK);
    json_decref(o);
}

/* Istio installed (an istiod Deployment), default labelled for injection,
 * the Deployments above, reconciled with pods made as texts or not. */
static void build(store *st, bool texts)
{
    put_json(st, "namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"istio-system\"}}");
    put_json(st, "namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"plain\"}}");
    put_json(st, "deployments.apps", "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"istiod\","
                                     "\"namespace\":\"istio-system\"},\"spec\":{\"replicas\":0,\"selector\":{\"matchLabels\":"
                                     "{\"app\":\"istiod\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"istiod\"}},"
                                     "\"spec\":{\"containers\":[{\"name\":\"discovery\",\"image\":\"pilot\"}]}}}}");
    json_t *ns = store_get(st, "namespaces", "", "default");
    json_object_set_new(obj_labels_mut(ns), "istio-injection", json_string("enabled"));
    api_error e;
    assert_int_equal(api_update(st, kind_lookup("namespaces"), ns, &e), API_OK);
    json_decref(ns);
    for (int i = 0; manifests[i]; i++) put_json(st, "deployments.apps", manifests[i]);
    /* enough more for the controllers' second threads (templates, listings, texts) */
    /* mostly one template but for the Deployment's name (prepared once:
     * ctl_replicasets.c), with that name also where it is not replaced: a
     * container's name, a label istio reads, the version label */
    for (int i = 0; i < MANY; i++) {
        char m[1024], name[32], more[160] = "";
        snprintf(name, sizeof name, "app-%d", i);
        if (i % 7 == 0) snprintf(more, sizeof more, ",\"service.istio.io/canonical-name\":\"%s\"", name);
        else if (i % 4 == 0) snprintf(more, sizeof more, ",\"version\":\"%s\"", name);
        snprintf(m, sizeof m, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"%s\","
                 "\"namespace\":\"default\"},\"spec\":{\"replicas\":%d,\"selector\":{\"matchLabels\":{\"app\":\"%s\"}},"
                 "\"template\":{\"metadata\":{\"labels\":{\"app\":\"%s\"%s}},\"spec\":{\"containers\":[{\"name\":\"%s\","
                 "\"image\":\"nginx\",\"ports\":[{\"containerPort\":80}]}]}}}}", name, 2 + i % 3, name, name, more,
                 i % 5 == 0 ? name : "c");
        put_json(st, "deployments.apps", m);
    }
    cluster_pod_forms_enable(texts);
    assert_int_equal(cluster_reconcile(st, release_default()), 0);
    cluster_pod_forms_enable(true);
}

/* text with what replaced (text freed) */
static char *replace_all(char *text, const char *what, const char *with)
{
    if (!what) return text;
    char *out = text_replace_all(text, what, with);
    free(text);
    return out;
}

/* A pod's stored columns, with what is random or the clock's named
 * instead: "ns ip | row | labels | sid | body || shared || tail". */
static char *normalised(sqlite3_stmt *s)
{
    const char *ns = (const char *)sqlite3_column_text(s, 0), *row = (const char *)sqlite3_column_text(s, 1),
               *labels = (const char *)sqlite3_column_text(s, 2), *body = (const char *)sqlite3_column_text(s, 3),
               *shared = (const char *)sqlite3_column_text(s, 5), *tail = (const char *)sqlite3_column_text(s, 6);
    long long sid = sqlite3_column_int64(s, 4);
    char *whole = NULL;
    assert_true(asprintf(&whole, "%s%s%s", body, shared ? shared : "", tail ? tail : "") > 0);
    json_t *pod = json_loads(whole, 0, NULL);
    assert_non_null(pod);
    char *text = NULL;
    assert_true(asprintf(&text, "%s %s | %s | %s | %lld | %s || %s || %s", ns, obj_str_or(pod, "status.podIP", ""),
                         row ? row : "(null)", labels ? labels : "(null)", sid, body, shared ? shared : "(null)",
                         tail ? tail : "(null)") > 0);
    text = replace_all(text, obj_name(pod), "NAME");
    text = replace_all(text, obj_str(pod, "metadata.uid"), "UID");
    text = replace_all(text, obj_str(pod, "metadata.creationTimestamp"), "TIME");
    text = replace_all(text, obj_str(pod, "status.startTime"), "TIME");
    json_t *ref = json_array_get(obj_at(pod, "metadata.ownerReferences"), 0);
    text = replace_all(text, obj_str(ref, "uid"), "OWNER");
    const char *lists[] = {"status.containerStatuses", "status.initContainerStatuses"};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *c;
        json_array_foreach(obj_at(pod, lists[l]), i, c) {
            char id[64];
            snprintf(id, sizeof id, "CID%d.%zu", l, i);
            text = replace_all(text, obj_str(c, "containerID"), id);
        }
    }
    json_decref(pod);
    free(whole);
    return text;
}

/* Every pod of the store in dir, normalised, ordered by namespace and IP. */
static json_t *stored_pods(const char *dir)
{
    char path[128];
    snprintf(path, sizeof path, "%s/state.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT namespace, row, labels, body, sid, (SELECT text FROM shared WHERE id=sid),"
                                            " tail FROM objects WHERE resource='pods' ORDER BY namespace, name",
                                        -1, &s, NULL), SQLITE_OK);
    json_t *all = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) {
        char *t = normalised(s);
        json_array_append_new(all, json_string(t));
        free(t);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    /* names are random: order by namespace and IP (the text starts so) */
    size_t n = json_array_size(all);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(json_string_value(json_array_get(all, i)), json_string_value(json_array_get(all, j))) > 0) {
                json_t *a = json_incref(json_array_get(all, i));
                json_array_set(all, i, json_array_get(all, j));
                json_array_set_new(all, j, a);
            }
    return all;
}

static void test_texts_store_what_objects_store(void **state)
{
    fixture *f = *state, g;
    snprintf(g.dir, sizeof g.dir, "/tmp/meshsim-cluster-XXXXXX");
    assert_non_null(mkdtemp(g.dir));
    char err[256];
    bool created;
    g.st = store_open(g.dir, &created, err, sizeof err);
    assert_non_null(g.st);
    assert_int_equal(cluster_bootstrap(g.st), 0);
    build(f->st, true);
    build(g.st, false);
    assert_int_equal(store_commit(f->st), 0);
    assert_int_equal(store_commit(g.st), 0);
    json_t *a = stored_pods(f->dir), *b = stored_pods(g.dir);
    /* the bootstrap's pods, 4 injected with two containers, 3 plain, 2 on the host network */
    assert_int_equal(json_array_size(a), json_array_size(b));
    size_t ours = 0;
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *ta = json_string_value(json_array_get(a, i));
        assert_string_equal(ta, json_string_value(json_array_get(b, i)));
        if (!strncmp(ta, "plain ", 6) || strstr(ta, "\"pod-template-hash\"")) ours++;
    }
    assert_true(ours >= 9 + MANY);
    /* shared specs, and what needed escapes was there to escape */
    const char *web = NULL;
    for (size_t i = 0; i < json_array_size(a); i++)
        if (strstr(json_string_value(json_array_get(a, i)), "\"generateName\":\"web-")) web = json_string_value(json_array_get(a, i));
    assert_non_null(web);
    assert_null(strstr(web, " | 0 | "));
    assert_non_null(strstr(web, "v\\\"1\\\\"));
    assert_non_null(strstr(web, "line\\none"));
    assert_non_null(strstr(web, "caf\u00e9 <b>&\u2028"));
    json_decref(a);
    json_decref(b);
    store_close(g.st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g.dir);
    assert_int_equal(system(cmd), 0);
}

/* The view's objects of pods made as texts are the stored objects, made
 * when read; the endpoints controller finds them. */
static void test_view_makes_the_stored_pods(void **state)
{
    fixture *f = *state;
    build(f->st, true);
    put_json(f->st, "services", "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\",\"namespace\":"
                                "\"default\"},\"spec\":{\"selector\":{\"app\":\"web\"},\"ports\":[{\"port\":80,"
                                "\"targetPort\":\"http\"}]}}");
    cluster_cache *c = ccache_new(f->st, release_default());
    const kind_info *pk = kind_lookup("pods"), *dk = kind_lookup("deployments.apps");
    json_t *before = ccache_list(c, pk);
    json_decref(before);
    json_t *d = json_loads(manifests[1], 0, NULL);
    json_object_set_new(obj_metadata(d), "name", json_string("more"));
    json_object_set_new(obj_at(d, "spec.template.metadata.labels"), "app", json_string("more"));
    json_object_set_new(obj_at(d, "spec.selector.matchLabels"), "app", json_string("more"));
    assert_int_equal(cluster_admit(f->st, release_default(), dk, d, NULL), 0);
    api_error e;
    assert_int_equal(api_create(f->st, dk, d, &e), API_OK);
    json_decref(d);
    assert_true(controller_deployments(c) > 0);
    assert_int_equal(controller_replicasets(c), 3 + 1);   /* 3 pods and the ReplicaSet's status */
    json_t *mine = ccache_list_in(c, pk, "plain");
    assert_int_equal(json_array_size(mine), 6);
    size_t i;
    json_t *p;
    int made = 0;
    json_array_foreach(mine, i, p) {
        json_t *stored = store_get(f->st, "pods", "plain", obj_name(p));
        assert_non_null(stored);
        assert_true(json_equal(p, stored));
        assert_true(ccache_contains(c, pk, "plain", obj_name(p)));
        assert_ptr_equal(ccache_get(c, pk, "plain", obj_name(p)), p);
        if (!strncmp(obj_name(p), "more-", 5)) made++;
        json_decref(stored);
    }
    assert_int_equal(made, 3);
    json_decref(mine);
    assert_int_equal(ccache_flush(c), 0);
    ccache_free(c);
    /* and the Service's endpoints list web's four pods */
    assert_int_equal(cluster_reconcile(f->st, release_default()), 0);
    json_t *ep = store_get(f->st, "endpoints", "default", "web");
    assert_non_null(ep);
    assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(ep, "subsets"), 0), "addresses")), 4);
    assert_int_equal(obj_int_or(json_array_get(obj_at(json_array_get(json_object_get(ep, "subsets"), 0), "ports"), 0), "port", 0), 80);
    json_decref(ep);
}

/* A store that fills up while the controllers write many ReplicaSets' pods:
 * the reconcile fails (and its second thread stops) rather than hangs. */
static void test_full_store_fails_the_reconcile(void **state)
{
    fixture *f = *state;
    put_json(f->st, "namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"istio-system\"}}");
    for (int i = 0; i < MANY; i++) {
        char m[512];
        snprintf(m, sizeof m, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"app-%d\","
                 "\"namespace\":\"default\"},\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"a%d\"}},"
                 "\"template\":{\"metadata\":{\"labels\":{\"app\":\"a%d\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
                 "\"image\":\"nginx\"}]}}}}", i, i, i);
        put_json(f->st, "deployments.apps", m);
    }
    sqlite3 *db = store_sqlite(f->st);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    long long pages = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA max_page_count=%lld", pages + 4);
    assert_int_equal(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(cluster_reconcile(f->st, release_default()), -1);
    cluster_reconcile_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_texts_store_what_objects_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_makes_the_stored_pods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_store_fails_the_reconcile, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
