/* One connection's server thread: accept the probe's loopback connection,
 * look at the first bytes (TLS ClientHello, HTTP/1.x request), walk the hops
 * and serve what the destination answers. */
#include <errno.h>
#include <openssl/err.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include "model/obj.h"
#include "net/net_internal.h"
#include "net/sni.h"

/* How long (real time) a thread waits for the probe to connect or speak. */
#define ACCEPT_WAIT_MS 20000
#define FIRST_BYTES_WAIT_MS 3000

static ssize_t send_all(int fd, const void *buf, size_t len, counted *cnt)
{
    size_t off = 0;
    while (off < len) {
        ssize_t k = send(fd, (const char *)buf + off, len - off, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        off += (size_t)k;
    }
    cnt->tx += (long long)len;
    return (ssize_t)len;
}

/* Close with a TCP RST rather than a FIN (Envoy resetting a connection no
 * filter chain takes): the client reads "Connection reset by peer". */
static void reset_conn(conn *c)
{
    struct linger lg = {1, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

/* ---- plaintext HTTP/1.1 ------------------------------------------------------ */

static void serve_http1(conn *c)
{
    net *n = c->n;
    counted cnt = {0};
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    bool first = true, sent_continue = false;
    path p0;
    bool have_p0 = false;
    long long conn_start = net_now(n), v0 = net_vclock_ms(n);
    for (;;) {
        http_msg req;
        char err[128];
        long used = len ? http1_parse_request(buf, len, &req, err, sizeof err) : 0;
        if (used < 0) {
            static const char bad[] = "HTTP/1.1 400 Bad Request\r\ncontent-length: 11\r\ncontent-type: text/plain\r\n"
                                      "connection: close\r\n\r\nBad Request";
            send_all(c->fd, bad, sizeof bad - 1, &cnt);
            break;
        }
        if (used == 0) {
            /* curl waits for "100 Continue" before a large body */
            if (!sent_continue && len && memmem(buf, len, "\r\n\r\n", 4)) {
                size_t hl = (size_t)((unsigned char *)memmem(buf, len, "\r\n\r\n", 4) - buf);
                char *head = strndup((const char *)buf, hl);
                if (head && strcasestr(head, "\nexpect: 100-continue")) {
                    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
                    send_all(c->fd, cont, sizeof cont - 1, &cnt);
                    sent_continue = true;
                }
                free(head);
            }
            if (cap - len < 16384) {
                cap = cap ? cap * 2 : 65536;
                unsigned char *nb = realloc(buf, cap);
                if (!nb) break;
                buf = nb;
            }
            ssize_t k = recv(c->fd, buf + len, cap - len, 0);
            if (k <= 0) break;
            len += (size_t)k;
            cnt.rx += k;
            continue;
        }
        memmove(buf, buf + used, len - (size_t)used);
        len -= (size_t)used;
        sent_continue = false;

        /* the first request's path is the connection's path for L4 hops */
        path local, *pp = &local;
        if (!have_p0) { pp = &p0; have_p0 = true; }
        hops_walk(n, c, NULL, &req, pp);
        bool l7 = false;
        for (int i = 0; i < pp->nhops; i++) l7 |= pp->hops[i].l7;
        if (!l7 && (pp->final == FINAL_CLOSED || pp->final == FINAL_REFUSED || pp->final == FINAL_TIMEOUT)) {
            /* a TCP proxy on the way could not connect: it closes on the client */
            if (pp->final == FINAL_TIMEOUT) net_vclock_advance(n, CONNECT_TIMEOUT_MS);
            if (pp->reset) reset_conn(c);
            http_msg_free(&req);
            if (pp == &local) hops_path_free(n, c, &local);
            break;
        }
        http_msg resp;
        bool head = req.method && !strcasecmp(req.method, "HEAD");
        hops_http_exchange(n, c, pp, &req, "HTTP/1.1", false, &resp, first);
        first = false;
        bool close_after = resp.status == 0 ||
                           (http_get(&req, "connection") && !strcasecmp(http_get(&req, "connection"), "close"));
        if (resp.status) {
            size_t outlen;
            unsigned char *out = http1_write_response(&resp, head, &outlen);
            if (!out || send_all(c->fd, out, outlen, &cnt) < 0) close_after = true;
            free(out);
        }
        http_msg_free(&resp);
        http_msg_free(&req);
        if (pp == &local) hops_path_free(n, c, &local);
        if (close_after) break;
    }
    if (have_p0) {
        hops_tcp_done(n, c, &p0, NULL, conn_start, cnt.rx, cnt.tx, net_vclock_ms(n) - v0 + 1);
        hops_path_free(n, c, &p0);
    }
    free(buf);
}

/* ---- a local server (the proxy's admin API) ------------------------------ */

static void serve_local(conn *c)
{
    counted cnt = {0};
    unsigned char buf[65536];
    size_t len = 0;
    for (;;) {
        http_msg req;
        char err[128];
        long used = len ? http1_parse_request(buf, len, &req, err, sizeof err) : 0;
        if (used < 0) break;
        if (used == 0) {
            if (len == sizeof buf) break;
            ssize_t k = recv(c->fd, buf + len, sizeof buf - len, 0);
            if (k <= 0) break;
            len += (size_t)k;
            continue;
        }
        memmove(buf, buf + used, len - (size_t)used);
        len -= (size_t)used;
        const local_answer *a = NULL;
        for (int i = 0; i < c->nanswers && !a; i++)
            if (!strcmp(c->answers[i].path, req.target ? req.target : "/")) a = &c->answers[i];
        http_msg resp;
        http_msg_init(&resp);
        const char *body = a && a->body ? a->body : c->nanswers && c->answers[0].body ? c->answers[0].body : "";
        resp.status = a ? a->status : 404;
        http_set(&resp, "content-type", "text/plain; charset=UTF-8");
        http_set_body(&resp, body, strlen(body));
        char n[32], date[64];
        snprintf(n, sizeof n, "%zu", resp.body_len);
        http_set(&resp, "content-length", n);
        http_date(date, sizeof date, net_now(c->n));
        http_set(&resp, "date", date);
        http_set(&resp, "server", "envoy");
        size_t outlen;
        unsigned char *out = http1_write_response(&resp, req.method && !strcasecmp(req.method, "HEAD"), &outlen);
        bool ok = out && send_all(c->fd, out, outlen, &cnt) >= 0;
        free(out);
        http_msg_free(&resp);
        http_msg_free(&req);
        if (!ok) break;
    }
}

/* ---- plaintext HTTP/2 (prior knowledge) --------------------------------- */

typedef struct h2c_state {
    conn *c;
    bool first;
    path p0;
    bool have_p0;
} h2c_state;

static void h2c_handler(void *ctx, http_msg *req, http_msg *resp)
{
    h2c_state *hs = ctx;
    conn *c = hs->c;
    path local, *pp = &local;
    if (!hs->have_p0) { pp = &hs->p0; hs->have_p0 = true; }
    hops_walk(c->n, c, NULL, req, pp);
    hops_http_exchange(c->n, c, pp, req, "HTTP/2", false, resp, hs->first);
    hs->first = false;
    if (pp == &local) hops_path_free(c->n, c, &local);
}

static void serve_h2c(conn *c)
{
    net *n = c->n;
    long long start = net_now(n), v0 = net_vclock_ms(n);
    h2c_state hs = {.c = c, .first = true};
    h2_serve_plain(c->fd, h2c_handler, &hs);
    if (hs.have_p0) {
        hops_tcp_done(n, c, &hs.p0, NULL, start, 0, 0, net_vclock_ms(n) - v0 + 1);
        hops_path_free(n, c, &hs.p0);
    }
}

/* ---- TLS -------------------------------------------------------------------- */

typedef struct tls_serve {
    conn *c;
    path *p;
    const char *proto;
} tls_serve;

static void world_handler(void *ctx, http_msg *req, http_msg *resp)
{
    tls_serve *ts = ctx;
    net *n = ts->c->n;
    long long latency = 0;
    if (!http_get(req, "host") && http_get(req, ":authority")) http_set(req, "host", http_get(req, ":authority"));
    world_request wr = {
        .svc = ts->p->world_svc, .port = ts->p->final_port, .tls = true,
        .client_ip = "203.0.113.10", .protocol = ts->proto, .now_ms = net_now(n), .req = req,
    };
    world_respond(&wr, resp, &latency);
    if (!net_spend(n, latency)) {
        http_msg_free(resp);
        resp->status = 0;
    }
}

/* count the raw bytes of the TLS connection as the proxies on the way see them */
long bio_count_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret,
                         size_t *processed)
{
    (void)argp; (void)len; (void)argi; (void)argl;
    counted *cnt = (counted *)BIO_get_callback_arg(b);
    if (ret > 0 && processed) {
        if (oper == (BIO_CB_READ | BIO_CB_RETURN)) cnt->rx += (long long)*processed;
        if (oper == (BIO_CB_WRITE | BIO_CB_RETURN)) cnt->tx += (long long)*processed;
    }
    return ret;
}

static void drain(conn *c, counted *cnt);

static void serve_tls_world(conn *c, path *p, counted *cnt)
{
    net *n = c->n;
    SSL_CTX *ctx = net_world_ctx(n, p->world_svc);
    if (!ctx) return;                 /* no certificate: the handshake fails */
    SSL *ssl = SSL_new(ctx);
    BIO *bio = BIO_new_socket(c->fd, BIO_NOCLOSE);
    BIO_set_callback_ex(bio, bio_count_cb);
    BIO_set_callback_arg(bio, (char *)cnt);
    SSL_set_bio(ssl, bio, bio);
    /* a TLS handshake costs the host one round trip */
    net_vclock_advance(n, obj_int_or(p->world_svc, "spec.latencyMs", 0));
    if (SSL_accept(ssl) != 1) {
        SSL_free(ssl);
        ERR_clear_error();
        /* the alert is on its way: read until the client hangs up, so that
         * its first request (already sent under TLS 1.3) does not turn our
         * close into a reset that overtakes the alert */
        shutdown(c->fd, SHUT_WR);
        drain(c, cnt);
        return;
    }
    tls_serve ts = {c, p, "HTTP/1.1"};
    tls_serve_http(ssl, world_handler, &ts, &ts.proto);
    SSL_shutdown(ssl);
    SSL_free(ssl);
    ERR_clear_error();
}

static void drain(conn *c, counted *cnt)
{
    char buf[16384];
    for (;;) {
        struct pollfd pf = {c->fd, POLLIN, 0};
        if (poll(&pf, 1, FIRST_BYTES_WAIT_MS) <= 0) break;
        ssize_t k = recv(c->fd, buf, sizeof buf, 0);
        if (k <= 0) break;
        cnt->rx += k;
    }
}

static void serve_tls_or_tcp(conn *c, const char *sni, bool tls, bool istio_alpn)
{
    net *n = c->n;
    counted cnt = {0};
    long long start = net_now(n), v0 = net_vclock_ms(n);
    path p;
    hops_walk(n, c, sni, NULL, &p);
    switch (p.final) {
    case FINAL_WORLD: {
        const char *proto = world_port_protocol(p.world_svc, p.final_port);
        if (tls && tls_serve_cluster(c, &p, sni, istio_alpn, &cnt.rx, &cnt.tx)) break;   /* a gateway terminates */
        if (tls && proto && (!strcasecmp(proto, "HTTPS") || !strcasecmp(proto, "TLS"))) {
            serve_tls_world(c, &p, &cnt);
        } else if (tls && proto && !strcasecmp(proto, "HTTP")) {
            /* a TLS hello to a plain HTTP server: it answers 400 in HTTP */
            static const char bad[] = "HTTP/1.1 400 Bad Request\r\ncontent-type: text/html\r\ncontent-length: 0\r\n"
                                      "connection: close\r\n\r\n";
            char sink[16384];
            ssize_t k = recv(c->fd, sink, sizeof sink, 0);
            if (k > 0) cnt.rx += k;
            send_all(c->fd, bad, sizeof bad - 1, &cnt);
        } else {
            drain(c, &cnt);
        }
        break;
    }
    case FINAL_TIMEOUT:
        net_vclock_advance(n, CONNECT_TIMEOUT_MS);
        break;
    case FINAL_CLOSED:
        /* bytes that are not HTTP reached an HTTP listener: Envoy's codec
         * answers 400 and closes (a TLS client reads "wrong version number") */
        if (p.fail_hop >= 0 && !strcmp(p.hops[p.fail_hop].d.flags, "DPE")) {
            static const char bad[] = "HTTP/1.1 400 Bad Request\r\ncontent-length: 11\r\ncontent-type: text/plain\r\n"
                                      "connection: close\r\n\r\nBad Request";
            char sink[16384];
            ssize_t k = recv(c->fd, sink, sizeof sink, 0);
            if (k > 0) cnt.rx += k;
            send_all(c->fd, bad, sizeof bad - 1, &cnt);
        }
        break;
    case FINAL_TERMINATE:
    case FINAL_APP:
        /* TLS ending in the cluster: a gateway, a sidecar's mesh certificate,
         * nginx's ssl server (tls_terminate.c) */
        if (tls && tls_serve_cluster(c, &p, sni, istio_alpn, &cnt.rx, &cnt.tx)) break;
        /* plain text to a STRICT mutual-TLS port: Envoy resets it */
        if (!tls && p.final == FINAL_APP && p.nhops && p.hops[p.nhops - 1].inbound &&
            !p.hops[p.nhops - 1].mtls_in &&
            !strcmp(mesh_peer_authn_mode(n->m, p.hops[p.nhops - 1].proxy, p.final_port, NULL, 0), "STRICT"))
            reset_conn(c);
        break;
    default:
        /* closed by a proxy, refused upstream, or an app that does not speak TLS */
        break;
    }
    shutdown(c->fd, SHUT_RDWR);
    hops_tcp_done(n, c, &p, sni, start, cnt.rx, cnt.tx, net_vclock_ms(n) - v0 + 1);
    hops_path_free(n, c, &p);
}

/* The ALPN a sidecar sets on Istio mutual TLS ("istio", "istio-h2", ...) */
static bool offers_istio_alpn(const client_hello *h)
{
    for (int i = 0; i < h->nalpn; i++)
        if (!strcmp(h->alpn[i], "istio") || !strncmp(h->alpn[i], "istio-", 6)) return true;
    return false;
}

void *conn_thread(void *arg)
{
    conn *c = arg;
    /* OpenSSL writes alerts with plain send(): a client that already hung
     * up must give this thread EPIPE, not kill the probe's process */
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
    struct pollfd pf = {c->lfd, POLLIN, 0};
    if (poll(&pf, 1, ACCEPT_WAIT_MS) > 0) c->fd = accept(c->lfd, NULL, NULL);
    close(c->lfd);
    if (c->fd < 0) goto done;

    if (c->nanswers) {
        serve_local(c);
        goto done;
    }
    unsigned char peek[16384 + 512];
    ssize_t k = 0;
    sniff_kind kind = SNIFF_MORE;
    client_hello hello;
    memset(&hello, 0, sizeof hello);
    for (int tries = 0; tries < 50; tries++) {
        struct pollfd cf = {c->fd, POLLIN, 0};
        if (poll(&cf, 1, FIRST_BYTES_WAIT_MS) <= 0) break;
        k = recv(c->fd, peek, sizeof peek, MSG_PEEK);
        if (k <= 0) break;
        kind = sniff_protocol(peek, (size_t)k);
        if (kind == SNIFF_TLS) {
            int r = tls_client_hello_parse(peek, (size_t)k, &hello);
            if (r != 0) break;
        } else if (kind != SNIFF_MORE) {
            break;
        }
        if ((size_t)k == sizeof peek) break;
        usleep(2000);   /* let the rest of the first flight arrive */
    }
    if (kind == SNIFF_HTTP1) serve_http1(c);
    else if (kind == SNIFF_H2C) serve_h2c(c);
    else if (kind == SNIFF_TLS) serve_tls_or_tcp(c, hello.sni[0] ? hello.sni : NULL, true, offers_istio_alpn(&hello));
    else if (k > 0) serve_tls_or_tcp(c, NULL, false, false);
done:
    close(c->fd);
    for (int i = 0; i < c->nanswers; i++) { free(c->answers[i].path); free(c->answers[i].body); }
    free(c->answers);
    free(c);
    return NULL;
}
