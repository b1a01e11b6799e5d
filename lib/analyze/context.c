/* The analysis driver: resources in, analyzers run, messages filtered,
 * sorted and de-duplicated as istioctl does. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "analyze/internal.h"
#include "model/kinds.h"
#include "model/loader.h"

/* Namespaces istioctl never reads (pkg/kube/inject IgnoredNamespaces). */
static bool ignored_ns(const char *ns)
{
    static const char *const ign[] = {"kube-system", "kube-public", "kube-node-lease", "local-path-storage", NULL};
    for (const char *const *p = ign; *p; p++)
        if (!strcmp(ns, *p)) return true;
    return false;
}

static bool cluster_scoped(json_t *obj)
{
    bool ok;
    const kind_info *k = kind_for_object(json_string_value(json_object_get(obj, "apiVersion")),
                                         json_string_value(json_object_get(obj, "kind")), &ok);
    return k && !k->namespaced;
}

void az_input_add(az_input *in, json_t *obj, const char *source, int line, bool synthetic)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    json_t *md = json_object_get(obj, "metadata");
    const char *name = json_string_value(json_object_get(md, "name"));
    if (!kind || !name) return;
    const char *ns = cluster_scoped(obj) ? "" : json_string_value(json_object_get(md, "namespace"));
    if (!ns) ns = "";
    if (ignored_ns(!strcmp(kind, "Namespace") ? name : ns)) return;
    /* files take precedence over what the store holds */
    char key[700];
    snprintf(key, sizeof key, "%s/%s/%s", kind, ns, name);
    if (!in->index) in->index = azm_new(1024);
    const void *pos = azm_first(in->index, key);
    if (pos) {
        az_res *r = &in->v[(size_t)pos - 1];
        {
            json_decref(r->obj);
            free(r->source);
            r->obj = json_incref(obj);
            md = json_object_get(obj, "metadata");
            r->kind = json_string_value(json_object_get(obj, "kind"));
            r->name = json_string_value(json_object_get(md, "name"));
            r->ns = cluster_scoped(obj) ? "" : json_string_value(json_object_get(md, "namespace"));
            if (!r->ns) r->ns = "";
            r->source = source ? strdup(source) : NULL;
            r->line = line;
            r->synthetic = synthetic;
            return;
        }
    }
    if (in->n == in->cap) {
        in->cap = in->cap ? in->cap * 2 : 64;
        in->v = realloc(in->v, in->cap * sizeof *in->v);
    }
    az_res *r = &in->v[in->n++];
    azm_add(in->index, key, (const void *)in->n);
    r->obj = json_incref(obj);
    r->kind = kind;
    r->name = name;
    r->ns = ns;
    r->source = source ? strdup(source) : NULL;
    r->line = line;
    r->synthetic = synthetic;
}

void az_input_free(az_input *in)
{
    for (size_t i = 0; i < in->n; i++) {
        json_decref(in->v[i].obj);
        free(in->v[i].source);
    }
    free(in->v);
    azm_free(in->index);
    json_decref(in->mesh_config);
    memset(in, 0, sizeof *in);
}

void az_input_find_mesh_config(az_input *in)
{
    for (size_t i = 0; i < in->n; i++) {
        az_res *r = &in->v[i];
        if (strcmp(r->kind, "ConfigMap") || strcmp(r->ns, "istio-system") || strcmp(r->name, "istio")) continue;
        const char *text = json_string_value(json_object_get(json_object_get(r->obj, "data"), "mesh"));
        if (!text) return;
        loaded_docs docs = {0};
        char err[256];
        loader_load_buffer(&docs, text, strlen(text), "mesh", err, sizeof err);
        if (docs.n && json_is_object(docs.docs[0].obj)) {
            json_decref(in->mesh_config);
            in->mesh_config = json_incref(docs.docs[0].obj);
        }
        loaded_docs_free(&docs);
        return;
    }
}

/* ---- the analyzers ---- */
typedef struct analyzer {
    az_analyzer_info info;
    void (*run)(az_ctx *c);
} analyzer;

