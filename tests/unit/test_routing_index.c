/* Routing by index: the lookup keys of ServiceEntries and VirtualServices
 * (model/routing_keys), the store's key table that follows every write
 * (store/index), and the lazy mesh a probe routes with, which must decide
 * exactly as the mesh built from every object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "mesh_fixture.h"
#include "model/kinds.h"
#include "model/release.h"
#include "model/routing_keys.h"
#include "store/index.h"
#include "store/store.h"

/* ---- keys ---- */

typedef struct keys {
    char k[32][128];
    int n;
} keys;

static void collect_key(void *ctx, const char *key)
{
    keys *ks = ctx;
    if (ks->n < 32) snprintf(ks->k[ks->n++], sizeof ks->k[0], "%s", key);
}

static bool has_key(const keys *ks, const char *key)
{
    for (int i = 0; i < ks->n; i++)
        if (!strcmp(ks->k[i], key)) return true;
    return false;
}

static void test_service_entry_keys(void **state)
{
    (void)state;
    json_t *se = J("{'kind':'ServiceEntry','metadata':{'name':'db','namespace':'data'},"
                   "'spec':{'hosts':['DB.Example.com','*.wild.org'],'addresses':['10.1.2.3','10.9.9.9/32','10.0.0.0/16'],"
                   "'ports':[{'number':80,'name':'http'},{'number':443,'protocol':'TLS'},{'number':3306,'name':'mysql'},"
                   "{'number':9000,'name':'x'}],'resolution':'STATIC'}}");
    keys ks = {0};
    int n = routing_keys(ROUTING_SE_RESOURCE, "data", se, collect_key, &ks);
    assert_int_equal(n, ks.n);
    assert_true(has_key(&ks, "host:db.example.com"));   /* lower case, not namespace-expanded */
    assert_true(has_key(&ks, "wild"));
    assert_true(has_key(&ks, "addr:10.1.2.3"));
    assert_true(has_key(&ks, "addr:10.9.9.9"));          /* a /32 is one address */
    assert_false(has_key(&ks, "addr:10.0.0.0/16"));
    assert_true(has_key(&ks, "cidr:80") && has_key(&ks, "cidr:443") && has_key(&ks, "cidr:3306"));
    assert_true(has_key(&ks, "http:80"));                /* from the port name */
    assert_true(has_key(&ks, "http:9000"));              /* unknown protocol: sniffed */
    assert_false(has_key(&ks, "http:3306"));
    assert_true(has_key(&ks, "tls:443"));
    assert_false(has_key(&ks, "tcpnone:3306"));          /* it has addresses */
    json_decref(se);

    json_t *none = J("{'kind':'ServiceEntry','metadata':{'name':'tcp','namespace':'data'},"
                     "'spec':{'hosts':['tcp.example.com'],'ports':[{'number':3306,'protocol':'TCP'}]}}");
    ks.n = 0;
    routing_keys(ROUTING_SE_RESOURCE, "data", none, collect_key, &ks);
    assert_true(has_key(&ks, "tcpnone:3306"));           /* resolution NONE, no address: the whole port */
    /* other kinds have no keys: they are loaded whole */
    ks.n = 0;
    assert_int_equal(routing_keys("services", "data", none, collect_key, &ks), 0);
    json_decref(none);
    assert_false(routing_keyed_resource("destinationrules.networking.istio.io"));
}

static void test_virtual_service_keys(void **state)
{
    (void)state;
    json_t *vs = J("{'kind':'VirtualService','metadata':{'name':'r','namespace':'shop'},"
                   "'spec':{'hosts':['reviews','api.example.com','*.example.org'],'gateways':['mesh','my-gw','other/gw2'],"
                   "'http':[{'match':[{'gateways':['istio-system/egress']}],'route':[{'destination':{'host':'reviews'}}]}]}}");
    keys ks = {0};
    routing_keys(ROUTING_VS_RESOURCE, "shop", vs, collect_key, &ks);
    assert_true(has_key(&ks, "host:reviews.shop.svc.cluster.local"));
    assert_true(has_key(&ks, "host:api.example.com"));
    assert_true(has_key(&ks, "wild"));
    assert_true(has_key(&ks, "gw:shop/my-gw"));
    assert_true(has_key(&ks, "gw:other/gw2"));
    assert_true(has_key(&ks, "gw:istio-system/egress"));   /* bound in a match only */
    assert_false(has_key(&ks, "gw:mesh"));
    assert_int_equal(ks.n, 6);
    json_decref(vs);
}

