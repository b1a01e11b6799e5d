/* Traffic to the simulated world: real libcurl transfers (probe_curl_main)
 * from pods, through the engine's hops, with the outcomes curl reports, the
 * proxies' access-log lines and counters, and pilot-agent's view of them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model/loader.h"
#include "model/obj.h"
#include "net/trace.h"
#include "net/world.h"
#include "probe/probe.h"

typedef struct fixture {
    char dir[64];
    store *st;
} fixture;

static void put_yaml(store *st, const char *yaml)
{
    loaded_docs docs = {0};
    char err[256];
    assert_int_equal(loader_load_buffer(&docs, yaml, strlen(yaml), "fixture", err, sizeof err), 0);
    for (size_t i = 0; i < docs.n; i++) {
        json_t *o = docs.docs[i].obj;
        const char *kind = obj_kind(o);
        char res[128];
        if (!strcmp(kind, "ExternalService")) snprintf(res, sizeof res, "externalservices.meshsim.dev");
        else if (!strcmp(kind, "NetworkPolicy")) snprintf(res, sizeof res, "networkpolicies.networking.k8s.io");
        else if (!strcmp(kind, "ConfigMap")) snprintf(res, sizeof res, "configmaps");
        else if (!strcmp(kind, "Service")) snprintf(res, sizeof res, "services");
        else if (!strcmp(kind, "Namespace")) snprintf(res, sizeof res, "namespaces");
        else if (!strcmp(kind, "VirtualService")) snprintf(res, sizeof res, "virtualservices.networking.istio.io");
        else if (!strcmp(kind, "Gateway")) snprintf(res, sizeof res, "gateways.networking.istio.io");
        else if (!strcmp(kind, "DestinationRule")) snprintf(res, sizeof res, "destinationrules.networking.istio.io");
        else if (!strcmp(kind, "ServiceEntry")) snprintf(res, sizeof res, "serviceentries.networking.istio.io");
        else snprintf(res, sizeof res, "pods");
        assert_int_equal(store_put(st, res, obj_namespace(o), obj_name(o), o), 0);
    }
    loaded_docs_free(&docs);
}

static const char cluster_yaml[] =
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n---\n"
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: istio-system}\n---\n"
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\n"
    "data:\n  mesh: |-\n    accessLogFile: /dev/stdout\n---\n"
    "apiVersion: v1\nkind: Pod\nmetadata: {name: plain, namespace: default, labels: {app: plain}}\n"
    "spec: {containers: [{name: sleep, image: curlimages/curl}]}\n"
    "status: {phase: Running, podIP: 10.244.0.21}\n---\n"
    "apiVersion: v1\nkind: Pod\nmetadata: {name: meshed, namespace: default, labels: {app: meshed}}\n"
    "spec: {containers: [{name: sleep, image: curlimages/curl}, {name: istio-proxy, image: docker.io/istio/proxyv2:1.4.6}]}\n"
    "status: {phase: Running, podIP: 10.244.0.22}\n";

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/meshsim-test-traffic-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    bool created;
    char err[256];
    f->st = store_open(f->dir, &created, err, sizeof err);
    assert_non_null(f->st);
    assert_int_equal(store_begin(f->st), 0);
    put_yaml(f->st, world_default_yaml);
    put_yaml(f->st, cluster_yaml);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_rollback(f->st);
    store_close(f->st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd)) return -1;
    free(f);
    return 0;
}

typedef struct run { int rc; char *out, *err; long long vclock; } run;

static run exec_in(fixture *f, const char *pod, int argc, char **argv, bool curl)
{
    run r = {0};
    size_t ol, el;
    json_t *p = store_get(f->st, "pods", "default", pod);
    assert_non_null(p);
    FILE *out = open_memstream(&r.out, &ol), *err = open_memstream(&r.err, &el);
    exec_ctx x = {f->st, release_default(), p, "default", pod, curl ? "sleep" : "istio-proxy", "img",
                  stdin, out, err, 0};
    r.rc = curl ? probe_curl_main(&x, argc, argv) : probe_pilot_agent_main(&x, argc, argv);
    r.vclock = x.vclock_ms;
    fclose(out);
    fclose(err);
    json_decref(p);
    return r;
}

#define CURL(f, pod, ...) ({ char *argv_[] = {"curl", __VA_ARGS__}; \
    exec_in(f, pod, (int)(sizeof argv_ / sizeof argv_[0]), argv_, true); })

static void run_free(run *r) { free(r->out); free(r->err); }

static bool has_line_matching(const char *text, const char *re)
{
    regex_t rx;
    assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE), 0);
    bool ok = regexec(&rx, text, 0, NULL, 0) == 0;
    regfree(&rx);
    return ok;
}

static int cb(void *ctx, const char *ns, const char *pod, const char *c, long long ts, const char *line)
{
    (void)ns; (void)pod; (void)c; (void)ts;
    struct { char lines[8][2048]; int n; } *l = ctx;
    if (l->n < 8) snprintf(l->lines[l->n++], sizeof l->lines[0], "%s", line);
    return 0;
}

static void test_redirect_then_http2(void **state)
{
    fixture *f = *state;
    run r = CURL(f, "plain", "-sSL", "-o", "/dev/null", "-D", "-", "http://edition.cnn.com/politics");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "HTTP/1.1 301 Moved Permanently\r\n"));
    assert_non_null(strstr(r.out, "location: https://edition.cnn.com/politics\r\n"));
    assert_non_null(strstr(r.out, "\r\n\r\nHTTP/2 200 \r\ncontent-type: text/html; charset=utf-8\r\n"));
    assert_string_equal(r.err, "");
    assert_true(r.vclock >= 2 * 88);     /* two round trips to the host */
    run_free(&r);
}

