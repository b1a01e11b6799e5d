/* DNS as a pod sees it: kube-dns for Services (with the pod's search path),
 * ServiceEntry addresses (Istio's DNS capture), then the simulated Internet. */
#include <ctype.h>
#include <string.h>
#include "mesh/internal.h"
#include "mesh/host.h"

static int put(char out[][46], int n, int max, const char *ip)
{
    if (n >= max || !ip) return n;
    for (int i = 0; i < n; i++) if (!strcmp(out[i], ip)) return n;
    size_t l = strlen(ip);
    if (l > 45) return n;
    memcpy(out[n], ip, l + 1);
    return n + 1;
}

static int world_answer(const mesh *m, const char *name, char out[][46], int max);

/* A Kubernetes Service by FQDN: its clusterIP, or the pod IPs when headless. */
static int k8s_answer(const mesh *m, const char *fqdn, char out[][46], int max)
{
    size_t n;
    void *const *v = mesh_get(m, m->svc_by_host, fqdn, &n);
    for (size_t i = 0; i < n; i++) {
        const m_svc *s = v[i];
        if (s->is_se) continue;
        int k = 0;
        if (s->external_name) {   /* a CNAME: what the external name resolves to */
            char q[256];
            snprintf(q, sizeof q, "%s", s->external_name);
            return host_is_ip(q) ? put(out, 0, max, q) : world_answer(m, q, out, max);
        }
        if (!s->headless) {
            for (int j = 0; j < s->nvips; j++) k = put(out, k, max, s->vips[j]);
        } else {
            for (int j = 0; j < s->npods; j++) k = put(out, k, max, s->pods[j]->ip);
            size_t si;
            json_t *sub;
            json_array_foreach(jget(s->k8s_endpoints, "subsets"), si, sub) {
                size_t ai;
                json_t *a;
                json_array_foreach(jget(sub, "addresses"), ai, a) k = put(out, k, max, jstr(a, "ip"));
            }
        }
        return k;
    }
    return 0;
}

static int world_answer(const mesh *m, const char *name, char out[][46], int max)
{
    json_t *w = mindex_first(m->world_host, name);
    if (!w) {   /* wildcard world hosts: the longest suffix wins */
        size_t n;
        void *const *v = mindex_get(m->world_host, "", &n);
        size_t best = 0;
        for (size_t i = 0; i < n; i++) {
            size_t k;
            json_t *h;
            json_array_foreach(jpath(v[i], "spec", "hosts"), k, h) {
                const char *s = json_string_value(h);
                if (s && s[0] == '*' && host_subset_of(name, s) && strlen(s) > best) {
                    best = strlen(s);
                    w = v[i];
                }
            }
        }
    }
    if (!w) return 0;
    int k = 0;
    size_t i;
    json_t *a;
    json_array_foreach(jpath(w, "spec", "addresses"), i, a) k = put(out, k, max, json_string_value(a));
    return k;
}

static void normalize(const char *name, char *q, size_t qlen)
{
    snprintf(q, qlen, "%s", name);
    size_t ql = strlen(q);
    if (ql && q[ql - 1] == '.') q[--ql] = 0;
    for (char *p = q; *p; p++) *p = (char)tolower((unsigned char)*p);
}

static int kube_dns(const mesh *m, const char *ns, const char *q, char out[][46], int max)
{
    /* resolv.conf: search <ns>.svc.cluster.local svc.cluster.local cluster.local */
    char cand[320];
    int k;
    if ((k = k8s_answer(m, q, out, max))) return k;
    snprintf(cand, sizeof cand, "%s.%s." MESH_DOMAIN, q, ns ? ns : "default");
    if ((k = k8s_answer(m, cand, out, max))) return k;
    snprintf(cand, sizeof cand, "%s." MESH_DOMAIN, q);
    if ((k = k8s_answer(m, cand, out, max))) return k;
    snprintf(cand, sizeof cand, "%s.cluster.local", q);
    return k8s_answer(m, cand, out, max);
}

int dns_resolve(const mesh *m, const char *ns, const char *name, char out[][46], int max)
{
    if (!m || !name || !*name || max <= 0) return 0;
    char q[256];
    normalize(name, q, sizeof q);
    if (host_is_ip(q)) return put(out, 0, max, q);
    int k = kube_dns(m, ns, q, out, max);
    return k ? k : world_answer(m, q, out, max);
}

int mesh_dns_lookup(const mesh *m, const mesh_workload *client, const char *name,
                    char out[][46], int max)
{
    if (!m || !name || !*name || max <= 0) return 0;
    char q[256];
    normalize(name, q, sizeof q);
    if (host_is_ip(q)) return put(out, 0, max, q);
    int k = kube_dns(m, client ? client->ns : "default", q, out, max);
    if (k) return k;

    /* ServiceEntry addresses: only a proxy's DNS capture knows them */
    if (!client || client->sidecar || client->gateway) {
        size_t n;
        void *const *v = mesh_get(m, m->svc_by_host, q, &n);
        for (size_t i = 0; i < n; i++) {
            const m_svc *s = v[i];
            if (!s->is_se || !s->nvips || (client && !svc_visible(m, s, client))) continue;
            k = 0;
            for (int j = 0; j < s->nvips; j++) k = put(out, k, max, s->vips[j]);
            return k;
        }
    }
    return world_answer(m, q, out, max);
}
