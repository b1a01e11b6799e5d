/* Walking a connection or an HTTP request through the proxies on its way:
 * the client's sidecar (outbound), gateways, the destination's sidecar
 * (inbound), each deciding with mesh_route(); then the destination itself.
 * Every proxy leaves an access-log line and counters behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <sys/random.h>
#include <openssl/sha.h>
#include "model/obj.h"
#include "net/capture.h"
#include "net/net_internal.h"
#include "telemetry/accesslog.h"

/* The address the outside world sees for traffic leaving the cluster (the
 * node's NAT). */
#define EGRESS_NAT_IP "203.0.113.10"

static void addr(char *buf, size_t len, const char *ip, int port)
{
    snprintf(buf, len, "%s:%d", ip, port);
}

static json_t *headers_json(const http_msg *m)
{
    json_t *h = json_object();
    for (int i = 0; m && i < m->nh; i++) {
        char name[128];
        size_t k = 0;
        for (; m->h[i].name[k] && k + 1 < sizeof name; k++)
            name[k] = (char)((m->h[i].name[k] >= 'A' && m->h[i].name[k] <= 'Z') ? m->h[i].name[k] + 32 : m->h[i].name[k]);
        name[k] = 0;
        json_object_set_new(h, name, json_string(m->h[i].value));
    }
    return h;
}

static void set_fail(hop *h, int status, const char *flags, const char *details)
{
    h->d.action = HOP_FAIL;
    h->d.status = status;
    snprintf(h->d.flags, sizeof h->d.flags, "%s", flags);
    snprintf(h->d.details, sizeof h->d.details, "%s", details);
}

/* The service port name behind an outbound cluster "outbound|80|sub|host". */
static bool cluster_is_http2_of(net *n, const char *cluster);

/* Remembered with the model: it scans every object. */
struct h2_memo {
    char cluster[320];
    bool h2;
};
#define H2_MEMO_MAX 256

static bool cluster_is_http2(net *n, const char *cluster)
{
    net_source *src = n->src;
    if (!src || strlen(cluster) >= sizeof src->h2[0].cluster) return cluster_is_http2_of(n, cluster);
    pthread_mutex_lock(&src->memo_mu);
    for (int i = 0; i < src->nh2; i++)
        if (!strcmp(src->h2[i].cluster, cluster)) {
            bool h2 = src->h2[i].h2;
            pthread_mutex_unlock(&src->memo_mu);
            return h2;
        }
    pthread_mutex_unlock(&src->memo_mu);
    bool h2 = cluster_is_http2_of(n, cluster);
    pthread_mutex_lock(&src->memo_mu);
    if (src->nh2 == src->caph2 && src->caph2 < H2_MEMO_MAX) {
        int cap = src->caph2 ? src->caph2 * 2 : 8;
        struct h2_memo *nm = realloc(src->h2, (size_t)cap * sizeof *nm);
        if (nm) {
            src->h2 = nm;
            src->caph2 = cap;
        }
    }
    if (src->nh2 < src->caph2) {
        snprintf(src->h2[src->nh2].cluster, sizeof src->h2[0].cluster, "%s", cluster);
        src->h2[src->nh2++].h2 = h2;
    }
    pthread_mutex_unlock(&src->memo_mu);
    return h2;
}

static bool cluster_is_http2_of(net *n, const char *cluster)
{
    char c[320];
    snprintf(c, sizeof c, "%s", cluster);
    char *p1 = strchr(c, '|');
    if (!p1) return false;
    char *p2 = strchr(p1 + 1, '|');
    char *p3 = p2 ? strchr(p2 + 1, '|') : NULL;
    if (!p3) return false;
    int port = atoi(p1 + 1);
    const char *host = p3 + 1;
    char name[128], ns[128];
    if (sscanf(host, "%127[^.].%127[^.].svc", name, ns) != 2) return false;
    size_t i, j;
    json_t *o, *sp;
    json_array_foreach(n->objects, i, o) {
        const char *kind = obj_kind(o);
        if (!kind || strcmp(kind, "Service") || strcmp(obj_name(o), name) || strcmp(obj_namespace(o), ns)) continue;
        json_array_foreach(obj_at(o, "spec.ports"), j, sp) {
            if (obj_int_or(sp, "port", -1) != port) continue;
            const char *pn = obj_str_or(sp, "name", "");
            return !strncmp(pn, "http2", 5) || !strncmp(pn, "grpc", 4);
        }
    }
    return false;
}

/* The path from `start` (a proxy, or NULL: plain delivery to c's
 * destination) onwards. */