static void test_write_out_shows_simulated_addresses(void **state)
{
    fixture *f = *state;
    run r = CURL(f, "plain", "-s", "-o", "/dev/null", "-w", "%{http_code} %{remote_ip}:%{remote_port} %{local_ip}\\n",
                 "https://edition.cnn.com/politics");
    assert_int_equal(r.rc, 0);
    assert_true(has_line_matching(r.out, "^200 151\\.101\\.[0-9]+\\.67:443 10\\.244\\.0\\.21$"));
    run_free(&r);
}

static void test_urls_share_connections(void **state)
{
    fixture *f = *state;
    run r = CURL(f, "plain", "-v", "-s", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{remote_ip} ",
                 "http://httpbin.org/get", "http://httpbin.org/ip");
    assert_int_equal(r.rc, 0);
    assert_true(has_line_matching(r.err, "^\\* Re-using existing connection #0 with host httpbin\\.org$"));
    assert_true(has_line_matching(r.out, "^44\\.207\\.168\\.240 44\\.207\\.168\\.240 $"));
    run_free(&r);
}

static void test_verbose_never_shows_loopback(void **state)
{
    fixture *f = *state;
    run r = CURL(f, "plain", "-v", "-s", "-o", "/dev/null", "https://www.google.com/");
    assert_int_equal(r.rc, 0);
    assert_true(has_line_matching(r.err, "^\\*   Trying 142\\.250\\.74\\.36:443\\.\\.\\.$"));
    assert_true(has_line_matching(r.err, "^\\* Connected to www\\.google\\.com \\(142\\.250\\.74\\.36\\) port 443 \\(#0\\)$"));
    assert_true(has_line_matching(r.err, "^> GET / HTTP/2"));
    assert_true(has_line_matching(r.err, "^< HTTP/2 200"));
    assert_true(has_line_matching(r.err, "^\\*  CAfile: /etc/ssl/certs/ca-certificates\\.crt$"));
    assert_null(strstr(r.err, "127.0.0.1"));
    assert_null(strstr(r.err, "DNS cache"));
    run_free(&r);
}

