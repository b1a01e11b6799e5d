/* Queries over the built mesh: workloads, which services a proxy can see
 * (exportTo, Sidecar egress hosts), lookups by host, address and range, and
 * the small json helpers the other files share. */
#include <stdlib.h>
#include <string.h>
#include "mesh/internal.h"
#include "mesh/host.h"
#include "model/obj.h"

long long jint(json_t *o, const char *k, long long dflt)
{
    json_t *v = jget(o, k);
    if (json_is_integer(v)) return json_integer_value(v);
    if (json_is_real(v)) return (long long)json_real_value(v);
    if (json_is_string(v)) {
        char *end;
        long long n = strtoll(json_string_value(v), &end, 10);
        if (end != json_string_value(v) && !*end) return n;
    }
    return dflt;
}

json_t *jpath(json_t *o, const char *a, const char *b)
{
    json_t *v = jget(o, a);
    return b ? jget(v, b) : v;
}

unsigned long long mesh_hash(const char *s)
{
    unsigned long long h = 1469598103934665603ull;
    for (; s && *s; s++) { h ^= (unsigned char)*s; h *= 1099511628211ull; }
    return h;
}

json_t *ns_labels(const mesh *m, const char *ns)
{
    json_t *l = mindex_first(m->ns_labels, ns ? ns : "");
    if (l) return json_incref(l);
    /* a namespace without an object still carries its name label */
    return json_pack("{ss}", "kubernetes.io/metadata.name", ns ? ns : "");
}

const m_port *svc_port(const m_svc *s, int number)
{
    for (int i = 0; i < s->nports; i++)
        if (s->ports[i].number == number) return &s->ports[i];
    return NULL;
}

json_t *mesh_config(const mesh *m) { return m ? m->config : NULL; }

const mesh_workload *mesh_workload_by_pod(const mesh *m, const char *ns, const char *name)
{
    if (!m || !name) return NULL;
    char key[512];
    snprintf(key, sizeof key, "%s/%s", ns && *ns ? ns : "default", name);
    return mindex_first(m->wl_by_key, key);
}

const mesh_workload *mesh_workload_by_ip(const mesh *m, const char *ip)
{
    return m && ip ? mindex_first(m->wl_by_ip, ip) : NULL;
}

/* ---- visibility ---- */

/* The Sidecar resource that configures this proxy: one in its namespace
 * selecting it (or without selector), else the root namespace's default. */
static json_t *proxy_sidecar(const mesh *m, const mesh_workload *proxy)
{
    if (!proxy || proxy->gateway) return NULL;
    size_t n;
    void *const *v = mindex_get(m->sidecar_ns, proxy->ns, &n);
    json_t *fallback = NULL;
    json_t *labels = jget(jget(proxy->pod, "metadata"), "labels");
    for (size_t i = 0; i < n; i++) {
        json_t *sel = jpath(v[i], "spec", "workloadSelector");
        if (sel) {
            if (labels_match_map(labels, jget(sel, "labels"))) return v[i];
        } else if (!fallback) {
            fallback = v[i];
        }
    }
    if (fallback) return fallback;
    v = mindex_get(m->sidecar_ns, m->root_ns, &n);
    for (size_t i = 0; i < n; i++)
        if (!jpath(v[i], "spec", "workloadSelector")) return v[i];
    return NULL;
}

bool proxy_registry_only(const mesh *m, const mesh_workload *proxy)
{
    json_t *sc = proxy_sidecar(m, proxy);
    const char *mode = jstr(jpath(sc, "spec", "outboundTrafficPolicy"), "mode");
    if (mode) return !strcmp(mode, "REGISTRY_ONLY");
    return m->registry_only;
}

static bool egress_host_allows(const char *entry, const m_svc *s, const char *proxy_ns)
{
    const char *slash = strchr(entry, '/');
    if (!slash) return false;
    size_t nl = (size_t)(slash - entry);
    const char *host = slash + 1;
    if (nl == 1 && entry[0] == '~') return false;
    bool ns_ok = (nl == 1 && entry[0] == '*') ||
                 (nl == 1 && entry[0] == '.' && !strcmp(s->ns, proxy_ns)) ||
                 (strlen(s->ns) == nl && !strncmp(entry, s->ns, nl));
    return ns_ok && (host_subset_of(s->host, host) || !strcmp(host, "*"));
}

bool svc_visible(const mesh *m, const m_svc *s, const mesh_workload *proxy)
{
    const char *ns = proxy ? proxy->ns : NULL;
    if (ns && !export_visible(s->export_to, s->ns, ns)) return false;
    json_t *sc = proxy_sidecar(m, proxy);
    if (!sc) return true;
    size_t i;
    json_t *eg;
    json_t *egress = jpath(sc, "spec", "egress");
    if (!json_array_size(egress)) return true;
    json_array_foreach(egress, i, eg) {
        size_t k;
        json_t *h;
        json_array_foreach(jget(eg, "hosts"), k, h)
            if (json_is_string(h) && egress_host_allows(json_string_value(h), s, ns)) return true;
    }
    return false;
}

const m_svc *svc_by_host(const mesh *m, const char *host, const mesh_workload *proxy)
{
    size_t n;
    void *const *v = mesh_get(m, m->svc_by_host, host, &n);
    for (size_t i = 0; i < n; i++)
        if (svc_visible(m, v[i], proxy)) return v[i];
    /* wildcard ServiceEntry hosts: the most specific one covering host */
    v = mesh_get(m, m->svc_by_host, "", &n);
    const m_svc *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const m_svc *s = v[i];
        if (host_subset_of(host, s->host) && svc_visible(m, s, proxy) &&
            (!best || strlen(s->host) > strlen(best->host)))
            best = s;
    }
    return best;
}

const m_svc *svc_by_vip(const mesh *m, const char *ip, int port, const mesh_workload *proxy)
{
    size_t n;
    void *const *v = mesh_get(m, m->svc_by_vip, ip, &n);
    for (size_t i = 0; i < n; i++)
        if ((!port || svc_port(v[i], port)) && svc_visible(m, v[i], proxy)) return v[i];
    return NULL;
}

const m_svc *svc_by_cidr(const mesh *m, const char *ip, int port, const mesh_workload *proxy)
{
    char key[32];
    snprintf(key, sizeof key, "cidr:%d", port);
    size_t n;
    void *const *v = mesh_get(m, m->svc_by_port, key, &n);
    const m_svc *best = NULL;
    int best_bits = -1;
    for (size_t i = 0; i < n; i++) {
        const m_svc *s = v[i];
        for (int k = 0; k < s->ncidrs; k++) {
            const char *slash = strchr(s->cidrs[k], '/');
            int bits = slash ? atoi(slash + 1) : 32;
            /* the most specific range wins, as Envoy's filter chain match does */
            if (bits > best_bits && ip_in_cidr(ip, s->cidrs[k]) && svc_visible(m, s, proxy)) {
                best = s;
                best_bits = bits;
            }
        }
    }
    return best;
}

void *const *gateways_of(const mesh *m, const mesh_workload *gwpod, size_t *n)
{
    char key[512];
    snprintf(key, sizeof key, "%s/%s", gwpod->ns, gwpod->name);
    return mindex_get(m->gw_by_pod, key, n);
}
