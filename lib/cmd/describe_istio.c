/* istioctl experimental (x): the commands that were experimental in the
 * emulated releases (analyze lived here in 1.4), and `x describe pod|service`:
 * how Istio's configuration applies to one pod or service. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "cmd/commands.h"
#include "cmd/flags.h"

/* ---- istioctl x describe pod|service ---- */

#define SEPARATOR "--------------------"

static json_t *md(json_t *o) { return json_object_get(o, "metadata"); }
static const char *name_of(json_t *o) { return json_string_value(json_object_get(md(o), "name")); }
static const char *ns_of(json_t *o)
{
    const char *ns = json_string_value(json_object_get(md(o), "namespace"));
    return ns ? ns : "default";
}
static json_t *labels_of(json_t *o) { return json_object_get(md(o), "labels"); }
static json_t *spec_of(json_t *o) { return json_object_get(o, "spec"); }

static bool labels_match(json_t *sel, json_t *labels)
{
    const char *k;
    json_t *v;
    json_object_foreach(sel, k, v) {
        json_t *h = json_object_get(labels, k);
        if (!json_is_string(h) || !json_equal(h, v)) return false;
    }
    return true;
}

static bool has_proxy(json_t *pod)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(spec_of(pod), "containers"), i, c) {
        const char *n = json_string_value(json_object_get(c, "name"));
        if (n && !strcmp(n, "istio-proxy")) return true;
    }
    return false;
}

/* name, or name.namespace when it is not the namespace being described */
static void kname(char *buf, size_t len, json_t *o, const char *ns)
{
    if (strcmp(ns_of(o), ns)) snprintf(buf, len, "%s.%s", name_of(o), ns_of(o));
    else snprintf(buf, len, "%s", name_of(o));
}

static int minor_of(const istio_release *rel)
{
    int maj = 1, min = 4;
    if (rel && rel->minor) sscanf(rel->minor, "%d.%d", &maj, &min);
    return maj > 1 ? 99 : min;
}

/* Istio's protocol for a Service port (by name prefix): "HTTP", "TCP", ... */
static void port_protocol(json_t *p, char *buf, size_t len)
{
    static const char *const names[][2] = {{"http2", "HTTP2"}, {"https", "HTTPS"}, {"http", "HTTP"}, {"grpc-web", "GRPC-Web"},
                                           {"grpc", "GRPC"}, {"tcp", "TCP"}, {"tls", "TLS"}, {"mongo", "Mongo"},
                                           {"redis", "Redis"}, {"mysql", "MySQL"}, {"udp", "UDP"}};
    const char *proto = json_string_value(json_object_get(p, "protocol"));
    if (proto && !strcmp(proto, "UDP")) { snprintf(buf, len, "UDP"); return; }
    const char *n = json_string_value(json_object_get(p, "appProtocol"));
    if (!n) n = json_string_value(json_object_get(p, "name"));
    if (!n) n = "";
    const char *dash = strchr(n, '-');
    size_t pl = dash ? (size_t)(dash - n) : strlen(n);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i][0]) == pl && !strncasecmp(n, names[i][0], pl)) { snprintf(buf, len, "%s", names[i][1]); return; }
    snprintf(buf, len, "UnsupportedProtocol");
}

static void fqdn(char *buf, size_t len, const char *host, const char *ns)
{
    if (!strchr(host, '.') && host[0] != '*') snprintf(buf, len, "%s.%s.svc.cluster.local", host, ns);
    else snprintf(buf, len, "%s", host);
}

static bool exported_to(json_t *obj, const char *client)
{
    json_t *exp = json_object_get(spec_of(obj), "exportTo");
    if (!json_array_size(exp)) return true;
    size_t i;
    json_t *e;
    json_array_foreach(exp, i, e) {
        const char *s = json_string_value(e);
        if (s && (!strcmp(s, "*") || (!strcmp(s, ".") && !strcmp(ns_of(obj), client)) || !strcmp(s, client))) return true;
    }
    return false;
}

