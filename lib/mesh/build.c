/* mesh_build: index the store's objects the way istiod's registry does. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mesh/internal.h"
#include "mesh/host.h"
#include "model/obj.h"
#include "model/selector.h"
#include "model/loader.h"
#include "model/routing_keys.h"

/* ---- ports ---- */

static port_class class_of(const char *proto)
{
    switch (routing_port_class(proto)) {
    case PORT_CLASS_HTTP: return PC_HTTP;
    case PORT_CLASS_TLS: return PC_TLS;
    case PORT_CLASS_UDP: return PC_UDP;
    case PORT_CLASS_TCP: return PC_TCP;
    default: return PC_AUTO;
    }
}

/* Istio's protocol from a Kubernetes port name prefix ("http2-web" -> HTTP2). */
static const char *proto_from_name(arena *a, const char *name)
{
    char buf[32];
    routing_proto_from_name(name, buf, sizeof buf);
    return *buf ? arena_strdup(a, buf) : "";
}

static void parse_port(arena *a, json_t *p, m_port *out, bool se)
{
    out->number = (int)jint(p, se ? "number" : "port", 0);
    out->name = jstr_or(p, "name", "");
    const char *proto;
    if (se) {
        proto = jstr(p, "protocol");
        if (!proto || !*proto) proto = proto_from_name(a, out->name);
    } else {
        const char *app = jstr(p, "appProtocol");
        const char *l4 = jstr(p, "protocol");
        if (l4 && !strcasecmp(l4, "UDP")) {
            proto = "UDP";
        } else if (app && *app) {
            char *up = arena_strdup(a, app);
            for (char *q = up; *q; q++) *q = (char)toupper((unsigned char)*q);
            proto = up;
        } else {
            proto = proto_from_name(a, out->name);
        }
    }
    out->protocol = proto ? proto : "";
    out->cls = class_of(out->protocol);
    json_t *t = jget(p, "targetPort");
    if (json_is_string(t) && !host_is_ip(json_string_value(t))) {
        char *end;
        long n = strtol(json_string_value(t), &end, 10);
        if (*json_string_value(t) && !*end) out->target = (int)n;
        else out->target_name = json_string_value(t);
    } else if (json_is_integer(t)) {
        out->target = (int)json_integer_value(t);
    }
}

/* ---- workloads ---- */

static bool has_container(json_t *pod, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(jpath(pod, "spec", "containers"), i, c) {
        const char *n = jstr(c, "name");
        if (n && !strcmp(n, name)) return true;
    }
    return false;
}

static void add_pod(mesh *m, json_t *o)
{
    mesh_workload *w = &m->wls[m->nwls++];
    json_t *md = jget(o, "metadata");
    w->ns = jstr_or(md, "namespace", "default");
    w->name = jstr_or(md, "name", "");
    w->ip = jstr(jget(o, "status"), "podIP");
    w->service_account = jstr_or(jget(o, "spec"), "serviceAccountName", "default");
    w->pod = o;
    const char *istio = jstr(jget(md, "labels"), "istio");
    w->gateway = istio && (!strcmp(istio, "egressgateway") || !strcmp(istio, "ingressgateway"));
    w->sidecar = !w->gateway && has_container(o, "istio-proxy");
    if (w->ip && *w->ip) mindex_add(m->wl_by_ip, w->ip, w);
    char key[512];
    snprintf(key, sizeof key, "%s/%s", w->ns, w->name);
    mindex_add(m->wl_by_key, key, w);
    mindex_add(m->pods_ns, w->ns, w);
}

static bool pod_running(const mesh_workload *w)
{
    const char *phase = jstr(jget(w->pod, "status"), "phase");
    if (jget(jget(w->pod, "metadata"), "deletionTimestamp")) return false;
    return w->ip && *w->ip && (!phase || !strcmp(phase, "Running"));
}

/* ---- services ---- */

