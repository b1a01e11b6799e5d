/* Gateway proxies (istio-ingressgateway / istio-egressgateway pods):
 * listeners come from Gateway servers, on the gateway Service's target
 * ports; routes come from VirtualServices bound to those Gateways. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mesh/internal.h"
#include "mesh/host.h"
#include "model/obj.h"
#include "model/selector.h"

#define MAX_SERVERS 32

typedef struct server {
    const m_gw *gw;
    json_t *srv;
    int port;              /* the Gateway server port (the Service port) */
    const char *protocol;  /* upper-case as written */
    const char *tls_mode;  /* "" when no tls section */
} server;

/* The pod port a Gateway server port listens on: the targetPort of the
 * gateway Service port with that number, else the number itself. */
int gateway_listen_port(const mesh *m, const mesh_workload *gwpod, int server_port)
{
    char key[512];
    snprintf(key, sizeof key, "%s/%s", gwpod->ns, gwpod->name);
    size_t n;
    void *const *v = mindex_get(m->svc_by_pod, key, &n);
    for (size_t i = 0; i < n; i++) {
        const m_port *p = svc_port(v[i], server_port);
        if (p) {
            int t = workload_port(gwpod, p, server_port);
            if (t) return t;
        }
    }
    return server_port;
}

static int servers_on(const mesh *m, const mesh_workload *proxy, int lport, server *out)
{
    int n = 0;
    size_t ng;
    void *const *gws = gateways_of(m, proxy, &ng);
    for (size_t g = 0; g < ng; g++) {
        const m_gw *gw = gws[g];
        size_t i;
        json_t *srv;
        json_array_foreach(jget(gw->spec, "servers"), i, srv) {
            int sp = (int)jint(jget(srv, "port"), "number", 0);
            if (!sp || gateway_listen_port(m, proxy, sp) != lport || n >= MAX_SERVERS) continue;
            out[n].gw = gw;
            out[n].srv = srv;
            out[n].port = sp;
            out[n].protocol = jstr_or(jget(srv, "port"), "protocol", "HTTP");
            out[n].tls_mode = jstr_or(jget(srv, "tls"), "mode", "");
            n++;
        }
    }
    return n;
}

static bool is_http(const char *p)
{
    return !strcasecmp(p, "HTTP") || !strcasecmp(p, "HTTP2") || !strcasecmp(p, "GRPC") ||
           !strcasecmp(p, "GRPC-WEB");
}
static bool is_tlsish(const char *p) { return !strcasecmp(p, "HTTPS") || !strcasecmp(p, "TLS"); }
static bool passthrough(const server *s)
{
    return is_tlsish(s->protocol) && (!*s->tls_mode || !strcmp(s->tls_mode, "PASSTHROUGH") ||
                                      !strcmp(s->tls_mode, "AUTO_PASSTHROUGH"));
}
static bool terminates(const server *s) { return is_tlsish(s->protocol) && !passthrough(s); }

/* Does a server host entry ("[ns/]dnsName") admit host h for a VS in vs_ns
 * (vs_ns NULL: any namespace)? */
static bool server_host_admits(const server *s, const char *entry, const char *h, const char *vs_ns)
{
    const char *slash = strchr(entry, '/');
    const char *dns = slash ? slash + 1 : entry;
    if (slash && vs_ns) {
        size_t nl = (size_t)(slash - entry);
        bool any = nl == 1 && entry[0] == '*';
        bool own = nl == 1 && entry[0] == '.';
        if (own && strcmp(vs_ns, s->gw->ns)) return false;
        if (!any && !own && (strlen(vs_ns) != nl || strncmp(entry, vs_ns, nl))) return false;
    }
    return host_subset_of(h, dns);
}

static bool server_admits(const server *s, const char *h, const char *vs_ns)
{
    size_t i;
    json_t *e;
    json_array_foreach(jget(s->srv, "hosts"), i, e)
        if (json_is_string(e) && server_host_admits(s, json_string_value(e), h, vs_ns)) return true;
    return false;
}

static bool vs_covers(const m_vs *vs, const char *h)
{
    for (int i = 0; i < vs->nhosts; i++)
        if (host_subset_of(h, vs->hosts[i])) return true;
    return false;
}