/* The DestinationRule on the lookup path of a client in client_ns. */
static json_t *find_dr(json_t *objects, const char *client_ns, const char *host, const char *svc_ns)
{
    const char *order[3] = {client_ns, svc_ns, "istio-system"};
    for (int step = 0; step < 3; step++) {
        if (step && !strcmp(order[step], client_ns)) continue;
        size_t i;
        json_t *o;
        json_array_foreach(objects, i, o) {
            const char *kind = json_string_value(json_object_get(o, "kind"));
            if (!kind || strcmp(kind, "DestinationRule") || strcmp(ns_of(o), order[step])) continue;
            if (step && !exported_to(o, client_ns)) continue;
            const char *h = json_string_value(json_object_get(spec_of(o), "host"));
            char fq[512];
            if (!h) continue;
            fqdn(fq, sizeof fq, h, ns_of(o));
            if (!strcmp(fq, host)) return o;
        }
    }
    return NULL;
}

static void join(char *buf, size_t len, const char *s)
{
    if (*buf) strncat(buf, ",", len - strlen(buf) - 1);
    strncat(buf, s, len - strlen(buf) - 1);
}

static void describe_dr(cmd_ctx *ctx, json_t *dr, json_t *pod, const char *ns, char *matching, size_t mlen)
{
    char kn[300];
    kname(kn, sizeof kn, dr, ns);
    fprintf(ctx->out, "DestinationRule: %s for \"%s\"\n", kn, json_string_value(json_object_get(spec_of(dr), "host")));
    char nonmatching[1024] = "";
    matching[0] = 0;
    size_t i;
    json_t *ss;
    json_t *subsets = json_object_get(spec_of(dr), "subsets");
    json_array_foreach(subsets, i, ss) {
        const char *n = json_string_value(json_object_get(ss, "name"));
        if (!n) continue;
        if (labels_match(json_object_get(ss, "labels"), labels_of(pod))) join(matching, mlen, n);
        else join(nonmatching, sizeof nonmatching, n);
    }
    if (*matching) {
        fprintf(ctx->out, "   Matching subsets: %s\n", matching);
        if (*nonmatching) fprintf(ctx->out, "      (Non-matching subsets %s)\n", nonmatching);
    } else if (json_array_size(subsets)) {
        fprintf(ctx->out, "   WARNING POD DOES NOT MATCH ANY SUBSETS.  (Non matching subsets %s)\n", nonmatching);
    }
    const char *mode = json_string_value(json_object_get(json_object_get(json_object_get(spec_of(dr), "trafficPolicy"), "tls"), "mode"));
    if (mode) fprintf(ctx->out, "   Traffic Policy TLS Mode: %s\n", mode);
    else fprintf(ctx->out, "   No Traffic Policy\n");
}

static bool in_list(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; p && *p;) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        if (l == n && !strncmp(p, item, n)) return true;
        p = c ? c + 1 : NULL;
    }
    return false;
}

static void describe_vs(cmd_ctx *ctx, json_t *vs, const char *host, const char *ns, const char *matching, bool has_dr)
{
    char kn[300];
    kname(kn, sizeof kn, vs, ns);
    fprintf(ctx->out, "VirtualService: %s\n", kn);
    size_t i, j, nroutes = 0, nmatch = 0;
    bool weighted = false;
    json_t *rule, *rd;
    char notes[4096] = "";
    json_array_foreach(json_object_get(spec_of(vs), "http"), i, rule) {
        nroutes++;
        bool hit = false;
        json_array_foreach(json_object_get(rule, "route"), j, rd) {
            json_t *d = json_object_get(rd, "destination");
            const char *h = json_string_value(json_object_get(d, "host"));
            char fq[512];
            if (!h) continue;
            fqdn(fq, sizeof fq, h, ns_of(vs));
            if (strcmp(fq, host)) continue;
            const char *subset = json_string_value(json_object_get(d, "subset"));
            if (subset && !has_dr) {
                size_t l = strlen(notes);
                snprintf(notes + l, sizeof notes - l, "      Warning: Route to subset %s but NO DESTINATION RULE defining subsets!\n", subset);
                continue;
            }
            if (subset && !in_list(matching, subset)) {
                size_t l = strlen(notes);
                snprintf(notes + l, sizeof notes - l, "      Route to non-matching subset %s for (everything)\n", subset);
                continue;
            }
            hit = true;
            json_int_t w = json_integer_value(json_object_get(rd, "weight"));
            if (w && w < 100) {
                fprintf(ctx->out, "   Weight %lld%%\n", (long long)w);
                weighted = true;
            }
        }
        if (hit) nmatch++;
    }
    /* a single weighted route says it all with its weight */
    if (nmatch && !(nmatch == 1 && weighted)) fprintf(ctx->out, "   %zu HTTP route(s)\n", nmatch);
    if (!nmatch && nroutes) {
        fprintf(ctx->out, "   WARNING: No destinations match pod subsets (checked %zu HTTP routes)\n", nroutes);
        fputs(notes, ctx->out);
    }
}