static void test_failures_and_exit_codes(void **state)
{
    fixture *f = *state;
    run r = CURL(f, "plain", "-sS", "http://no.such.host/");
    assert_int_equal(r.rc, 6);
    assert_string_equal(r.err, "curl: (6) Could not resolve host: no.such.host\n");
    run_free(&r);
    /* a port the host does not serve: the SYN is dropped */
    r = CURL(f, "plain", "-sS", "--connect-timeout", "2", "http://edition.cnn.com:8080/");
    assert_int_equal(r.rc, 28);
    assert_string_equal(r.err, "curl: (28) Failed to connect to edition.cnn.com port 8080 after 2001 ms: Timeout was reached\n");
    assert_int_equal(r.vclock, 2000);
    run_free(&r);
    /* httpbin is slower than --max-time */
    r = CURL(f, "plain", "-sS", "-m", "2", "http://httpbin.org/delay/5");
    assert_int_equal(r.rc, 28);
    assert_true(has_line_matching(r.err, "^curl: \\(28\\) Operation timed out after 200[0-9] milliseconds with 0 bytes received$"));
    run_free(&r);
    r = CURL(f, "plain", "-sf", "http://httpbin.org/status/404");
    assert_int_equal(r.rc, 22);
    assert_string_equal(r.err, "");
    run_free(&r);
    r = CURL(f, "plain", "-sSf", "http://httpbin.org/status/503");
    assert_int_equal(r.rc, 22);
    assert_string_equal(r.err, "curl: (22) The requested URL returned error: 503\n");
    run_free(&r);
    r = CURL(f, "plain", "--bogus", "http://httpbin.org/");
    assert_int_equal(r.rc, 2);
    run_free(&r);
}

static void test_network_policy_drops_the_syn(void **state)
{
    fixture *f = *state;
    put_yaml(f->st, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                    "metadata: {name: deny-egress, namespace: default}\n"
                    "spec: {podSelector: {matchLabels: {app: plain}}, policyTypes: [Egress]}\n");
    run r = CURL(f, "plain", "-v", "-sS", "https://edition.cnn.com/politics");
    assert_int_equal(r.rc, 7);
    assert_true(has_line_matching(r.err, "^\\* connect to 151\\.101\\.[0-9]+\\.67 port 443 failed: Connection timed out$"));
    assert_true(has_line_matching(r.err, "^curl: \\(7\\) Failed to connect to edition\\.cnn\\.com port 443 after [0-9]+ ms: "
                                         "Couldn't connect to server$"));
    assert_true(r.vclock > 120000);
    run_free(&r);
}

