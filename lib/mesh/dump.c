/* The configuration one proxy holds, enumerated for `istioctl proxy-config`.
 * Built from the same registry queries the routing uses, so what the tables
 * show is what mesh_route does. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mesh/internal.h"
#include "mesh/host.h"
#include "model/obj.h"

static int port_class_http(port_class c) { return c == PC_HTTP || c == PC_AUTO; }

/* The service is the one routing would find for its host (first visible wins). */
static bool effective(const mesh *m, const m_svc *s, const mesh_workload *proxy)
{
    return svc_by_host(m, s->host, proxy) == s;
}

static void add_cluster(json_t *arr, const char *name, const char *fqdn, int port, const char *subset,
                        const char *dir, const char *type, const char *dr)
{
    json_array_append_new(arr, json_pack("{ss ss si ss ss ss ss}", "name", name, "fqdn", fqdn, "port", port,
                                         "subset", subset, "direction", dir, "type", type,
                                         "destination_rule", dr));
}

static void add_endpoints(json_t *arr, const ep_set *es, const char *cluster)
{
    for (int i = 0; i < es->n; i++) {
        char ep[64];
        snprintf(ep, sizeof ep, "%s:%d", es->ip[i], es->port[i]);
        json_array_append_new(arr, json_pack("{ss ss ss ss}", "endpoint", ep, "status", "HEALTHY",
                                             "outlier_check", "OK", "cluster", cluster));
    }
}

static void outbound_clusters(const mesh *m, const mesh_workload *proxy, json_t *clusters, json_t *eps)
{
    for (size_t i = 0; i < m->nsvcs; i++) {
        const m_svc *s = &m->svcs[i];
        if (!svc_visible(m, s, proxy) || !effective(m, s, proxy)) continue;
        const m_dr *d = dr_lookup(m, proxy->ns, s->host, s->ns);
        char drname[300] = "";
        if (d) snprintf(drname, sizeof drname, "%s.%s", d->name, d->ns);
        for (int k = 0; k < s->nports; k++) {
            const m_port *p = &s->ports[k];
            if (p->cls == PC_UDP) continue;
            ep_set es;
            cluster_endpoints(m, proxy, NULL, s, p, NULL, &es);
            char name[512];
            snprintf(name, sizeof name, "outbound|%d||%s", p->number, s->host);
            add_cluster(clusters, name, s->host, p->number, "", "outbound", es.type, drname);
            add_endpoints(eps, &es, name);
            size_t si;
            json_t *sub;
            json_array_foreach(jget(d ? d->spec : NULL, "subsets"), si, sub) {
                const char *sn = jstr(sub, "name");
                if (!sn) continue;
                cluster_endpoints(m, proxy, NULL, s, p, jget(sub, "labels"), &es);
                snprintf(name, sizeof name, "outbound|%d|%s|%s", p->number, sn, s->host);
                add_cluster(clusters, name, s->host, p->number, sn, "outbound", es.type, drname);
                add_endpoints(eps, &es, name);
            }
        }
    }
}

/* The ports the proxy's own Services send to it. */
static void inbound_clusters(const mesh *m, const mesh_workload *proxy, json_t *clusters, json_t *eps)
{
    char key[512];
    snprintf(key, sizeof key, "%s/%s", proxy->ns, proxy->name);
    size_t n;
    void *const *v = mindex_get(m->svc_by_pod, key, &n);
    int seen[64], nseen = 0;
    for (size_t i = 0; i < n; i++) {
        const m_svc *s = v[i];
        for (int k = 0; k < s->nports; k++) {
            int t = workload_port(proxy, &s->ports[k], s->ports[k].number);
            bool dup = false;
            for (int j = 0; j < nseen; j++) dup |= seen[j] == t;
            if (!t || dup || nseen >= 64) continue;
            seen[nseen++] = t;
            char name[64];
            snprintf(name, sizeof name, "inbound|%d||", t);
            add_cluster(clusters, name, "", t, "", "inbound", "STATIC", "");
            ep_set es = {.n = 1};
            strcpy(es.ip[0], "127.0.0.1");
            es.port[0] = t;
            add_endpoints(eps, &es, name);
        }
    }
}

