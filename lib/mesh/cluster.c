/* Clusters: does outbound|port|subset|host exist for this proxy, which
 * DestinationRule shapes it, and which endpoint gets the connection. */
#include <stdlib.h>
#include <string.h>
#include "mesh/internal.h"
#include "mesh/host.h"
#include "model/obj.h"
#include "model/selector.h"

/* Most specific DR for host among those in ns: exact host, else the longest
 * wildcard covering it.  check_export: only DRs exported to client_ns. */
static const m_dr *dr_in_ns(const mesh *m, const char *ns, const char *host, bool check_export,
                            const char *client_ns)
{
    size_t n;
    void *const *v = mindex_get(m->dr_host, host, &n);
    for (size_t i = 0; i < n; i++) {
        const m_dr *d = v[i];
        if (strcmp(d->ns, ns)) continue;
        if (check_export && !export_visible(d->export_to, d->ns, client_ns)) continue;
        return d;
    }
    v = mindex_get(m->dr_host, "", &n);
    const m_dr *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const m_dr *d = v[i];
        if (strcmp(d->ns, ns) || !host_subset_of(host, d->host)) continue;
        if (check_export && !export_visible(d->export_to, d->ns, client_ns)) continue;
        if (!best || strlen(d->host) > strlen(best->host)) best = d;
    }
    return best;
}

const m_dr *dr_lookup(const mesh *m, const char *client_ns, const char *host, const char *svc_ns)
{
    const m_dr *d = dr_in_ns(m, client_ns, host, false, client_ns);
    if (!d && svc_ns && strcmp(svc_ns, client_ns)) d = dr_in_ns(m, svc_ns, host, true, client_ns);
    if (!d && strcmp(m->root_ns, client_ns)) d = dr_in_ns(m, m->root_ns, host, true, client_ns);
    return d;
}

static json_t *dr_subset(const m_dr *d, const char *name)
{
    size_t i;
    json_t *s;
    json_array_foreach(jget(d ? d->spec : NULL, "subsets"), i, s) {
        const char *n = jstr(s, "name");
        if (n && !strcmp(n, name)) return s;
    }
    return NULL;
}

/* The tls settings of a trafficPolicy for port: portLevelSettings win. */
static json_t *policy_tls(json_t *tp, int port)
{
    json_t *tls = jget(tp, "tls");
    size_t i;
    json_t *pl;
    json_array_foreach(jget(tp, "portLevelSettings"), i, pl)
        if (jint(jget(pl, "port"), "number", -1) == port && jget(pl, "tls")) tls = jget(pl, "tls");
    return tls;
}

static bool release_at_least(const mesh *m, int want_min)
{
    int maj = 0, min = 0;
    if (m->rel && m->rel->minor) sscanf(m->rel->minor, "%d.%d", &maj, &min);
    return maj > 1 || (maj == 1 && min >= want_min);
}

static void apply_tls(const mesh *m, const m_dr *d, json_t *subset, const char *host, int port,
                      const char *subset_name, mesh_decision *out)
{
    json_t *tls = policy_tls(jget(d ? d->spec : NULL, "trafficPolicy"), port);
    json_t *stls = policy_tls(jget(subset, "trafficPolicy"), port);
    if (stls) tls = stls;
    const char *mode = jstr(tls, "mode");
    if (!mode || !strcmp(mode, "DISABLE")) return;
    snprintf(out->tls_origination, sizeof out->tls_origination, "%s", mode);
    out->tls_settings = tls;
    const char *sni = jstr(tls, "sni");
    if (sni) snprintf(out->upstream_sni, sizeof out->upstream_sni, "%s", sni);
    else if (!strcmp(mode, "ISTIO_MUTUAL"))
        snprintf(out->upstream_sni, sizeof out->upstream_sni, "outbound_.%d_.%s_.%s", port,
                 subset_name ? subset_name : "", host);
    else if (release_at_least(m, 10) && host[0] != '*')
        snprintf(out->upstream_sni, sizeof out->upstream_sni, "%s", host);
    why_add(out, "DestinationRule %s originates TLS (%s%s%s)", out->destination_rule, mode,
            out->upstream_sni[0] ? ", SNI " : "", out->upstream_sni);
}