/* The VirtualServices bound to gwkey that may serve host h (NULL: all), in
 * creation order (exact-host and wildcard-host lists merged). */
static size_t bound_vs(const mesh *m, const char *gwkey, const char *h, const m_vs **out, size_t max)
{
    size_t n = 0;
    if (!h) {
        size_t nv;
        void *const *v = mesh_get(m, m->vs_gw, gwkey, &nv);
        for (size_t i = 0; i < nv && n < max; i++) out[n++] = v[i];
        return n;
    }
    char key[768];
    size_t na, nb;
    snprintf(key, sizeof key, "%s|%s", gwkey, h);
    void *const *a = mesh_get(m, m->vs_gw_host, key, &na);
    snprintf(key, sizeof key, "%s|", gwkey);
    void *const *b = mesh_get(m, m->vs_gw_host, key, &nb);
    size_t i = 0, j = 0;
    while ((i < na || j < nb) && n < max) {
        if (j >= nb || (i < na && strcmp(((const m_vs *)a[i])->ord, ((const m_vs *)b[j])->ord) < 0)) out[n++] = a[i++];
        else out[n++] = b[j++];
    }
    return n;
}

/* VirtualServices must be exported to the Gateway's namespace. */
static bool any_bound_vs(const mesh *m, const m_gw *gw, const char *kind)
{
    size_t nv;
    void *const *v = mesh_get(m, m->vs_gw, gw->key, &nv);
    for (size_t i = 0; i < nv; i++)
        if (vs_has(v[i], kind) && vs_visible(v[i], gw->ns)) return true;
    return false;
}

#define MAX_BOUND 256

/* Route inside the servers sv[0..n) with the VirtualServices bound to their
 * Gateways.  kind: "http", "tls" or "tcp".  h: authority host or SNI. */
static bool route_bound(const mesh *m, const mesh_workload *proxy, const mesh_request *req, server *sv, int n,
                        const char *kind, const char *h, bool *any_bound, mesh_decision *out)
{
    *any_bound = false;
    for (int i = 0; i < n; i++) {
        const char *gwkey = sv[i].gw->key;
        vs_ctx c = {m, proxy, req, &gwkey, 1, sv[i].port};
        if (any_bound_vs(m, sv[i].gw, kind)) *any_bound = true;
        const m_vs *v[MAX_BOUND];
        size_t nv = bound_vs(m, gwkey, h, v, MAX_BOUND);
        for (size_t k = 0; k < nv; k++) {
            const m_vs *vs = v[k];
            if (!vs_has(vs, kind) || !vs_visible(vs, sv[i].gw->ns)) continue;
            if (h && (!vs_covers(vs, h) || !server_admits(&sv[i], h, vs->ns))) continue;
            if (!strcmp(kind, "http")) {
                snprintf(out->vhost, sizeof out->vhost, "%.240s:%d", h ? h : "*", sv[i].port);
                why_add(out, "virtual host %s from VirtualService %s (bound to Gateway %s)", out->vhost, vs->key,
                        gwkey);
                if (vs_route_http(&c, vs, out)) return true;
                why_add(out, "no http rule of VirtualService %s matches on Gateway %s port %d", vs->key, gwkey,
                        sv[i].port);
                snprintf(out->virtual_service, sizeof out->virtual_service, "%s", vs->key);
            } else if (!strcmp(kind, "tls")) {
                if (vs_route_tls(&c, vs, h, out)) return true;
            } else {
                if (vs_route_tcp(&c, vs, out)) return true;
            }
        }
    }
    return false;
}

/* AUTO_PASSTHROUGH: the SNI spells the cluster, outbound_.PORT_.SUBSET_.HOST. */
static bool auto_passthrough(const mesh *m, const mesh_workload *proxy, const mesh_request *req,
                             const char *sni, mesh_decision *out)
{
    if (strncmp(sni, "outbound_.", 10)) return false;
    const char *p = sni + 10;
    char *end;
    long port = strtol(p, &end, 10);
    if (strncmp(end, "_.", 2)) return false;
    const char *sub = end + 2;
    const char *sep = strstr(sub, "_.");
    if (!sep) return false;
    char subset[64];
    snprintf(subset, sizeof subset, "%.*s", (int)(sep - sub), sub);
    why_add(out, "AUTO_PASSTHROUGH: SNI %s names the cluster", sni);
    cluster_route(m, proxy, req, sep + 2, (int)port, subset, out);
    return true;
}