/* The PeerAuthentication in force for the pod: workload, namespace, mesh. */
static void describe_peer_auth(cmd_ctx *ctx, json_t *objects, json_t *pod, const char *ns)
{
    json_t *ws = NULL, *nsw = NULL, *mesh = NULL;
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o) {
        const char *kind = json_string_value(json_object_get(o, "kind"));
        if (!kind || strcmp(kind, "PeerAuthentication")) continue;
        json_t *sel = json_object_get(json_object_get(spec_of(o), "selector"), "matchLabels");
        if (!strcmp(ns_of(o), ns_of(pod))) {
            if (json_object_size(sel)) { if (!ws && labels_match(sel, labels_of(pod))) ws = o; }
            else if (!nsw) nsw = o;
        }
        if (!strcmp(ns_of(o), "istio-system") && !json_object_size(sel) && !mesh) mesh = o;
    }
    const char *mode = "PERMISSIVE";
    json_t *chain[3] = {mesh, nsw, ws};
    for (int k = 0; k < 3; k++) {
        const char *m = json_string_value(json_object_get(json_object_get(spec_of(chain[k]), "mtls"), "mode"));
        if (chain[k] && m && strcmp(m, "UNSET")) mode = m;
    }
    fprintf(ctx->out, "\nEffective PeerAuthentication:\n   Workload mTLS mode: %s\n", mode);
    char applied[1024] = "";
    for (int k = 0; k < 3; k++) {
        if (!chain[k]) continue;
        char kn[300];
        kname(kn, sizeof kn, chain[k], ns);
        if (*applied) strncat(applied, ", ", sizeof applied - strlen(applied) - 1);
        strncat(applied, kn, sizeof applied - strlen(applied) - 1);
    }
    if (*applied) fprintf(ctx->out, "Applied PeerAuthentication:\n   %s\n", applied);
}

/* The services of the pod, each with its DestinationRule and VirtualServices. */
static void describe_services(cmd_ctx *ctx, json_t *objects, json_t *pod, const char *ns, json_t *only_svc)
{
    size_t i;
    json_t *svc;
    json_array_foreach(objects, i, svc) {
        const char *kind = json_string_value(json_object_get(svc, "kind"));
        if (!kind || strcmp(kind, "Service") || strcmp(ns_of(svc), ns_of(pod))) continue;
        if (only_svc && svc != only_svc) continue;
        json_t *sel = json_object_get(spec_of(svc), "selector");
        if (!json_object_size(sel) || !labels_match(sel, labels_of(pod))) continue;
        char kn[300];
        kname(kn, sizeof kn, svc, ns);
        fprintf(ctx->out, "%s\nService: %s\n", SEPARATOR, kn);
        size_t j;
        json_t *p;
        json_array_foreach(json_object_get(spec_of(svc), "ports"), j, p) {
            char proto[32];
            port_protocol(p, proto, sizeof proto);
            long long port = json_integer_value(json_object_get(p, "port"));
            json_t *tp = json_object_get(p, "targetPort");
            const char *pn = json_string_value(json_object_get(p, "name"));
            if (minor_of(ctx->rel) >= 8) {
                char t[64];
                if (json_is_string(tp)) snprintf(t, sizeof t, "%s", json_string_value(tp));
                else snprintf(t, sizeof t, "%lld", tp ? (long long)json_integer_value(tp) : port);
                fprintf(ctx->out, "   Port: %s %lld/%s targets pod port %s\n", pn ? pn : "", port, proto, t);
            } else {
                fprintf(ctx->out, "   Port: %s %lld/%s\n", pn ? pn : "", port, proto);
            }
        }
        char host[512];
        snprintf(host, sizeof host, "%s.%s.svc.cluster.local", name_of(svc), ns_of(svc));
        json_t *dr = find_dr(objects, ns_of(pod), host, ns_of(svc));
        char matching[1024] = "";
        if (dr) describe_dr(ctx, dr, pod, ns, matching, sizeof matching);
        size_t k;
        json_t *vs;
        json_array_foreach(objects, k, vs) {
            const char *vk = json_string_value(json_object_get(vs, "kind"));
            if (!vk || strcmp(vk, "VirtualService") || !exported_to(vs, ns_of(pod))) continue;
            bool covers = false;
            size_t h;
            json_t *hv;
            json_array_foreach(json_object_get(spec_of(vs), "hosts"), h, hv) {
                char fq[512];
                if (!json_is_string(hv)) continue;
                fqdn(fq, sizeof fq, json_string_value(hv), ns_of(vs));
                if (!strcmp(fq, host)) covers = true;
            }
            if (covers) describe_vs(ctx, vs, host, ns, matching, dr != NULL);
        }
    }
}