/* A named targetPort resolved on the pod's containers. */
int workload_port(const mesh_workload *w, const m_port *p, int dflt)
{
    if (p->target) return p->target;
    if (!p->target_name) return dflt;
    size_t i, k;
    json_t *c, *cp;
    json_array_foreach(jpath(w->pod, "spec", "containers"), i, c)
        json_array_foreach(jget(c, "ports"), k, cp) {
            const char *n = jstr(cp, "name");
            if (n && !strcmp(n, p->target_name)) return (int)jint(cp, "containerPort", dflt);
        }
    return 0;   /* a named port the pod does not have: no endpoint */
}

static void add_ep(ep_set *es, const char *ip, int port, const mesh_workload *w)
{
    if (es->n >= MESH_MAX_EPS || !ip || port <= 0 || strlen(ip) > 45) return;
    strcpy(es->ip[es->n], ip);
    es->port[es->n] = port;
    es->w[es->n] = w;
    es->n++;
}

/* The port of a ServiceEntry endpoint: its ports map by port name, else the targetPort. */
static int se_ep_port(json_t *e, const m_port *p)
{
    long long n = jint(jget(e, "ports"), p->name, 0);
    if (n > 0) return (int)n;
    return p->target ? p->target : p->number;
}

void cluster_endpoints(const mesh *m, const mesh_workload *proxy, const mesh_request *req, const m_svc *s,
                       const m_port *p, json_t *sublabels, ep_set *es)
{
    const char *ns = proxy ? proxy->ns : "default";
    memset(es, 0, sizeof *es);
    if (s->external_name) {
        snprintf(es->type, sizeof es->type, "STRICT_DNS");
        char addrs[8][46];
        int k = dns_resolve(m, ns, s->external_name, addrs, 8);
        for (int i = 0; i < (req ? (k ? 1 : 0) : k); i++)
            add_ep(es, addrs[i], p->target ? p->target : p->number, NULL);
        es->how = "DNS for the ExternalName Service's name";
    } else if (!s->is_se) {
        snprintf(es->type, sizeof es->type, "EDS");
        if (s->has_selector) {
            for (int i = 0; i < s->npods; i++) {
                const mesh_workload *w = s->pods[i];
                if (labels_match_map(jget(jget(w->pod, "metadata"), "labels"), sublabels))
                    add_ep(es, w->ip, workload_port(w, p, p->number), w);
            }
            es->how = "pods selected by the Service";
        } else {
            size_t si;
            json_t *ss;
            json_array_foreach(jget(s->k8s_endpoints, "subsets"), si, ss) {
                int eport = 0;
                size_t pi;
                json_t *pp;
                json_array_foreach(jget(ss, "ports"), pi, pp) {
                    const char *pn = jstr_or(pp, "name", "");
                    if (!strcmp(pn, p->name) || json_array_size(jget(ss, "ports")) == 1)
                        eport = (int)jint(pp, "port", 0);
                }
                size_t ai;
                json_t *a;
                json_array_foreach(jget(ss, "addresses"), ai, a) add_ep(es, jstr(a, "ip"), eport, NULL);
            }
            es->how = "the Endpoints object";
        }
    } else if (s->res == RES_STATIC) {
        snprintf(es->type, sizeof es->type, "EDS");
        size_t i;
        json_t *e;
        json_array_foreach(s->se_endpoints, i, e)
            if (labels_match_map(jget(e, "labels"), sublabels))
                add_ep(es, jstr(e, "address"), se_ep_port(e, p), NULL);
        es->how = "the ServiceEntry's static endpoints";
    } else if (s->res == RES_DNS || s->res == RES_DNS_RR) {
        snprintf(es->type, sizeof es->type, "%s", s->res == RES_DNS ? "STRICT_DNS" : "LOGICAL_DNS");
        char addrs[8][46];
        if (json_array_size(s->se_endpoints)) {
            size_t i;
            json_t *e;
            json_array_foreach(s->se_endpoints, i, e) {
                if (!labels_match_map(jget(e, "labels"), sublabels)) continue;
                int k = dns_resolve(m, ns, jstr_or(e, "address", ""), addrs, 8);
                if (k) add_ep(es, addrs[0], se_ep_port(e, p), NULL);
                if (s->res == RES_DNS_RR) break;
            }
            es->how = "DNS for the ServiceEntry's endpoints";
        } else {
            /* the first address the resolver answers (all of them when listing) */
            int k = dns_resolve(m, ns, s->host, addrs, 8);
            for (int i = 0; i < (req ? (k ? 1 : 0) : k); i++) add_ep(es, addrs[i], p->target ? p->target : p->number, NULL);
            es->how = "DNS for the host";
        }
    } else {  /* NONE */
        bool gw = proxy && proxy->gateway;
        if (!gw || m->gw_none_original_dst) {
            snprintf(es->type, sizeof es->type, "ORIGINAL_DST");
            es->original_dst = true;
            if (req) add_ep(es, req->dst_ip, req->dst_port, mesh_workload_by_ip(m, req->dst_ip));
            es->how = gw ? "resolution NONE: the original destination, which on a gateway is the gateway itself "
                       "(the sidecar sent the connection here)"
                     : "resolution NONE: the connection's original destination";
        } else {
            snprintf(es->type, sizeof es->type, "EDS");
            es->how = "resolution NONE on a gateway falls back to EDS, which has no endpoints";
        }
    }
}