static void gw_http(const mesh *m, const mesh_workload *proxy, const mesh_request *req, server *all, int nall,
                    mesh_decision *out)
{
    int lport = req->dst_port;
    server sv[MAX_SERVERS];
    int n = 0;
    for (int i = 0; i < nall; i++) {
        bool ok = req->sni ? terminates(&all[i]) && strcasecmp(all[i].protocol, "TLS")
                           : is_http(all[i].protocol);
        if (ok) sv[n++] = all[i];
    }
    if (!n) {
        why_add(out, "no HTTP server on this listener (the servers on port %d %s)", lport,
                req->sni ? "do not terminate TLS" : "expect TLS");
        set_fail(out, HOP_FAIL, 0, "NR", "filter_chain_not_found");
        return;
    }
    if (req->sni) {
        snprintf(out->route_config, sizeof out->route_config, "https.%d.%s.%s.%s", sv[0].port,
                 jstr_or(jget(sv[0].srv, "port"), "name", ""), sv[0].gw->name, sv[0].gw->ns);
        snprintf(out->tls_termination, sizeof out->tls_termination, "%s", sv[0].tls_mode);
        out->tls_server = sv[0].srv;
    } else {
        snprintf(out->route_config, sizeof out->route_config, "http.%d", lport);
    }
    why_add(out, "gateway listener 0.0.0.0_%d (Gateway %s server port %d %s), route configuration %s", lport,
            sv[0].gw->key, sv[0].port, sv[0].protocol, out->route_config);
    char h[256];
    int ap;
    host_split_authority(req->authority, h, sizeof h, &ap);
    for (int i = 0; i < n && !req->sni; i++) {
        /* tls.httpsRedirect: Envoy's require_tls answers every plain request with a 301 */
        if (json_is_true(jget(jget(sv[i].srv, "tls"), "httpsRedirect")) && server_admits(&sv[i], h, NULL)) {
            snprintf(out->vhost, sizeof out->vhost, "%.240s:%d", h, sv[i].port);
            snprintf(out->location, sizeof out->location, "https://%.250s%.250s", h, req->path ? req->path : "/");
            why_add(out, "Gateway %s server port %d has tls.httpsRedirect: 301 to %s", sv[i].gw->key, sv[i].port,
                    out->location);
            set_fail(out, HOP_DIRECT_RESPONSE, 301, "", "direct_response");
            return;
        }
    }
    bool bound;
    if (route_bound(m, proxy, req, sv, n, "http", h, &bound, out)) return;
    if (!bound) {
        snprintf(out->vhost, sizeof out->vhost, "blackhole:%d", sv[0].port);
        why_add(out, "no VirtualService is bound to Gateway %s: virtual host blackhole:%d has no routes",
                sv[0].gw->key, sv[0].port);
    } else if (!out->vhost[0]) {
        why_add(out, "no VirtualService bound to the Gateway has host %s (also in the server's hosts)", h);
    }
    set_fail(out, HOP_FAIL, 404, "NR", "route_not_found");
}