static int cmp_cluster(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    const char *fx = jstr(x, "fqdn"), *fy = jstr(y, "fqdn");
    if (!*fx) fx = jstr(x, "name");
    if (!*fy) fy = jstr(y, "name");
    int c = strcmp(fx, fy);
    if (c) return c;
    long long px = jint(x, "port", 0), py = jint(y, "port", 0);
    if (px != py) return px < py ? -1 : 1;
    c = strcmp(jstr(x, "subset"), jstr(y, "subset"));
    return c ? c : strcmp(jstr(x, "direction"), jstr(y, "direction"));
}

static int cmp_endpoint(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(jstr(x, "cluster"), jstr(y, "cluster"));
    return c ? c : strcmp(jstr(x, "endpoint"), jstr(y, "endpoint"));
}

static void sort_array(json_t *arr, int (*cmp)(const void *, const void *))
{
    size_t n = json_array_size(arr);
    if (n < 2) return;
    json_t **v = malloc(n * sizeof *v);
    if (!v) return;
    for (size_t i = 0; i < n; i++) v[i] = json_incref(json_array_get(arr, i));
    qsort(v, n, sizeof *v, cmp);
    json_array_clear(arr);
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, v[i]);
    free(v);
}

/* ---- routes ---- */

static const char *match_text(json_t *match, char *buf, size_t len)
{
    json_t *uri = jget(match, "uri");
    const char *v;
    if ((v = jstr(uri, "prefix"))) snprintf(buf, len, "%s*", v);
    else if ((v = jstr(uri, "exact"))) snprintf(buf, len, "%s", v);
    else if ((v = jstr(uri, "regex"))) snprintf(buf, len, "regex %s", v);
    else snprintf(buf, len, "/*");
    return buf;
}

/* One row per http match of vs that applies to this proxy and port. */
static void add_route_rows(const vs_ctx *c, json_t *routes, const char *rname, const char *vhost, json_t *domains,
                           const m_vs *vs)
{
    char vsname[300];
    snprintf(vsname, sizeof vsname, "%s.%s", vs->name, vs->ns);
    size_t i;
    json_t *rule;
    json_array_foreach(jget(vs->spec, "http"), i, rule) {
        json_t *matches = jget(rule, "match");
        size_t k;
        json_t *mt;
        char buf[300];
        if (!json_array_size(matches)) {
            if (!vs_match_source(c, vs, NULL)) continue;
            json_array_append_new(routes, json_pack("{ss ss sO ss ss}", "name", rname, "vhost", vhost, "domains",
                                                    domains, "match", "/*", "virtual_service", vsname));
            continue;
        }
        json_array_foreach(matches, k, mt)
            if (vs_match_source(c, vs, mt))
                json_array_append_new(routes, json_pack("{ss ss sO ss ss}", "name", rname, "vhost", vhost,
                                                        "domains", domains, "match", match_text(mt, buf, sizeof buf),
                                                        "virtual_service", vsname));
    }
}

/* The domains of a service's virtual host on port p, as Istio writes them. */
static json_t *svc_domains(const m_svc *s, const mesh_workload *proxy, int p)
{
    json_t *d = json_array();
    char buf[600];
    json_array_append_new(d, json_string(s->host));
    snprintf(buf, sizeof buf, "%s:%d", s->host, p);
    json_array_append_new(d, json_string(buf));
    if (!s->is_se) {
        const char *forms[4] = {NULL};
        char f0[300], f1[300], f2[300];
        snprintf(f0, sizeof f0, "%s.%s.svc.cluster", s->name, s->ns);
        snprintf(f1, sizeof f1, "%s.%s.svc", s->name, s->ns);
        snprintf(f2, sizeof f2, "%s.%s", s->name, s->ns);
        forms[0] = f0; forms[1] = f1; forms[2] = f2;
        forms[3] = !strcmp(s->ns, proxy->ns) ? s->name : NULL;
        for (int i = 0; i < 4; i++) {
            if (!forms[i]) continue;
            json_array_append_new(d, json_string(forms[i]));
            snprintf(buf, sizeof buf, "%s:%d", forms[i], p);
            json_array_append_new(d, json_string(buf));
        }
    }
    for (int i = 0; i < s->nvips; i++) {
        json_array_append_new(d, json_string(s->vips[i]));
        snprintf(buf, sizeof buf, "%s:%d", s->vips[i], p);
        json_array_append_new(d, json_string(buf));
    }
    return d;
}