static void index_svc(mesh *m, m_svc *s)
{
    mindex_add_ordered(m->svc_by_host, s->host[0] == '*' ? "" : s->host, s, s->ord);
    for (int i = 0; i < s->nvips; i++) mindex_add_ordered(m->svc_by_vip, s->vips[i], s, s->ord);
    char key[64];
    for (int i = 0; i < s->nports; i++) {
        const m_port *p = &s->ports[i];
        if (p->cls == PC_HTTP || p->cls == PC_AUTO) {
            snprintf(key, sizeof key, "http:%d", p->number);
            mindex_add_ordered(m->svc_by_port, key, s, s->ord);
        }
        if (p->cls == PC_TLS) {
            snprintf(key, sizeof key, "tls:%d", p->number);
            mindex_add_ordered(m->svc_by_port, key, s, s->ord);
        }
        if (s->ncidrs) {
            snprintf(key, sizeof key, "cidr:%d", p->number);
            mindex_add_ordered(m->svc_by_port, key, s, s->ord);
        }
        /* a TCP port of a NONE entry without addresses captures the whole port */
        if (s->is_se && s->res == RES_NONE && !s->nvips && !s->ncidrs && (p->cls == PC_TCP || p->cls == PC_AUTO)) {
            snprintf(key, sizeof key, "tcpnone:%d", p->number);
            mindex_add_ordered(m->svc_by_port, key, s, s->ord);
        }
    }
}

/* Records of a full build live in arrays counted up front (proxy-config
 * walks them); a lazy mesh allocates them one by one. */
static m_svc *new_svc(mesh *m)
{
    return m->lazy ? arena_alloc(m->ar, sizeof(m_svc)) : &m->svcs[m->nsvcs++];
}

static void add_k8s_service(mesh *m, json_t *o)
{
    json_t *md = jget(o, "metadata"), *spec = jget(o, "spec");
    m_svc *s = new_svc(m);
    s->obj = o;
    s->ns = jstr_or(md, "namespace", "default");
    s->name = jstr_or(md, "name", "");
    /* the store's order: serviceentries.* sorts before services */
    s->ord = arena_printf(m->ar, "1\001%s\001%s\001%06d", s->ns, s->name, 0);
    s->host = arena_printf(m->ar, "%s.%s." MESH_DOMAIN, s->name, s->ns);
    s->res = RES_K8S;
    const char *exp = jstr(jget(md, "annotations"), "networking.istio.io/exportTo");
    if (exp) {
        json_t *arr = json_array();
        char *copy = strdup(exp), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ') t++;
            json_array_append_new(arr, json_string(t));
        }
        free(copy);
        json_array_append_new(m->owned, arr);
        s->export_to = arr;
    }
    const char *type = jstr(spec, "type");
    if (type && !strcmp(type, "ExternalName")) s->external_name = jstr(spec, "externalName");
    const char *cip = jstr(spec, "clusterIP");
    if (cip && *cip && strcmp(cip, "None")) {
        s->vips = arena_alloc(m->ar, sizeof *s->vips);
        s->vips[0] = cip;
        s->nvips = 1;
    } else {
        s->headless = true;
    }
    json_t *ports = jget(spec, "ports");
    s->nports = (int)json_array_size(ports);
    s->ports = arena_alloc(m->ar, sizeof *s->ports * (s->nports ? s->nports : 1));
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p) parse_port(m->ar, p, &s->ports[i], false);
    json_t *sel = jget(spec, "selector");
    s->has_selector = !s->external_name && json_is_object(sel) && json_object_size(sel);
    if (s->has_selector) {
        size_t n;
        void *const *pods = mindex_get(m->pods_ns, s->ns, &n);
        s->pods = arena_alloc(m->ar, sizeof *s->pods * (n ? n : 1));
        for (size_t k = 0; k < n; k++) {
            const mesh_workload *w = pods[k];
            if (pod_running(w) && labels_match_map(jget(jget(w->pod, "metadata"), "labels"), sel)) {
                s->pods[s->npods++] = w;
                char key[512];
                snprintf(key, sizeof key, "%s/%s", w->ns, w->name);
                mindex_add(m->svc_by_pod, key, s);
            }
        }
    } else {
        char key[512];
        snprintf(key, sizeof key, "%s/%s", s->ns, s->name);
        s->k8s_endpoints = mindex_first(m->endpoints_key, key);
    }
    index_svc(m, s);
}

static m_res parse_resolution(const char *r)
{
    if (!r || !strcmp(r, "NONE")) return RES_NONE;
    if (!strcmp(r, "STATIC")) return RES_STATIC;
    if (!strcmp(r, "DNS")) return RES_DNS;
    if (!strcmp(r, "DNS_ROUND_ROBIN")) return RES_DNS_RR;
    return RES_NONE;
}

