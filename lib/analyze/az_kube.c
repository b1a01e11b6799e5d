/* Analyzers over Kubernetes resources: sidecar injection (IST0102,
 * IST0103), unknown Istio annotations (IST0108), port naming (IST0118),
 * and workload selectors that select nothing (IST0127, IST0101 selector). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "analyze/internal.h"

static json_t *md(const az_res *r) { return json_object_get(r->obj, "metadata"); }
static json_t *labels(const az_res *r) { return json_object_get(md(r), "labels"); }

/* ---- injection ---- */
void az_injection(az_ctx *c)
{
    az_map *injected = azm_new(c->k[AZK_NAMESPACE].n + 1);
    for (size_t i = 0; i < c->k[AZK_NAMESPACE].n; i++) {
        const az_res *ns = c->k[AZK_NAMESPACE].v[i];
        if (!strcmp(ns->name, "istio-system")) continue;
        const char *inj = json_string_value(json_object_get(labels(ns), "istio-injection"));
        json_t *rev = json_object_get(labels(ns), "istio.io/rev");
        if ((!inj || !*inj) && !rev) {
            az_report(c, ns, "IST0102", ns->name, ns->name);
            continue;
        }
        if (rev) {
            if (inj && *inj) {
                az_report(c, ns, "IST0123", "[istio-injection istio.io/rev]");
                continue;
            }
        } else if (strcmp(inj, "enabled")) {
            continue;   /* deliberately not injected */
        }
        azm_add(injected, ns->name, ns);
    }
    for (size_t i = 0; i < c->k[AZK_POD].n; i++) {
        const az_res *pod = c->k[AZK_POD].v[i];
        if (!azm_first(injected, pod->ns)) continue;
        const char *inj = json_string_value(json_object_get(json_object_get(md(pod), "annotations"), "sidecar.istio.io/inject"));
        const char *linj = json_string_value(json_object_get(labels(pod), "sidecar.istio.io/inject"));
        if (linj) inj = linj;
        if (inj && !strcasecmp(inj, "false")) continue;
        if (json_is_true(json_object_get(json_object_get(pod->obj, "spec"), "hostNetwork"))) continue;
        if (az_pod_in_mesh(pod)) continue;
        char name[600];
        snprintf(name, sizeof name, "%s/%s", pod->ns, pod->name);
        az_report(c, pod, "IST0103", name);
    }
    azm_free(injected);
}