static void gw_l4(const mesh *m, const mesh_workload *proxy, const mesh_request *req, server *all, int nall,
                  mesh_decision *out)
{
    int lport = req->dst_port;
    server sv[MAX_SERVERS];
    int n = 0;
    bool bound;
    if (req->sni) {
        char sni[240];
        int sp;
        host_split_authority(req->sni, sni, sizeof sni, &sp);
        for (int i = 0; i < nall; i++)
            if (passthrough(&all[i]) && server_admits(&all[i], sni, NULL)) sv[n++] = all[i];
        for (int i = 0; i < n; i++)
            if (!strcmp(sv[i].tls_mode, "AUTO_PASSTHROUGH") && auto_passthrough(m, proxy, req, sni, out)) {
                snprintf(out->filter_chain, sizeof out->filter_chain, "SNI: %s", sni);
                return;
            }
        if (n) {
            snprintf(out->filter_chain, sizeof out->filter_chain, "SNI: %s", sni);
            why_add(out, "gateway listener 0.0.0.0_%d, Gateway %s server port %d %s PASSTHROUGH, filter chain SNI: %s",
                    lport, sv[0].gw->key, sv[0].port, sv[0].protocol, sni);
            if (route_bound(m, proxy, req, sv, n, "tls", sni, &bound, out)) return;
            why_add(out, "no tls rule of a VirtualService bound to Gateway %s matches SNI %s on port %d",
                    sv[0].gw->key, sni, sv[0].port);
            out->filter_chain[0] = 0;
            set_fail(out, HOP_FAIL, 0, "NR", "filter_chain_not_found");
            return;
        }
        for (int i = 0; i < nall; i++)
            if (terminates(&all[i]) && server_admits(&all[i], sni, NULL)) sv[n++] = all[i];
        if (n) {
            snprintf(out->filter_chain, sizeof out->filter_chain, "SNI: %s", sni);
            snprintf(out->tls_termination, sizeof out->tls_termination, "%s", sv[0].tls_mode);
            out->tls_server = sv[0].srv;
            why_add(out, "gateway listener 0.0.0.0_%d, Gateway %s server port %d %s terminates TLS (%s) for %s",
                    lport, sv[0].gw->key, sv[0].port, sv[0].protocol, sv[0].tls_mode, sni);
            if (!strcasecmp(sv[0].protocol, "HTTPS")) {   /* HTTP inside: routed per request */
                out->action = HOP_FORWARD;
                return;
            }
            if (route_bound(m, proxy, req, sv, n, "tcp", NULL, &bound, out)) return;
            why_add(out, "no tcp rule of a VirtualService bound to Gateway %s", sv[0].gw->key);
            set_fail(out, HOP_FAIL, 0, "NR", "filter_chain_not_found");
            return;
        }
        /* an HTTP server on the port has the filter chain without SNI match:
         * the ClientHello reaches its HTTP codec, which answers 400 */
        for (int i = 0; i < nall; i++)
            if (is_http(all[i].protocol)) {
                why_add(out, "gateway listener 0.0.0.0_%d speaks HTTP; a TLS ClientHello is not an HTTP request", lport);
                set_fail(out, HOP_FAIL, 400, "DPE", "http1.codec_error");
                return;
            }
        why_add(out, "gateway listener 0.0.0.0_%d has no filter chain for SNI %s", lport, sni);
        set_fail(out, HOP_FAIL, 0, "NR", "filter_chain_not_found");
        return;
    }
    for (int i = 0; i < nall; i++)
        if (!is_http(all[i].protocol) && !is_tlsish(all[i].protocol)) sv[n++] = all[i];
    if (n) {
        why_add(out, "gateway listener 0.0.0.0_%d, Gateway %s server port %d %s", lport, sv[0].gw->key,
                sv[0].port, sv[0].protocol);
        if (route_bound(m, proxy, req, sv, n, "tcp", NULL, &bound, out)) return;
        why_add(out, "no tcp rule of a VirtualService bound to Gateway %s matches", sv[0].gw->key);
        set_fail(out, HOP_FAIL, 0, "NR", "filter_chain_not_found");
        return;
    }
    bool any_http = false;
    for (int i = 0; i < nall; i++) any_http |= is_http(all[i].protocol);
    if (any_http) {
        why_add(out, "gateway listener 0.0.0.0_%d speaks HTTP; these bytes are not an HTTP request", lport);
        set_fail(out, HOP_FAIL, 400, "DPE", "http1.codec_error");
    } else {
        why_add(out, "gateway listener 0.0.0.0_%d has no filter chain without SNI", lport);
        set_fail(out, HOP_FAIL, 0, "NR", "filter_chain_not_found");
    }
}

void route_gateway(const mesh *m, const mesh_workload *proxy, const mesh_request *req, mesh_decision *out)
{
    server all[MAX_SERVERS];
    int n = servers_on(m, proxy, req->dst_port, all);
    if (!n) {
        why_add(out, "no Gateway server selecting %s/%s maps to port %d: no listener, connection refused",
                proxy->ns, proxy->name, req->dst_port);
        set_fail(out, HOP_FAIL, 0, "", "no listener");
        return;
    }
    snprintf(out->listener, sizeof out->listener, "0.0.0.0_%d", req->dst_port);
    if (req->http) gw_http(m, proxy, req, all, n, out);
    else gw_l4(m, proxy, req, all, n, out);
}