static json_t *find_obj(json_t *objects, const char *kind, const char *ns, const char *name)
{
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o) {
        const char *k = json_string_value(json_object_get(o, "kind"));
        if (k && !strcmp(k, kind) && !strcmp(ns_of(o), ns) && name_of(o) && !strcmp(name_of(o), name)) return o;
    }
    return NULL;
}

static void describe_pod(cmd_ctx *ctx, json_t *objects, json_t *pod, const char *ns)
{
    char kn[300];
    kname(kn, sizeof kn, pod, ns);
    fprintf(ctx->out, "Pod: %s\n", kn);
    if (minor_of(ctx->rel) >= 10) fprintf(ctx->out, "   Pod Revision: default\n");
    char ports[2048] = "";
    size_t i, j;
    json_t *c, *p;
    json_array_foreach(json_object_get(spec_of(pod), "containers"), i, c)
        json_array_foreach(json_object_get(c, "ports"), j, p) {
            const char *proto = json_string_value(json_object_get(p, "protocol"));
            char one[200];
            snprintf(one, sizeof one, "%lld%s%s (%s)", (long long)json_integer_value(json_object_get(p, "containerPort")),
                     proto && strcmp(proto, "TCP") ? "/" : "", proto && strcmp(proto, "TCP") ? proto : "",
                     json_string_value(json_object_get(c, "name")) ? json_string_value(json_object_get(c, "name")) : "");
            if (*ports) strncat(ports, ", ", sizeof ports - strlen(ports) - 1);
            strncat(ports, one, sizeof ports - strlen(ports) - 1);
        }
    if (*ports) fprintf(ctx->out, "   Pod Ports: %s\n", ports);
    else fprintf(ctx->out, "   Pod does not expose ports\n");
    if (!has_proxy(pod)) {
        fprintf(ctx->out, "WARNING: %s is not part of mesh; no Istio sidecar\n", kn);
        return;
    }
    json_t *l = labels_of(pod);
    if (!json_object_get(l, "app") && !json_object_get(l, "app.kubernetes.io/name") &&
        !json_object_get(l, "service.istio.io/canonical-name"))
        fprintf(ctx->out, "Suggestion: add required service name label for Istio telemetry. See https://istio.io/v%s/docs/ops/deployment/application-requirements/.\n",
                ctx->rel && ctx->rel->minor ? ctx->rel->minor : "1.4");
    describe_services(ctx, objects, pod, ns, NULL);
    if (minor_of(ctx->rel) >= 5) describe_peer_auth(ctx, objects, pod, ns);
}

