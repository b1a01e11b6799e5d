/* TLS connections that end inside the cluster rather than at an outside
 * host:
 *   - a gateway server that terminates the client's TLS (Gateway tls.mode
 *     SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL): after the handshake
 *     every HTTP request inside is routed by Host from that gateway on, as
 *     the gateway's HTTPS route configuration does;
 *   - a sidecar whose inbound port takes Istio mutual TLS (PERMISSIVE or
 *     STRICT) answering a client that speaks TLS itself (`openssl s_client
 *     -cert /etc/certs/cert-chain.pem ...` from an istio-proxy container);
 *   - an nginx pod serving `listen N ssl` from its mounted nginx.conf. */
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include "model/obj.h"
#include "net/net_internal.h"

void tls_serve_http(SSL *ssl, h2_handler fn, void *ctx, const char **proto)
{
    const unsigned char *alpn = NULL;
    unsigned alen = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alen);
    if (alen == 2 && !memcmp(alpn, "h2", 2)) {
        *proto = "HTTP/2";
        h2_serve(ssl, fn, ctx);
        return;
    }
    *proto = "HTTP/1.1";
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        http_msg req;
        char err[128];
        long used = len ? http1_parse_request(buf, len, &req, err, sizeof err) : 0;
        if (used < 0) break;
        if (used == 0) {
            if (cap - len < 16384) {
                cap = cap ? cap * 2 : 65536;
                unsigned char *nb = realloc(buf, cap);
                if (!nb) break;
                buf = nb;
            }
            int k = SSL_read(ssl, buf + len, (int)(cap - len));
            if (k <= 0) break;
            len += (size_t)k;
            continue;
        }
        memmove(buf, buf + used, len - (size_t)used);
        len -= (size_t)used;
        http_msg resp;
        http_msg_init(&resp);
        fn(ctx, &req, &resp);
        if (resp.status == 0) { http_msg_free(&resp); http_msg_free(&req); break; }
        size_t outlen;
        unsigned char *out = http1_write_response(&resp, req.method && !strcasecmp(req.method, "HEAD"), &outlen);
        int ok = out && SSL_write(ssl, out, (int)outlen) == (int)outlen;
        free(out);
        bool close_req = http_get(&req, "connection") && !strcasecmp(http_get(&req, "connection"), "close");
        http_msg_free(&resp);
        http_msg_free(&req);
        if (!ok || close_req) break;
    }
    free(buf);
}

/* ---- requests inside a terminated connection ------------------------------- */

typedef struct inner {
    conn *c;                 /* the client's connection */
    conn at;                 /* the same connection as the serving proxy sees it */
    const mesh_workload *start;
    const char *sni;
    const char *proto;
    bool first;
    bool mtls_in;            /* the serving proxy is a sidecar reached over mesh mTLS */
    SSL *ssl;
    const path *p;           /* the connection's path (tcp_after_termination) */
} inner;

static void inner_handler(void *ctx, http_msg *req, http_msg *resp)
{
    inner *in = ctx;
    net *n = in->c->n;
    if (!http_get(req, "host") && http_get(req, ":authority")) http_set(req, "host", http_get(req, ":authority"));
    path p;
    hops_walk_from(n, &in->at, in->sni, req, &p, in->start);
    if (in->mtls_in && p.nhops) p.hops[0].mtls_in = true;
    hops_http_exchange(n, &in->at, &p, req, in->proto, true, resp, in->first);
    in->first = false;
    hops_path_free(n, &in->at, &p);
}

void nginx_bad_request(const char *title, long long now_ms, http_msg *resp)
{
    char body[512], len[32], date[64];
    int bl = snprintf(body, sizeof body,
                      "<html>\r\n<head><title>400 %s</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1>"
                      "</center>\r\n<center>%s</center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n",
                      title, title);
    resp->status = 400;
    http_set(resp, "server", "nginx/1.25.3");
    http_date(date, sizeof date, now_ms);
    http_set(resp, "date", date);
    http_set(resp, "content-type", "text/html");
    snprintf(len, sizeof len, "%d", bl);
    http_set(resp, "content-length", len);
    http_set(resp, "connection", "close");
    http_set_body(resp, body, (size_t)bl);
}

/* The nginx `listen ... ssl` server itself: its page and its access log. */
static void nginx_handler(void *ctx, http_msg *req, http_msg *resp)
{
    inner *in = ctx;
    net *n = in->c->n;
    long long now = net_now(n);
    const char *cert_error = nginx_client_cert_error(in->ssl);
    if (cert_error) nginx_bad_request(cert_error, now, resp);
    else app_nginx(req, now, resp);
    const mesh_workload *w = in->start;
    char when[64], line[1024];
    time_t secs = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
    const char *ua = http_get(req, "user-agent");
    snprintf(line, sizeof line, "%s - - [%s] \"%s %s %s\" %d %zu \"-\" \"%s\" \"-\"", in->at.src_ip, when,
             req->method ? req->method : "GET", req->target ? req->target : "/",
             req->version && !strcmp(req->version, "HTTP/2") ? "HTTP/2.0" : "HTTP/1.1", resp->status, resp->body_len,
             ua ? ua : "-");
    net_add_container_log(n, w->ns, w->name, net_app_container(w, in->at.dst_port), now, line);
}