static void add_service_entry(mesh *m, json_t *o)
{
    json_t *md = jget(o, "metadata"), *spec = jget(o, "spec");
    json_t *hosts = jget(spec, "hosts"), *ports = jget(spec, "ports"), *addrs = jget(spec, "addresses");
    int nports = (int)json_array_size(ports);
    m_port *pv = arena_alloc(m->ar, sizeof *pv * (nports ? nports : 1));
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p) parse_port(m->ar, p, &pv[i], true);
    int nv = 0, nc = 0;
    const char **vips = arena_alloc(m->ar, sizeof *vips * (json_array_size(addrs) + 1));
    const char **cidrs = arena_alloc(m->ar, sizeof *cidrs * (json_array_size(addrs) + 1));
    json_array_foreach(addrs, i, p) {
        const char *a = json_string_value(p);
        if (!a) continue;
        const char *slash = strchr(a, '/');
        /* a /32 is one address (indexed); wider CIDRs are searched per port */
        if (!slash) vips[nv++] = a;
        else if (!strcmp(slash, "/32")) vips[nv++] = arena_printf(m->ar, "%.*s", (int)(slash - a), a);
        else cidrs[nc++] = a;
    }
    const char *loc = jstr(spec, "location");
    json_t *h;
    json_array_foreach(hosts, i, h) {
        if (!json_is_string(h)) continue;
        m_svc *s = new_svc(m);
        s->obj = o;
        s->is_se = true;
        s->ns = jstr_or(md, "namespace", "default");
        s->name = jstr_or(md, "name", "");
        s->ord = arena_printf(m->ar, "0\001%s\001%s\001%06zu", s->ns, s->name, i);
        s->host = host_fqdn(m->ar, json_string_value(h), NULL);
        s->mesh_external = !loc || strcmp(loc, "MESH_INTERNAL");
        s->res = parse_resolution(jstr(spec, "resolution"));
        s->export_to = jget(spec, "exportTo");
        s->ports = pv;
        s->nports = nports;
        s->vips = vips;
        s->nvips = nv;
        s->cidrs = cidrs;
        s->ncidrs = nc;
        s->se_endpoints = jget(spec, "endpoints");
        index_svc(m, s);
    }
}

/* ---- Istio config ---- */

static void add_vs(mesh *m, json_t *o)
{
    json_t *md = jget(o, "metadata"), *spec = jget(o, "spec");
    m_vs *v = m->lazy ? arena_alloc(m->ar, sizeof *v) : &m->vss[m->nvss++];
    v->obj = o;
    v->spec = spec;
    v->ns = jstr_or(md, "namespace", "default");
    v->name = jstr_or(md, "name", "");
    v->key = arena_printf(m->ar, "%s/%s", v->ns, v->name);
    /* Istio's order of VirtualServices (sortConfigByCreationTime): the
     * oldest first, ties (timestamps are to the second) by name.namespace */
    v->ord = arena_printf(m->ar, "%s\001%s.%s", jstr_or(md, "creationTimestamp", ""), v->name, v->ns);
    v->export_to = jget(spec, "exportTo");
    json_t *hosts = jget(spec, "hosts");
    v->hosts = arena_alloc(m->ar, sizeof *v->hosts * (json_array_size(hosts) + 1));
    size_t i;
    json_t *h;
    json_array_foreach(hosts, i, h)
        if (json_is_string(h)) v->hosts[v->nhosts++] = host_fqdn(m->ar, json_string_value(h), v->ns);
    json_t *gws = jget(spec, "gateways");
    size_t ng = json_array_size(gws);
    v->gws = arena_alloc(m->ar, sizeof *v->gws * (ng + 1));
    json_array_foreach(gws, i, h)
        if (json_is_string(h)) v->gws[v->ngws++] = gateway_ref(m->ar, json_string_value(h), v->ns);
    if (!v->ngws) v->gws[v->ngws++] = "mesh";

    /* Bind to every gateway named at the top or in a match (a match's list
     * overrides the top-level one for that rule). */
    const char *bound[64];
    int nb = 0;
    for (int k = 0; k < v->ngws && nb < 64; k++) bound[nb++] = v->gws[k];
    static const char *sections[] = {"http", "tls", "tcp"};
    for (int sct = 0; sct < 3; sct++) {
        json_t *rules = jget(spec, sections[sct]);
        size_t r;
        json_t *rule;
        json_array_foreach(rules, r, rule) {
            size_t mi;
            json_t *match;
            json_array_foreach(jget(rule, "match"), mi, match) {
                size_t gi;
                json_t *g;
                json_array_foreach(jget(match, "gateways"), gi, g) {
                    if (!json_is_string(g) || nb >= 64) continue;
                    const char *ref = gateway_ref(m->ar, json_string_value(g), v->ns);
                    bool dup = false;
                    for (int k = 0; k < nb; k++) if (!strcmp(bound[k], ref)) dup = true;
                    if (!dup) bound[nb++] = ref;
                }
            }
        }
    }
    for (int k = 0; k < nb; k++) {
        if (!strcmp(bound[k], "mesh")) {
            for (int j = 0; j < v->nhosts; j++)
                mindex_add_ordered(m->vs_mesh, v->hosts[j][0] == '*' ? "" : v->hosts[j], v, v->ord);
        } else {
            mindex_add_ordered(m->vs_gw, bound[k], v, v->ord);
            bool wild = false;
            for (int j = 0; j < v->nhosts; j++) {
                char key[768];
                if (v->hosts[j][0] == '*') {
                    if (wild) continue;
                    wild = true;
                    snprintf(key, sizeof key, "%s|", bound[k]);
                } else {
                    snprintf(key, sizeof key, "%s|%s", bound[k], v->hosts[j]);
                }
                mindex_add_ordered(m->vs_gw_host, key, v, v->ord);
            }
        }
    }
}

