/* The simulated outside world: the default world embedded in the binary
 * matches samples/world, hosts answer as documented, and a real libcurl
 * transfer from a pod reaches them through the engine. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model/loader.h"
#include "model/obj.h"
#include "net/world.h"
#include "probe/probe.h"

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
    s[n] = 0;
    fclose(f);
    return s;
}

static void test_embedded_world_equals_samples(void **state)
{
    (void)state;
    DIR *d = opendir("samples/world");
    assert_non_null(d);
    char *names[64];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 64) {
        size_t l = strlen(de->d_name);
        if (l > 5 && !strcmp(de->d_name + l - 5, ".yaml")) names[n++] = strdup(de->d_name);
    }
    closedir(d);
    assert_true(n >= 5);
    qsort(names, (size_t)n, sizeof *names, by_name);
    size_t cap = 1 << 20, len = 0;
    char *joined = calloc(1, cap);
    for (int i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof path, "samples/world/%s", names[i]);
        char *text = read_all(path);
        assert_non_null(text);
        if (i) len += (size_t)snprintf(joined + len, cap - len, "---\n");
        len += (size_t)snprintf(joined + len, cap - len, "%s", text);
        free(text);
        free(names[i]);
    }
    assert_string_equal(world_default_yaml, joined);
    free(joined);
}

static json_t *default_world(void)
{
    loaded_docs docs = {0};
    char err[256];
    assert_int_equal(loader_load_buffer(&docs, world_default_yaml, strlen(world_default_yaml), "world", err,
                                        sizeof err), 0);
    json_t *arr = json_array();
    for (size_t i = 0; i < docs.n; i++) json_array_append(arr, docs.docs[i].obj);
    loaded_docs_free(&docs);
    return arr;
}

static void ask(world *w, const char *host, int port, bool tls, const char *method, const char *target,
                http_msg *resp, long long *lat)
{
    json_t *svc = world_by_host(w, host);
    assert_non_null(svc);
    http_msg req;
    http_msg_init(&req);
    req.method = strdup(method);
    req.target = strdup(target);
    req.version = strdup("HTTP/1.1");
    http_set(&req, "host", host);
    http_set(&req, "user-agent", "curl/7.88.1");
    world_request wr = {.svc = svc, .port = port, .tls = tls, .client_ip = "203.0.113.10",
                        .protocol = "HTTP/1.1", .now_ms = 1700000000000LL, .req = &req};
    world_respond(&wr, resp, lat);
    http_msg_free(&req);
}

static void test_cnn(void **state)
{
    (void)state;
    json_t *objs = default_world();
    world *w = world_build(objs);
    char addrs[8][46];
    assert_int_equal(world_resolve(w, "edition.cnn.com", addrs, 8), 4);
    assert_string_equal(addrs[1], "151.101.65.67");
    assert_int_equal(world_resolve(w, "no.such.host", addrs, 8), 0);
    assert_ptr_equal(world_endpoint(w, "151.101.129.67", 443, NULL), world_by_host(w, "edition.cnn.com"));
    assert_string_equal(world_port_protocol(world_by_host(w, "edition.cnn.com"), 443), "HTTPS");
    assert_null(world_port_protocol(world_by_host(w, "edition.cnn.com"), 8080));

    http_msg r;
    long long lat;
    ask(w, "edition.cnn.com", 80, false, "GET", "/politics", &r, &lat);
    assert_int_equal(r.status, 301);
    assert_string_equal(http_get(&r, "location"), "https://edition.cnn.com/politics");
    assert_string_equal(http_get(&r, "content-length"), "0");
    assert_true(lat > 0);
    http_msg_free(&r);
    ask(w, "edition.cnn.com", 443, true, "GET", "/politics", &r, &lat);
    assert_int_equal(r.status, 200);
    assert_string_equal(http_get(&r, "content-type"), "text/html; charset=utf-8");
    assert_true(r.body_len > 1000000);
    assert_non_null(memmem(r.body, r.body_len, "<title>CNN Politics", 19));
    http_msg_free(&r);
    world_free(w);
    json_decref(objs);
}

static void test_titles_and_redirects(void **state)
{
    (void)state;
    json_t *objs = default_world();
    world *w = world_build(objs);
    static const struct { const char *host, *path, *title; } pages[] = {
        {"en.wikipedia.org", "/wiki/Main_Page", "<title>Wikipedia, the free encyclopedia</title>"},
        {"de.wikipedia.org", "/wiki/Wikipedia:Hauptseite", "<title>Wikipedia – Die freie Enzyklopädie</title>"},
        {"fr.wikipedia.org", "/wiki/x", "<title>Wikipédia, l'encyclopédie libre</title>"},
        {"wikipedia.org", "/", "<title>Wikipedia</title>"},
        {"www.google.com", "/", "<title>Google</title>"},
    };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        http_msg r;
        long long lat;
        ask(w, pages[i].host, 443, true, "GET", pages[i].path, &r, &lat);
        assert_int_equal(r.status, 200);
        assert_non_null(memmem(r.body, r.body_len, pages[i].title, strlen(pages[i].title)));
        http_msg_free(&r);
    }
    /* the same address serves several sites: the name picks one */
    assert_ptr_equal(world_endpoint(w, "185.15.59.224", 443, "de.wikipedia.org"), world_by_host(w, "de.wikipedia.org"));
    http_msg r;
    long long lat;
    ask(w, "en.wikipedia.org", 443, true, "GET", "/", &r, &lat);
    assert_int_equal(r.status, 301);
    assert_string_equal(http_get(&r, "location"), "https://en.wikipedia.org/wiki/Main_Page");
    http_msg_free(&r);
    ask(w, "istio.io", 80, false, "GET", "/latest/", &r, &lat);
    assert_int_equal(r.status, 301);
    assert_string_equal(http_get(&r, "location"), "https://istio.io/latest/");
    http_msg_free(&r);
    world_free(w);
    json_decref(objs);
}

