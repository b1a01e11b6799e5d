/* mesh_route: the decision one proxy makes for one request or connection.
 * This file holds the entry point and the sidecar (outbound and inbound);
 * gateway.c holds the gateway proxies. */
#include <stdarg.h>
#include <string.h>
#include "mesh/internal.h"
#include "mesh/host.h"

void why_add(mesh_decision *d, const char *fmt, ...)
{
    size_t len = strlen(d->why);
    if (len + 2 >= sizeof d->why) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->why + len, sizeof d->why - len - 1, fmt, ap);
    va_end(ap);
    len = strlen(d->why);
    d->why[len] = '\n';
    d->why[len + 1] = 0;
}

void set_fail(mesh_decision *d, hop_action a, int status, const char *flags, const char *details)
{
    d->action = a;
    d->status = status;
    snprintf(d->flags, sizeof d->flags, "%s", flags ? flags : "");
    snprintf(d->details, sizeof d->details, "%s", details ? details : "");
}

unsigned long long request_hash(const mesh_request *req)
{
    const char *id = jstr(req->headers, "x-request-id");
    return mesh_hash(id ? id : (req->src_ip ? req->src_ip : ""));
}

/* ---- sidecar outbound ---- */

static const char *const MESH_GW[] = {"mesh"};

/* Is there an HTTP listener 0.0.0.0_P (some visible service speaks HTTP on P)? */
static bool http_listener(const mesh *m, const mesh_workload *proxy, int port)
{
    return mesh_any_http_port(m, proxy, port);
}

static bool any_listener(const mesh *m, const mesh_workload *proxy, int port)
{
    return http_listener(m, proxy, port) || mesh_any_tls_port(m, port);
}

static const m_svc *with_port(const m_svc *s, int port)
{
    return s && svc_port(s, port) ? s : NULL;
}

/* The service an authority names, as the sidecar's virtual-host domains
 * spell it: FQDN, ServiceEntry host, VIP, or the Kubernetes short forms
 * relative to the client's namespace. */
static const m_svc *svc_for_authority(const mesh *m, const mesh_workload *proxy, const char *h, int port)
{
    if (host_is_ip(h)) return svc_by_vip(m, h, port, proxy);
    const m_svc *s = with_port(svc_by_host(m, h, proxy), port);
    if (s) return s;
    int dots = 0;
    for (const char *p = h; *p; p++) dots += *p == '.';
    char fq[512];
    size_t hl = strlen(h);
    if (dots == 0) snprintf(fq, sizeof fq, "%s.%s." MESH_DOMAIN, h, proxy->ns);
    else if (dots == 1) snprintf(fq, sizeof fq, "%s." MESH_DOMAIN, h);
    else if (dots == 2 && hl > 4 && !strcmp(h + hl - 4, ".svc")) snprintf(fq, sizeof fq, "%s.cluster.local", h);
    else if (dots == 3 && hl > 12 && !strcmp(h + hl - 12, ".svc.cluster")) snprintf(fq, sizeof fq, "%s.local", h);
    else return NULL;
    s = with_port(svc_by_host(m, fq, proxy), port);
    return s && !s->is_se ? s : NULL;
}

/* The VirtualService bound to the mesh for host that has rules of section;
 * *vhost_host gets the VS host that matched. */
static const m_vs *mesh_vs_for(const mesh *m, const mesh_workload *proxy, const char *host,
                               const char *section, const char **vhost_host)
{
    size_t n;
    void *const *v = mesh_get(m, m->vs_mesh, host, &n);
    for (size_t i = 0; i < n; i++) {
        const m_vs *vs = v[i];
        if (vs_visible(vs, proxy->ns) && vs_has(vs, section)) { *vhost_host = host; return vs; }
    }
    v = mesh_get(m, m->vs_mesh, "", &n);
    const m_vs *best = NULL;
    const char *besth = NULL;
    for (size_t i = 0; i < n; i++) {
        const m_vs *vs = v[i];
        if (!vs_visible(vs, proxy->ns) || !vs_has(vs, section)) continue;
        for (int k = 0; k < vs->nhosts; k++)
            if (vs->hosts[k][0] == '*' && host_subset_of(host, vs->hosts[k]) &&
                (!besth || strlen(vs->hosts[k]) > strlen(besth))) {
                best = vs;
                besth = vs->hosts[k];
            }
    }
    *vhost_host = besth;
    return best;
}

