/* HTTP/1.1 request parsing and response writing for the simulated servers. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "net/http1.h"

void http_msg_init(http_msg *m) { memset(m, 0, sizeof *m); }

void http_msg_free(http_msg *m)
{
    free(m->method); free(m->target); free(m->version);
    for (int i = 0; i < m->nh; i++) { free(m->h[i].name); free(m->h[i].value); }
    free(m->body);
    memset(m, 0, sizeof *m);
}

const char *http_get(const http_msg *m, const char *name)
{
    for (int i = 0; i < m->nh; i++)
        if (!strcasecmp(m->h[i].name, name)) return m->h[i].value;
    return NULL;
}

void http_add(http_msg *m, const char *name, const char *value)
{
    if (m->nh >= HTTP_MAX_HEADERS) return;
    m->h[m->nh].name = strdup(name);
    m->h[m->nh].value = strdup(value);
    m->nh++;
}

void http_set(http_msg *m, const char *name, const char *value)
{
    for (int i = 0; i < m->nh; i++) {
        if (strcasecmp(m->h[i].name, name)) continue;
        if (value) {
            free(m->h[i].value);
            m->h[i].value = strdup(value);
            return;
        }
        free(m->h[i].name); free(m->h[i].value);
        memmove(&m->h[i], &m->h[i + 1], (size_t)(m->nh - i - 1) * sizeof m->h[0]);
        m->nh--;
        i--;
    }
    if (value) http_add(m, name, value);
}

void http_set_body(http_msg *m, const void *body, size_t len)
{
    free(m->body);
    m->body = NULL;
    m->body_len = 0;
    if (!len) return;
    m->body = malloc(len);
    if (!m->body) return;
    memcpy(m->body, body, len);
    m->body_len = len;
}

void http_msg_copy_head(http_msg *dst, const http_msg *src)
{
    http_msg_init(dst);
    dst->method = src->method ? strdup(src->method) : NULL;
    dst->target = src->target ? strdup(src->target) : NULL;
    dst->version = src->version ? strdup(src->version) : NULL;
    dst->status = src->status;
    for (int i = 0; i < src->nh; i++) http_add(dst, src->h[i].name, src->h[i].value);
    dst->body_len = src->body_len;   /* the size, for logs; no bytes */
}