static const m_vs *mesh_http_vs(const mesh *m, const mesh_workload *proxy, const char *host)
{
    size_t n;
    void *const *v = mesh_get(m, m->vs_mesh, host, &n);
    for (size_t i = 0; i < n; i++)
        if (vs_visible(v[i], proxy->ns) && vs_has(v[i], "http")) return v[i];
    v = mesh_get(m, m->vs_mesh, "", &n);
    for (size_t i = 0; i < n; i++) {
        const m_vs *vs = v[i];
        if (!vs_visible(vs, proxy->ns) || !vs_has(vs, "http")) continue;
        for (int k = 0; k < vs->nhosts; k++)
            if (host_subset_of(host, vs->hosts[k])) return vs;
    }
    return NULL;
}

/* Sidecar: listeners and routes. */
static void sidecar_tables(const mesh *m, const mesh_workload *proxy, json_t *listeners, json_t *routes)
{
    json_t *http_ports = json_object();   /* "P" -> true, in first-seen order */
    for (size_t i = 0; i < m->nsvcs; i++) {
        const m_svc *s = &m->svcs[i];
        if (!svc_visible(m, s, proxy) || !effective(m, s, proxy)) continue;
        for (int k = 0; k < s->nports; k++) {
            const m_port *p = &s->ports[k];
            char key[16], cl[512], rname[16];
            snprintf(key, sizeof key, "%d", p->number);
            snprintf(cl, sizeof cl, "Cluster: outbound|%d||%s", p->number, s->host);
            if (port_class_http(p->cls)) {
                json_object_set_new(http_ports, key, json_true());
                snprintf(rname, sizeof rname, "%d", p->number);
                char vhost[300];
                snprintf(vhost, sizeof vhost, "%s:%d", s->host, p->number);
                json_t *domains = svc_domains(s, proxy, p->number);
                const m_vs *vs = mesh_http_vs(m, proxy, s->host);
                static const char *const mesh_gw[] = {"mesh"};
                vs_ctx c = {m, proxy, NULL, mesh_gw, 1, p->number};
                if (vs) add_route_rows(&c, routes, rname, vhost, domains, vs);
                else
                    json_array_append_new(routes, json_pack("{ss ss sO ss ss}", "name", rname, "vhost", vhost,
                                                            "domains", domains, "match", "/*",
                                                            "virtual_service", ""));
                json_decref(domains);
            } else if (p->cls == PC_TCP || p->cls == PC_TLS) {
                for (int v = 0; v < s->nvips; v++)
                    json_array_append_new(listeners, json_pack("{ss ss si ss ss}", "name", "", "address", s->vips[v],
                                                               "port", p->number, "match", "ALL", "destination", cl));
                if (!s->nvips && p->cls == PC_TLS) {
                    char sni[300];
                    snprintf(sni, sizeof sni, "SNI: %s", s->host);
                    json_array_append_new(listeners, json_pack("{ss ss si ss ss}", "name", "", "address", "0.0.0.0",
                                                               "port", p->number, "match", sni, "destination", cl));
                }
            }
        }
    }
    const char *k;
    json_t *v;
    json_object_foreach(http_ports, k, v) {
        char dest[32];
        snprintf(dest, sizeof dest, "Route: %s", k);
        json_array_append_new(listeners, json_pack("{ss ss si ss ss}", "name", "", "address", "0.0.0.0", "port",
                                                   atoi(k), "match", "ALL", "destination", dest));
    }
    json_decref(http_ports);
    json_array_append_new(listeners, json_pack("{ss ss si ss ss}", "name", "virtualOutbound", "address", "0.0.0.0",
                                               "port", 15001, "match", "ALL", "destination",
                                               proxy_registry_only(m, proxy) ? "BlackHoleCluster" : "PassthroughCluster"));
    json_array_append_new(listeners, json_pack("{ss ss si ss ss}", "name", "virtualInbound", "address", "0.0.0.0",
                                               "port", 15006, "match", "ALL", "destination",
                                               "InboundPassthroughClusterIpv4"));
}