static const analyzer analyzers[] = {
    {{"annotations.K8sAnalyzer", "Checks for misplaced and invalid Istio annotations in Kubernetes resources"},
     az_annotations},
    {{"auth.AuthorizationPoliciesAnalyzer", "Checks the validity of authorization policies"}, az_authz},
    {{"destinationrule.CaCertificateAnalyzer", "Checks if caCertificates is set when TLS mode is SIMPLE/MUTUAL"},
     az_dr_ca_certs},
    {{"destinationrule.SubsetSelectPodAnalyzer", "Checks if pods are selected by subsets in destination rules."},
     az_dr_subsets},
    {{"gateway.ConflictingGatewayAnalyzer", "Checks a gateway's selector, port number and hosts"},
     az_gateway_conflict},
    {{"gateway.IngressGatewayPortAnalyzer", "Checks a gateway's ports against the gateway's Kubernetes service ports"},
     az_gateway_port},
    {{"gateway.SecretAnalyzer", "Checks a gateway's referenced secrets for correctness"}, az_gateway_secret},
    {{"injection.Analyzer", "Checks conditions related to Istio sidecar injection"}, az_injection},
    {{"meshsim.EgressAnalyzer",
      "Checks that traffic meant to leave through an egress gateway cannot take another way (MSH codes)"},
     az_egress},
    {{"schema.ValidationAnalyzer", "Runs schema validation as an analyzer and reports any violations"}, az_schema},
    {{"service.PortNameAnalyzer", "Checks the port names associated with each service"}, az_port_names},
    {{"serviceentry.Analyzer", "Checks the validity of ServiceEntry"}, az_se_addresses},
    {{"serviceentry.ConflictingServiceEntryProtocolAnalyzer",
      "Checks if multiple ServiceEntries define the same host and port with different protocols"},
     az_se_conflicts},
    {{"sidecar.SelectorAnalyzer", "Validates that sidecars that define a workload selector match at least one pod"},
     az_sidecar_selector},
    {{"virtualservice.ConflictingMeshGatewayHostsAnalyzer",
      "Checks if multiple virtual services associated with the mesh gateway have conflicting hosts"},
     az_vs_mesh_conflicts},
    {{"virtualservice.DestinationHostAnalyzer", "Checks the destination hosts associated with each virtual service"},
     az_vs_dest_hosts},
    {{"virtualservice.DestinationRuleAnalyzer", "Checks the destination rules associated with each virtual service"},
     az_vs_dest_rules},
    {{"virtualservice.GatewayAnalyzer", "Checks the gateways associated with each virtual service"},
     az_vs_gateways},
};
#define NANALYZERS (sizeof analyzers / sizeof analyzers[0])

const az_analyzer_info *az_analyzers(size_t *n)
{
    static az_analyzer_info infos[NANALYZERS];
    for (size_t i = 0; i < NANALYZERS; i++) infos[i] = analyzers[i].info;
    *n = NANALYZERS;
    return infos;
}

/* ---- context ---- */
static void list_add(az_list *l, const az_res *r)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = r;
}

static int kind_of(const az_res *r)
{
    const char *api = json_string_value(json_object_get(r->obj, "apiVersion"));
    bool istio_net = api && !strncmp(api, "networking.istio.io/", 20);
    static const struct { const char *kind; int k; bool istio; } map[] = {
        {"Namespace", AZK_NAMESPACE, false}, {"Pod", AZK_POD, false}, {"Service", AZK_SERVICE, false},
        {"Secret", AZK_SECRET, false}, {"ConfigMap", AZK_CONFIGMAP, false},
        {"Deployment", AZK_DEPLOYMENT, false}, {"NetworkPolicy", AZK_NETPOL, false},
        {"Gateway", AZK_GATEWAY, true}, {"VirtualService", AZK_VS, true}, {"DestinationRule", AZK_DR, true},
        {"ServiceEntry", AZK_SE, true}, {"Sidecar", AZK_SIDECAR, true},
        {"AuthorizationPolicy", AZK_AUTHZ, false},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(r->kind, map[i].kind) && (!map[i].istio || istio_net)) return map[i].k;
    return -1;
}