static void sidecar_l4(const mesh *m, const mesh_workload *proxy, const mesh_request *req, mesh_decision *out);

static void sidecar_http(const mesh *m, const mesh_workload *proxy, const mesh_request *req, mesh_decision *out)
{
    int port = req->dst_port;
    const m_svc *vip = svc_by_vip(m, req->dst_ip, port, proxy);
    if (vip) {
        port_class cls = svc_port(vip, port)->cls;
        if (cls == PC_TCP || cls == PC_TLS) {
            why_add(out, "%s:%d is %s port %d of %s: a TCP listener, the request goes through as bytes",
                    req->dst_ip, port, svc_port(vip, port)->protocol, port, vip->host);
            sidecar_l4(m, proxy, req, out);
            return;
        }
    }
    if (!http_listener(m, proxy, port)) {
        why_add(out, "no HTTP service on port %d: no listener 0.0.0.0_%d", port, port);
        sidecar_l4(m, proxy, req, out);
        return;
    }
    snprintf(out->listener, sizeof out->listener, "0.0.0.0_%d", port);
    snprintf(out->route_config, sizeof out->route_config, "%d", port);
    why_add(out, "outbound HTTP listener 0.0.0.0_%d, route configuration %d", port, port);

    char h[256];
    int aport;
    host_split_authority(req->authority, h, sizeof h, &aport);
    const m_svc *s = NULL;
    const m_vs *vs = NULL;
    const char *vh = NULL;
    if (!aport || aport == port) {   /* domains are "host" and "host:port" */
        s = svc_for_authority(m, proxy, h, port);
        vs = mesh_vs_for(m, proxy, s ? s->host : h, "http", &vh);
    }
    if (vs) {
        snprintf(out->vhost, sizeof out->vhost, "%s:%d", vh, port);
        why_add(out, "authority %s selects virtual host %s (VirtualService %s)", req->authority ? req->authority : "",
                out->vhost, vs->key);
        vs_ctx c = {m, proxy, req, MESH_GW, 1, port};
        if (!vs_route_http(&c, vs, out)) {
            why_add(out, "no http rule of VirtualService %s matches this request", vs->key);
            snprintf(out->virtual_service, sizeof out->virtual_service, "%s", vs->key);
            set_fail(out, HOP_FAIL, 404, "NR", "route_not_found");
        }
        return;
    }
    if (s) {
        snprintf(out->vhost, sizeof out->vhost, "%s:%d", s->host, port);
        snprintf(out->route_name, sizeof out->route_name, "default");
        why_add(out, "authority %s selects virtual host %s (%s %s/%s, no VirtualService): route default",
                req->authority ? req->authority : "", out->vhost, s->is_se ? "ServiceEntry" : "Service", s->ns, s->name);
        cluster_route(m, proxy, req, s->host, port, NULL, out);
        return;
    }
    why_add(out, "authority %s matches no service on port %d", req->authority ? req->authority : "-", port);
    route_unknown(m, proxy, req, out);
}