/* Gateway: one listener per server port (on the target port), routes from
 * the bound VirtualServices. */
static void gateway_tables(const mesh *m, const mesh_workload *proxy, json_t *listeners, json_t *routes)
{
    size_t ng;
    void *const *gws = gateways_of(m, proxy, &ng);
    for (size_t g = 0; g < ng; g++) {
        const m_gw *gw = gws[g];
        size_t i;
        json_t *srv;
        json_array_foreach(jget(gw->spec, "servers"), i, srv) {
            int sp = (int)jint(jget(srv, "port"), "number", 0);
            const char *proto = jstr_or(jget(srv, "port"), "protocol", "HTTP");
            const char *mode = jstr_or(jget(srv, "tls"), "mode", "");
            int lp = gateway_listen_port(m, proxy, sp);
            bool tls = !strcasecmp(proto, "HTTPS") || !strcasecmp(proto, "TLS");
            bool pass = tls && (!*mode || !strcmp(mode, "PASSTHROUGH") || !strcmp(mode, "AUTO_PASSTHROUGH"));
            size_t nv;
            void *const *vv = mesh_get(m, m->vs_gw, gw->key, &nv);
            if (pass) {
                for (size_t k = 0; k < nv; k++) {
                    const m_vs *vs = vv[k];
                    size_t r;
                    json_t *rule;
                    json_array_foreach(jget(vs->spec, "tls"), r, rule) {
                        json_t *dst = jget(json_array_get(jget(rule, "route"), 0), "destination");
                        char hb[300], dest[600], match[600] = "SNI: ";
                        const char *h = host_fqdn_buf(hb, sizeof hb, jstr_or(dst, "host", ""), vs->ns);
                        int dp = (int)jint(jget(dst, "port"), "number", sp);
                        snprintf(dest, sizeof dest, "Cluster: outbound|%d|%s|%s", dp, jstr_or(dst, "subset", ""), h);
                        size_t mi;
                        json_t *mt;
                        json_array_foreach(jget(rule, "match"), mi, mt) {
                            long long mp = jint(mt, "port", 0);
                            if (mp && mp != sp) continue;
                            size_t hi;
                            json_t *sh;
                            json_array_foreach(jget(mt, "sniHosts"), hi, sh) {
                                if (strlen(match) > 5) strncat(match, ",", sizeof match - strlen(match) - 1);
                                strncat(match, json_string_value(sh) ? json_string_value(sh) : "",
                                        sizeof match - strlen(match) - 1);
                            }
                        }
                        if (strlen(match) > 5)
                            json_array_append_new(listeners, json_pack("{ss ss si ss ss}", "name", "", "address",
                                                                       "0.0.0.0", "port", lp, "match", match,
                                                                       "destination", dest));
                    }
                }
                continue;
            }
            char rname[128], dest[160];
            if (tls) snprintf(rname, sizeof rname, "https.%d.%s.%s.%s", sp, jstr_or(jget(srv, "port"), "name", ""),
                              gw->name, gw->ns);
            else snprintf(rname, sizeof rname, "http.%d", lp);
            snprintf(dest, sizeof dest, "Route: %s", rname);
            json_array_append_new(listeners, json_pack("{ss ss si ss ss}", "name", "", "address", "0.0.0.0", "port", lp,
                                                       "match", "ALL", "destination", dest));
            bool any = false;
            for (size_t k = 0; k < nv; k++) {
                const m_vs *vs = vv[k];
                if (!vs_has(vs, "http") || !vs_visible(vs, gw->ns)) continue;
                for (int h = 0; h < vs->nhosts; h++) {
                    char vhost[300];
                    snprintf(vhost, sizeof vhost, "%s:%d", vs->hosts[h], sp);
                    json_t *domains = json_pack("[s]", vs->hosts[h]);
                    const char *gwkey = gw->key;
                    vs_ctx c = {m, proxy, NULL, &gwkey, 1, sp};
                    add_route_rows(&c, routes, rname, vhost, domains, vs);
                    json_decref(domains);
                    any = true;
                }
            }
            if (!any) {
                char vhost[64];
                snprintf(vhost, sizeof vhost, "blackhole:%d", sp);
                json_array_append_new(routes, json_pack("{ss ss s[s] ss ss}", "name", rname, "vhost", vhost, "domains",
                                                        "*", "match", "/*", "virtual_service", "404"));
            }
        }
    }
}