/* A Gateway TLS server (protocol TLS, mode SIMPLE/MUTUAL) with a tcp route:
 * the gateway decrypts and passes the bytes on as TCP; the destination at
 * the end of the path answers what they say. */
static void tcp_after_termination(void *ctx, http_msg *req, http_msg *resp)
{
    inner *in = ctx;
    net *n = in->c->n;
    const path *p = in->p;
    long long now = net_now(n), latency = 0;
    if (!http_get(req, "host") && http_get(req, ":authority")) http_set(req, "host", http_get(req, ":authority"));
    if (p->final == FINAL_WORLD) {
        world_request wr = {.svc = p->world_svc, .port = p->final_port, .tls = false, .client_ip = "203.0.113.10",
                            .protocol = in->proto, .now_ms = now, .req = req};
        world_respond(&wr, resp, &latency);
    } else {
        bool listens;
        const char *app = net_app_of(p->app, p->final_port, &listens);
        if (!strcmp(app, "httpbin"))
            app_httpbin(req, "http", http_get(req, "host"), in->start->ip, now, resp, &latency);
        else
            app_nginx(req, now, resp);
    }
    if (!net_spend(n, latency)) {
        http_msg_free(resp);
        resp->status = 0;
    }
}

/* The serving side's TLS server: which context, and who serves the requests. */
static const tls_srv *server_for(conn *c, path *p, bool istio_alpn, const mesh_workload **who, bool *nginx,
                                 bool *mesh, bool *tcp)
{
    net *n = c->n;
    *nginx = *mesh = *tcp = false;
    for (int i = 0; i < p->nhops && (p->final == FINAL_APP || p->final == FINAL_WORLD); i++) {
        const hop *h = &p->hops[i];
        if (h->d.tls_termination[0] && h->d.cluster[0] && h->proxy->gateway) {
            *who = h->proxy;
            *tcp = true;
            return tls_srv_find(n, TLS_SRV_GATEWAY, h->d.tls_server, h->proxy, 0);
        }
    }
    if (p->final == FINAL_WORLD) return NULL;
    if (p->final == FINAL_TERMINATE) {
        hop *h = &p->hops[p->tls_hop];
        *who = h->proxy;
        return tls_srv_find(n, TLS_SRV_GATEWAY, h->d.tls_server, h->proxy, 0);
    }
    if (p->final != FINAL_APP || !p->app) return NULL;
    *who = p->app;
    /* the application's own TLS first: a sidecar passes TLS it does not own
     * through to the app (its mTLS chain wants Istio's ALPN) */
    const tls_srv *s = tls_srv_find(n, TLS_SRV_NGINX, p->app, NULL, p->final_port);
    if (s) { *nginx = true; return s; }
    const hop *last = p->nhops ? &p->hops[p->nhops - 1] : NULL;
    /* STRICT has only the mutual-TLS filter chain; PERMISSIVE's matches
     * Istio's ALPN ("istio", "istio-peer-exchange", "istio-h2", ...), other
     * TLS goes through to the application as plain bytes */
    const char *mode = last ? mesh_peer_authn_mode(n->m, p->app, p->final_port, NULL, 0) : "";
    if (last && last->inbound && !last->mtls_in && last->proxy == p->app &&
        (!strcmp(mode, "STRICT") || (!strcmp(mode, "PERMISSIVE") && istio_alpn))) {
        *mesh = true;
        return tls_srv_find(n, TLS_SRV_MESH, p->app, NULL, 0);
    }
    return NULL;
}

/* After a failed handshake the alert is on its way: stop sending, and read
 * until the client closes, so that what it sent meanwhile (a TLS 1.3
 * client's first request) does not turn our close into a reset that would
 * overtake the alert. */
static void linger_until_client_closes(int fd, counted *cnt)
{
    shutdown(fd, SHUT_WR);
    char buf[4096];
    for (;;) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 2000) <= 0) break;
        ssize_t k = recv(fd, buf, sizeof buf, 0);
        if (k <= 0) break;
        cnt->rx += k;
    }
}

/* The gateway hop whose listener terminates this connection, or NULL. */
static const hop *terminating_gateway(const path *p)
{
    if (p->final == FINAL_TERMINATE) return &p->hops[p->tls_hop];
    for (int i = 0; i < p->nhops && (p->final == FINAL_APP || p->final == FINAL_WORLD); i++)
        if (p->hops[i].d.tls_termination[0] && p->hops[i].d.cluster[0] && p->hops[i].proxy->gateway) return &p->hops[i];
    return NULL;
}

