/* A proxy's Envoy configuration, built from the mesh model.  See config_dump.h.
 *
 * Sidecars get an outbound cluster per visible service port (and per subset
 * of the DestinationRule on their lookup path), inbound clusters for the
 * services selecting their pod, listeners per service port and route
 * configurations per HTTP port.  Gateways get the same outbound clusters and
 * listeners / routes from the Gateway servers that select them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mesh/config_dump.h"
#include "mesh/host.h"
#include "mesh/internal.h"
#include "mesh/selector.h"

#define T_CLUSTER "type.googleapis.com/envoy.config.cluster.v3.Cluster"
#define T_LISTENER "type.googleapis.com/envoy.config.listener.v3.Listener"
#define T_ROUTE "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"

static int minor_of(const mesh *m)
{
    int maj = 1, min = 4;
    if (m->rel && m->rel->minor) sscanf(m->rel->minor, "%d.%d", &maj, &min);
    return maj > 1 ? 99 : min;
}

static const char *cluster_type(const mesh *m, const m_svc *s, bool gateway)
{
    switch (s->res) {
    case RES_DNS: return "STRICT_DNS";
    case RES_DNS_RR: return "LOGICAL_DNS";
    case RES_NONE: return gateway && !m->gw_none_original_dst ? "EDS" : "ORIGINAL_DST";
    case RES_K8S: return s->headless ? "ORIGINAL_DST" : "EDS";
    default: return "EDS";
    }
}

static json_t *istio_metadata(const char *config_path, const m_svc *s)
{
    json_t *istio = json_object();
    if (config_path) json_object_set_new(istio, "config", json_string(config_path));
    if (s)
        json_object_set_new(istio, "services",
                            json_pack("[{s:s,s:s,s:s}]", "host", s->host, "name", s->is_se ? s->host : s->name,
                                      "namespace", s->ns));
    return json_pack("{s:{s:o}}", "filter_metadata", "istio", istio);
}

static json_t *cluster_obj(const char *name, const char *type, json_t *metadata)
{
    json_t *c = json_pack("{s:s,s:s,s:s,s:s}", "@type", T_CLUSTER, "name", name, "type", type, "connect_timeout", "10s");
    if (!strcmp(type, "EDS"))
        json_object_set_new(c, "eds_cluster_config",
                            json_pack("{s:{s:{}},s:s}", "eds_config", "ads", "service_name", name));
    if (metadata) json_object_set_new(c, "metadata", metadata);
    return c;
}

static void add_dynamic(json_t *arr, json_t *cluster)
{
    json_array_append_new(arr, json_pack("{s:s,s:o,s:s}", "version_info", "2026-01-01T00:00:00Z/1", "cluster",
                                         cluster, "last_updated", "2026-01-01T00:00:00.000Z"));
}

static json_t *clusters_dump(const mesh *m, const mesh_workload *proxy)
{
    json_t *dyn = json_array(), *stat = json_array();
    char name[600], cfg[700];
    for (size_t i = 0; i < m->nsvcs; i++) {
        const m_svc *s = &m->svcs[i];
        if (!svc_visible(m, s, proxy)) continue;
        const m_dr *dr = dr_lookup(m, proxy->ns, s->host, s->ns);
        if (dr) snprintf(cfg, sizeof cfg, "/apis/networking.istio.io/v1alpha3/namespaces/%s/destination-rule/%s", dr->ns, dr->name);
        const char *type = cluster_type(m, s, proxy->gateway);
        for (int p = 0; p < s->nports; p++) {
            if (s->ports[p].cls == PC_UDP) continue;
            snprintf(name, sizeof name, "outbound|%d||%s", s->ports[p].number, s->host);
            add_dynamic(dyn, cluster_obj(name, type, istio_metadata(dr ? cfg : NULL, s)));
            size_t k;
            json_t *ss;
            json_array_foreach(jget(dr ? dr->spec : NULL, "subsets"), k, ss) {
                const char *sn = jstr(ss, "name");
                if (!sn) continue;
                snprintf(name, sizeof name, "outbound|%d|%s|%s", s->ports[p].number, sn, s->host);
                add_dynamic(dyn, cluster_obj(name, type, istio_metadata(cfg, s)));
            }
        }
    }
    if (proxy->sidecar) {
        /* inbound: the services selecting this pod */
        char key[512];
        snprintf(key, sizeof key, "%s/%s", proxy->ns, proxy->name);
        size_t n;
        void *const *v = mindex_get(m->svc_by_pod, key, &n);
        for (size_t i = 0; i < n; i++) {
            const m_svc *s = v[i];
            for (int p = 0; p < s->nports; p++) {
                const m_port *pt = &s->ports[p];
                if (minor_of(m) < 10)
                    snprintf(name, sizeof name, "inbound|%d|%s|%s", pt->number, pt->name, s->host);
                else
                    snprintf(name, sizeof name, "inbound|%d||", workload_port(proxy, pt, pt->number));
                add_dynamic(dyn, cluster_obj(name, "STATIC", istio_metadata(NULL, s)));
            }
        }
    }
    static const char *const statics[][2] = {
        {"BlackHoleCluster", "STATIC"}, {"InboundPassthroughClusterIpv4", "ORIGINAL_DST"},
        {"PassthroughCluster", "ORIGINAL_DST"}, {"prometheus_stats", "STATIC"}, {"sds-grpc", "STATIC"},
        {"xds-grpc", "STRICT_DNS"}, {"zipkin", "STRICT_DNS"},
    };
    for (size_t i = 0; i < sizeof statics / sizeof statics[0]; i++) {
        json_t *c = cluster_obj(statics[i][0], statics[i][1], NULL);
        bool dynamic_kind = !strcmp(statics[i][0], "BlackHoleCluster") || !strcmp(statics[i][0], "PassthroughCluster") ||
                            !strcmp(statics[i][0], "InboundPassthroughClusterIpv4");
        if (!strcmp(statics[i][0], "InboundPassthroughClusterIpv4") && (!proxy->sidecar || minor_of(m) < 5)) {
            json_decref(c);
            continue;
        }
        if (dynamic_kind) add_dynamic(dyn, c);
        else json_array_append_new(stat, json_pack("{s:o,s:s}", "cluster", c, "last_updated", "2026-01-01T00:00:00.000Z"));
    }
    return json_pack("{s:s,s:o,s:o}", "@type", "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "static_clusters",
                     stat, "dynamic_active_clusters", dyn);
}