static void host_add(az_ctx *c, const az_res *r, const char *scope, const char *fqdn, json_t *ports, json_t *sel)
{
    az_host *h = calloc(1, sizeof *h);
    h->r = r;
    h->fqdn = strdup(fqdn);
    h->scope = strdup(scope);
    h->ports = ports;
    h->wl_selector = sel;
    char key[700];
    snprintf(key, sizeof key, "%s/%s", scope, fqdn);
    azm_add(c->hosts, key, h);
    if (c->nhosts == c->caphosts) {
        c->caphosts = c->caphosts ? c->caphosts * 2 : 64;
        c->allhosts = realloc(c->allhosts, c->caphosts * sizeof *c->allhosts);
    }
    c->allhosts[c->nhosts++] = h;
    if (fqdn[0] == '*') {
        if (c->nwild == c->capwild) {
            c->capwild = c->capwild ? c->capwild * 2 : 16;
            c->wild = realloc(c->wild, c->capwild * sizeof *c->wild);
        }
        c->wild[c->nwild++] = h;
    }
}

/* util.InitServiceEntryHostMap: ServiceEntry hosts per exportTo scope, and
 * Kubernetes Services (networking.istio.io/exportTo annotation) as entries. */
static void build_hosts(az_ctx *c)
{
    char fq[512];
    for (size_t i = 0; i < c->k[AZK_SE].n; i++) {
        const az_res *r = c->k[AZK_SE].v[i];
        json_t *spec = json_object_get(r->obj, "spec");
        json_t *exp = json_object_get(spec, "exportTo"), *ports = json_object_get(spec, "ports");
        json_t *sel = json_object_get(json_object_get(spec, "workloadSelector"), "labels");
        size_t j, x;
        json_t *h, *e;
        json_array_foreach(json_object_get(spec, "hosts"), j, h) {
            if (!json_is_string(h)) continue;
            az_fqdn(fq, sizeof fq, json_string_value(h), r->ns);
            bool all = !json_array_size(exp);
            json_array_foreach(exp, x, e) if (json_is_string(e) && !strcmp(json_string_value(e), "*")) all = true;
            if (all) {
                host_add(c, r, "*", fq, ports, sel);
                continue;
            }
            json_array_foreach(exp, x, e) {
                const char *s = json_string_value(e);
                if (s) host_add(c, r, strcmp(s, ".") ? s : r->ns, fq, ports, sel);
            }
        }
    }
    for (size_t i = 0; i < c->k[AZK_SERVICE].n; i++) {
        const az_res *r = c->k[AZK_SERVICE].v[i];
        json_t *ports = json_array();
        size_t j;
        json_t *p;
        json_array_foreach(json_object_get(json_object_get(r->obj, "spec"), "ports"), j, p)
            json_array_append_new(ports, json_pack("{s:O?,s:O?,s:O?}", "number", json_object_get(p, "port"),
                                                   "name", json_object_get(p, "name"), "protocol",
                                                   json_object_get(p, "protocol")));
        json_array_append_new(c->owned, ports);
        snprintf(fq, sizeof fq, "%s.%s.%s", r->name, r->ns, AZ_DOMAIN);
        const char *anno = json_string_value(
            json_object_get(json_object_get(json_object_get(r->obj, "metadata"), "annotations"),
                            "networking.istio.io/exportTo"));
        if (!anno || !*anno) {
            host_add(c, r, "*", fq, ports, NULL);
            continue;
        }
        char *copy = strdup(anno), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            host_add(c, r, strcmp(t, ".") ? t : r->ns, fq, ports, NULL);
        free(copy);
    }
}

const az_res *az_find(const az_ctx *c, const char *kind, const char *ns, const char *name)
{
    char key[700];
    snprintf(key, sizeof key, "%s/%s/%s", kind, ns, name);
    return azm_first(c->by_key, key);
}