static void add_dr(mesh *m, json_t *o)
{
    json_t *md = jget(o, "metadata"), *spec = jget(o, "spec");
    m_dr *d = &m->drs[m->ndrs++];
    d->obj = o;
    d->spec = spec;
    d->ns = jstr_or(md, "namespace", "default");
    d->name = jstr_or(md, "name", "");
    d->host = host_fqdn(m->ar, jstr_or(spec, "host", ""), d->ns);
    d->export_to = jget(spec, "exportTo");
    mindex_add(m->dr_host, d->host[0] == '*' ? "" : d->host, d);
}

static void add_gw(mesh *m, json_t *o)
{
    json_t *md = jget(o, "metadata");
    m_gw *g = &m->gws[m->ngws++];
    g->obj = o;
    g->spec = jget(o, "spec");
    g->ns = jstr_or(md, "namespace", "default");
    g->name = jstr_or(md, "name", "");
    g->key = arena_printf(m->ar, "%s/%s", g->ns, g->name);
}

static void add_world(mesh *m, json_t *o)
{
    json_t *spec = jget(o, "spec");
    size_t i;
    json_t *h;
    json_array_foreach(jget(spec, "hosts"), i, h) {
        const char *s = json_string_value(h);
        if (!s) continue;
        char low[256];
        snprintf(low, sizeof low, "%s", s);
        for (char *p = low; *p; p++) *p = (char)tolower((unsigned char)*p);
        mindex_add(m->world_host, low[0] == '*' ? "" : low, o);
    }
    json_array_foreach(jget(spec, "addresses"), i, h)
        if (json_is_string(h)) mindex_add(m->world_ip, json_string_value(h), o);
}

static void add_namespace(mesh *m, json_t *o)
{
    json_t *md = jget(o, "metadata");
    const char *name = jstr_or(md, "name", "");
    json_t *labels = json_is_object(jget(md, "labels")) ? json_deep_copy(jget(md, "labels")) : json_object();
    if (!jget(labels, "kubernetes.io/metadata.name"))
        json_object_set_new(labels, "kubernetes.io/metadata.name", json_string(name));
    json_array_append_new(m->owned, labels);
    mindex_add(m->ns_labels, name, labels);
}

/* ---- mesh config ---- */

static void set_default(json_t *o, const char *k, json_t *v)
{
    if (!jget(o, k)) json_object_set(o, k, v);
    json_decref(v);
}