static void walk_from(net *n, const conn *c, const char *sni, const http_msg *hr, path *p,
                      const mesh_workload *start)
{
    memset(p, 0, sizeof *p);
    p->fail_hop = -1;
    char src_ip[46], dst_ip[46];
    int src_port = c->src_port, dst_port = c->dst_port;
    snprintf(src_ip, sizeof src_ip, "%s", c->src_ip);
    snprintf(dst_ip, sizeof dst_ip, "%s", c->dst_ip);
    const mesh_workload *proxy = NULL;
    bool inbound = false;
    proxy = start;
    /* the loopback never leaves the pod, and iptables leaves it alone */
    if (!strncmp(dst_ip, "127.", 4) && n->client) {
        proxy = NULL;
        bool listens;
        net_app_of(n->client, dst_port, &listens);
        p->final = listens ? FINAL_APP : FINAL_REFUSED;
        p->app = n->client;
        snprintf(p->final_ip, sizeof p->final_ip, "%s", dst_ip);
        p->final_port = dst_port;
        return;
    }
    const char *cur_sni = sni && *sni ? sni : NULL;   /* the server name the next hop sees */
    const hop *mtls_from = NULL;                      /* the hop that opened an Istio mTLS connection */
    const char *prev_proto = hr ? (hr->version && !strcmp(hr->version, "HTTP/2") ? "HTTP/2" : "HTTP/1.1") : NULL;

    for (int guard = 0; guard < 32; guard++) {
        if (proxy) {
            if (p->nhops == MAX_HOPS) {
                hop *last = &p->hops[p->nhops - 1];
                set_fail(last, 503, "UO", "upstream_reset_before_response_started{overflow}");
                p->final = last->l7 ? FINAL_PROXY : FINAL_CLOSED;
                p->fail_hop = p->nhops - 1;
                snprintf(p->why, sizeof p->why,
                         "routing loop: %s/%s keeps sending the traffic to itself (a ServiceEntry with "
                         "resolution NONE forwards to the original destination, which is the gateway's own "
                         "address); Envoy gives up when its connection pool overflows",
                         proxy->ns, proxy->name);
                return;
            }
            hop *h = &p->hops[p->nhops++];
            h->proxy = proxy;
            h->inbound = inbound;
            if (inbound && mtls_from) {
                h->mtls_in = true;
                snprintf(h->mtls_sni, sizeof h->mtls_sni, "%s", mtls_from->d.mtls_sni);
                h->peer = mtls_from->proxy;
            }
            mtls_from = NULL;
            h->req.src_ip = h->proxy == n->client && !inbound ? c->src_ip : strdup(src_ip);
            h->req.dst_ip = strdup(dst_ip);
            h->req.dst_port = dst_port;
            h->req.inbound = inbound;
            h->req.sni = cur_sni;
            h->req.http = hr != NULL;
            if (hr) {
                h->req.method = hr->method;
                h->req.path = hr->target;
                h->req.authority = http_get(hr, "host");
                if (!h->req.authority) h->req.authority = http_get(hr, ":authority");
                h->req.headers = headers_json(hr);
            }
            addr(h->downstream_local, sizeof h->downstream_local, dst_ip, dst_port);
            addr(h->downstream_remote, sizeof h->downstream_remote, src_ip, src_port);
            mesh_route(n->m, proxy, &h->req, &h->d);
            h->l7 = hr && (h->d.route_config[0] || h->d.vhost[0] || h->d.status > 0 ||
                           h->d.action == HOP_DIRECT_RESPONSE);
            if (h->l7) {
                h->protocol = prev_proto;
                /* sidecars talk HTTP/2 to a service port named http2 / grpc */
                if (h->d.action == HOP_FORWARD && cluster_is_http2(n, h->d.cluster)) prev_proto = "HTTP/2";
            }
            /* a gateway server that terminates the client's TLS (HTTPS): the
             * requests inside are routed one by one once it is decrypted */
            if (h->d.action == HOP_FORWARD && !hr && h->d.tls_termination[0] && !h->d.cluster[0]) {
                p->final = FINAL_TERMINATE;
                p->tls_hop = p->nhops - 1;
                snprintf(p->why, sizeof p->why, "%s/%s decrypts (%s); each HTTP request inside is routed on its own",
                         proxy->ns, proxy->name, h->d.tls_termination);
                return;
            }
            /* PeerAuthentication STRICT: no filter chain takes plain text; Envoy
             * resets the connection (TLS clients are judged in the handshake) */
            if (h->d.action == HOP_FORWARD && inbound && hr && !h->mtls_in &&
                !strcmp(mesh_peer_authn_mode(n->m, proxy, h->d.endpoint_port ? h->d.endpoint_port : dst_port, NULL, 0),
                        "STRICT")) {
                set_fail(h, 0, "NR", "filter_chain_not_found");
                h->l7 = false;
                p->final = FINAL_CLOSED;
                p->reset = true;
                p->fail_hop = p->nhops - 1;
                snprintf(p->why, sizeof p->why, "%s/%s port %d is STRICT mutual TLS: the plain-text connection is reset",
                         proxy->ns, proxy->name, dst_port);
                return;
            }
            if (h->d.action != HOP_FORWARD) {
                if (h->d.status == 0 && !strcmp(h->d.details, "no listener")) p->final = FINAL_REFUSED;
                else p->final = h->l7 ? FINAL_PROXY : FINAL_CLOSED;
                p->fail_hop = p->nhops - 1;
                snprintf(p->why, sizeof p->why, "%.500s", h->d.why);
                return;
            }
            char ep_ip[46];
            int ep_port;
            if (h->d.original_dst || !h->d.endpoint_ip[0]) {
                if (!h->d.original_dst && !inbound) {
                    set_fail(h, h->l7 ? 503 : 0, "UH", "no_healthy_upstream");
                    p->final = h->l7 ? FINAL_PROXY : FINAL_CLOSED;
                    p->fail_hop = p->nhops - 1;
                    snprintf(p->why, sizeof p->why, "cluster %s has no endpoints", h->d.cluster);
                    return;
                }
                snprintf(ep_ip, sizeof ep_ip, "%s", dst_ip);
                ep_port = h->d.endpoint_port ? h->d.endpoint_port : dst_port;
            } else {
                snprintf(ep_ip, sizeof ep_ip, "%s", h->d.endpoint_ip);
                ep_port = h->d.endpoint_port ? h->d.endpoint_port : dst_port;
            }
            addr(h->upstream_host, sizeof h->upstream_host, inbound ? "127.0.0.1" : ep_ip, ep_port);
            h->upstream_port_local = __atomic_fetch_add(&n->next_port, 1, __ATOMIC_RELAXED);
            addr(h->upstream_local, sizeof h->upstream_local, inbound ? "127.0.0.1" : proxy->ip,
                 h->upstream_port_local);
            if (inbound) {
                bool listens;
                net_app_of(proxy, ep_port, &listens);
                if (!listens) {
                    set_fail(h, h->l7 ? 503 : 0, "UF", "upstream_reset_before_response_started{connection_failure}");
                    p->final = h->l7 ? FINAL_PROXY : FINAL_CLOSED;
                    p->fail_hop = p->nhops - 1;
                    snprintf(p->why, sizeof p->why, "nothing listens on port %d of %s/%s", ep_port, proxy->ns,
                             proxy->name);
                    return;
                }
                p->final = FINAL_APP;
                p->app = proxy;
                snprintf(p->final_ip, sizeof p->final_ip, "%s", proxy->ip);
                p->final_port = ep_port;
                return;
            }
            /* the proxy opens its own connection: NetworkPolicy applies to it */
            char why[256];
            if (strcmp(ep_ip, proxy->ip) &&
                !mesh_netpol_allows(n->m, proxy->ip, ep_ip, ep_port, "TCP", why, sizeof why)) {
                set_fail(h, h->l7 ? 503 : 0, "UF", "upstream_reset_before_response_started{connection_failure}");
                net_vclock_advance(n, CONNECT_TIMEOUT_MS);
                p->final = h->l7 ? FINAL_PROXY : FINAL_CLOSED;
                p->fail_hop = p->nhops - 1;
                snprintf(p->why, sizeof p->why, "%s", why);
                return;
            }
            /* a proxy that originates TLS names the server it wants */
            if (h->d.tls_origination[0]) cur_sni = h->d.upstream_sni[0] ? h->d.upstream_sni : NULL;
            if (h->d.mtls) mtls_from = h;
            snprintf(src_ip, sizeof src_ip, "%s", proxy->ip);
            src_port = h->upstream_port_local;
            snprintf(dst_ip, sizeof dst_ip, "%s", ep_ip);
            dst_port = ep_port;
            proxy = NULL;
            continue;
        }
        /* plain delivery to dst_ip:dst_port */
        char kip[46];
        int kport;
        int kp = net_kube_proxy(n, dst_ip, dst_port, kip, &kport);
        if (kp < 0) { p->final = FINAL_REFUSED; return; }
        if (kp == 0) { snprintf(dst_ip, sizeof dst_ip, "%s", kip); dst_port = kport; }
        const mesh_workload *w = net_pod_by_ip(n, dst_ip);
        if (w) {
            if (w->gateway) { proxy = w; inbound = false; continue; }
            if (w->sidecar) { proxy = w; inbound = true; continue; }
            bool listens;
            net_app_of(w, dst_port, &listens);
            if (!listens) { p->final = FINAL_REFUSED; return; }
            p->final = FINAL_APP;
            p->app = w;
            snprintf(p->final_ip, sizeof p->final_ip, "%s", dst_ip);
            p->final_port = dst_port;
            return;
        }
        const char *name = cur_sni ? cur_sni : hr && http_get(hr, "host") ? http_get(hr, "host") : c->host;
        char hn[256];
        snprintf(hn, sizeof hn, "%s", name ? name : "");
        char *colon = strchr(hn, ':');
        if (colon) *colon = 0;
        json_t *svc = world_endpoint(n->w, dst_ip, dst_port, hn);
        if (svc && world_port_protocol(svc, dst_port)) {
            p->final = FINAL_WORLD;
            p->world_svc = svc;
            snprintf(p->final_ip, sizeof p->final_ip, "%s", dst_ip);
            p->final_port = dst_port;
            return;
        }
        p->final = FINAL_TIMEOUT;
        snprintf(p->why, sizeof p->why, "no host answers at %s:%d", dst_ip, dst_port);
        return;
    }
    p->final = FINAL_TIMEOUT;
}