void cluster_route(const mesh *m, const mesh_workload *proxy, const mesh_request *req,
                   const char *host, int port, const char *subset, mesh_decision *out)
{
    const char *ns = proxy ? proxy->ns : "default";
    if (!subset) subset = "";
    snprintf(out->dest_host, sizeof out->dest_host, "%s", host);
    out->dest_port = port;
    snprintf(out->dest_subset, sizeof out->dest_subset, "%s", subset);
    snprintf(out->cluster, sizeof out->cluster, "outbound|%d|%s|%s", port, subset, host);

    const m_svc *s = svc_by_host(m, host, proxy);
    if (!s) {
        why_add(out, "no Service or ServiceEntry for %s is visible from namespace %s: cluster %s does not exist",
                host, ns, out->cluster);
        set_fail(out, HOP_FAIL, 503, "NC", "cluster_not_found");
        return;
    }
    const m_port *p = svc_port(s, port);
    if (!p) {
        why_add(out, "%s %s/%s has no port %d: cluster %s does not exist", s->is_se ? "ServiceEntry" : "Service",
                s->ns, s->name, port, out->cluster);
        set_fail(out, HOP_FAIL, 503, "NC", "cluster_not_found");
        return;
    }
    const m_dr *d = dr_lookup(m, ns, host, s->ns);
    if (d) snprintf(out->destination_rule, sizeof out->destination_rule, "%s/%s", d->ns, d->name);
    json_t *sub = NULL;
    if (*subset) {
        sub = dr_subset(d, subset);
        if (!sub) {
            if (d)
                why_add(out, "DestinationRule %s (lookup path: %s, %s, %s) defines no subset %s: cluster %s does not exist",
                        out->destination_rule, ns, s->ns, m->root_ns, subset, out->cluster);
            else
                why_add(out, "no DestinationRule for %s on the lookup path of namespace %s (%s, %s, %s) defines subset %s: cluster %s does not exist",
                        host, ns, ns, s->ns, m->root_ns, subset, out->cluster);
            set_fail(out, HOP_FAIL, 503, "NC", "cluster_not_found");
            return;
        }
        why_add(out, "DestinationRule %s defines subset %s", out->destination_rule, subset);
    } else if (d) {
        why_add(out, "DestinationRule %s applies to %s", out->destination_rule, host);
    }
    apply_tls(m, d, sub, host, port, subset, out);
    json_t *sublabels = jget(sub, "labels");

    ep_set es;
    cluster_endpoints(m, proxy, req, s, p, sublabels, &es);
    snprintf(out->cluster_type, sizeof out->cluster_type, "%s", es.type);
    out->original_dst = es.original_dst;
    int n = es.n;
    if (!n) {
        why_add(out, "cluster %s (%s) has no endpoints from %s", out->cluster, out->cluster_type, es.how);
        set_fail(out, HOP_FAIL, 503, "UH", "no_healthy_upstream");
        snprintf(out->response_body, sizeof out->response_body, "no healthy upstream");
        return;
    }
    int pick = (int)(request_hash(req) % (unsigned long long)n);
    snprintf(out->endpoint_ip, sizeof out->endpoint_ip, "%s", es.ip[pick]);
    out->endpoint_port = es.port[pick];
    out->endpoint = es.w[pick] ? es.w[pick] : mesh_workload_by_ip(m, es.ip[pick]);
    out->action = HOP_FORWARD;
    why_add(out, "cluster %s (%s): endpoint %s:%d of %d, from %s", out->cluster, out->cluster_type,
            out->endpoint_ip, out->endpoint_port, n, es.how);
    /* Istio mTLS: asked for by the DestinationRule, or automatic (1.5 and
     * later) when nothing is configured and the endpoint runs a sidecar
     * (gateway servers without TLS take plain text: the egress-gateway
     * page's log shows no SNI on the sidecar-to-gateway hop) */
    bool auto_mtls = !out->tls_origination[0] && release_at_least(m, 5) && out->endpoint &&
                     out->endpoint->sidecar &&
                     strcmp(mesh_peer_authn_mode(m, out->endpoint, out->endpoint_port, NULL, 0), "DISABLE");
    if (!strcmp(out->tls_origination, "ISTIO_MUTUAL") || auto_mtls) {
        out->mtls = true;
        snprintf(out->mtls_sni, sizeof out->mtls_sni, "outbound_.%d_.%s_.%.256s", port, subset, host);
        if (auto_mtls) why_add(out, "auto mTLS: %s/%s has a sidecar, the connection is Istio mutual TLS",
                               out->endpoint->ns, out->endpoint->name);
    }
}