int cmd_describe_istio(cmd_ctx *ctx, int argc, char **argv)
{
    const char *ns_flag = NULL;
    bool ignore_unmeshed = false;
    const flag_spec specs[] = {
        {"namespace", 'n', FLAG_STR, &ns_flag, NULL},
        {"ignoreUnmeshed", 0, FLAG_BOOL, &ignore_unmeshed, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "istioctl experimental describe", ctx->err);
    if (prc > 0)
        fprintf(ctx->out, "Describe resource and related Istio configuration\n\n"
                          "Usage:\n  istioctl experimental describe [command]\n\n"
                          "Aliases:\n  describe, des\n\n"
                          "Available Commands:\n  pod         Describe pods and their Istio configuration [kube-only]\n"
                          "  service     Describe services and their Istio configuration [kube-only]\n");
    if (prc) {
        flags_free(&fr);
        return prc < 0 ? 64 : 0;
    }
    int rc = 0;
    if (fr.npos < 1 || (strcmp(fr.pos[0], "pod") && strcmp(fr.pos[0], "po") && strcmp(fr.pos[0], "service") &&
                        strcmp(fr.pos[0], "svc"))) {
        fprintf(ctx->err, "Error: describe requires a resource type: pod or service\n");
        flags_free(&fr);
        return 64;
    }
    if (fr.npos != 2) {
        fprintf(ctx->err, "Error: expecting pod name\n");
        flags_free(&fr);
        return 64;
    }
    bool is_pod = fr.pos[0][0] == 'p';
    const char *ns = ns_flag && *ns_flag ? ns_flag : cmd_default_namespace(ctx);
    char name[256], rns[256];
    const char *arg = fr.pos[1], *dot = strrchr(arg, '.');
    if (dot) {
        snprintf(name, sizeof name, "%.*s", (int)(dot - arg), arg);
        snprintf(rns, sizeof rns, "%s", dot + 1);
    } else {
        snprintf(name, sizeof name, "%s", arg);
        snprintf(rns, sizeof rns, "%s", ns);
    }
    store *st = cmd_store(ctx);
    if (!st) {
        flags_free(&fr);
        return 1;
    }
    json_t *objects = store_list_all(st);
    if (is_pod) {
        json_t *pod = find_obj(objects, "Pod", rns, name);
        if (!pod) {
            fprintf(ctx->err, "Error: pods \"%s\" not found\n", name);
            rc = 1;
        } else {
            describe_pod(ctx, objects, pod, ns);
        }
    } else {
        json_t *svc = find_obj(objects, "Service", rns, name);
        if (!svc) {
            fprintf(ctx->err, "Error: services \"%s\" not found\n", name);
            rc = 1;
        } else {
            /* the service as its first meshed pod sees it */
            json_t *sel = json_object_get(spec_of(svc), "selector"), *first = NULL;
            size_t i, npods = 0;
            json_t *o;
            json_array_foreach(objects, i, o) {
                const char *k = json_string_value(json_object_get(o, "kind"));
                if (!k || strcmp(k, "Pod") || strcmp(ns_of(o), rns) || !json_object_size(sel) || !labels_match(sel, labels_of(o)))
                    continue;
                npods++;
                if (!first && has_proxy(o)) first = o;
            }
            if (!first) fprintf(ctx->out, "Service \"%s\" has no Istio pods.  (%zu pods in service).\n", name, npods);
            else describe_services(ctx, objects, first, ns, svc);
        }
    }
    json_decref(objects);
    flags_free(&fr);
    return cmd_finish(ctx, rc);
}

static const cmd_entry experimental_cmds[] = {
    {"analyze", cmd_analyze, "Analyze Istio configuration and print validation messages"},
    {"describe", cmd_describe_istio, "Describe resource and related Istio configuration"},
    {"validate", cmd_istio_validate, "Validate Istio policy and rules files"},
    {0},
};

int cmd_istio_experimental(cmd_ctx *ctx, int argc, char **argv)
{
    if (argc == 0 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        FILE *o = argc ? ctx->out : ctx->err;
        fprintf(o, "Experimental commands that may be modified or deprecated\n\nAvailable Commands:\n");
        for (const cmd_entry *e = experimental_cmds; e->name; e++) fprintf(o, "  %-12s %s\n", e->name, e->summary);
        return argc ? 0 : 64;
    }
    const cmd_entry *e = cmd_find(experimental_cmds, argv[0]);
    if (!e) {
        fprintf(ctx->err, "Error: unknown command \"%s\" for \"istioctl experimental\"\n", argv[0]);
        return 64;
    }
    return e->fn(ctx, argc - 1, argv + 1);
}