static void free_hop_req(const conn *c, hop *h)
{
    if (h->req.src_ip != c->src_ip) free((char *)h->req.src_ip);
    free((char *)h->req.dst_ip);
    json_decref(h->req.headers);
    memset(&h->req, 0, sizeof h->req);
}

void hops_path_free(net *n, const conn *c, path *p)
{
    (void)n;
    for (int i = 0; i < p->nhops; i++) free_hop_req(c, &p->hops[i]);
}

/* ---- telemetry per hop --------------------------------------------------- */

static const char *label(json_t *pod, const char *key)
{
    return obj_label(pod, key);
}

/* Listener-level access logs (a connection no filter chain takes, NR
 * filter_chain_not_found): Envoy has them from 1.14 and Istio configures
 * them from 1.8 on; the 1.4 era's proxy writes no line for such a connection. */
static bool listener_logs(const istio_release *rel)
{
    int maj = 0, min = 0;
    return rel && rel->minor && sscanf(rel->minor, "%d.%d", &maj, &min) == 2 && (maj > 1 || (maj == 1 && min >= 8));
}

static void emit_stats(net *n, const hop *h, const access_entry *e, const stats_event *se, bool log)
{
    if (n->log_on && log) {
        char *line = n->log_json ? accesslog_format_json(n->log_format, e)
                                 : accesslog_format_text(n->log_format ? n->log_format : n->rel->access_log_format, e);
        if (line) {
            net_add_log(n, h->proxy->ns, h->proxy->name, e->start_ms, line);
            free(line);
        }
    }
    stats_record(n->stats, se);
}