/* TLS (by SNI) and TCP connections from a sidecar. */
static void sidecar_l4(const mesh *m, const mesh_workload *proxy, const mesh_request *req, mesh_decision *out)
{
    int port = req->dst_port;
    vs_ctx c = {m, proxy, req, MESH_GW, 1, port};
    const char *vh;
    const m_svc *vip = svc_by_vip(m, req->dst_ip, port, proxy);
    const char *cidr = NULL;
    if (!vip && (vip = svc_by_cidr(m, req->dst_ip, port, proxy))) {
        for (int k = 0; k < vip->ncidrs && !cidr; k++)
            if (ip_in_cidr(req->dst_ip, vip->cidrs[k])) cidr = vip->cidrs[k];
    }
    if (vip) {
        if (cidr) {   /* address ranges are filter chains of the wildcard listener */
            snprintf(out->listener, sizeof out->listener, "0.0.0.0_%d", port);
            snprintf(out->filter_chain, sizeof out->filter_chain, "Addr: %s", cidr);
        } else {
            snprintf(out->listener, sizeof out->listener, "%s_%d", req->dst_ip, port);
        }
        why_add(out, "listener %s_%d: %s port %d of %s %s/%s", req->dst_ip, port, svc_port(vip, port)->protocol,
                port, vip->is_se ? "ServiceEntry" : "Service", vip->ns, vip->name);
        const m_vs *vs;
        if (req->sni && (vs = mesh_vs_for(m, proxy, vip->host, "tls", &vh))) {
            snprintf(out->filter_chain, sizeof out->filter_chain, "SNI: %s", req->sni);
            if (vs_route_tls(&c, vs, req->sni, out)) return;
            out->filter_chain[0] = 0;
        }
        if ((vs = mesh_vs_for(m, proxy, vip->host, "tcp", &vh)) && vs_route_tcp(&c, vs, out)) return;
        cluster_route(m, proxy, req, vip->host, port, NULL, out);
        return;
    }
    if (req->sni) {
        char sni[240];
        int sp;
        host_split_authority(req->sni, sni, sizeof sni, &sp);
        const m_vs *vs = mesh_vs_for(m, proxy, sni, "tls", &vh);
        if (vs) {
            snprintf(out->listener, sizeof out->listener, "0.0.0.0_%d", port);
            snprintf(out->filter_chain, sizeof out->filter_chain, "SNI: %s", sni);
            why_add(out, "listener 0.0.0.0_%d, filter chain SNI: %s", port, sni);
            if (vs_route_tls(&c, vs, sni, out)) return;
            why_add(out, "no tls rule of VirtualService %s matches SNI %s on port %d", vs->key, sni, port);
            out->filter_chain[0] = 0;
            out->listener[0] = 0;
            out->vs_rule = -1;
            out->virtual_service[0] = 0;
        }
        const m_svc *s = svc_by_host(m, sni, proxy);
        const m_port *p = s ? svc_port(s, port) : NULL;
        if (p && p->cls == PC_TLS && !s->nvips) {
            snprintf(out->listener, sizeof out->listener, "0.0.0.0_%d", port);
            snprintf(out->filter_chain, sizeof out->filter_chain, "SNI: %s", s->host);
            why_add(out, "listener 0.0.0.0_%d, filter chain SNI: %s (%s %s/%s port %d %s, no VirtualService)",
                    port, s->host, s->is_se ? "ServiceEntry" : "Service", s->ns, s->name, port, p->protocol);
            cluster_route(m, proxy, req, s->host, port, NULL, out);
            return;
        }
    }
    char key[32];
    snprintf(key, sizeof key, "tcpnone:%d", port);
    size_t n;
    void *const *v = mesh_get(m, m->svc_by_port, key, &n);
    for (size_t i = 0; i < n; i++) {
        const m_svc *s = v[i];
        if (!svc_visible(m, s, proxy)) continue;
        snprintf(out->listener, sizeof out->listener, "0.0.0.0_%d", port);
        why_add(out, "listener 0.0.0.0_%d takes every address: ServiceEntry %s/%s port %d has no addresses and resolution NONE",
                port, s->ns, s->name, port);
        cluster_route(m, proxy, req, s->host, port, NULL, out);
        return;
    }
    if (any_listener(m, proxy, port)) {
        snprintf(out->listener, sizeof out->listener, "0.0.0.0_%d", port);
        snprintf(out->filter_chain, sizeof out->filter_chain, "PassthroughFilterChain");
        why_add(out, "listener 0.0.0.0_%d has no filter chain for %s%s", port,
                req->sni ? "SNI " : "this connection", req->sni ? req->sni : "");
    } else {
        snprintf(out->listener, sizeof out->listener, "virtualOutbound");
        why_add(out, "no listener for %s:%d: virtualOutbound", req->dst_ip ? req->dst_ip : "", port);
    }
    route_unknown(m, proxy, req, out);
}