/* ---- annotations ---- */
/* Istio's resource annotations (istio/api annotation package). */
static const char *const known_annotations[] = {
    "galley.istio.io/analyze-suppress", "inject.istio.io/templates", "install.operator.istio.io/chart-owner",
    "install.operator.istio.io/owner-generation", "install.operator.istio.io/version", "istio.io/dry-run",
    "istio.io/rev", "kubernetes.io/ingress.class", "networking.istio.io/exportTo",
    "networking.istio.io/traffic-distribution", "networking.istio.io/address-type",
    "networking.istio.io/service-type", "operator.istio.io/component", "operator.istio.io/managed",
    "operator.istio.io/version", "policy.istio.io/check", "policy.istio.io/checkBaseRetryWaitTime",
    "policy.istio.io/checkMaxRetryWaitTime", "policy.istio.io/checkRetries", "policy.istio.io/lang",
    "prometheus.istio.io/merge-metrics", "proxy.istio.io/config", "proxy.istio.io/overrides",
    "readiness.status.sidecar.istio.io/applicationPorts", "readiness.status.sidecar.istio.io/failureThreshold",
    "readiness.status.sidecar.istio.io/initialDelaySeconds", "readiness.status.sidecar.istio.io/periodSeconds",
    "sidecar.istio.io/agentLogLevel", "sidecar.istio.io/bootstrapOverride", "sidecar.istio.io/componentLogLevel",
    "sidecar.istio.io/controlPlaneAuthPolicy", "sidecar.istio.io/discoveryAddress", "sidecar.istio.io/enableCoreDump",
    "sidecar.istio.io/extraStatTags", "sidecar.istio.io/inject", "sidecar.istio.io/interceptionMode",
    "sidecar.istio.io/logLevel", "sidecar.istio.io/nativeSidecar", "sidecar.istio.io/proxyCPU",
    "sidecar.istio.io/proxyCPULimit", "sidecar.istio.io/proxyImage", "sidecar.istio.io/proxyImageType",
    "sidecar.istio.io/proxyMemory", "sidecar.istio.io/proxyMemoryLimit", "sidecar.istio.io/rewriteAppHTTPProbers",
    "sidecar.istio.io/statsCompression", "sidecar.istio.io/statsFlushInterval",
    "sidecar.istio.io/statsHistogramBuckets", "sidecar.istio.io/statsInclusionPrefixes",
    "sidecar.istio.io/statsInclusionRegexps", "sidecar.istio.io/statsInclusionSuffixes", "sidecar.istio.io/status",
    "sidecar.istio.io/userVolume", "sidecar.istio.io/userVolumeMount", "status.sidecar.istio.io/port",
    "topology.istio.io/controlPlaneClusters", "traffic.istio.io/nodeSelector",
    "traffic.sidecar.istio.io/excludeInboundPorts", "traffic.sidecar.istio.io/excludeInterfaces",
    "traffic.sidecar.istio.io/excludeOutboundIPRanges", "traffic.sidecar.istio.io/excludeOutboundPorts",
    "traffic.sidecar.istio.io/includeInboundPorts", "traffic.sidecar.istio.io/includeOutboundIPRanges",
    "traffic.sidecar.istio.io/includeOutboundPorts", "traffic.sidecar.istio.io/kubevirtInterfaces",
    "ambient.istio.io/redirection", "ambient.istio.io/bypass-inbound-capture", "istio.io/use-waypoint",
    "gateway.istio.io/service-account", "gateway.istio.io/controller-version", "sidecar.istio.io/proxyImageType",
    NULL,
};