static char *dupn(const unsigned char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s) return NULL;
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static int is_tchar(int c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Decode a chunked body starting at p.  Returns bytes used, 0 = need more, -1 bad. */
static long parse_chunked(const unsigned char *p, size_t n, http_msg *req)
{
    size_t off = 0, total = 0;
    unsigned char *body = NULL;
    for (;;) {
        const unsigned char *eol = memchr(p + off, '\n', n - off);
        if (!eol) { free(body); return n - off > 1024 ? -1 : 0; }
        char *end;
        unsigned long sz = strtoul((const char *)p + off, &end, 16);
        if (end == (const char *)p + off || sz > (64u << 20)) { free(body); return -1; }
        off = (size_t)(eol - p) + 1;
        if (sz == 0) {
            /* trailer fields until an empty line */
            for (;;) {
                const unsigned char *e2 = memchr(p + off, '\n', n - off);
                if (!e2) { free(body); return 0; }
                size_t ll = (size_t)(e2 - (p + off));
                off = (size_t)(e2 - p) + 1;
                if (ll == 0 || (ll == 1 && p[off - 2] == '\r')) break;
            }
            req->body = body;
            req->body_len = total;
            return (long)off;
        }
        if (n - off < sz + 2) { free(body); return 0; }
        unsigned char *nb = realloc(body, total + sz);
        if (!nb) { free(body); return -1; }
        body = nb;
        memcpy(body + total, p + off, sz);
        total += sz;
        off += sz;
        if (p[off] == '\r') off++;
        if (off >= n || p[off] != '\n') { free(body); return -1; }
        off++;
    }
}

long http1_parse_request(const unsigned char *buf, size_t len, http_msg *req,
                         char *err, size_t errlen)
{
    http_msg_init(req);
    /* find the end of the header block */
    size_t hend = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] == '\n' && buf[i + 1] == '\n') { hend = i + 2; break; }
        if (i + 3 < len && buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
            hend = i + 4;
            break;
        }
    }
    if (!hend) {
        if (len > 65536) { snprintf(err, errlen, "header block too large"); return -1; }
        return 0;
    }
    /* request line: METHOD SP target SP HTTP/1.x */
    const unsigned char *p = buf, *eol = memchr(buf, '\n', hend);
    size_t ll = (size_t)(eol - p);
    if (ll && p[ll - 1] == '\r') ll--;
    const unsigned char *sp1 = memchr(p, ' ', ll);
    const unsigned char *sp2 = sp1 ? memchr(sp1 + 1, ' ', ll - (size_t)(sp1 + 1 - p)) : NULL;
    if (!sp1 || !sp2 || sp1 == p || sp2 == sp1 + 1) {
        snprintf(err, errlen, "malformed request line");
        return -1;
    }
    for (const unsigned char *q = p; q < sp1; q++)
        if (!is_tchar(*q)) { snprintf(err, errlen, "invalid method"); return -1; }
    size_t vlen = ll - (size_t)(sp2 + 1 - p);
    if (vlen != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) || !isdigit(sp2[8])) {
        snprintf(err, errlen, "unsupported HTTP version");
        return -1;
    }
    req->method = dupn(p, (size_t)(sp1 - p));
    req->target = dupn(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    req->version = dupn(sp2 + 1, vlen);
    /* header fields */
    const unsigned char *q = eol + 1;
    while (q < buf + hend) {
        const unsigned char *e = memchr(q, '\n', (size_t)(buf + hend - q));
        size_t fl = (size_t)(e - q);
        if (fl && q[fl - 1] == '\r') fl--;
        if (fl == 0) break;
        const unsigned char *colon = memchr(q, ':', fl);
        if (!colon || colon == q) { snprintf(err, errlen, "malformed header field"); goto bad; }
        for (const unsigned char *c = q; c < colon; c++)
            if (!is_tchar(*c)) { snprintf(err, errlen, "invalid header field name"); goto bad; }
        const unsigned char *v = colon + 1, *ve = q + fl;
        while (v < ve && (*v == ' ' || *v == '\t')) v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
        if (req->nh >= HTTP_MAX_HEADERS) { snprintf(err, errlen, "too many header fields"); goto bad; }
        req->h[req->nh].name = dupn(q, (size_t)(colon - q));
        req->h[req->nh].value = dupn(v, (size_t)(ve - v));
        req->nh++;
        q = e + 1;
    }
    /* body */
    const char *te = http_get(req, "transfer-encoding");
    const char *cl = http_get(req, "content-length");
    if (te && strcasestr(te, "chunked")) {
        long used = parse_chunked(buf + hend, len - hend, req);
        if (used < 0) { snprintf(err, errlen, "malformed chunked body"); goto bad; }
        if (used == 0) { http_msg_free(req); return 0; }
        return (long)hend + used;
    }
    if (cl) {
        char *end;
        long long n = strtoll(cl, &end, 10);
        if (end == cl || *end || n < 0 || n > (64 << 20)) { snprintf(err, errlen, "invalid content-length"); goto bad; }
        if (len - hend < (size_t)n) { http_msg_free(req); return 0; }
        http_set_body(req, buf + hend, (size_t)n);
        return (long)(hend + (size_t)n);
    }
    return (long)hend;
bad:
    http_msg_free(req);
    return -1;
}

const char *http_reason(int s)
{
    switch (s) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 418: return "I'm a teapot";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

unsigned char *http1_write_response(const http_msg *resp, int head_only, size_t *outlen)
{
    size_t cap = 256 + (head_only ? 0 : resp->body_len);
    for (int i = 0; i < resp->nh; i++) cap += strlen(resp->h[i].name) + strlen(resp->h[i].value) + 4;
    unsigned char *out = malloc(cap);
    if (!out) return NULL;
    int n = snprintf((char *)out, cap, "HTTP/1.1 %d %s\r\n", resp->status, http_reason(resp->status));
    size_t off = (size_t)n;
    for (int i = 0; i < resp->nh; i++)
        off += (size_t)snprintf((char *)out + off, cap - off, "%s: %s\r\n", resp->h[i].name, resp->h[i].value);
    memcpy(out + off, "\r\n", 2);
    off += 2;
    if (!head_only && resp->body_len) {
        memcpy(out + off, resp->body, resp->body_len);
        off += resp->body_len;
    }
    *outlen = off;
    return out;
}

static size_t fields_size(const http_msg *m)
{
    size_t n = 2;                                   /* the empty line */
    for (int i = 0; i < m->nh; i++) n += strlen(m->h[i].name) + 2 + strlen(m->h[i].value) + 2;
    return n;
}

size_t http1_request_size(const http_msg *req)
{
    size_t line = strlen(req->method ? req->method : "GET") + 1 + strlen(req->target ? req->target : "/") + 1 + 8 + 2;
    return line + fields_size(req) + req->body_len;
}

size_t http1_response_size(const http_msg *resp)
{
    char line[64];
    int n = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", resp->status, http_reason(resp->status));
    return (size_t)n + fields_size(resp) + resp->body_len;
}