/* ---- listeners ---- */
static json_t *hcm(const char *rds)
{
    return json_pack("[{s:s,s:{s:s,s:{s:s}}}]", "name", "envoy.filters.network.http_connection_manager", "typed_config",
                     "@type", "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                     "rds", "route_config_name", rds);
}

static json_t *tcp_proxy(const char *cluster)
{
    return json_pack("[{s:s,s:{s:s,s:s,s:s}}]", "name", "envoy.filters.network.tcp_proxy", "typed_config", "@type",
                     "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", "stat_prefix",
                     cluster, "cluster", cluster);
}

static json_t *listener(json_t *list, const char *addr, int port)
{
    char name[128];
    snprintf(name, sizeof name, "%s_%d", addr, port);
    size_t i;
    json_t *l;
    json_array_foreach(list, i, l) {
        json_t *li = jget(jget(l, "active_state"), "listener");
        if (!strcmp(jstr_or(li, "name", ""), name)) return jget(li, "filter_chains");
    }
    json_t *chains = json_array();
    json_t *li = json_pack("{s:s,s:s,s:{s:{s:s,s:i}},s:o}", "@type", T_LISTENER, "name", name, "address",
                           "socket_address", "address", addr, "port_value", port, "filter_chains", chains);
    json_array_append_new(list, json_pack("{s:s,s:{s:s,s:o}}", "name", name, "active_state", "version_info",
                                          "2026-01-01T00:00:00Z/1", "listener", li));
    return chains;
}

static void chain(json_t *chains, json_t *match, json_t *filters)
{
    json_t *c = json_pack("{s:o}", "filters", filters);
    if (match) json_object_set_new(c, "filter_chain_match", match);
    json_array_append_new(chains, c);
}

static void sidecar_listeners(const mesh *m, const mesh_workload *proxy, json_t *list)
{
    char name[600], rds[32];
    for (size_t i = 0; i < m->nsvcs; i++) {
        const m_svc *s = &m->svcs[i];
        if (!svc_visible(m, s, proxy)) continue;
        for (int p = 0; p < s->nports; p++) {
            const m_port *pt = &s->ports[p];
            snprintf(name, sizeof name, "outbound|%d||%s", pt->number, s->host);
            if (pt->cls == PC_HTTP || pt->cls == PC_AUTO) {
                json_t *chains = listener(list, "0.0.0.0", pt->number);
                if (json_array_size(chains)) continue;
                snprintf(rds, sizeof rds, "%d", pt->number);
                chain(chains, json_pack("{s:s,s:[s,s]}", "transport_protocol", "raw_buffer", "application_protocols",
                                        "http/1.1", "h2c"),
                      hcm(rds));
                chain(chains, NULL, tcp_proxy("PassthroughCluster"));
            } else if (pt->cls == PC_TLS || pt->cls == PC_TCP) {
                if (s->nvips) {
                    chain(listener(list, s->vips[0], pt->number), NULL, tcp_proxy(name));
                } else {
                    json_t *chains = listener(list, "0.0.0.0", pt->number);
                    if (pt->cls == PC_TLS)
                        chain(chains, json_pack("{s:[s]}", "server_names", s->host), tcp_proxy(name));
                    else
                        chain(chains, NULL, tcp_proxy(name));
                }
            }
        }
    }
    chain(listener(list, "0.0.0.0", 15001), NULL, tcp_proxy("PassthroughCluster"));
    chain(listener(list, "0.0.0.0", 15006), NULL,
          tcp_proxy(minor_of(m) < 5 ? "PassthroughCluster" : "InboundPassthroughClusterIpv4"));
}

/* The pod port a Gateway server port listens on (the Service's targetPort). */
static int gw_listen_port(const mesh *m, const mesh_workload *gw, int sp)
{
    char key[512];
    snprintf(key, sizeof key, "%s/%s", gw->ns, gw->name);
    size_t n;
    void *const *v = mindex_get(m->svc_by_pod, key, &n);
    for (size_t i = 0; i < n; i++) {
        const m_port *p = svc_port(v[i], sp);
        if (p) {
            int t = workload_port(gw, p, sp);
            if (t) return t;
        }
    }
    return sp;
}

static bool gw_selects(const m_gw *gw, const mesh_workload *proxy)
{
    json_t *sel = jget(gw->spec, "selector");
    return !json_object_size(sel) || sel_match_map(jget(jget(proxy->pod, "metadata"), "labels"), sel);
}

static void gateway_listeners(const mesh *m, const mesh_workload *proxy, json_t *list)
{
    char rds[32], cl[600];
    for (size_t g = 0; g < m->ngws; g++) {
        const m_gw *gw = &m->gws[g];
        if (!gw_selects(gw, proxy)) continue;
        size_t i;
        json_t *srv;
        json_array_foreach(jget(gw->spec, "servers"), i, srv) {
            int sp = (int)jint(jget(srv, "port"), "number", 0);
            if (!sp) continue;
            int lp = gw_listen_port(m, proxy, sp);
            const char *proto = jstr_or(jget(srv, "port"), "protocol", "HTTP");
            const char *mode = jstr_or(jget(srv, "tls"), "mode", "");
            json_t *chains = listener(list, "0.0.0.0", lp);
            bool passthrough = !strcasecmp(proto, "TLS") && (!*mode || !strcmp(mode, "PASSTHROUGH"));
            if (!passthrough && !strcasecmp(proto, "TCP")) passthrough = true;
            if (!passthrough) {
                if (json_array_size(chains)) continue;
                snprintf(rds, sizeof rds, "http.%d", lp);
                chain(chains, NULL, hcm(rds));
                continue;
            }
            /* TLS passthrough: one chain per SNI of the bound VirtualServices' tls routes */
            size_t n;
            void *const *v = mindex_get(m->vs_gw, gw->key, &n);
            for (size_t k = 0; k < n; k++) {
                const m_vs *vs = v[k];
                size_t r, x;
                json_t *rule, *mt;
                json_array_foreach(jget(vs->spec, "tls"), r, rule) {
                    json_t *dest = jget(json_array_get(jget(rule, "route"), 0), "destination");
                    const char *h = jstr(dest, "host");
                    if (!h) continue;
                    char fq[512];
                    host_fqdn_buf(fq, sizeof fq, h, vs->ns);
                    snprintf(cl, sizeof cl, "outbound|%lld|%s|%s", jint(jget(dest, "port"), "number", sp),
                             jstr_or(dest, "subset", ""), fq);
                    json_array_foreach(jget(rule, "match"), x, mt) {
                        long long mport = jint(mt, "port", 0);
                        if (mport && mport != sp) continue;
                        json_t *gws = jget(mt, "gateways");
                        if (json_array_size(gws)) {
                            bool mine = false;
                            size_t y;
                            json_t *gn;
                            json_array_foreach(gws, y, gn) {
                                char ref[512];
                                if (json_is_string(gn) &&
                                    !strcmp(gateway_ref_buf(ref, sizeof ref, json_string_value(gn), vs->ns), gw->key))
                                    mine = true;
                            }
                            if (!mine) continue;
                        }
                        json_t *sni = jget(mt, "sniHosts");
                        chain(chains, json_pack("{s:O}", "server_names", sni ? sni : json_array()), tcp_proxy(cl));
                    }
                }
            }
        }
    }
}

/* ---- routes ---- */
static bool rule_for(const m_vs *vs, json_t *rule, const char *gw)
{
    json_t *matches = jget(rule, "match");
    bool plain = !json_array_size(matches);
    size_t i, j;
    json_t *mt, *g;
    json_array_foreach(matches, i, mt) {
        json_t *mg = jget(mt, "gateways");
        if (!json_array_size(mg)) { plain = true; continue; }
        json_array_foreach(mg, j, g) {
            char ref[512];
            if (json_is_string(g) && !strcmp(gateway_ref_buf(ref, sizeof ref, json_string_value(g), vs->ns), gw))
                return true;
        }
    }
    if (!plain) return false;
    for (int k = 0; k < vs->ngws; k++)
        if (!strcmp(vs->gws[k], gw)) return true;
    return false;
}

static json_t *route_match(json_t *rule)
{
    json_t *uri = jget(json_array_get(jget(rule, "match"), 0), "uri");
    if (jstr(uri, "prefix")) return json_pack("{s:s}", "prefix", jstr(uri, "prefix"));
    if (jstr(uri, "exact")) return json_pack("{s:s}", "path", jstr(uri, "exact"));
    if (jstr(uri, "regex")) return json_pack("{s:{s:s}}", "safe_regex", "regex", jstr(uri, "regex"));
    return json_pack("{s:s}", "prefix", "/");
}

static json_t *vs_routes(const m_vs *vs, const char *gw, int port)
{
    json_t *routes = json_array();
    char cfg[700], cl[600], fq[512];
    snprintf(cfg, sizeof cfg, "/apis/networking.istio.io/v1alpha3/namespaces/%s/virtual-service/%s", vs->ns, vs->name);
    size_t i;
    json_t *rule;
    json_array_foreach(jget(vs->spec, "http"), i, rule) {
        if (!rule_for(vs, rule, gw)) continue;
        long long mport = jint(json_array_get(jget(rule, "match"), 0), "port", 0);
        if (mport && mport != port) continue;
        json_t *r = json_pack("{s:o,s:{s:{s:{s:s}}}}", "match", route_match(rule), "metadata", "filter_metadata",
                              "istio", "config", cfg);
        if (jstr(rule, "name")) json_object_set_new(r, "name", json_string(jstr(rule, "name")));
        json_t *dest = jget(json_array_get(jget(rule, "route"), 0), "destination");
        if (dest) {
            host_fqdn_buf(fq, sizeof fq, jstr_or(dest, "host", ""), vs->ns);
            snprintf(cl, sizeof cl, "outbound|%lld|%s|%s", jint(jget(dest, "port"), "number", port),
                     jstr_or(dest, "subset", ""), fq);
            json_object_set_new(r, "route", json_pack("{s:s}", "cluster", cl));
        } else {
            json_object_set_new(r, "direct_response", json_pack("{s:i}", "status", 200));
        }
        json_array_append_new(routes, r);
    }
    return routes;
}

static json_t *vhost(const char *host, int port, json_t *routes)
{
    char name[600];
    snprintf(name, sizeof name, "%s:%d", host, port);
    return json_pack("{s:s,s:[s,s],s:o}", "name", name, "domains", host, name, "routes", routes);
}

static json_t *routes_dump(const mesh *m, const mesh_workload *proxy, json_t *listeners)
{
    json_t *dyn = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(listeners, i, l) {
        json_t *li = jget(jget(l, "active_state"), "listener");
        size_t c;
        json_t *ch;
        json_array_foreach(jget(li, "filter_chains"), c, ch) {
            const char *rds = jstr(jget(jget(json_array_get(jget(ch, "filters"), 0), "typed_config"), "rds"),
                                   "route_config_name");
            if (!rds) continue;
            json_t *vhosts = json_array();
            if (proxy->gateway) {
                int lp = atoi(rds + 5);
                for (size_t g = 0; g < m->ngws; g++) {
                    const m_gw *gw = &m->gws[g];
                    if (!gw_selects(gw, proxy)) continue;
                    size_t s;
                    json_t *srv;
                    json_array_foreach(jget(gw->spec, "servers"), s, srv) {
                        int sp = (int)jint(jget(srv, "port"), "number", 0);
                        if (gw_listen_port(m, proxy, sp) != lp) continue;
                        size_t n;
                        void *const *v = mindex_get(m->vs_gw, gw->key, &n);
                        for (size_t k = 0; k < n; k++) {
                            const m_vs *vs = v[k];
                            json_t *routes = vs_routes(vs, gw->key, sp);
                            if (!json_array_size(routes)) { json_decref(routes); continue; }
                            json_array_append_new(vhosts, vhost(vs->nhosts ? vs->hosts[0] : "*", sp, routes));
                        }
                    }
                }
                if (!json_array_size(vhosts)) {
                    char bh[64];
                    snprintf(bh, sizeof bh, "blackhole:%d", lp);
                    json_array_append_new(vhosts, json_pack("{s:s,s:[s],s:[]}", "name", bh, "domains", "*", "routes"));
                }
            } else {
                int port = atoi(rds);
                char cl[600];
                for (size_t k = 0; k < m->nsvcs; k++) {
                    const m_svc *s = &m->svcs[k];
                    const m_port *pt = svc_port(s, port);
                    if (!pt || !(pt->cls == PC_HTTP || pt->cls == PC_AUTO) || !svc_visible(m, s, proxy)) continue;
                    json_t *routes = NULL;
                    size_t n;
                    void *const *v = mindex_get(m->vs_mesh, s->host, &n);
                    for (size_t x = 0; x < n && !routes; x++)
                        if (vs_visible(v[x], proxy->ns)) routes = vs_routes(v[x], "mesh", port);
                    if (!routes || !json_array_size(routes)) {
                        json_decref(routes);
                        snprintf(cl, sizeof cl, "outbound|%d||%s", port, s->host);
                        routes = json_pack("[{s:s,s:{s:s},s:{s:s}}]", "name", "default", "match", "prefix", "/",
                                           "route", "cluster", cl);
                    }
                    json_array_append_new(vhosts, vhost(s->host, port, routes));
                }
                const char *catchall = m->registry_only ? "block_all" : "allow_any";
                json_array_append_new(
                    vhosts, json_pack("{s:s,s:[s],s:[{s:s,s:{s:s},s:o}]}", "name", catchall, "domains", "*", "routes",
                                      "name", catchall, "match", "prefix", "/",
                                      m->registry_only ? "direct_response" : "route",
                                      m->registry_only ? json_pack("{s:i}", "status", 502)
                                                       : json_pack("{s:s}", "cluster", "PassthroughCluster")));
            }
            json_array_append_new(dyn, json_pack("{s:s,s:{s:s,s:s,s:o}}", "version_info", "2026-01-01T00:00:00Z/1",
                                                 "route_config", "@type", T_ROUTE, "name", rds, "virtual_hosts", vhosts));
        }
    }
    return json_pack("{s:s,s:o}", "@type", "type.googleapis.com/envoy.admin.v3.RoutesConfigDump",
                     "dynamic_route_configs", dyn);
}

json_t *mesh_config_dump(const mesh *m, const mesh_workload *proxy)
{
    if (!m || !proxy) return NULL;
    json_t *listeners = json_array();
    if (proxy->gateway) gateway_listeners(m, proxy, listeners);
    else sidecar_listeners(m, proxy, listeners);
    json_t *routes = routes_dump(m, proxy, listeners);
    char node[600];
    snprintf(node, sizeof node, "%s~%s~%s.%s~%s.svc.cluster.local", proxy->gateway ? "router" : "sidecar",
             proxy->ip ? proxy->ip : "", proxy->name, proxy->ns, proxy->ns);
    json_t *boot = json_pack("{s:s,s:{s:{s:s,s:s,s:{s:s,s:s}}}}", "@type",
                             "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump", "bootstrap", "node", "id", node,
                             "cluster", proxy->name, "metadata", "NAMESPACE", proxy->ns, "ISTIO_VERSION",
                             m->rel && m->rel->tag ? m->rel->tag : "");
    json_t *secrets = json_pack("{s:s,s:[{s:s,s:{s:s}},{s:s,s:{s:s}}]}", "@type",
                                "type.googleapis.com/envoy.admin.v3.SecretsConfigDump", "dynamic_active_secrets",
                                "name", "default", "secret", "name", "default", "name", "ROOTCA", "secret", "name",
                                "ROOTCA");
    return json_pack("{s:[o,o,o,o,o]}", "configs", boot, clusters_dump(m, proxy),
                     json_pack("{s:s,s:o}", "@type", "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
                               "dynamic_listeners", listeners),
                     routes, secrets);
}

json_t *mesh_proxy_endpoints(const mesh *m, const mesh_workload *proxy)
{
    json_t *out = json_array();
    if (!m || !proxy) return out;
    char name[600];
    for (size_t i = 0; i < m->nsvcs; i++) {
        const m_svc *s = &m->svcs[i];
        if (!svc_visible(m, s, proxy)) continue;
        for (int p = 0; p < s->nports; p++) {
            const m_port *pt = &s->ports[p];
            if (pt->cls == PC_UDP) continue;
            snprintf(name, sizeof name, "outbound|%d||%s", pt->number, s->host);
            if (s->res == RES_DNS || s->res == RES_DNS_RR) {
                char addrs[8][46];
                int n = dns_resolve(m, proxy->ns, s->host, addrs, s->res == RES_DNS_RR ? 1 : 8);
                for (int a = 0; a < n; a++)
                    json_array_append_new(out, json_pack("{s:s,s:s,s:i,s:s}", "cluster", name, "address", addrs[a],
                                                         "port", pt->number, "health", "HEALTHY"));
                continue;
            }
            for (int w = 0; w < s->npods; w++) {
                const mesh_workload *wl = s->pods[w];
                int tp = workload_port(wl, pt, pt->number);
                if (!tp || !wl->ip) continue;
                json_array_append_new(out, json_pack("{s:s,s:s,s:i,s:s}", "cluster", name, "address", wl->ip, "port",
                                                     tp, "health", "HEALTHY"));
            }
        }
    }
    return out;
}