void az_report(az_ctx *c, const az_res *r, const char *code, ...)
{
    const az_code *ac = az_code_lookup(code);
    if (!ac) return;
    va_list ap;
    va_start(ap, code);
    char *text = NULL;
    if (vasprintf(&text, ac->tmpl, ap) < 0) text = NULL;
    va_end(ap);
    if (!text) return;
    az_msgs *m = &c->msgs;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 32;
        m->v = realloc(m->v, m->cap * sizeof *m->v);
    }
    m->v[m->n++] = (az_msg){ac, r, text};
}

void az_friendly_name(const az_res *r, char *buf, size_t len)
{
    if (r->ns[0])
        snprintf(buf, len, "%s %s/%s", r->kind, r->ns, r->name);
    else
        snprintf(buf, len, "%s %s", r->kind, r->name);
}

char *az_msg_line(const az_msg *m, bool color)
{
    const char *pre = "", *post = "";
    if (color) {
        pre = m->code->level == AZ_ERROR ? "\033[1;31m" : m->code->level == AZ_WARNING ? "\033[33m" : "";
        post = "\033[0m";
    }
    char origin[1024] = "";
    if (m->res) {
        char fn[700];
        az_friendly_name(m->res, fn, sizeof fn);
        if (m->res->source)
            snprintf(origin, sizeof origin, " (%s %s:%d)", fn, m->res->source, m->res->line);
        else
            snprintf(origin, sizeof origin, " (%s)", fn);
    }
    char *s = NULL;
    if (asprintf(&s, "%s%s%s [%s]%s %s", pre, az_level_name(m->code->level), post, m->code->code, origin, m->text) <
        0)
        return NULL;
    return s;
}

/* go-glob: '*' matches any run of characters, nothing else is special. */
static bool glob_match(const char *pat, const char *s)
{
    if (!*pat) return !*s;
    if (*pat == '*') {
        for (const char *p = s;; p++) {
            if (glob_match(pat + 1, p)) return true;
            if (!*p) return false;
        }
    }
    return *s && *pat == *s && glob_match(pat + 1, s + 1);
}

static const char *origin_ns(const az_res *r)
{
    return !strcmp(r->kind, "Namespace") ? r->name : r->ns;
}

static bool keep(const az_msg *m, const az_options *opt)
{
    const az_res *r = m->res;
    if (!r) return true;
    if (opt->ns && origin_ns(r)[0] && strcmp(origin_ns(r), opt->ns)) return false;
    const char *ann = json_string_value(json_object_get(
        json_object_get(json_object_get(r->obj, "metadata"), "annotations"), "galley.istio.io/analyze-suppress"));
    if (ann && *ann) {
        char *copy = strdup(ann), *save = NULL;
        bool hit = false;
        for (char *t = strtok_r(copy, ",", &save); t && !hit; t = strtok_r(NULL, ",", &save))
            hit = !strcmp(t, "*") || !strcmp(t, m->code->code);
        free(copy);
        if (hit) return false;
    }
    char fn[700];
    az_friendly_name(r, fn, sizeof fn);
    for (size_t i = 0; i < opt->nsuppress; i++)
        if (!strcmp(opt->suppress[i].code, m->code->code) && glob_match(opt->suppress[i].resource, fn)) return false;
    return true;
}

typedef struct sort_item {
    az_msg m;
    char *line;
    char cmpkey[800];
} sort_item;

static int cmp_items(const void *a, const void *b)
{
    const sort_item *x = a, *y = b;
    if (x->m.code->level != y->m.code->level) return (int)x->m.code->level - (int)y->m.code->level;
    int c = strcmp(x->m.code->code, y->m.code->code);
    if (c) return c;
    if (!x->m.res != !y->m.res) return x->m.res ? 1 : -1;
    if (x->m.res && (c = strcmp(x->cmpkey, y->cmpkey))) return c;
    return strcmp(x->line, y->line);
}