static void test_sidecar_logs_and_counts(void **state)
{
    fixture *f = *state;
    run r = CURL(f, "meshed", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://httpbin.org/headers");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "200");
    run_free(&r);
    r = CURL(f, "meshed", "-s", "-o", "/dev/null", "https://httpbin.org/get");
    assert_int_equal(r.rc, 0);
    run_free(&r);
    /* the sidecar wrote one HTTP line and one TCP line */
    typedef struct { char lines[8][2048]; int n; } logs;
    logs l = {0};
    assert_int_equal(store_log_each(f->st, "default", "meshed", "istio-proxy", cb, &l), 0);
    assert_int_equal(l.n, 2);
    assert_true(has_line_matching(l.lines[0], "^\\[[0-9-]+T[0-9:.]+Z\\] \"GET /headers HTTP/1\\.1\" 200 - .*\"curl/7\\.88\\.1\" "
                                              "\"[0-9a-f-]{36}\" \"httpbin\\.org\" \"[0-9.]+:80\" PassthroughCluster "));
    assert_true(has_line_matching(l.lines[1], "^\\[[^]]+\\] \"- - -\" 0 - .* \"[0-9.]+:443\" PassthroughCluster .* httpbin\\.org -$"));
    char *argv[] = {"pilot-agent", "request", "GET", "stats"};
    r = exec_in(f, "meshed", 4, argv, false);
    assert_int_equal(r.rc, 0);
    assert_true(has_line_matching(r.out, "^cluster\\.PassthroughCluster\\.upstream_cx_total: 2$"));
    assert_true(has_line_matching(r.out, "^cluster\\.PassthroughCluster\\.upstream_rq_200: 1$"));
    /* every cluster of the proxy's configuration has its counters, used or not */
    assert_true(has_line_matching(r.out, "^cluster\\.BlackHoleCluster\\.upstream_cx_total: 0$"));
    assert_true(has_line_matching(r.out, "^cluster_manager\\.active_clusters: [1-9][0-9]*$"));
    run_free(&r);
    /* the same admin API on the pod's loopback, for curl in any of its containers */
    r = CURL(f, "meshed", "-s", "localhost:15000/stats");
    assert_int_equal(r.rc, 0);
    assert_true(has_line_matching(r.out, "^cluster\\.PassthroughCluster\\.upstream_cx_total: [1-9][0-9]*$"));
    run_free(&r);
    r = CURL(f, "meshed", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:15000/no-such-page");
    assert_string_equal(r.out, "404");
    run_free(&r);
    r = CURL(f, "plain", "-sS", "localhost:15000/stats");
    assert_int_equal(r.rc, 7);
    run_free(&r);
    char *argv2[] = {"pilot-agent", "request", "GET", "clusters"};
    r = exec_in(f, "meshed", 4, argv2, false);
    assert_int_equal(r.rc, 0);
    assert_true(has_line_matching(r.out, "^PassthroughCluster::observability_name::PassthroughCluster$"));
    run_free(&r);
}

static void test_in_mesh_service_and_route_timeout(void **state)
{
    fixture *f = *state;
    put_yaml(f->st,
             "apiVersion: v1\nkind: Service\nmetadata: {name: httpbin, namespace: default}\n"
             "spec: {clusterIP: 10.96.0.50, selector: {app: httpbin}, ports: [{name: http, port: 8000, targetPort: 80}]}\n"
             "---\napiVersion: v1\nkind: Pod\nmetadata: {name: httpbin-1, namespace: default, labels: {app: httpbin}}\n"
             "spec: {containers: [{name: httpbin, image: docker.io/kennethreitz/httpbin, ports: [{containerPort: 80}]},"
             " {name: istio-proxy, image: docker.io/istio/proxyv2:1.4.6}]}\n"
             "status: {phase: Running, podIP: 10.244.0.40}\n");
    run r = CURL(f, "meshed", "-sS", "-i", "http://httpbin.default.svc.cluster.local:8000/status/418");
    assert_int_equal(r.rc, 0);
    assert_true(has_line_matching(r.out, "^HTTP/1\\.1 418 I'm a teapot\r$"));
    assert_true(has_line_matching(r.out, "^server: envoy\r$"));
    assert_true(has_line_matching(r.out, "^x-envoy-upstream-service-time: [0-9]+\r$"));
    run_free(&r);
    /* httpbin's own access log (gunicorn), the sidecar being its peer */
    struct { char lines[8][2048]; int n; } al = {0};
    assert_int_equal(store_log_each(f->st, "default", "httpbin-1", "httpbin", cb, &al), 0);
    assert_int_equal(al.n, 1);
    assert_true(has_line_matching(al.lines[0], "^127\\.0\\.0\\.1 - - \\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} \\+0000\\] "
                                               "\"GET /status/418 HTTP/1\\.1\" 418 135 \"-\" \"curl/7\\.88\\.1\"$"));
    /* a client without a sidecar reaches the pod through kube-proxy and its inbound sidecar */
    r = CURL(f, "plain", "-s", "http://10.96.0.50:8000/ip");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "\"origin\": \"10.244.0.21\""));
    run_free(&r);
    /* Istio mutual TLS to the sidecar: the app sees the peer's identity; header rules apply */
    put_yaml(f->st, "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\n"
                    "metadata: {name: httpbin, namespace: default}\n"
                    "spec: {host: httpbin.default.svc.cluster.local, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}\n---\n"
                    "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\n"
                    "metadata: {name: httpbin, namespace: default}\n"
                    "spec: {hosts: [httpbin], http: [{headers: {request: {set: {x-test: 'yes'}}, response: {add: {x-via: vs}}},"
                    " route: [{destination: {host: httpbin}}]}]}\n");
    r = CURL(f, "meshed", "-sS", "-i", "http://httpbin:8000/headers");
    assert_int_equal(r.rc, 0);
    assert_true(has_line_matching(r.out, "^x-via: vs\r$"));
    assert_true(has_line_matching(r.out, "^    \"X-Test\": \"yes\",?$"));
    assert_true(has_line_matching(r.out, "^    \"X-Forwarded-Client-Cert\": \"By=spiffe://cluster\\.local/ns/default/sa/default;"
                                         "Hash=[0-9a-f]{64};Subject=\\\\\"\\\\\";URI=spiffe://cluster\\.local/ns/default/sa/default\",$"));
    run_free(&r);
    struct { char lines[8][2048]; int n; } l = {0};
    assert_int_equal(store_log_each(f->st, "default", "httpbin-1", "istio-proxy", cb, &l), 0);
    assert_true(l.n >= 1);
    assert_true(has_line_matching(l.lines[l.n - 1], " outbound_\\.8000_\\._\\.httpbin\\.default\\.svc\\.cluster\\.local default$"));

    /* the loopback stays inside the pod: no sidecar on the way */
    r = CURL(f, "httpbin-1", "-sS", "http://localhost:80/ip");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "\"origin\": \"127.0.0.1\""));
    run_free(&r);
    r = CURL(f, "meshed", "-sS", "http://localhost/");
    assert_int_equal(r.rc, 7);
    assert_true(has_line_matching(r.err, "^curl: \\(7\\) Failed to connect to localhost port 80 after [0-9]+ ms: "
                                         "Couldn't connect to server$"));
    run_free(&r);

    /* mirroring: a copy goes to nginx, the client sees httpbin's answer */
    put_yaml(f->st, "apiVersion: v1\nkind: Service\nmetadata: {name: nginx, namespace: default}\n"
                    "spec: {clusterIP: 10.96.0.51, selector: {app: nginx}, ports: [{name: http, port: 80}]}\n---\n"
                    "apiVersion: v1\nkind: Pod\nmetadata: {name: nginx-1, namespace: default, labels: {app: nginx}}\n"
                    "spec: {containers: [{name: nginx, image: nginx}]}\nstatus: {phase: Running, podIP: 10.244.0.41}\n---\n"
                    "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\n"
                    "metadata: {name: httpbin, namespace: default}\n"
                    "spec: {hosts: [httpbin], http: [{route: [{destination: {host: httpbin}}], mirror: {host: nginx}}]}\n");
    r = CURL(f, "meshed", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://httpbin:8000/ip");
    assert_string_equal(r.out, "200");
    run_free(&r);
    struct { char lines[8][2048]; int n; } ml = {0};
    assert_int_equal(store_log_each(f->st, "default", "nginx-1", "nginx", cb, &ml), 0);
    assert_int_equal(ml.n, 1);
    assert_true(has_line_matching(ml.lines[0], "^10\\.244\\.0\\.22 - - \\[[^]]+\\] \"GET /ip HTTP/1\\.1\" 404 "));

    put_yaml(f->st, "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\n"
                    "metadata: {name: httpbin, namespace: default}\n"
                    "spec: {hosts: [httpbin], http: [{timeout: 0.5s, route: [{destination: {host: httpbin}}]}]}\n");
    r = CURL(f, "meshed", "-sS", "-w", " %{http_code}", "http://httpbin:8000/delay/2");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "upstream request timeout 504");
    assert_true(r.vclock >= 500 && r.vclock < 1000);
    run_free(&r);
}