static void emit(net *n, const hop *h, const access_entry *e, const stats_event *se)
{
    emit_stats(n, h, e, se, true);
}

static void fill_stats_labels(net *n, const hop *h, stats_event *se, char *svc_name, char *svc_ns, size_t len)
{
    se->ns = h->proxy->ns;
    se->pod = h->proxy->name;
    se->cluster = h->d.cluster;
    se->suffix = n->rel->stat_suffix;
    se->listener = h->d.listener;
    se->reporter = h->inbound ? "destination" : "source";
    /* both reporters know the client (peer metadata travels with the request) */
    if (n->client_pod) {
        se->source_workload = label(n->client_pod, "app");
        se->source_namespace = obj_namespace(n->client_pod);
        se->source_app = label(n->client_pod, "app");
    }
    if (h->inbound) {
        se->destination_workload = label(h->proxy->pod, "app");
        se->destination_namespace = h->proxy->ns;
        se->destination_app = label(h->proxy->pod, "app");
    }
    /* destination_service is the host of the cluster; its name and namespace
     * come from a Kubernetes service name (name.namespace.svc...) */
    const char *host = strrchr(h->d.cluster, '|');
    se->destination_service = host && host[1] ? host + 1 : NULL;
    svc_name[0] = svc_ns[0] = 0;
    if (se->destination_service) {
        const char *svc = strstr(se->destination_service, ".svc.");
        const char *dot = strchr(se->destination_service, '.');
        if (svc && dot && dot < svc) {
            snprintf(svc_name, len, "%.*s", (int)(dot - se->destination_service), se->destination_service);
            snprintf(svc_ns, len, "%.*s", (int)(svc - dot - 1), dot + 1);
        } else {
            snprintf(svc_name, len, "%s", se->destination_service);
        }
    }
    se->destination_service_name = svc_name[0] ? svc_name : NULL;
    se->destination_service_namespace = svc_ns[0] ? svc_ns : NULL;
    se->security_policy = !h->inbound ? "unknown" : h->mtls_in ? "mutual_tls" : "none";
}

/* Envoy before Istio 1.9 left %UPSTREAM_LOCAL_ADDRESS% unset on a gateway's
 * HTTP lines (the egress page's 2019 line shows "-"); later ones fill it. */
static bool old_envoy(const net *n)
{
    int major = 0, minor = 0;
    if (sscanf(n->rel->minor ? n->rel->minor : "", "%d.%d", &major, &minor) != 2) return false;
    return major == 1 && minor < 9;
}

/* ---- HTTP ------------------------------------------------------------------ */

static const char *local_reply_body(const hop *h)
{
    if (h->d.response_body[0]) return h->d.response_body;
    if (!strcmp(h->d.flags, "UH")) return "no healthy upstream";
    if (!strcmp(h->d.flags, "UF"))
        return "upstream connect error or disconnect/reset before headers. reset reason: connection failure";
    if (!strcmp(h->d.flags, "UO"))
        return "upstream connect error or disconnect/reset before headers. reset reason: overflow";
    if (!strcmp(h->d.flags, "UT")) return "upstream request timeout";
    return "";
}

static void proxy_local_reply(net *n, const hop *h, http_msg *resp)
{
    http_msg_init(resp);
    resp->status = h->d.status ? h->d.status : 503;
    const char *body = local_reply_body(h);
    if (h->d.location[0]) http_set(resp, "location", h->d.location);
    if (*body) {
        http_set_body(resp, body, strlen(body));
        http_set(resp, "content-type", "text/plain");
    }
    char len[32], date[64];
    snprintf(len, sizeof len, "%zu", resp->body_len);
    http_set(resp, "content-length", len);
    http_date(date, sizeof date, net_now(n));
    http_set(resp, "date", date);
    http_set(resp, "server", h->inbound ? "istio-envoy" : "envoy");
}

/* VirtualService header manipulation: {set: {k: v}, add: {k: v}, remove: [k]}. */
static void apply_header_ops(http_msg *m, json_t *ops)
{
    if (!json_is_object(ops)) return;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(ops, "set"), k, v)
        if (json_is_string(v)) http_set(m, k, json_string_value(v));
    json_object_foreach(json_object_get(ops, "add"), k, v)
        if (json_is_string(v)) http_add(m, k, json_string_value(v));
    size_t i;
    json_array_foreach(json_object_get(ops, "remove"), i, v)
        if (json_is_string(v)) http_set(m, json_string_value(v), NULL);
}

static const char *service_account(const mesh_workload *w)
{
    return w && w->service_account && *w->service_account ? w->service_account : "default";
}

/* What an inbound sidecar tells the app about an mTLS peer (Envoy's
 * forward_client_cert_details SANITIZE_SET).  The peer certificate is not at
 * hand in the engine thread: Hash is the SHA-256 of the peer's URI SAN. */