static json_t *parse_mesh_config(json_t *objects)
{
    json_t *cfg = NULL;
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o) {
        const char *kind = jstr(o, "kind");
        if (!kind || strcmp(kind, "ConfigMap")) continue;
        json_t *md = jget(o, "metadata");
        if (strcmp(jstr_or(md, "namespace", ""), "istio-system") || strcmp(jstr_or(md, "name", ""), "istio"))
            continue;
        const char *text = jstr(jget(o, "data"), "mesh");
        if (!text) break;
        loaded_docs docs = {0};
        char err[256];
        if (loader_load_buffer(&docs, text, strlen(text), "mesh config", err, sizeof err) == 0 &&
            docs.n && json_is_object(docs.docs[0].obj))
            cfg = json_incref(docs.docs[0].obj);
        loaded_docs_free(&docs);
        break;
    }
    if (!cfg) cfg = json_object();
    json_t *otp = jget(cfg, "outboundTrafficPolicy");
    if (!json_is_object(otp)) {
        otp = json_object();
        json_object_set_new(cfg, "outboundTrafficPolicy", otp);
    }
    set_default(otp, "mode", json_string("ALLOW_ANY"));
    set_default(cfg, "rootNamespace", json_string("istio-system"));
    set_default(cfg, "accessLogFile", json_string(""));
    set_default(cfg, "accessLogEncoding", json_string("TEXT"));
    set_default(cfg, "accessLogFormat", json_string(""));
    return cfg;
}

/* Did this release route ServiceEntry NONE on gateways as ORIGINAL_DST
 * (the seed page's era: the gateway forwards to itself)?  Later releases fall
 * back to EDS, which has no endpoints. */
static bool release_gw_original_dst(const istio_release *rel)
{
    if (!rel || !rel->minor) return true;
    int maj = 0, min = 0;
    sscanf(rel->minor, "%d.%d", &maj, &min);
    return maj < 1 || (maj == 1 && min < 5);
}

/* ---- build ---- */