static const char egress_yaml[] =
    "apiVersion: v1\nkind: Service\nmetadata: {name: istio-egressgateway, namespace: istio-system}\n"
    "spec: {clusterIP: 10.96.0.60, selector: {istio: egressgateway},"
    " ports: [{name: http2, port: 80, targetPort: 80}, {name: https, port: 443, targetPort: 443}]}\n---\n"
    "apiVersion: v1\nkind: Pod\nmetadata: {name: istio-egressgateway-1, namespace: istio-system,"
    " labels: {istio: egressgateway, app: istio-egressgateway}}\n"
    "spec: {containers: [{name: istio-proxy, image: docker.io/istio/proxyv2:1.4.6}]}\n"
    "status: {phase: Running, podIP: 10.244.0.50}\n---\n"
    "apiVersion: networking.istio.io/v1alpha3\nkind: Gateway\nmetadata: {name: istio-egressgateway, namespace: default}\n"
    "spec: {selector: {istio: egressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP},"
    " hosts: [edition.cnn.com]}]}\n---\n"
    "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: egressgateway-for-cnn, namespace: default}\n"
    "spec: {host: istio-egressgateway.istio-system.svc.cluster.local, subsets: [{name: cnn}]}\n---\n"
    "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\n"
    "metadata: {name: direct-cnn-through-egress-gateway, namespace: default}\n"
    "spec:\n  hosts: [edition.cnn.com]\n  gateways: [istio-egressgateway, mesh]\n  http:\n"
    "  - match: [{gateways: [mesh], port: 80}]\n"
    "    route: [{destination: {host: istio-egressgateway.istio-system.svc.cluster.local, subset: cnn, port: {number: 80}}}]\n"
    "  - match: [{gateways: [istio-egressgateway], port: 80}]\n"
    "    route: [{destination: {host: edition.cnn.com, port: {number: 80}}}]\n";

