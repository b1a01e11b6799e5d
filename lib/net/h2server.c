/* An HTTP/2 server (RFC 9113) over an established TLS connection, with
 * libnghttp2: the simulated world hosts speak it when the client offers h2. */
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "net/net_internal.h"

typedef struct h2_stream {
    int32_t id;
    http_msg req, resp;
    size_t sent;
    struct h2_stream *next;
} h2_stream;

typedef struct h2_conn {
    SSL *ssl;                 /* TLS, or */
    int fd;                   /* plaintext (prior knowledge) */
    h2_handler fn;
    void *ctx;
    h2_stream *streams;
    nghttp2_session *s;
} h2_conn;

static h2_stream *find(h2_conn *hc, int32_t id)
{
    for (h2_stream *st = hc->streams; st; st = st->next)
        if (st->id == id) return st;
    return NULL;
}

static ssize_t send_cb(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *user)
{
    (void)s; (void)flags;
    h2_conn *hc = user;
    if (!hc->ssl) {
        ssize_t k = send(hc->fd, data, len, MSG_NOSIGNAL);
        return k > 0 ? k : NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    int k = SSL_write(hc->ssl, data, (int)len);
    return k > 0 ? k : NGHTTP2_ERR_CALLBACK_FAILURE;
}

static int begin_headers_cb(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    h2_conn *hc = user;
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    h2_stream *st = calloc(1, sizeof *st);
    if (!st) return NGHTTP2_ERR_CALLBACK_FAILURE;
    st->id = f->hd.stream_id;
    http_msg_init(&st->req);
    st->req.version = strdup("HTTP/2");
    st->next = hc->streams;
    hc->streams = st;
    nghttp2_session_set_stream_user_data(s, st->id, st);
    return 0;
}

static int header_cb(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nl,
                     const uint8_t *value, size_t vl, uint8_t flags, void *user)
{
    (void)s; (void)flags;
    h2_stream *st = find(user, f->hd.stream_id);
    if (!st) return 0;
    char *n = strndup((const char *)name, nl), *v = strndup((const char *)value, vl);
    if (!strcmp(n, ":method")) { free(st->req.method); st->req.method = v; v = NULL; }
    else if (!strcmp(n, ":path")) { free(st->req.target); st->req.target = v; v = NULL; }
    else if (!strcmp(n, ":authority")) http_set(&st->req, "host", v);
    else if (n[0] != ':') http_add(&st->req, n, v);
    free(n);
    free(v);
    return 0;
}

static int data_chunk_cb(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                         void *user)
{
    (void)s; (void)flags;
    h2_stream *st = find(user, id);
    if (!st) return 0;
    unsigned char *nb = realloc(st->req.body, st->req.body_len + len);
    if (!nb) return NGHTTP2_ERR_CALLBACK_FAILURE;
    memcpy(nb + st->req.body_len, data, len);
    st->req.body = nb;
    st->req.body_len += len;
    return 0;
}

static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *user)
{
    (void)s; (void)id; (void)user;
    h2_stream *st = src->ptr;
    size_t left = st->resp.body_len - st->sent;
    size_t k = left < len ? left : len;
    if (k) memcpy(buf, st->resp.body + st->sent, k);
    st->sent += k;
    if (st->sent == st->resp.body_len) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)k;
}

static int respond(h2_conn *hc, h2_stream *st)
{
    if (!st->req.method) st->req.method = strdup("GET");
    if (!st->req.target) st->req.target = strdup("/");
    http_msg_init(&st->resp);
    hc->fn(hc->ctx, &st->req, &st->resp);
    if (st->resp.status == 0) return -1;    /* no answer: drop the connection */
    nghttp2_nv nv[HTTP_MAX_HEADERS + 1];
    char status[8];
    snprintf(status, sizeof status, "%d", st->resp.status);
    size_t k = 0;
    nv[k++] = (nghttp2_nv){(uint8_t *)":status", (uint8_t *)status, 7, strlen(status), NGHTTP2_NV_FLAG_NONE};
    for (int i = 0; i < st->resp.nh; i++) {
        char *name = st->resp.h[i].name;
        for (char *q = name; *q; q++) if (*q >= 'A' && *q <= 'Z') *q = (char)(*q + 32);
        if (!strcmp(name, "connection") || !strcmp(name, "transfer-encoding") || !strcmp(name, "keep-alive"))
            continue;
        nv[k++] = (nghttp2_nv){(uint8_t *)name, (uint8_t *)st->resp.h[i].value, strlen(name),
                               strlen(st->resp.h[i].value), NGHTTP2_NV_FLAG_NONE};
    }
    bool head = !strcmp(st->req.method, "HEAD");
    if (head || st->resp.body_len == 0) return nghttp2_submit_response(hc->s, st->id, nv, k, NULL);
    nghttp2_data_provider dp = {.source.ptr = st, .read_callback = read_body};
    return nghttp2_submit_response(hc->s, st->id, nv, k, &dp);
}

static int frame_recv_cb(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    (void)s;
    h2_conn *hc = user;
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) && (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        h2_stream *st = find(hc, f->hd.stream_id);
        if (st && respond(hc, st)) return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
}

static int stream_close_cb(nghttp2_session *s, int32_t id, uint32_t err, void *user)
{
    (void)s; (void)err;
    h2_conn *hc = user;
    for (h2_stream **pp = &hc->streams; *pp; pp = &(*pp)->next) {
        if ((*pp)->id != id) continue;
        h2_stream *st = *pp;
        *pp = st->next;
        http_msg_free(&st->req);
        http_msg_free(&st->resp);
        free(st);
        break;
    }
    return 0;
}

static int serve(SSL *ssl, int fd, h2_handler fn, void *ctx)
{
    h2_conn hc = {.ssl = ssl, .fd = fd, .fn = fn, .ctx = ctx};
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_send_callback(cb, send_cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, begin_headers_cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, header_cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, data_chunk_cb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, frame_recv_cb);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, stream_close_cb);
    int rc = nghttp2_session_server_new(&hc.s, cb, &hc);
    nghttp2_session_callbacks_del(cb);
    if (rc) return -1;
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
    nghttp2_submit_settings(hc.s, NGHTTP2_FLAG_NONE, iv, 1);
    unsigned char buf[16384];
    rc = 0;
    while (nghttp2_session_want_read(hc.s) || nghttp2_session_want_write(hc.s)) {
        if (nghttp2_session_send(hc.s)) { rc = -1; break; }
        if (!nghttp2_session_want_read(hc.s)) break;
        int k = ssl ? SSL_read(ssl, buf, sizeof buf) : (int)recv(fd, buf, sizeof buf, 0);
        if (k <= 0) break;
        if (nghttp2_session_mem_recv(hc.s, buf, (size_t)k) < 0) { rc = -1; break; }
    }
    nghttp2_session_send(hc.s);
    nghttp2_session_del(hc.s);
    while (hc.streams) {
        h2_stream *st = hc.streams;
        hc.streams = st->next;
        http_msg_free(&st->req);
        http_msg_free(&st->resp);
        free(st);
    }
    return rc;
}

int h2_serve(SSL *ssl, h2_handler fn, void *ctx) { return serve(ssl, -1, fn, ctx); }
int h2_serve_plain(int fd, h2_handler fn, void *ctx) { return serve(NULL, fd, fn, ctx); }