static void set_xfcc(hop *h, http_msg *req)
{
    char by[300], uri[300], v[1024];
    snprintf(by, sizeof by, "spiffe://cluster.local/ns/%s/sa/%s", h->proxy->ns, service_account(h->proxy));
    snprintf(uri, sizeof uri, "spiffe://cluster.local/ns/%s/sa/%s", h->peer ? h->peer->ns : "default",
             service_account(h->peer));
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)uri, strlen(uri), md);
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(v, sizeof v, "By=%s;Hash=%s;Subject=\"\";URI=%s", by, hex, uri);
    http_set(req, "x-forwarded-client-cert", v);
}

/* Envoy's x-request-id (and trace ids), a random v4 UUID.  From the kernel: the first
 * RAND_bytes of a process sets up OpenSSL's generators, a twentieth of a
 * whole `kubectl exec`. */
static void request_id(char id[40])
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        uuid_v4(id);
        return;
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    snprintf(id, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void add_request_headers(hop *h, http_msg *req, const char *src_ip)
{
    if (h->inbound) {
        if (h->mtls_in) set_xfcc(h, req);
        else http_set(req, "x-forwarded-client-cert", NULL);
    }
    if (!http_get(req, "x-request-id")) {
        char id[40];
        request_id(id);
        http_set(req, "x-request-id", id);
    }
    if (!h->inbound && !http_get(req, "x-forwarded-proto")) http_set(req, "x-forwarded-proto", "http");
    if (h->proxy->gateway) {
        /* gateways use the remote address: append it to X-Forwarded-For */
        const char *xff = http_get(req, "x-forwarded-for");
        char v[512];
        if (xff) snprintf(v, sizeof v, "%s,%s", xff, src_ip);
        else snprintf(v, sizeof v, "%s", src_ip);
        http_set(req, "x-forwarded-for", v);
    }
    if (!http_get(req, "x-b3-traceid")) {
        char id[40], t[33];
        request_id(id);
        size_t k = 0;
        for (const char *q = id; *q && k < 32; q++) if (*q != '-') t[k++] = *q;
        t[k] = 0;
        http_set(req, "x-b3-traceid", t);
        t[16] = 0;
        http_set(req, "x-b3-spanid", t);
        http_set(req, "x-b3-sampled", "1");
    }
    if (h->d.rewrite_authority[0]) http_set(req, "host", h->d.rewrite_authority);
    if (h->d.rewrite_uri[0]) {
        http_set(req, "x-envoy-original-path", req->target);
        free(req->target);
        req->target = strdup(h->d.rewrite_uri);
    }
    apply_header_ops(req, json_object_get(h->d.headers, "request"));
    apply_header_ops(req, json_object_get(h->d.dest_headers, "request"));
    if (h->d.timeout_ms > 0 && !h->inbound) {
        char t[32];
        snprintf(t, sizeof t, "%d", h->d.timeout_ms);
        http_set(req, "x-envoy-expected-rq-timeout-ms", t);
    }
}

static void exchange(net *n, const conn *c, path *p, http_msg *req, const char *client_proto, bool tls,
                     http_msg *resp, bool first_on_conn, bool shadow);

/* A proxy that originates TLS (DestinationRule SIMPLE / MUTUAL) really
 * handshakes with the server at the end: its CA, the server's name and
 * chain, the client certificate the server asks for.  A failure is the
 * originating hop's 503 UF, as Envoy reports a failed upstream handshake;
 * so is TLS towards a server that speaks plain HTTP. */
static bool originates_tls(const path *p)
{
    for (int i = 0; i < p->nhops; i++)
        if (!strcmp(p->hops[i].d.tls_origination, "SIMPLE") || !strcmp(p->hops[i].d.tls_origination, "MUTUAL"))
            return true;
    return false;
}

static const char *check_origination(net *n, path *p)
{
    if (p->final != FINAL_WORLD && p->final != FINAL_APP) return NULL;
    int oi = -1;
    for (int i = 0; i < p->nhops; i++)
        if (!strcmp(p->hops[i].d.tls_origination, "SIMPLE") || !strcmp(p->hops[i].d.tls_origination, "MUTUAL"))
            oi = i;
    if (oi < 0 || !p->hops[oi].l7) return NULL;
    hop *h = &p->hops[oi];
    const tls_srv *cl = tls_srv_find(n, TLS_CLI_ORIGIN, h->d.tls_settings, h->proxy, 0);
    if (!cl) return NULL;
    SSL_CTX *server = NULL;
    bool plain = false;
    if (p->final == FINAL_WORLD) {
        const char *proto = world_port_protocol(p->world_svc, p->final_port);
        plain = !proto || (strcasecmp(proto, "HTTPS") && strcasecmp(proto, "TLS"));
        if (!plain) server = net_world_ctx(n, p->world_svc);
    } else {
        const tls_srv *s = p->app ? tls_srv_find(n, TLS_SRV_NGINX, p->app, NULL, p->final_port) : NULL;
        plain = !s;
        if (s) server = s->ctx;
    }
    char why[256];
    if (plain) snprintf(why, sizeof why, "TLS error: 268435703:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER");
    const char *nginx_error = NULL;
    if (!plain && tls_originate_check(cl, server, h->d.upstream_sni, h->d.tls_settings, why, sizeof why,
                                      &nginx_error) == 0)
        return nginx_error;
    set_fail(h, 503, "UF", "upstream_reset_before_response_started{connection_failure}");
    p->final = FINAL_PROXY;
    p->fail_hop = oi;
    snprintf(p->why, sizeof p->why, "%s/%s originates TLS (%s) to %s:%d: %s", h->proxy->ns, h->proxy->name,
             h->d.tls_origination, p->final_ip, p->final_port, why);
    return NULL;
}

/* VirtualService mirror: a copy of the request goes to the mirror cluster;
 * its answer is dropped and costs the client nothing.  Envoy marks the copy's
 * authority with "-shadow". */
static void mirror(net *n, const conn *c, const hop *h, const http_msg *req)
{
    char ip[46];
    int port;
    if (mesh_cluster_first_endpoint(n->m, h->proxy, h->d.mirror_cluster, ip, &port)) return;
    conn c2 = *c;
    snprintf(c2.dst_ip, sizeof c2.dst_ip, "%s", ip);
    c2.dst_port = port;
    snprintf(c2.src_ip, sizeof c2.src_ip, "%s", h->proxy->ip);
    c2.src_port = __atomic_fetch_add(&n->next_port, 1, __ATOMIC_RELAXED);
    http_msg copy;
    http_msg_copy_head(&copy, req);
    http_set_body(&copy, req->body, req->body_len);
    const char *host = http_get(req, "host");
    if (host) {
        char shadow[300];
        const char *colon = strrchr(host, ':');
        if (colon) snprintf(shadow, sizeof shadow, "%.*s-shadow%s", (int)(colon - host), host, colon);
        else snprintf(shadow, sizeof shadow, "%s-shadow", host);
        http_set(&copy, "host", shadow);
    }
    path p2;
    walk_from(n, &c2, NULL, &copy, &p2, NULL);
    http_msg r2;
    exchange(n, &c2, &p2, &copy, "HTTP/1.1", false, &r2, true, true);
    http_msg_free(&r2);
    http_msg_free(&copy);
    hops_path_free(n, &c2, &p2);
}

void hops_http_exchange(net *n, const conn *c, path *p, http_msg *req, const char *client_proto,
                        bool tls, http_msg *resp, bool first_on_conn)
{
    exchange(n, c, p, req, client_proto, tls, resp, first_on_conn, false);
}

static void exchange(net *n, const conn *c, path *p, http_msg *req, const char *client_proto, bool tls,
                     http_msg *resp, bool first_on_conn, bool shadow)
{
    long long start = net_now(n);
    const char *nginx_error = check_origination(n, p);
    /* the request as each L7 proxy logs it: after its own changes */
    http_msg seen[MAX_HOPS];
    bool have_seen[MAX_HOPS] = {false};
    for (int i = 0; i < p->nhops; i++) {
        hop *h = &p->hops[i];
        if (!h->l7) continue;
        if (!h->protocol) h->protocol = client_proto;
        if (i != p->fail_hop) {
            add_request_headers(h, req, h->req.src_ip);
            if (h->d.mirror_cluster[0] && !shadow) mirror(n, c, h, req);
            if (h->d.delay_ms > 0 && !shadow) net_vclock_advance(n, h->d.delay_ms);
        } else if (!http_get(req, "x-request-id") && !h->inbound) {
            char id[40];
            request_id(id);
            http_set(req, "x-request-id", id);
        }
        http_msg_copy_head(&seen[i], req);
        have_seen[i] = true;
        if (i == p->fail_hop) break;
    }

    /* the final answer */
    long long latency = 0;
    http_msg_init(resp);
    int answered_by = -1;      /* hop index when a proxy answered */
    if (p->final == FINAL_PROXY && p->fail_hop >= 0) {
        proxy_local_reply(n, &p->hops[p->fail_hop], resp);
        answered_by = p->fail_hop;
    } else if (p->final == FINAL_WORLD) {
        world_request wr = {
            .svc = p->world_svc, .port = p->final_port,
            .tls = tls || !strcasecmp(world_port_protocol(p->world_svc, p->final_port), "HTTPS"),
            .client_ip = EGRESS_NAT_IP, .protocol = client_proto, .now_ms = start, .req = req,
        };
        bool originated = tls;
        for (int i = 0; i < p->nhops; i++)
            if (p->hops[i].d.tls_origination[0]) originated = wr.tls = true;
        const char *proto = world_port_protocol(p->world_svc, p->final_port);
        if (!originated && (!strcasecmp(proto, "HTTPS") || !strcasecmp(proto, "TLS"))) {
            /* plain HTTP to a TLS port: the front end's answer */
            static const char body[] = "<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title>"
                                       "</head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The "
                                       "plain HTTP request was sent to HTTPS port</center>\r\n</body>\r\n</html>\r\n";
            resp->status = 400;
            http_set_body(resp, body, sizeof body - 1);
            http_set(resp, "content-type", "text/html");
            char len[32], date[64];
            snprintf(len, sizeof len, "%zu", resp->body_len);
            http_set(resp, "content-length", len);
            http_date(date, sizeof date, start);
            http_set(resp, "date", date);
            latency = obj_int_or(p->world_svc, "spec.latencyMs", 0);
        } else {
            world_respond(&wr, resp, &latency);
        }
    } else if (p->final == FINAL_APP && ((!tls && tls_nginx_ssl_port(n, p->app, p->final_port) &&
                                          !originates_tls(p)) || nginx_error)) {
        /* plain HTTP to nginx's `listen ... ssl` port, or TLS without the
         * client certificate it wants: nginx's own 400 */
        nginx_bad_request(nginx_error ? nginx_error : "The plain HTTP request was sent to HTTPS port", start, resp);
    } else if (p->final == FINAL_APP) {
        bool listens;
        const char *app = net_app_of(p->app, p->final_port, &listens);
        /* the app sees the last proxy that opened a connection to it (a
         * gateway's own address), or the client when none did */
        const hop *lh = p->nhops ? &p->hops[p->nhops - 1] : NULL;
        const char *ip = !lh ? c->src_ip : lh->inbound ? lh->req.src_ip : lh->proxy->ip;
        if (!strcmp(app, "httpbin")) app_httpbin(req, "http", http_get(req, "host"), ip, start, resp, &latency);
        else app_nginx(req, start, resp);
        /* the application's own access log (gunicorn / nginx); behind a
         * sidecar the connection comes from 127.0.0.1 */
        const hop *last = p->nhops ? &p->hops[p->nhops - 1] : NULL;
        const char *peer = last && last->inbound ? "127.0.0.1" : ip;
        char when[64], line[2048];
        time_t secs = (time_t)((start + latency) / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
        const char *ref = http_get(req, "referer"), *ua = http_get(req, "user-agent");
        snprintf(line, sizeof line, "%s - - [%s] \"%s %s %s\" %d %zu \"%s\" \"%s\"%s", peer, when,
                 req->method ? req->method : "GET", req->target ? req->target : "/",
                 req->version && !strcmp(req->version, "HTTP/2") ? "HTTP/1.1" : req->version ? req->version : "HTTP/1.1",
                 resp->status, resp->body_len, ref ? ref : "-", ua ? ua : "-", !strcmp(app, "nginx") ? " \"-\"" : "");
        net_add_container_log(n, p->app->ns, p->app->name, net_app_container(p->app, p->final_port), start + latency,
                              line);
    } else {
        /* L4 failure behind an L7 hop: the last L7 hop reports it */
        int last = -1;
        for (int i = 0; i < p->nhops; i++) if (p->hops[i].l7) last = i;
        if (last < 0) { resp->status = 0; return; }
        hop *h = &p->hops[last];
        set_fail(h, 503, "UF", "upstream_reset_before_response_started{connection_failure}");
        if (p->final == FINAL_TIMEOUT) net_vclock_advance(n, CONNECT_TIMEOUT_MS);
        proxy_local_reply(n, h, resp);
        answered_by = last;
    }

    /* back up the chain: timeouts, response headers, log lines, counters */
    long long below = latency;      /* time from a hop's upstream request to its response */
    int start_hop = answered_by >= 0 ? answered_by : p->nhops - 1;
    long long total = 0;
    for (int i = p->nhops - 1; i >= 0; i--) {
        hop *h = &p->hops[i];
        if (i > start_hop) continue;
        if (!h->l7) { total = below; continue; }
        bool forwarded = i != answered_by;
        bool timed_out = false;          /* forwarded, but gave up waiting */
        long long upstream_time = forwarded ? below : -1;
        if (forwarded && h->d.timeout_ms > 0 && below > h->d.timeout_ms) {
            set_fail(h, 504, "UT", "upstream_response_timeout");
            http_msg_free(resp);
            proxy_local_reply(n, h, resp);
            upstream_time = -1;
            below = h->d.timeout_ms;
            forwarded = false;
            timed_out = true;
        }
        long long duration = (forwarded || timed_out ? below : 0) + 1;
        if (forwarded) {
            char t[32];
            snprintf(t, sizeof t, "%lld", below + (below ? 0 : 1));
            http_set(resp, "server", h->inbound ? "istio-envoy" : "envoy");
            http_set(resp, "x-envoy-upstream-service-time", NULL);   /* the upstream's value goes last */
            http_set(resp, "x-envoy-upstream-service-time", t);
            apply_header_ops(resp, json_object_get(h->d.headers, "response"));
            apply_header_ops(resp, json_object_get(h->d.dest_headers, "response"));
            http_set(resp, "connection", NULL);
            http_set(resp, "transfer-encoding", NULL);
            http_set(resp, "keep-alive", NULL);
        }
        const http_msg *lr = have_seen[i] ? &seen[i] : req;
        access_entry e = {
            .start_ms = start,
            .protocol = h->protocol ? h->protocol : client_proto,
            .method = lr->method,
            .path = http_get(lr, "x-envoy-original-path") ? http_get(lr, "x-envoy-original-path") : lr->target,
            .authority = http_get(lr, "host"),
            .scheme = tls ? "https" : "http",
            .req = lr, .resp = resp,
            .response_code = resp->status,
            .response_flags = forwarded ? "" : h->d.flags,
            .response_code_details = forwarded ? "via_upstream" : h->d.details,
            .bytes_received = (long long)req->body_len,
            .bytes_sent = (long long)resp->body_len,
            .duration_ms = duration,
            .upstream_service_time_ms = upstream_time >= 0 ? (upstream_time ? upstream_time : 1) : -1,
            .upstream_host = forwarded || timed_out ? h->upstream_host : NULL,
            .upstream_cluster = h->d.cluster,
            .stat_suffix = n->rel->stat_suffix,
            .upstream_local = (forwarded || timed_out) && (!h->proxy->gateway || !old_envoy(n)) ? h->upstream_local : NULL,
            .downstream_local = h->downstream_local,
            .downstream_remote = h->downstream_remote,
            .sni = h->mtls_in ? h->mtls_sni : h->req.sni,
            .route_name = h->d.route_name,
        };
        /* the gateway's own view: the request reached it over HTTP/2 from a
         * sidecar, so it logs no XFF of its own making for the sidecar hop */
        stats_event se = {0};
        char svc_name[256], svc_ns[256];
        fill_stats_labels(n, h, &se, svc_name, svc_ns, sizeof svc_name);
        se.http = true;
        se.http_prefix = h->inbound ? "inbound_0.0.0.0" : h->d.listener;
        se.new_connection = first_on_conn;
        se.status = resp->status;
        se.flags = e.response_flags;
        se.upstream_attempted = forwarded || timed_out || !strcmp(h->d.flags, "UF");
        se.connect_failed = !strcmp(h->d.flags, "UF");
        se.http2_upstream = i + 1 < p->nhops && p->hops[i + 1].protocol && !strcmp(p->hops[i + 1].protocol, "HTTP/2");
        se.rx_bytes = forwarded || timed_out ? (long long)http1_response_size(resp) : 0;
        se.tx_bytes = forwarded || timed_out ? (long long)http1_request_size(lr) : 0;
        se.request_protocol = "http";
        se.duration_ms = duration;
        emit(n, h, &e, &se);
        below = duration;
        total = below;
    }
    for (int i = 0; i < p->nhops; i++)
        if (have_seen[i]) http_msg_free(&seen[i]);
    if (p->nhops == 0) total = latency;
    if (shadow) return;
    if (!net_spend(n, total)) {
        /* past the client's deadline: the client gave up before the answer */
        http_msg_free(resp);
        resp->status = 0;
    }
}

void hops_tcp_done(net *n, const conn *c, path *p, const char *sni, long long start_ms,
                   long long rx, long long tx, long long duration_ms)
{
    (void)c;
    for (int i = 0; i < p->nhops; i++) {
        hop *h = &p->hops[i];
        /* from a gateway that terminated TLS on, the HTTP requests logged */
        if (p->final == FINAL_TERMINATE && i >= p->tls_hop) break;
        if (h->l7) continue;
        /* a sidecar that failed the client's handshake opened no upstream connection */
        bool quiet = p->handshake_failed && i == p->nhops - 1;   /* counted, never logged */
        bool failed = quiet || p->fail_hop == i || (p->fail_hop >= 0 && i > p->fail_hop);
        if (p->fail_hop >= 0 && i > p->fail_hop) break;
        access_entry e = {
            .start_ms = start_ms,
            .protocol = NULL,
            .response_code = 0,
            .response_flags = failed ? h->d.flags : "",
            .connection_termination_details = NULL,
            .bytes_received = failed ? 0 : rx,
            .bytes_sent = failed ? 0 : tx,
            .duration_ms = duration_ms,
            .upstream_service_time_ms = -1,
            .upstream_host = failed ? NULL : h->upstream_host,
            .upstream_cluster = h->d.cluster,
            .stat_suffix = n->rel->stat_suffix,
            .upstream_local = failed ? NULL : h->upstream_local,
            .downstream_local = h->downstream_local,
            .downstream_remote = h->downstream_remote,
            .sni = h->mtls_in ? h->mtls_sni : sni && *sni ? sni : NULL,
            .route_name = h->d.route_name,
        };
        bool no_chain = failed && !strcmp(h->d.details, "filter_chain_not_found");
        if (no_chain) e.response_code_details = "filter_chain_not_found";   /* the listener's own line */
        stats_event se = {0};
        char svc_name[256], svc_ns[256];
        fill_stats_labels(n, h, &se, svc_name, svc_ns, sizeof svc_name);
        se.http = false;
        se.new_connection = true;
        se.flags = e.response_flags;
        se.upstream_attempted = !failed || !strcmp(h->d.flags, "UF");
        se.connect_failed = failed && !strcmp(h->d.flags, "UF");
        se.rx_bytes = failed ? 0 : tx;
        se.tx_bytes = failed ? 0 : rx;
        se.request_protocol = "tcp";
        se.duration_ms = duration_ms;
        if (no_chain && h->d.listener[0]) {
            char name[512];
            snprintf(name, sizeof name, "listener.%s.no_filter_chain_match", h->d.listener);
            stats_add(n->stats, h->proxy->ns, h->proxy->name, name, 1);
        }
        emit_stats(n, h, &e, &se, (!no_chain || listener_logs(n->rel)) && !quiet);
    }
}

static void walk(net *n, const conn *c, const char *sni, const http_msg *hr, path *p)
{
    char why[256] = "";
    bool sidecar = n->client && n->client->sidecar && !n->bypass;
    bool captured = sidecar && capture_outbound(n->client_pod, c->dst_ip, c->dst_port, why, sizeof why);
    walk_from(n, c, sni, hr, p, captured ? n->client : NULL);
    if (sidecar && !captured) snprintf(p->capture, sizeof p->capture, "%s", why);
}

void hops_walk_from(net *n, const conn *c, const char *sni, const http_msg *hr, path *p,
                    const mesh_workload *start)
{
    walk_from(n, c, sni, hr, p, start);
    trace_path(n, c, sni, hr, p);
}

void hops_walk(net *n, const conn *c, const char *sni, const http_msg *hr, path *p)
{
    walk(n, c, sni, hr, p);
    trace_path(n, c, sni, hr, p);
}