static void test_httpbin(void **state)
{
    (void)state;
    json_t *objs = default_world();
    world *w = world_build(objs);
    http_msg r;
    long long lat, base;
    ask(w, "httpbin.org", 80, false, "GET", "/status/418", &r, &base);
    assert_int_equal(r.status, 418);
    assert_non_null(memmem(r.body, r.body_len, "teapot", 6));
    http_msg_free(&r);
    ask(w, "httpbin.org", 80, false, "GET", "/delay/5", &r, &lat);
    assert_int_equal(r.status, 200);
    assert_int_equal(lat - base, 5000);
    http_msg_free(&r);
    ask(w, "httpbin.org", 443, true, "GET", "/headers", &r, &lat);
    json_error_t e;
    json_t *j = json_loadb((const char *)r.body, r.body_len, 0, &e);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "headers"), "User-Agent")), "curl/7.88.1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "headers"), "Host")), "httpbin.org");
    json_decref(j);
    http_msg_free(&r);
    ask(w, "httpbin.org", 80, false, "GET", "/ip", &r, &lat);
    assert_non_null(memmem(r.body, r.body_len, "\"origin\": \"203.0.113.10\"", 24));
    http_msg_free(&r);
    ask(w, "httpbin.org", 443, true, "GET", "/get?a=1", &r, &lat);
    assert_non_null(memmem(r.body, r.body_len, "\"url\": \"https://httpbin.org/get?a=1\"", 36));
    http_msg_free(&r);
    ask(w, "httpbin.org", 80, false, "GET", "/user-agent", &r, &lat);
    assert_non_null(memmem(r.body, r.body_len, "\"user-agent\": \"curl/7.88.1\"", 27));
    http_msg_free(&r);
    ask(w, "httpbin.org", 80, false, "GET", "/nope", &r, &lat);
    assert_int_equal(r.status, 404);
    http_msg_free(&r);
    world_free(w);
    json_decref(objs);
}