/* Envoy's TLS statistics of the listener (listener.<address>.ssl.*), one
 * connection's worth.  A failed handshake writes no access-log line: the HTTP
 * connection manager never saw a request, and the listener-level log Istio
 * configures (1.8 on) only takes connections without a filter chain (NR). */
static void count_handshake(net *n, const mesh_workload *proxy, const char *l, SSL *ssl, bool ok, bool count_cx)
{
    const char *w = proxy->name, *ns = proxy->ns;
    char name[512];
    X509 *peer = SSL_get1_peer_certificate(ssl);
    const char *stat;
    if (ok) {
        stat = "handshake";
        snprintf(name, sizeof name, "listener.%s.ssl.versions.%s", l, SSL_get_version(ssl));
        stats_add(n->stats, ns, w, name, 1);
        snprintf(name, sizeof name, "listener.%s.ssl.ciphers.%s", l, SSL_get_cipher_name(ssl));
        stats_add(n->stats, ns, w, name, 1);
        if (!peer) {
            snprintf(name, sizeof name, "listener.%s.ssl.no_certificate", l);
            stats_add(n->stats, ns, w, name, 1);
        }
    } else {
        /* the connection reached the listener; the HTTP layer never counts it */
        if (count_cx) {
            snprintf(name, sizeof name, "listener.%s.downstream_cx_total", l);
            stats_add(n->stats, ns, w, name, 1);
        }
        /* OpenSSL keeps the chain's verdict even when it stops the handshake */
        int reason = ERR_GET_REASON(ERR_peek_last_error());
        if (SSL_get_verify_result(ssl) != X509_V_OK || reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
            stat = "fail_verify_error";
        else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) stat = "fail_verify_no_cert";
        else stat = "connection_error";
    }
    snprintf(name, sizeof name, "listener.%s.ssl.%s", l, stat);
    stats_add(n->stats, ns, w, name, 1);
    X509_free(peer);
}

bool tls_serve_cluster(conn *c, path *p, const char *sni, bool istio_alpn, long long *rx, long long *tx)
{
    const mesh_workload *who = NULL;
    bool nginx, mesh, tcp;
    const tls_srv *s = server_for(c, p, istio_alpn, &who, &nginx, &mesh, &tcp);
    if (!s) return false;
    counted cnt = {0};
    if (s->ctx) {
        SSL *ssl = SSL_new(s->ctx);
        BIO *bio = BIO_new_socket(c->fd, BIO_NOCLOSE);
        BIO_set_callback_ex(bio, bio_count_cb);
        BIO_set_callback_arg(bio, (char *)&cnt);
        SSL_set_bio(ssl, bio, bio);
        const hop *gw = terminating_gateway(p);
        bool accepted = SSL_accept(ssl) == 1;
        if (gw && gw->d.listener[0]) count_handshake(c->n, gw->proxy, gw->d.listener, ssl, accepted, true);
        /* a sidecar's mutual TLS: Envoy names the inbound listener's TLS stats by
         * its address, 0.0.0.0:15006 (the connection itself is counted with the hop) */
        else if (mesh && p->nhops) count_handshake(c->n, p->hops[p->nhops - 1].proxy, "0.0.0.0_15006", ssl, accepted, false);
        if (mesh && !accepted) p->handshake_failed = true;
        if (accepted) {
            inner in = {.c = c, .at = *c, .start = who, .sni = sni, .first = true, .mtls_in = mesh, .ssl = ssl, .p = p};
            /* the addresses the serving proxy or server sees */
            const hop *h = p->final == FINAL_TERMINATE ? &p->hops[p->tls_hop] : p->nhops ? &p->hops[p->nhops - 1] : NULL;
            if (h) {
                snprintf(in.at.src_ip, sizeof in.at.src_ip, "%s", h->req.src_ip);
                const char *colon = strrchr(h->downstream_remote, ':');
                in.at.src_port = colon ? atoi(colon + 1) : c->src_port;
                snprintf(in.at.dst_ip, sizeof in.at.dst_ip, "%s", h->req.dst_ip);
                in.at.dst_port = h->req.dst_port;
            }
            if (mesh) {
                /* walk again from the pod's address: its sidecar takes it inbound */
                in.start = NULL;
                snprintf(in.at.dst_ip, sizeof in.at.dst_ip, "%s", who->ip);
                in.at.dst_port = p->final_port;
            }
            tls_serve_http(ssl, tcp ? tcp_after_termination : nginx ? nginx_handler : inner_handler, &in, &in.proto);
            SSL_shutdown(ssl);
        } else {
            linger_until_client_closes(c->fd, &cnt);
        }
        SSL_free(ssl);
        ERR_clear_error();
    } else {
        /* no certificate to present: Envoy has no usable filter chain and nginx
         * fails the handshake; either way the client sees the connection close */
        char sink[16384];
        ssize_t k = recv(c->fd, sink, sizeof sink, 0);
        if (k > 0) cnt.rx += k;
    }
    *rx += cnt.rx;
    *tx += cnt.tx;
    return true;
}