void route_unknown(const mesh *m, const mesh_workload *proxy, const mesh_request *req, mesh_decision *out)
{
    if (proxy_registry_only(m, proxy)) {
        if (req->http) {
            snprintf(out->vhost, sizeof out->vhost, "block_all");
            snprintf(out->route_name, sizeof out->route_name, "block_all");
            why_add(out, "outboundTrafficPolicy REGISTRY_ONLY: virtual host block_all answers 502");
            set_fail(out, HOP_DIRECT_RESPONSE, 502, "", "direct_response");
        } else {
            snprintf(out->cluster, sizeof out->cluster, "BlackHoleCluster");
            snprintf(out->cluster_type, sizeof out->cluster_type, "STATIC");
            why_add(out, "outboundTrafficPolicy REGISTRY_ONLY: BlackHoleCluster drops the connection");
            set_fail(out, HOP_FAIL, 0, "UH", "");
        }
        return;
    }
    if (req->http) {
        snprintf(out->vhost, sizeof out->vhost, "allow_any");
        snprintf(out->route_name, sizeof out->route_name, "allow_any");
    }
    snprintf(out->cluster, sizeof out->cluster, "PassthroughCluster");
    snprintf(out->cluster_type, sizeof out->cluster_type, "ORIGINAL_DST");
    snprintf(out->endpoint_ip, sizeof out->endpoint_ip, "%s", req->dst_ip ? req->dst_ip : "");
    out->endpoint_port = req->dst_port;
    out->endpoint = mesh_workload_by_ip(m, req->dst_ip);
    out->original_dst = true;
    out->action = HOP_FORWARD;
    why_add(out, "outboundTrafficPolicy ALLOW_ANY: PassthroughCluster to the original destination %s:%d",
            out->endpoint_ip, out->endpoint_port);
}