static void sidecar_inbound(const mesh *m, const mesh_workload *proxy, const mesh_request *req, mesh_decision *out)
{
    (void)m;
    int port = req->dst_port;
    snprintf(out->listener, sizeof out->listener, "virtualInbound");
    snprintf(out->filter_chain, sizeof out->filter_chain, "0.0.0.0_%d", port);
    snprintf(out->cluster, sizeof out->cluster, "inbound|%d||", port);
    snprintf(out->cluster_type, sizeof out->cluster_type, "STATIC");
    if (req->http) {
        snprintf(out->route_config, sizeof out->route_config, "inbound|%d||", port);
        snprintf(out->vhost, sizeof out->vhost, "inbound|http|%d", port);
        snprintf(out->route_name, sizeof out->route_name, "default");
    }
    snprintf(out->endpoint_ip, sizeof out->endpoint_ip, "127.0.0.1");
    out->endpoint_port = port;
    out->endpoint = proxy;
    out->action = HOP_FORWARD;
    why_add(out, "inbound to %s/%s port %d: listener virtualInbound, cluster inbound|%d|| to the application at 127.0.0.1:%d",
            proxy->ns, proxy->name, port, port, port);
}

void route_sidecar(const mesh *m, const mesh_workload *proxy, const mesh_request *req, mesh_decision *out)
{
    if (req->inbound) sidecar_inbound(m, proxy, req, out);
    else if (req->http) sidecar_http(m, proxy, req, out);
    else sidecar_l4(m, proxy, req, out);
}

int mesh_route(const mesh *m, const mesh_workload *proxy, const mesh_request *req, mesh_decision *out)
{
    if (!m || !proxy || !req || !out) return -1;
    memset(out, 0, sizeof *out);
    out->vs_rule = -1;
    if (req->http && !req->inbound) out->retry_attempts = 2;   /* Istio's default retry policy */
    const char *kind = proxy->gateway ? "gateway" : proxy->sidecar ? "sidecar" : "pod";
    const char *dir = proxy->gateway ? "receives" : req->inbound ? "inbound" : "outbound";
    if (req->http)
        why_add(out, "%s %s/%s, %s: %s %s%s to %s:%d", kind, proxy->ns, proxy->name, dir,
                req->method ? req->method : "GET",
                req->authority ? req->authority : "", req->path ? req->path : "/", req->dst_ip ? req->dst_ip : "",
                req->dst_port);
    else
        why_add(out, "%s %s/%s, %s: %s connection to %s:%d%s%s", kind, proxy->ns, proxy->name, dir,
                req->sni ? "TLS" : "TCP", req->dst_ip ? req->dst_ip : "",
                req->dst_port, req->sni ? " SNI " : "", req->sni ? req->sni : "");
    if (proxy->gateway) {
        route_gateway(m, proxy, req, out);
    } else if (proxy->sidecar) {
        route_sidecar(m, proxy, req, out);
    } else {
        snprintf(out->endpoint_ip, sizeof out->endpoint_ip, "%s", req->dst_ip ? req->dst_ip : "");
        out->endpoint_port = req->dst_port;
        out->endpoint = mesh_workload_by_ip(m, req->dst_ip);
        out->original_dst = true;
        out->action = HOP_FORWARD;
        why_add(out, "%s/%s has no proxy: the connection goes straight to %s:%d", proxy->ns, proxy->name,
                out->endpoint_ip, out->endpoint_port);
    }
    /* Envoy's RBAC filter on the receiving side: inbound sidecars and
     * gateways that have a listener (TLS a gateway terminates is checked on
     * the HTTP requests inside) */
    bool listening = !(out->action == HOP_FAIL && !strcmp(out->details, "no listener"));
    bool terminating = out->tls_termination[0] && !req->http;
    if ((req->inbound || proxy->gateway) && (proxy->sidecar || proxy->gateway) && listening && !terminating) {
        char why[sizeof out->details];
        if (!mesh_authz_allows(m, proxy, req, why, sizeof why)) {
            why_add(out, "AuthorizationPolicy denies it: %s", why);
            if (req->http) {
                set_fail(out, HOP_DIRECT_RESPONSE, 403, "", why);
                snprintf(out->response_body, sizeof out->response_body, "RBAC: access denied");
            } else {
                set_fail(out, HOP_FAIL, 0, "", why);
            }
        }
    }
    if (out->action != HOP_FORWARD) out->retry_attempts = 0;
    return 0;
}