static bool istio_annotation(const char *ann)
{
    if (!strcmp(ann, "kubernetes.io/ingress.class")) return true;
    const char *slash = strchr(ann, '/');
    size_t dl = slash ? (size_t)(slash - ann) : strlen(ann);
    return dl >= 8 && !strncmp(ann + dl - 8, "istio.io", 8);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

void az_annotations(az_ctx *c)
{
    static const az_kind kinds[] = {AZK_NAMESPACE, AZK_SERVICE, AZK_POD, AZK_DEPLOYMENT};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (size_t i = 0; i < c->k[kinds[k]].n; i++) {
            const az_res *r = c->k[kinds[k]].v[i];
            json_t *anns = json_object_get(md(r), "annotations");
            size_t n = json_object_size(anns);
            if (!n) continue;
            const char **keys = malloc(n * sizeof *keys);
            size_t nk = 0;
            const char *key;
            json_t *v;
            json_object_foreach(anns, key, v) keys[nk++] = key;
            qsort(keys, nk, sizeof *keys, cmp_str);
            for (size_t a = 0; a < nk; a++) {
                if (!istio_annotation(keys[a])) continue;
                bool known = false;
                for (const char *const *p = known_annotations; *p && !known; p++) known = !strcmp(*p, keys[a]);
                if (!known) az_report(c, r, "IST0108", keys[a]);
            }
            free(keys);
        }
}

/* ---- port names (protocol selection by name prefix) ---- */
static bool known_protocol(const char *name)
{
    static const char *const protos[] = {"tcp", "udp", "grpc", "grpc-web", "http", "http_proxy", "http2",
                                         "https", "tls", "mongo", "redis", "mysql", NULL};
    for (const char *const *p = protos; *p; p++)
        if (!strcasecmp(name, *p)) return true;
    return false;
}

static bool port_supported(json_t *p)
{
    const char *proto = json_string_value(json_object_get(p, "protocol"));
    if (proto && !strcasecmp(proto, "UDP")) return true;
    const char *name = json_string_value(json_object_get(p, "appProtocol"));
    if (!name) name = json_string_value(json_object_get(p, "name"));
    if (!name) name = "";
    if (!strncasecmp(name, "grpc-web", 8)) return true;
    char prefix[128];
    const char *dash = strchr(name, '-');
    snprintf(prefix, sizeof prefix, "%.*s", (int)(dash ? (size_t)(dash - name) : strlen(name)), name);
    if (known_protocol(prefix)) return true;
    /* well-known ports default to TCP */
    long long port = json_integer_value(json_object_get(p, "port"));
    return port == 22 || port == 25 || port == 53 || port == 3306 || port == 27017;
}

void az_port_names(az_ctx *c)
{
    for (size_t i = 0; i < c->k[AZK_SERVICE].n; i++) {
        const az_res *s = c->k[AZK_SERVICE].v[i];
        if (!strcmp(s->ns, "istio-system") && json_object_get(labels(s), "istio")) continue;
        json_t *lab = labels(s);
        if (json_object_get(lab, "istio")) continue;
        const char *rel = json_string_value(json_object_get(lab, "release"));
        if (rel && !strcmp(rel, "istio")) continue;
        json_t *spec = json_object_get(s->obj, "spec");
        const char *type = json_string_value(json_object_get(spec, "type"));
        bool extname = type && !strcmp(type, "ExternalName");
        size_t j;
        json_t *p;
        json_array_foreach(json_object_get(spec, "ports"), j, p) {
            const char *name = json_string_value(json_object_get(p, "name"));
            if (port_supported(p) && !(extname && name && !strcmp(name, "tcp"))) continue;
            if (extname) {
                az_report(c, s, "IST0150");
                continue;
            }
            char tp[128];
            json_t *t = json_object_get(p, "targetPort");
            long long port = json_integer_value(json_object_get(p, "port"));
            if (json_is_string(t))
                snprintf(tp, sizeof tp, "%s", json_string_value(t));
            else
                snprintf(tp, sizeof tp, "%lld", t ? (long long)json_integer_value(t) : port);
            az_report(c, s, "IST0118", name ? name : "", (int)port, tp);
        }
    }
}

/* ---- AuthorizationPolicy ---- */
static bool ns_pattern_match(const char *ns, const char *exp)
{
    if (!strcmp(exp, "*")) return true;
    size_t le = strlen(exp), ln = strlen(ns);
    if (exp[0] == '*') return ln >= le - 1 && !strcmp(ns + ln - (le - 1), exp + 1);
    if (le && exp[le - 1] == '*') return !strncmp(ns, exp, le - 1);
    return !strcasecmp(ns, exp);
}

void az_authz(az_ctx *c)
{
    for (size_t i = 0; i < c->k[AZK_AUTHZ].n; i++) {
        const az_res *ap = c->k[AZK_AUTHZ].v[i];
        json_t *spec = json_object_get(ap->obj, "spec");
        json_t *sel = json_object_get(spec, "selector");
        json_t *ml = json_object_get(sel, "matchLabels");
        bool mesh_wide = !strcmp(ap->ns, c->root_ns);
        char sels[512];
        az_selector_string(ml, sels, sizeof sels);
        bool found = false;
        for (size_t p = 0; p < c->k[AZK_POD].n && !found; p++) {
            const az_res *pod = c->k[AZK_POD].v[p];
            if (!az_pod_in_mesh(pod)) continue;
            if (!mesh_wide && strcmp(pod->ns, ap->ns)) continue;
            if (!sel || az_labels_match(ml, labels(pod))) found = true;
        }
        if (!(mesh_wide && !sel) && !found) az_report(c, ap, "IST0127", sel ? sels : "");
        /* namespaces named in rules must exist */
        size_t r, f, k;
        json_t *rule, *from, *ns;
        json_array_foreach(json_object_get(spec, "rules"), r, rule)
            json_array_foreach(json_object_get(rule, "from"), f, from) {
                json_t *src = json_object_get(from, "source");
                const char *lists[] = {"namespaces", "notNamespaces"};
                for (int l = 0; l < 2; l++)
                    json_array_foreach(json_object_get(src, lists[l]), k, ns) {
                        const char *exp = json_string_value(ns);
                        if (!exp) continue;
                        bool hit = false;
                        for (size_t x = 0; x < c->k[AZK_NAMESPACE].n && !hit; x++)
                            hit = ns_pattern_match(c->k[AZK_NAMESPACE].v[x]->name, exp);
                        if (!hit) az_report(c, ap, "IST0101", "namespace", exp);
                    }
            }
    }
}

/* ---- Sidecar workloadSelector ---- */
void az_sidecar_selector(az_ctx *c)
{
    for (size_t i = 0; i < c->k[AZK_SIDECAR].n; i++) {
        const az_res *sc = c->k[AZK_SIDECAR].v[i];
        json_t *ws = json_object_get(json_object_get(sc->obj, "spec"), "workloadSelector");
        if (!ws) continue;
        json_t *l = json_object_get(ws, "labels");
        bool found = false;
        for (size_t p = 0; p < c->k[AZK_POD].n && !found; p++) {
            const az_res *pod = c->k[AZK_POD].v[p];
            found = !strcmp(pod->ns, sc->ns) && az_labels_match(l, labels(pod));
        }
        if (!found) {
            char sels[512];
            az_selector_string(l, sels, sizeof sels);
            az_report(c, sc, "IST0101", "selector", sels);
        }
    }
}

/* ---- ServiceEntry ---- */
void az_se_addresses(az_ctx *c)
{
    if (!c->dns_capture || c->dns_auto_allocate) return;
    for (size_t i = 0; i < c->k[AZK_SE].n; i++) {
        const az_res *se = c->k[AZK_SE].v[i];
        json_t *spec = json_object_get(se->obj, "spec");
        if (json_object_get(spec, "addresses")) continue;
        size_t j;
        json_t *p;
        json_array_foreach(json_object_get(spec, "ports"), j, p) {
            const char *proto = json_string_value(json_object_get(p, "protocol"));
            if (!proto || !*proto || !strcmp(proto, "TCP")) az_report(c, se, "IST0134");
        }
    }
}

typedef struct se_entry {
    const char *key;        /* "scope|host|port" */
    const char *scope, *host;
    long long port;
    const char *proto;
    const az_res *se;
} se_entry;

static int cmp_entry(const void *a, const void *b)
{
    const se_entry *x = a, *y = b;
    int c = strcmp(x->host, y->host);
    if (c) return c;
    if (x->port != y->port) return x->port < y->port ? -1 : 1;
    return strcmp(x->scope, y->scope);
}

void az_se_conflicts(az_ctx *c)
{
    se_entry *es = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < c->k[AZK_SE].n; i++) {
        const az_res *se = c->k[AZK_SE].v[i];
        json_t *spec = json_object_get(se->obj, "spec");
        json_t *exp = json_object_get(spec, "exportTo");
        const char *scopes[32];
        size_t ns = 0, x;
        json_t *e;
        bool all = !json_array_size(exp);
        json_array_foreach(exp, x, e) if (json_is_string(e) && !strcmp(json_string_value(e), "*")) all = true;
        if (all) scopes[ns++] = "*";
        else json_array_foreach(exp, x, e) if (json_is_string(e) && ns < 32) scopes[ns++] = strcmp(json_string_value(e), ".") ? json_string_value(e) : se->ns;
        size_t h, p;
        json_t *host, *port;
        for (size_t s = 0; s < ns; s++)
            json_array_foreach(json_object_get(spec, "hosts"), h, host) json_array_foreach(json_object_get(spec, "ports"), p, port) {
                if (!json_is_string(host)) continue;
                if (n == cap) {
                    cap = cap ? cap * 2 : 64;
                    es = realloc(es, cap * sizeof *es);
                }
                const char *proto = json_string_value(json_object_get(port, "protocol"));
                es[n++] = (se_entry){NULL, scopes[s], json_string_value(host),
                                     json_integer_value(json_object_get(port, "number")), proto ? proto : "", se};
            }
    }
    if (n > 1) qsort(es, n, sizeof *es, cmp_entry);
    az_map *reported = azm_new(c->k[AZK_SE].n + 1);
    char key[800];
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && !strcmp(es[j].host, es[i].host) && es[j].port == es[i].port) j++;
        /* within one host:port, each scope conflicts with itself and with "*" */
        for (size_t a = i; a < j; a++) {
            if (a > i && !strcmp(es[a].scope, es[a - 1].scope)) continue;
            const char *scope = es[a].scope;
            const char *protos[64], *names[64];
            size_t np = 0, nn = 0;
            for (size_t b = i; b < j; b++) {
                if (strcmp(es[b].scope, scope) && strcmp(es[b].scope, "*")) continue;
                char up[32];
                size_t u = 0;
                for (; es[b].proto[u] && u < sizeof up - 1; u++) up[u] = (char)toupper((unsigned char)es[b].proto[u]);
                up[u] = 0;
                bool dup = false;
                for (size_t q = 0; q < np; q++) dup |= !strcasecmp(protos[q], up);
                if (!dup && np < 64) protos[np++] = es[b].proto;
            }
            if (np < 2) continue;
            for (size_t b = i; b < j; b++) {
                if (strcmp(es[b].scope, scope) && strcmp(es[b].scope, "*")) continue;
                bool dup = false;
                for (size_t q = 0; q < nn; q++) dup |= names[q] == (const char *)es[b].se;
                if (!dup && nn < 64) names[nn++] = (const char *)es[b].se;
            }
            /* names sorted as "ns/name", protocols upper-cased and sorted */
            char *nstr[64], pstr[512] = "", nbuf[4096] = "";
            for (size_t q = 0; q < nn; q++) {
                const az_res *r = (const az_res *)names[q];
                if (asprintf(&nstr[q], "%s/%s", r->ns, r->name) < 0) nstr[q] = strdup("");
            }
            qsort(nstr, nn, sizeof *nstr, cmp_str);
            for (size_t q = 0; q < nn; q++) {
                if (q) strncat(nbuf, ", ", sizeof nbuf - strlen(nbuf) - 1);
                strncat(nbuf, nstr[q], sizeof nbuf - strlen(nbuf) - 1);
            }
            char *pu[64];
            for (size_t q = 0; q < np; q++) {
                pu[q] = strdup(protos[q]);
                for (char *t = pu[q]; *t; t++) *t = (char)toupper((unsigned char)*t);
            }
            qsort(pu, np, sizeof *pu, cmp_str);
            for (size_t q = 0; q < np; q++) {
                if (q) strncat(pstr, ", ", sizeof pstr - strlen(pstr) - 1);
                strncat(pstr, pu[q], sizeof pstr - strlen(pstr) - 1);
                free(pu[q]);
            }
            for (size_t b = i; b < j; b++) {
                if (strcmp(es[b].scope, scope) && strcmp(es[b].scope, "*")) continue;
                const az_res *r = es[b].se;
                snprintf(key, sizeof key, "%s/%s", r->ns, r->name);
                if (azm_first(reported, key)) continue;
                azm_add(reported, key, r);
                az_report(c, r, "IST0177", nbuf, es[b].host, (int)es[b].port, pstr);
            }
            for (size_t q = 0; q < nn; q++) free(nstr[q]);
        }
        i = j;
    }
    azm_free(reported);
    free(es);
}