/* ---- the store's table ---- */

typedef struct fixture {
    char dir[64];
    store *st;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/meshsim-test-index-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    bool created;
    char err[256];
    f->st = store_open(f->dir, &created, err, sizeof err);
    assert_non_null(f->st);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->st) {
        store_rollback(f->st);
        store_close(f->st);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void put(store *st, json_t *o)
{
    const kind_info *k = kind_lookup(json_string_value(json_object_get(o, "kind")));
    assert_non_null(k);
    json_t *md = json_object_get(o, "metadata");
    const char *ns = json_string_value(json_object_get(md, "namespace"));
    assert_int_equal(store_put(st, k->resource, k->namespaced ? (ns ? ns : "default") : "",
                               json_string_value(json_object_get(md, "name")), o), 0);
}

/* put a new reference (J(...)) and drop it */
static void put_new(store *st, json_t *o)
{
    put(st, o);
    json_decref(o);
}

static void put_all(store *st, json_t *objs)
{
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o) put(st, o);
}

/* names of the objects under key, "ns/name" joined by spaces */
static void names_under(store *st, const char *key, char *out, size_t len)
{
    json_t *arr = store_list_by_key(st, key, 0, -1);
    out[0] = 0;
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o) {
        json_t *md = json_object_get(o, "metadata");
        size_t l = strlen(out);
        snprintf(out + l, len - l, "%s%s/%s", l ? " " : "", json_string_value(json_object_get(md, "namespace")),
                 json_string_value(json_object_get(md, "name")));
    }
    json_decref(arr);
}

static void test_store_keeps_keys_with_objects(void **state)
{
    fixture *f = *state;
    char got[512];
    long long g0 = store_objects_generation(f->st);
    put_new(f->st, J("{'apiVersion':'networking.istio.io/v1alpha3','kind':'ServiceEntry','metadata':{'name':'b','namespace':'ns1'},"
                 "'spec':{'hosts':['x.example.com'],'ports':[{'number':80,'protocol':'HTTP'}]}}"));
    put_new(f->st, J("{'apiVersion':'networking.istio.io/v1alpha3','kind':'ServiceEntry','metadata':{'name':'a','namespace':'ns2'},"
                 "'spec':{'hosts':['x.example.com'],'ports':[{'number':80,'protocol':'HTTP'}]}}"));
    put_new(f->st, J("{'apiVersion':'networking.istio.io/v1alpha3','kind':'ServiceEntry','metadata':{'name':'a','namespace':'ns1'},"
                 "'spec':{'hosts':['x.example.com'],'ports':[{'number':80,'protocol':'HTTP'}]}}"));
    /* the store's order: namespace, then name */
    names_under(f->st, "host:x.example.com", got, sizeof got);
    assert_string_equal(got, "ns1/a ns1/b ns2/a");
    names_under(f->st, "http:80", got, sizeof got);
    assert_string_equal(got, "ns1/a ns1/b ns2/a");
    json_t *two = store_list_by_key(f->st, "http:80", 1, 1);
    assert_int_equal(json_array_size(two), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(two, 0), "metadata"), "name")), "b");
    json_decref(two);
    /* a replaced object keeps only its new keys */
    put_new(f->st, J("{'apiVersion':'networking.istio.io/v1alpha3','kind':'ServiceEntry','metadata':{'name':'b','namespace':'ns1'},"
                 "'spec':{'hosts':['y.example.com'],'ports':[{'number':443,'protocol':'TLS'}]}}"));
    names_under(f->st, "host:x.example.com", got, sizeof got);
    assert_string_equal(got, "ns1/a ns2/a");
    names_under(f->st, "host:y.example.com", got, sizeof got);
    assert_string_equal(got, "ns1/b");
    assert_true(store_key_exists(f->st, "tls:443"));
    assert_false(store_key_exists(f->st, "tls:8443"));
    /* a deleted one none */
    assert_int_equal(store_delete(f->st, ROUTING_SE_RESOURCE, "ns1", "b"), 0);
    assert_false(store_key_exists(f->st, "host:y.example.com"));
    assert_false(store_key_exists(f->st, "tls:443"));
    /* a writer that has only the object's text files it from the text */
    put_new(f->st, J("{'apiVersion':'networking.istio.io/v1alpha3','kind':'ServiceEntry','metadata':{'name':'t','namespace':'ns3'},"
                     "'spec':{'hosts':['old.example.com']}}"));
    store_extras text = {.body = "{\"kind\":\"ServiceEntry\",\"metadata\":{\"name\":\"t\",\"namespace\":\"ns3\"},"
                                 "\"spec\":{\"hosts\":[\"Text.example.com\"]}}"};
    assert_int_equal(store_put_ex(f->st, ROUTING_SE_RESOURCE, "ns3", "t", NULL, &text), 0);
    assert_true(store_key_exists(f->st, "host:text.example.com"));
    assert_false(store_key_exists(f->st, "host:old.example.com"));
    assert_int_equal(store_delete(f->st, ROUTING_SE_RESOURCE, "ns3", "t"), 0);
    assert_false(store_key_exists(f->st, "host:text.example.com"));
    /* the unkeyed listing leaves them out, keeps the rest in order */
    put_new(f->st, J("{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'ns1'}}"));
    put_new(f->st, J("{'apiVersion':'networking.istio.io/v1alpha3','kind':'DestinationRule','metadata':{'name':'d','namespace':'ns1'},"
                 "'spec':{'host':'x.example.com'}}"));
    json_t *rest = store_list_unkeyed(f->st, NULL);
    assert_int_equal(json_array_size(rest), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rest, 0), "kind")), "DestinationRule");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rest, 1), "kind")), "Namespace");
    json_decref(rest);
    assert_int_equal(store_commit(f->st), 0);
    long long g1 = store_objects_generation(f->st);
    assert_true(g1 != g0);
    /* a transaction without object writes leaves the generation alone */
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(store_meta_set(f->st, "something", "else"), 0);
    assert_int_equal(store_commit(f->st), 0);
    assert_true(store_objects_generation(f->st) == g1);
    /* a rolled back write neither */
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(store_delete(f->st, ROUTING_SE_RESOURCE, "ns1", "a"), 0);
    store_rollback(f->st);
    assert_true(store_objects_generation(f->st) == g1);
    assert_true(store_key_exists(f->st, "host:x.example.com"));
}