static void test_egress_gateway_http_and_the_none_loop(void **state)
{
    fixture *f = *state;
    put_yaml(f->st, egress_yaml);
    put_yaml(f->st, "apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata: {name: cnn, namespace: default}\n"
                    "spec: {hosts: [edition.cnn.com], ports: [{number: 80, name: http-port, protocol: HTTP}], resolution: DNS}\n");
    run r = CURL(f, "meshed", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://edition.cnn.com/politics");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "301");
    run_free(&r);
    struct { char lines[8][2048]; int n; } l = {0};
    assert_int_equal(store_log_each(f->st, "istio-system", "istio-egressgateway-1", "istio-proxy", cb, &l), 0);
    assert_int_equal(l.n, 1);
    assert_true(has_line_matching(l.lines[0], "^\\[[^]]+\\] \"GET /politics HTTP/2\" 301 .*\"curl/7\\.88\\.1\" \"[0-9a-f-]{36}\" "
                                              "\"edition\\.cnn\\.com\" \"151\\.101\\.[0-9]+\\.67:80\" outbound\\|80\\|\\|edition\\.cnn\\.com "
                                              "- 10\\.244\\.0\\.50:80 10\\.244\\.0\\.22:[0-9]+ "));

    /* resolution NONE: the gateway forwards to the original destination, itself */
    put_yaml(f->st, "apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata: {name: cnn, namespace: default}\n"
                    "spec: {hosts: [edition.cnn.com], ports: [{number: 80, name: http-port, protocol: HTTP}], resolution: NONE}\n");
    trace_begin();
    r = CURL(f, "meshed", "-sS", "http://edition.cnn.com/politics");
    json_t *recs = trace_end();
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "upstream connect error or disconnect/reset before headers. reset reason: overflow");
    run_free(&r);
    /* the trace says why */
    bool said = false;
    size_t i;
    json_t *rec;
    json_array_foreach(recs, i, rec) {
        const char *why = json_string_value(json_object_get(rec, "why"));
        if (why && strstr(why, "routing loop: istio-system/istio-egressgateway-1 keeps sending the traffic to itself"))
            said = true;
    }
    assert_true(said);
    json_decref(recs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redirect_then_http2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_out_shows_simulated_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verbose_never_shows_loopback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_urls_share_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failures_and_exit_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_network_policy_drops_the_syn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sidecar_logs_and_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_mesh_service_and_route_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_egress_gateway_http_and_the_none_loop, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