static bool selected(const az_options *opt, const char *name)
{
    if (!opt->only || !opt->nonly) return true;
    for (size_t i = 0; i < opt->nonly; i++)
        if (!strcmp(opt->only[i], name)) return true;
    return false;
}

/* Analyzers iterate each kind in namespace/name order, whatever the input order. */
static int cmp_res(const void *a, const void *b)
{
    const az_res *x = *(const az_res *const *)a, *y = *(const az_res *const *)b;
    int c = strcmp(x->ns, y->ns);
    return c ? c : strcmp(x->name, y->name);
}

void az_run(az_input *in, const az_options *opt, az_msgs *out)
{
    az_ctx c = {0};
    c.in = in;
    c.by_key = azm_new(in->n);
    c.hosts = azm_new(in->n);
    c.owned = json_array();
    char key[700];
    for (size_t i = 0; i < in->n; i++) {
        const az_res *r = &in->v[i];
        int k = kind_of(r);
        if (k >= 0) list_add(&c.k[k], r);
        snprintf(key, sizeof key, "%s/%s/%s", r->kind, r->ns, r->name);
        azm_add(c.by_key, key, r);
    }
    for (int k = 0; k < AZK_COUNT; k++)
        if (c.k[k].n > 1) qsort(c.k[k].v, c.k[k].n, sizeof *c.k[k].v, cmp_res);
    json_t *mc = in->mesh_config;
    c.root_ns = json_string_value(json_object_get(mc, "rootNamespace"));
    if (!c.root_ns) c.root_ns = "istio-system";
    json_t *pm = json_object_get(json_object_get(mc, "defaultConfig"), "proxyMetadata");
    const char *cap = json_string_value(json_object_get(pm, "ISTIO_META_DNS_CAPTURE"));
    const char *alloc = json_string_value(json_object_get(pm, "ISTIO_META_DNS_AUTO_ALLOCATE"));
    c.dns_capture = cap && !strcmp(cap, "true");
    c.dns_auto_allocate = alloc && !strcmp(alloc, "true");
    build_hosts(&c);

    for (size_t i = 0; i < NANALYZERS; i++)
        if (selected(opt, analyzers[i].info.name)) analyzers[i].run(&c);

    /* filter, sort, de-duplicate (by the printed line) */
    sort_item *items = calloc(c.msgs.n ? c.msgs.n : 1, sizeof *items);
    size_t n = 0;
    for (size_t i = 0; i < c.msgs.n; i++) {
        if (!keep(&c.msgs.v[i], opt)) {
            free(c.msgs.v[i].text);
            continue;
        }
        items[n].m = c.msgs.v[i];
        items[n].line = az_msg_line(&c.msgs.v[i], false);
        if (c.msgs.v[i].res) {
            const az_res *r = c.msgs.v[i].res;
            snprintf(items[n].cmpkey, sizeof items[n].cmpkey, "%s/%s/%s", r->kind, r->name, r->ns);
        }
        n++;
    }
    qsort(items, n, sizeof *items, cmp_items);
    memset(out, 0, sizeof *out);
    out->v = calloc(n ? n : 1, sizeof *out->v);
    for (size_t i = 0; i < n; i++) {
        if (out->n && !strcmp(items[i].line, items[i - 1].line)) {
            free(items[i].m.text);
        } else {
            out->v[out->n++] = items[i].m;
        }
    }
    for (size_t i = 0; i < n; i++) free(items[i].line);
    free(items);
    out->cap = out->n;

    free(c.msgs.v);
    for (int k = 0; k < AZK_COUNT; k++) free(c.k[k].v);
    for (size_t i = 0; i < c.nhosts; i++) {
        free(c.allhosts[i]->fqdn);
        free(c.allhosts[i]->scope);
        free(c.allhosts[i]);
    }
    free(c.allhosts);
    free(c.wild);
    azm_free(c.by_key);
    azm_free(c.hosts);
    json_decref(c.owned);
}

void az_msgs_free(az_msgs *m)
{
    for (size_t i = 0; i < m->n; i++) free(m->v[i].text);
    free(m->v);
    memset(m, 0, sizeof *m);
}