json_t *mesh_proxy_config(const mesh *m, const mesh_workload *proxy)
{
    if (!m || !proxy) return NULL;
    json_t *clusters = json_array(), *eps = json_array(), *listeners = json_array(), *routes = json_array();
    outbound_clusters(m, proxy, clusters, eps);
    add_cluster(clusters, "BlackHoleCluster", "", 0, "", "", "STATIC", "");
    add_cluster(clusters, "prometheus_stats", "", 0, "", "", "STATIC", "");
    add_cluster(clusters, "sds-grpc", "", 0, "", "", "STATIC", "");
    add_cluster(clusters, "xds-grpc", "", 0, "", "", "STATIC", "");
    add_cluster(clusters, "zipkin", "", 0, "", "", "STRICT_DNS", "");
    if (proxy->sidecar) {
        inbound_clusters(m, proxy, clusters, eps);
        add_cluster(clusters, "PassthroughCluster", "", 0, "", "", "ORIGINAL_DST", "");
        add_cluster(clusters, "InboundPassthroughClusterIpv4", "", 0, "", "", "ORIGINAL_DST", "");
        sidecar_tables(m, proxy, listeners, routes);
    } else if (proxy->gateway) {
        gateway_tables(m, proxy, listeners, routes);
    }
    sort_array(clusters, cmp_cluster);
    sort_array(eps, cmp_endpoint);
    return json_pack("{so so so so}", "clusters", clusters, "listeners", listeners, "routes", routes,
                     "endpoints", eps);
}

int mesh_cluster_first_endpoint(const mesh *m, const mesh_workload *proxy, const char *cluster, char ip[46],
                                int *port)
{
    if (!m || !proxy || !cluster || strncmp(cluster, "outbound|", 9)) return -1;
    char c[640];
    snprintf(c, sizeof c, "%s", cluster + 9);
    char *b1 = strchr(c, '|');
    char *b2 = b1 ? strchr(b1 + 1, '|') : NULL;
    if (!b2) return -1;
    *b1 = *b2 = 0;
    int number = atoi(c);
    const char *subset = b1 + 1, *host = b2 + 1;
    /* the cluster exists when proxy-config would list it (outbound_clusters) */
    const m_svc *s = svc_by_host(m, host, proxy);
    if (!s || !svc_visible(m, s, proxy)) return -1;
    const m_port *p = svc_port(s, number);
    if (!p || p->cls == PC_UDP) return -1;
    json_t *labels = NULL;
    if (*subset) {
        const m_dr *d = dr_lookup(m, proxy->ns, s->host, s->ns);
        size_t si;
        json_t *sub;
        bool found = false;
        json_array_foreach(jget(d ? d->spec : NULL, "subsets"), si, sub) {
            const char *sn = jstr(sub, "name");
            if (sn && !strcmp(sn, subset)) { labels = jget(sub, "labels"); found = true; break; }
        }
        if (!found) return -1;
    }
    ep_set es;
    cluster_endpoints(m, proxy, NULL, s, p, labels, &es);
    /* proxy-config lists a cluster's endpoints sorted as "ip:port" text */
    char best[64] = "";
    int bi = -1;
    for (int i = 0; i < es.n; i++) {
        char ep[64];
        snprintf(ep, sizeof ep, "%s:%d", es.ip[i], es.port[i]);
        if (bi < 0 || strcmp(ep, best) < 0) { snprintf(best, sizeof best, "%s", ep); bi = i; }
    }
    if (bi < 0) return -1;
    snprintf(ip, 46, "%s", es.ip[bi]);
    *port = es.port[bi];
    return 0;
}