static mesh *build(json_t *objects, const istio_release *rel, const mesh_source *src)
{
    mesh *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    if (src) {
        m->lazy = true;
        m->src = *src;
        pthread_mutex_init(&m->mu, NULL);
        m->done = mindex_new(64);
        m->loaded = mindex_new(64);
        if (!m->done || !m->loaded) { mesh_free(m); return NULL; }
    }
    m->objects = objects;
    m->rel = rel ? rel : release_default();
    m->ar = arena_new();
    m->owned = json_array();
    size_t n = json_array_size(objects);
    /* tables grow as needed; only the host table is sized up front */
    mindex **all[] = {&m->wl_by_ip, &m->wl_by_key, &m->pods_ns, &m->svc_by_host, &m->svc_by_vip,
                      &m->svc_by_port, &m->svc_by_pod, &m->vs_mesh, &m->vs_gw, &m->vs_gw_host,
                      &m->gw_by_pod, &m->dr_host, &m->world_host, &m->world_ip, &m->ns_labels,
                      &m->netpol_ns, &m->endpoints_key, &m->sidecar_ns, &m->peerauth_ns, &m->authz_ns};
    bool ok = true;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        *all[i] = mindex_new(all[i] == &m->svc_by_host ? n : 64);
        ok = ok && *all[i];
    }
    if (!ok || !m->ar || !m->owned) { mesh_free(m); return NULL; }

    /* count first so the record arrays never move (indexes hold pointers) */
    size_t npods = 0, nsvc = 0, nvs = 0, ndr = 0, ngw = 0;
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o) {
        const char *k = jstr(o, "kind");
        if (!k) continue;
        if (!strcmp(k, "Pod")) npods++;
        else if (!strcmp(k, "Service")) nsvc++;
        else if (!strcmp(k, "ServiceEntry")) nsvc += json_array_size(jpath(o, "spec", "hosts"));
        else if (!strcmp(k, "VirtualService")) nvs++;
        else if (!strcmp(k, "DestinationRule")) ndr++;
        else if (!strcmp(k, "Gateway")) ngw++;
    }
    m->wls = arena_alloc(m->ar, sizeof *m->wls * (npods + 1));
    m->svcs = arena_alloc(m->ar, sizeof *m->svcs * (nsvc + 1));
    m->vss = arena_alloc(m->ar, sizeof *m->vss * (nvs + 1));
    m->drs = arena_alloc(m->ar, sizeof *m->drs * (ndr + 1));
    m->gws = arena_alloc(m->ar, sizeof *m->gws * (ngw + 1));
    if (!m->wls || !m->svcs || !m->vss || !m->drs || !m->gws) { mesh_free(m); return NULL; }

    /* pods, namespaces and Endpoints before the Services that refer to them */
    json_array_foreach(objects, i, o) {
        const char *k = jstr(o, "kind");
        if (!k) continue;
        if (!strcmp(k, "Pod")) add_pod(m, o);
        else if (!strcmp(k, "Namespace")) add_namespace(m, o);
        else if (!strcmp(k, "Endpoints")) {
            char key[512];
            json_t *md = jget(o, "metadata");
            snprintf(key, sizeof key, "%s/%s", jstr_or(md, "namespace", "default"), jstr_or(md, "name", ""));
            mindex_add(m->endpoints_key, key, o);
        }
    }
    json_array_foreach(objects, i, o) {
        const char *k = jstr(o, "kind");
        if (!k) continue;
        if (!strcmp(k, "Service")) add_k8s_service(m, o);
        else if (!strcmp(k, "ServiceEntry")) add_service_entry(m, o);
        else if (!strcmp(k, "VirtualService")) add_vs(m, o);
        else if (!strcmp(k, "DestinationRule")) add_dr(m, o);
        else if (!strcmp(k, "Gateway")) add_gw(m, o);
        else if (!strcmp(k, "ExternalService")) add_world(m, o);
        else if (!strcmp(k, "NetworkPolicy"))
            mindex_add(m->netpol_ns, jstr_or(jget(o, "metadata"), "namespace", "default"), o);
        else if (!strcmp(k, "Sidecar"))
            mindex_add(m->sidecar_ns, jstr_or(jget(o, "metadata"), "namespace", "default"), o);
        else if (!strcmp(k, "AuthorizationPolicy"))
            mindex_add(m->authz_ns, jstr_or(jget(o, "metadata"), "namespace", "default"), o);
        else if (!strcmp(k, "PeerAuthentication"))
            mindex_add(m->peerauth_ns, jstr_or(jget(o, "metadata"), "namespace", "default"), o);
    }
    /* which Gateways configure which gateway pods (selector nil or {}: all) */
    for (size_t w = 0; w < m->nwls; w++) {
        const mesh_workload *wl = &m->wls[w];
        if (!wl->gateway) continue;
        char key[512];
        snprintf(key, sizeof key, "%s/%s", wl->ns, wl->name);
        json_t *labels = jget(jget(wl->pod, "metadata"), "labels");
        for (size_t g = 0; g < m->ngws; g++) {
            json_t *sel = jget(m->gws[g].spec, "selector");
            if (!json_object_size(sel) || labels_match_map(labels, sel)) mindex_add(m->gw_by_pod, key, &m->gws[g]);
        }
    }
    m->config = parse_mesh_config(objects);
    m->root_ns = jstr_or(m->config, "rootNamespace", "istio-system");
    const char *mode = jstr(jget(m->config, "outboundTrafficPolicy"), "mode");
    m->registry_only = mode && !strcmp(mode, "REGISTRY_ONLY");
    m->gw_none_original_dst = release_gw_original_dst(m->rel);
    return m;
}

mesh *mesh_build(json_t *objects, const istio_release *rel) { return build(objects, rel, NULL); }

mesh *mesh_build_lazy(json_t *objects, const istio_release *rel, const mesh_source *src)
{
    return src && src->by_key && src->key_exists ? build(objects, rel, src) : NULL;
}

/* ---- lazy loading (mesh_build_lazy) ---- */

/* Add a keyed object loaded from the source, once.  Caller holds mu. */
static void add_keyed(mesh *m, json_t *o)
{
    const char *kind = jstr(o, "kind");
    json_t *md = jget(o, "metadata");
    if (!kind) return;
    char id[768];
    snprintf(id, sizeof id, "%s\001%s\001%s", kind, jstr_or(md, "namespace", "default"), jstr_or(md, "name", ""));
    if (mindex_first(m->loaded, id)) return;
    if (mindex_add(m->loaded, id, m)) return;
    json_array_append(m->owned, o);   /* records point into it */
    if (!strcmp(kind, "ServiceEntry")) add_service_entry(m, o);
    else if (!strcmp(kind, "VirtualService")) add_vs(m, o);
}

static void add_all(mesh *m, json_t *objs)
{
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o) add_keyed(m, o);
}

/* Every object filed under key is in the mesh.  Caller holds mu. */
static void ensure(mesh *m, const char *key)
{
    if (mindex_first(m->done, key)) return;
    json_t *objs = m->src.by_key(m->src.ctx, key, 0, -1);
    add_all(m, objs);
    json_decref(objs);
    mindex_add(m->done, key, m);
}