static void test_page_sizes(void **state)
{
    (void)state;
    size_t n;
    char *p = world_page("T", 5000, &n);
    assert_int_equal(n, 5000);
    assert_int_equal(strlen(p), 5000);
    assert_non_null(strstr(p, "<title>T</title>"));
    assert_string_equal(p + n - 8, "</html>\n");
    free(p);
    p = world_page("tiny", 1, &n);        /* never smaller than the skeleton */
    assert_true(n > 50);
    free(p);
}

static void test_seed_creates_the_objects(void **state)
{
    (void)state;
    char dir[] = "/tmp/meshsim-test-world-XXXXXX";
    assert_non_null(mkdtemp(dir));
    bool created;
    char err[256];
    store *st = store_open(dir, &created, err, sizeof err);
    assert_non_null(st);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(world_seed(st, err, sizeof err), 0);
    json_t *cnn = store_get(st, "externalservices.meshsim.dev", "", "edition.cnn.com");
    assert_non_null(cnn);
    assert_string_equal(json_string_value(json_array_get(obj_at(cnn, "spec.addresses"), 0)), "151.101.1.67");
    assert_non_null(obj_str(cnn, "metadata.uid"));
    json_decref(cnn);
    json_t *all = store_list(st, "externalservices.meshsim.dev", NULL);
    assert_int_equal(json_array_size(all), 8);
    json_decref(all);
    /* seeding twice changes nothing */
    assert_int_equal(world_seed(st, err, sizeof err), 0);
    all = store_list(st, "externalservices.meshsim.dev", NULL);
    assert_int_equal(json_array_size(all), 8);
    json_decref(all);
    store_rollback(st);
    store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void expect_invalid(const char *yaml, const char *msg)
{
    loaded_docs docs = {0};
    char err[512] = "";
    assert_int_equal(loader_load_buffer(&docs, yaml, strlen(yaml), "t", err, sizeof err), 0);
    assert_int_equal(world_validate(docs.docs[0].obj, err, sizeof err), -1);
    assert_string_equal(err, msg);
    loaded_docs_free(&docs);
}

static void test_validation_names_the_field(void **state)
{
    (void)state;
    json_t *objs = default_world();
    size_t i;
    json_t *o;
    char err[512];
    json_array_foreach(objs, i, o) assert_int_equal(world_validate(o, err, sizeof err), 0);
    json_decref(objs);
    const char *base = "kind: ExternalService\nmetadata: {name: x}\nspec:\n  hosts: [a.example]\n"
                       "  addresses: [192.0.2.1]\n";
    char y[1024];
    expect_invalid("kind: ExternalService\nmetadata: {name: x}\nspec: {addresses: [192.0.2.1]}\n",
                   "spec.hosts: Required value: at least one DNS name");
    snprintf(y, sizeof y, "%s  ports: [{number: 80, protocol: UDP}]\n", base);
    expect_invalid(y, "spec.ports[0].protocol: Unsupported value: \"UDP\": supported values: \"HTTP\", \"HTTPS\", \"TLS\", \"TCP\"");
    snprintf(y, sizeof y, "%s  ports: [{number: 80}, {number: \"x\"}]\n", base);
    expect_invalid(y, "spec.ports[1].number in body must be of type integer: \"string\"");
    snprintf(y, sizeof y, "%s  ports: [{number: 80}]\n  http: [{response: {status: 200}, app: nginx}]\n", base);
    expect_invalid(y, "spec.http[0]: Invalid value: exactly one of redirect, response or app is required");
    snprintf(y, sizeof y, "%s  ports: [{number: 80}]\n  http: [{response: {bodyBytes: 99999999999}}]\n", base);
    expect_invalid(y, "spec.http[0].response.bodyBytes in body should be less than or equal to 67108864");
    snprintf(y, sizeof y, "%s  ports: [{number: 80}]\n  http: [{app: tomcat}]\n", base);
    expect_invalid(y, "spec.http[0].app: Unsupported value: \"tomcat\": supported values: \"httpbin\", \"nginx\"");
    expect_invalid("kind: ExternalService\nmetadata: {name: x}\nspec: {hosts: [a.example], addresses: [300.1.1.1], ports: []}\n",
                   "spec.addresses[0]: Invalid value: \"300.1.1.1\": must be an IPv4 address");
    snprintf(y, sizeof y, "%s  ports: [{number: 80}]\n  http: [{redirect: {code: 200}}]\n", base);
    expect_invalid(y, "spec.http[0].redirect.code in body should be greater than or equal to 300");
}

/* spec.tls is checked too, clientCA (the user's client CA) included */
static void test_tls_and_client_ca_validation(void **state)
{
    (void)state;
    const char *base = "kind: ExternalService\nmetadata: {name: x}\nspec:\n  hosts: [a.example]\n"
                       "  addresses: [192.0.2.1]\n  ports: [{number: 443, protocol: HTTPS}]\n";
    char y[1024];
    snprintf(y, sizeof y, "%s  tls: {clientAuth: always}\n", base);
    expect_invalid(y, "spec.tls.clientAuth: want none, request or require");
    snprintf(y, sizeof y, "%s  tls: {clientAuth: require, clientCA: {pem: garbage}}\n", base);
    expect_invalid(y, "spec.tls.clientCA.pem: no PEM certificate (-----BEGIN CERTIFICATE-----) in it");
    snprintf(y, sizeof y, "%s  tls: {clientAuth: request, clientCA: {secretName: ca}}\n", base);
    expect_invalid(y, "spec.tls.clientCA.namespace: required with secretName (an ExternalService has no namespace)");
    snprintf(y, sizeof y, "%s  tls: {clientAuth: require, clientCA: {secretName: ca, namespace: Default}}\n", base);
    expect_invalid(y, "spec.tls.clientCA.namespace: \"Default\" is not a valid namespace name");
    snprintf(y, sizeof y, "%s  tls: {clientAuth: require, clientCA: {pem: x, key: ca.crt}}\n", base);
    expect_invalid(y, "spec.tls.clientCA: namespace and key go with secretName, not pem");
    snprintf(y, sizeof y, "%s  tls: {clientAuth: none, clientCA: {secretName: ca, namespace: default}}\n", base);
    expect_invalid(y, "spec.tls.clientCA: clientAuth must be request or require to use it");
    snprintf(y, sizeof y, "%s  tls: {clientAuth: require, clientCA: [x]}\n", base);
    expect_invalid(y, "spec.tls.clientCA: must be an object with pem, or secretName and namespace");
    snprintf(y, sizeof y, "%s  tls: {clientAuth: require, clientCA: {secretName: ca, namespace: default, key: \"\"}}\n", base);
    expect_invalid(y, "spec.tls.clientCA.key: must be a non-empty string");
    /* a good one passes */
    loaded_docs docs = {0};
    char err[512] = "";
    snprintf(y, sizeof y, "%s  tls: {clientAuth: require, clientCA: {secretName: ca, namespace: default, key: root.pem}}\n", base);
    assert_int_equal(loader_load_buffer(&docs, y, strlen(y), "t", err, sizeof err), 0);
    assert_int_equal(world_validate(docs.docs[0].obj, err, sizeof err), 0);
    loaded_docs_free(&docs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedded_world_equals_samples),
        cmocka_unit_test(test_cnn),
        cmocka_unit_test(test_titles_and_redirects),
        cmocka_unit_test(test_httpbin),
        cmocka_unit_test(test_page_sizes),
        cmocka_unit_test(test_seed_creates_the_objects),
        cmocka_unit_test(test_validation_names_the_field),
        cmocka_unit_test(test_tls_and_client_ca_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