static int count_rows(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int n = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

/* A store written before this key table existed gets it filled on open:
 * one from before any (none), and one of index version 1 (a table ordered
 * by object, another by key, no keys in the objects' rows).  Its objects
 * are then refiled as any: deleting one takes its keys along. */
static void test_store_fills_keys_of_older_store(void **state)
{
    fixture *f = *state;
    const char *olds[] = {
        "DROP TABLE object_keys; ALTER TABLE objects DROP COLUMN keys; DELETE FROM meta WHERE key='obj_keys_version'",
        "DROP TABLE object_keys; ALTER TABLE objects DROP COLUMN keys;"
        " CREATE TABLE obj_keys(resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, key TEXT NOT NULL,"
        " PRIMARY KEY(resource, namespace, name, key)) WITHOUT ROWID;"
        " CREATE INDEX obj_keys_by_key ON obj_keys(key, resource, namespace, name);"
        " INSERT INTO obj_keys VALUES('virtualservices.networking.istio.io','default','v','host:reviews.default.svc.cluster.local');"
        " UPDATE meta SET value='1' WHERE key='obj_keys_version'",
    };
    char path[600];
    snprintf(path, sizeof path, "%s/state.db", f->dir);
    for (size_t i = 0; i < sizeof olds / sizeof olds[0]; i++) {
        put_new(f->st, J("{'apiVersion':'networking.istio.io/v1alpha3','kind':'VirtualService','metadata':{'name':'v','namespace':'default'},"
                     "'spec':{'hosts':['reviews'],'gateways':['gw']}}"));
        assert_int_equal(store_commit(f->st), 0);
        store_close(f->st);
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, olds[i], NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        bool created;
        char err[256];
        f->st = store_open(f->dir, &created, err, sizeof err);
        assert_non_null(f->st);
        assert_false(created);
        assert_true(store_key_exists(f->st, "host:reviews.default.svc.cluster.local"));
        assert_true(store_key_exists(f->st, "gw:default/gw"));
        assert_int_equal(store_commit(f->st), 0);
        assert_int_equal(count_rows(path, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'obj_keys%'"), 0);
        assert_int_equal(count_rows(path, "SELECT count(*) FROM objects WHERE keys IS NOT NULL AND name='v'"), 1);
        assert_int_equal(store_begin(f->st), 0);
        assert_int_equal(store_delete(f->st, "virtualservices.networking.istio.io", "default", "v"), 0);
        assert_int_equal(store_commit(f->st), 0);
        assert_int_equal(count_rows(path, "SELECT count(*) FROM object_keys WHERE name='v'"), 0);
        assert_int_equal(store_begin(f->st), 0);
    }
}

/* ---- the lazy mesh decides as the full one ---- */

typedef struct counting {
    store *st;
    long loaded;      /* objects handed to the mesh */
} counting;

static json_t *src_by_key(void *ctx, const char *key, int offset, int limit)
{
    counting *c = ctx;
    json_t *a = store_list_by_key(c->st, key, offset, limit);
    c->loaded += (long)json_array_size(a);
    return a;
}

static bool src_exists(void *ctx, const char *key) { return store_key_exists(((counting *)ctx)->st, key); }

/* The seed cluster with the task's configuration, plus the cases where
 * order, visibility and wildcards decide, and many unrelated entries. */
static json_t *scenario(void)
{
    json_t *o = seed_cluster(80, 443);
    add_cnn_http(o);
    add_ns(o, "aaa", NULL);
    add_ns(o, "other", NULL);
    /* the first http:80 entries are hidden from default (exportTo .) */
    for (int i = 0; i < 40; i++)
        addf(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'ServiceEntry','metadata':{'name':'hidden-%d','namespace':'aaa'},"
                "'spec':{'hosts':['hidden-%d.example.com'],'exportTo':['.'],'ports':[{'number':8080,'name':'http'}],'resolution':'DNS'}}",
             i, i);
    for (int i = 0; i < 300; i++) {
        addf(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'ServiceEntry','metadata':{'name':'se-%d','namespace':'other'},"
                "'spec':{'hosts':['ext-%d.example.com'],'ports':[{'number':%d,'name':'http','protocol':'HTTP'}],'resolution':'DNS'}}",
             i, i, i < 290 ? 80 : 8080);
        addf(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'VirtualService','metadata':{'name':'vs-%d','namespace':'other'},"
                "'spec':{'hosts':['ext-%d.example.com'],'http':[{'timeout':'5s','route':[{'destination':{'host':'ext-%d.example.com'}}]}]}}",
             i, i, i);
    }
    /* two VirtualServices for one host: the store's order decides (aaa before default) */
    add(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'VirtualService','metadata':{'name':'zz-second','namespace':'other'},"
           "'spec':{'hosts':['ext-7.example.com'],'http':[{'route':[{'destination':{'host':'ext-8.example.com'}}]}]}}");
    add(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'VirtualService','metadata':{'name':'aa-first','namespace':'aaa'},"
           "'spec':{'hosts':['ext-7.example.com'],'http':[{'route':[{'destination':{'host':'ext-9.example.com'}}]}]}}");
    /* a ServiceEntry and a Service with one host: the entry sorts first */
    add_service(o, "other", "web", "10.96.0.77", "[{'name':'http','port':80}]", NULL);
    add(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'ServiceEntry','metadata':{'name':'web-se','namespace':'other'},"
           "'spec':{'hosts':['web.other.svc.cluster.local'],'addresses':['10.96.0.78'],'ports':[{'number':80,'name':'http'}],"
           "'resolution':'STATIC','endpoints':[{'address':'10.244.3.3'}]}}");
    /* wildcard, address range, a NONE entry that takes a port, TLS by SNI */
    add(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'ServiceEntry','metadata':{'name':'wiki','namespace':'default'},"
           "'spec':{'hosts':['*.wikipedia.org'],'ports':[{'number':443,'name':'tls','protocol':'TLS'}],'resolution':'NONE'}}");
    add(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'ServiceEntry','metadata':{'name':'range','namespace':'default'},"
           "'spec':{'hosts':['range.internal'],'addresses':['192.168.0.0/16'],'ports':[{'number':5432,'name':'tcp','protocol':'TCP'}],"
           "'resolution':'NONE'}}");
    add(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'ServiceEntry','metadata':{'name':'mysql','namespace':'default'},"
           "'spec':{'hosts':['mysql.internal'],'ports':[{'number':3306,'name':'tcp','protocol':'TCP'}],'resolution':'NONE'}}");
    add(o, "{'apiVersion':'networking.istio.io/v1alpha3','kind':'VirtualService','metadata':{'name':'wild-vs','namespace':'default'},"
           "'spec':{'hosts':['*.example.net'],'http':[{'route':[{'destination':{'host':'edition.cnn.com'}}]}]}}");
    return o;
}

typedef struct probe_case {
    const char *ns, *pod;
    mesh_request req;
} probe_case;

static int cases(probe_case *pc)
{
    int n = 0;
    const char *S = "10.244.0.10";
    pc[n++] = (probe_case){"default", "sleep-1", http_req(S, "151.101.65.67", 80, "edition.cnn.com", "/politics")};
    pc[n++] = (probe_case){"istio-system", "istio-egressgateway-1", http_req(S, "10.244.0.5", 80, "edition.cnn.com", "/politics")};
    pc[n++] = (probe_case){"istio-system", "istio-egressgateway-1", http_req(S, "10.244.0.5", 80, "other.com", "/")};
    pc[n++] = (probe_case){"default", "sleep-1", http_req(S, "1.2.3.4", 80, "ext-5.example.com", "/")};
    pc[n++] = (probe_case){"default", "sleep-1", http_req(S, "1.2.3.4", 80, "ext-7.example.com", "/")};
    pc[n++] = (probe_case){"default", "sleep-1", http_req(S, "1.2.3.4", 80, "ext-295.example.com", "/")};
    pc[n++] = (probe_case){"default", "sleep-1", http_req(S, "1.2.3.4", 8080, "ext-295.example.com", "/")};
    pc[n++] = (probe_case){"default", "sleep-1", http_req(S, "1.2.3.4", 8080, "hidden-3.example.com", "/")};
    pc[n++] = (probe_case){"default", "sleep-1", http_req(S, "1.2.3.4", 80, "nobody.example.com", "/")};
    pc[n++] = (probe_case){"default", "sleep-1", http_req(S, "1.2.3.4", 80, "www.example.net", "/")};
    pc[n++] = (probe_case){"default", "sleep-1", http_req(S, "10.96.0.77", 80, "web.other.svc.cluster.local", "/")};
    pc[n++] = (probe_case){"default", "sleep-1", http_req(S, "10.96.0.78", 80, "web.other", "/")};
    pc[n++] = (probe_case){"default", "sleep-1", http_req(S, "10.96.0.30", 80, "sleep", "/")};
    pc[n++] = (probe_case){"default", "sleep-1", http_req(S, "1.2.3.4", 9999, "nothing", "/")};
    pc[n++] = (probe_case){"default", "sleep-1", tls_req(S, "208.80.154.224", 443, "en.wikipedia.org")};
    pc[n++] = (probe_case){"default", "sleep-1", tls_req(S, "151.101.65.67", 443, "edition.cnn.com")};
    pc[n++] = (probe_case){"default", "sleep-1", tls_req(S, "1.1.1.1", 443, "unknown.org")};
    pc[n++] = (probe_case){"default", "sleep-1", tls_req(S, "192.168.4.4", 5432, NULL)};
    pc[n++] = (probe_case){"default", "sleep-1", tls_req(S, "10.10.10.10", 3306, NULL)};
    pc[n++] = (probe_case){"default", "sleep-1", tls_req(S, "10.10.10.10", 7777, NULL)};
    return n;
}

static void same_decision(const mesh_decision *a, const mesh_decision *b)
{
    assert_int_equal(a->action, b->action);
    assert_int_equal(a->status, b->status);
    assert_string_equal(a->flags, b->flags);
    assert_string_equal(a->details, b->details);
    assert_string_equal(a->listener, b->listener);
    assert_string_equal(a->filter_chain, b->filter_chain);
    assert_string_equal(a->route_config, b->route_config);
    assert_string_equal(a->vhost, b->vhost);
    assert_string_equal(a->route_name, b->route_name);
    assert_string_equal(a->virtual_service, b->virtual_service);
    assert_int_equal(a->vs_rule, b->vs_rule);
    assert_string_equal(a->destination_rule, b->destination_rule);
    assert_string_equal(a->cluster, b->cluster);
    assert_string_equal(a->endpoint_ip, b->endpoint_ip);
    assert_int_equal(a->endpoint_port, b->endpoint_port);
    assert_int_equal(a->timeout_ms, b->timeout_ms);
    assert_string_equal(a->cluster_type, b->cluster_type);
    assert_int_equal(a->original_dst, b->original_dst);
    assert_string_equal(a->why, b->why);
}

static void decide(const mesh *m, const probe_case *c, mesh_decision *d)
{
    const mesh_workload *w = mesh_workload_by_pod(m, c->ns, c->pod);
    assert_non_null(w);
    assert_int_equal(mesh_route(m, w, &c->req, d), 0);
}

typedef struct shared {
    const mesh *lazy;
    probe_case *pc;
    int n;
    mesh_decision *want;
    int mismatches;
} shared;

static void *route_all(void *arg)
{
    shared *s = arg;
    for (int i = s->n - 1; i >= 0; i--) {   /* the other way round from the main thread */
        mesh_decision d;
        const mesh_workload *w = mesh_workload_by_pod(s->lazy, s->pc[i].ns, s->pc[i].pod);
        if (!w || mesh_route(s->lazy, w, &s->pc[i].req, &d) || strcmp(d.why, s->want[i].why) ||
            strcmp(d.cluster, s->want[i].cluster))
            __atomic_fetch_add(&s->mismatches, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void test_lazy_mesh_decides_as_full(void **state)
{
    fixture *f = *state;
    json_t *objs = scenario();
    put_all(f->st, objs);
    json_decref(objs);
    json_t *all = store_list_all(f->st), *rest = store_list_unkeyed(f->st, NULL);
    assert_true(json_array_size(rest) < 30);   /* the entries stay in the store */
    const istio_release *rels[] = {release_lookup("1.4.6"), release_lookup("1.24")};
    for (int r = 0; r < 2; r++) {
        mesh *full = mesh_build(all, rels[r]);
        counting cnt = {f->st, 0};
        mesh_source src = {&cnt, src_by_key, src_exists};
        mesh *lazy = mesh_build_lazy(rest, rels[r], &src);
        assert_non_null(full);
        assert_non_null(lazy);
        probe_case pc[32];
        int n = cases(pc);
        mesh_decision want[32], got;
        for (int i = 0; i < n; i++) {
            decide(full, &pc[i], &want[i]);
            decide(lazy, &pc[i], &got);
            same_decision(&want[i], &got);
        }
        /* the order cases are really exercised */
        assert_string_equal(want[4].virtual_service, "aaa/aa-first");
        assert_non_null(strstr(want[10].why, "ServiceEntry other/web-se") ? want[10].why : want[11].why);
        /* DNS as the pod sees it */
        const char *names[] = {"edition.cnn.com", "ext-3.example.com", "web.other.svc.cluster.local", "sleep",
                               "en.wikipedia.org", "nobody.invalid", "range.internal"};
        const mesh_workload *c1 = mesh_workload_by_pod(full, "default", "sleep-1");
        const mesh_workload *c2 = mesh_workload_by_pod(lazy, "default", "sleep-1");
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            char a[8][46], b[8][46];
            int na = mesh_dns_lookup(full, c1, names[i], a, 8), nb = mesh_dns_lookup(lazy, c2, names[i], b, 8);
            assert_int_equal(na, nb);
            for (int k = 0; k < na; k++) assert_string_equal(a[k], b[k]);
        }
        /* mirror targets come from the same clusters */
        char ip1[46], ip2[46];
        int p1, p2;
        const char *cl = "outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local";
        assert_int_equal(mesh_cluster_first_endpoint(full, c1, cl, ip1, &p1), 0);
        assert_int_equal(mesh_cluster_first_endpoint(lazy, c2, cl, ip2, &p2), 0);
        assert_string_equal(ip1, ip2);
        assert_int_equal(p1, p2);
        /* it read what the probes involved, not the 600 entries */
        assert_true(cnt.loaded > 5 && cnt.loaded < 60);
        mesh_free(lazy);

        /* several threads loading and routing at once on a fresh lazy mesh */
        lazy = mesh_build_lazy(rest, rels[r], &src);
        shared s = {lazy, pc, n, want, 0};
        pthread_t t[4];
        for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&t[i], NULL, route_all, &s), 0);
        for (int i = 0; i < n; i++) {
            decide(lazy, &pc[i], &got);
            same_decision(&want[i], &got);
        }
        for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
        assert_int_equal(s.mismatches, 0);
        mesh_free(lazy);
        mesh_free(full);
    }
    json_decref(all);
    json_decref(rest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_service_entry_keys),
        cmocka_unit_test(test_virtual_service_keys),
        cmocka_unit_test_setup_teardown(test_store_keeps_keys_with_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_fills_keys_of_older_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lazy_mesh_decides_as_full, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