/* The store key whose objects fill ix[key]; NULL for tables built whole. */
static const char *store_key(const mesh *m, const mindex *ix, const char *key, char *buf, size_t len)
{
    if (ix == m->svc_by_host || ix == m->vs_mesh) {
        if (!*key) return "wild";
        snprintf(buf, len, "host:%s", key);
        return buf;
    }
    if (ix == m->svc_by_vip) { snprintf(buf, len, "addr:%s", key); return buf; }
    if (ix == m->vs_gw) { snprintf(buf, len, "gw:%s", key); return buf; }
    if (ix == m->vs_gw_host) {   /* "ns/gateway|host" */
        const char *bar = strchr(key, '|');
        if (!bar || !bar[1]) return "wild";
        snprintf(buf, len, "host:%s", bar + 1);
        return buf;
    }
    if (ix == m->svc_by_port) return key;   /* "cidr:P", "tcpnone:P" (http: and tls: have their own) */
    return NULL;
}

void *const *mesh_get(const mesh *m, mindex *ix, const char *key, size_t *n)
{
    char buf[600];
    const char *sk = m->lazy ? store_key(m, ix, key, buf, sizeof buf) : NULL;
    if (!sk) return mindex_get(ix, key, n);
    mesh *mm = (mesh *)m;   /* loading is invisible to the caller: the answer is the same */
    pthread_mutex_lock(&mm->mu);
    ensure(mm, sk);
    void *const *v = mindex_get(ix, key, n);
    pthread_mutex_unlock(&mm->mu);
    return v;
}

void *mesh_first(const mesh *m, mindex *ix, const char *key)
{
    size_t n;
    void *const *v = mesh_get(m, ix, key, &n);
    return n ? v[0] : NULL;
}

static bool any_visible(const mesh *m, const char *key, const mesh_workload *proxy)
{
    size_t n;
    void *const *v = mindex_get(m->svc_by_port, key, &n);
    for (size_t i = 0; i < n; i++)
        if (svc_visible(m, v[i], proxy)) return true;
    return false;
}

bool mesh_any_http_port(const mesh *m, const mesh_workload *proxy, int port)
{
    char key[32];
    snprintf(key, sizeof key, "http:%d", port);
    if (!m->lazy) return any_visible(m, key, proxy);
    /* existence only: load the port's services a few at a time until one
     * is visible (usually the first), not all of them */
    mesh *mm = (mesh *)m;
    pthread_mutex_lock(&mm->mu);
    bool found = any_visible(m, key, proxy);
    const int batch = 16;
    for (int off = 0; !found && !mindex_first(m->done, key); off += batch) {
        json_t *objs = m->src.by_key(m->src.ctx, key, off, batch);
        size_t got = json_array_size(objs);
        add_all(mm, objs);
        json_decref(objs);
        found = any_visible(m, key, proxy);
        if (got < (size_t)batch) mindex_add(mm->done, key, mm);
    }
    pthread_mutex_unlock(&mm->mu);
    return found;
}

bool mesh_any_tls_port(const mesh *m, int port)
{
    char key[32];
    snprintf(key, sizeof key, "tls:%d", port);
    if (!m->lazy) return mindex_first(m->svc_by_port, key) != NULL;
    mesh *mm = (mesh *)m;
    pthread_mutex_lock(&mm->mu);
    bool found = mindex_first(m->svc_by_port, key) != NULL || m->src.key_exists(m->src.ctx, key);
    pthread_mutex_unlock(&mm->mu);
    return found;
}

void mesh_free(mesh *m)
{
    if (!m) return;
    mindex *all[] = {m->wl_by_ip, m->wl_by_key, m->pods_ns, m->svc_by_host, m->svc_by_vip, m->svc_by_port,
                     m->svc_by_pod, m->vs_mesh, m->vs_gw, m->vs_gw_host, m->gw_by_pod, m->dr_host,
                     m->world_host, m->world_ip, m->ns_labels, m->netpol_ns, m->endpoints_key,
                     m->sidecar_ns, m->peerauth_ns, m->authz_ns, m->done, m->loaded};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mindex_free(all[i]);
    if (m->lazy) pthread_mutex_destroy(&m->mu);
    json_decref(m->config);
    json_decref(m->owned);
    arena_free(m->ar);
    free(m);
}
