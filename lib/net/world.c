/* The outside world: which ExternalService sits at a name or address, and
 * what it answers (rules of spec.http: redirect, fixed response, or an app). */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "model/obj.h"
#include "net/world.h"

struct world {
    json_t *svcs;   /* array of ExternalService objects (new references) */
};

world *world_build(json_t *objects)
{
    world *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->svcs = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o) {
        const char *kind = obj_kind(o);
        if (kind && !strcmp(kind, "ExternalService")) json_array_append(w->svcs, o);
    }
    return w;
}

void world_free(world *w)
{
    if (!w) return;
    json_decref(w->svcs);
    free(w);
}

static bool host_matches(const char *pattern, const char *host)
{
    if (!strcasecmp(pattern, host)) return true;
    if (pattern[0] == '*' && pattern[1] == '.') {
        size_t pl = strlen(pattern + 1), hl = strlen(host);
        return hl > pl && !strcasecmp(host + hl - pl, pattern + 1);
    }
    return false;
}

json_t *world_by_host(const world *w, const char *host)
{
    if (!w || !host) return NULL;
    char h[256];
    snprintf(h, sizeof h, "%s", host);
    size_t n = strlen(h);
    if (n && h[n - 1] == '.') h[n - 1] = 0;     /* FQDN with the root dot */
    for (int pass = 0; pass < 2; pass++) {
        size_t i, j;
        json_t *s, *hv;
        json_array_foreach(w->svcs, i, s) {
            json_array_foreach(obj_at(s, "spec.hosts"), j, hv) {
                const char *p = json_string_value(hv);
                if (!p) continue;
                if (pass == 0 ? !strcasecmp(p, h) : host_matches(p, h)) return s;
            }
        }
    }
    return NULL;
}

static bool has_address(json_t *s, const char *ip)
{
    size_t j;
    json_t *a;
    json_array_foreach(obj_at(s, "spec.addresses"), j, a)
        if (json_is_string(a) && !strcmp(json_string_value(a), ip)) return true;
    return false;
}

json_t *world_by_ip(const world *w, const char *ip)
{
    if (!w || !ip) return NULL;
    size_t i;
    json_t *s;
    json_array_foreach(w->svcs, i, s)
        if (has_address(s, ip)) return s;
    return NULL;
}

json_t *world_endpoint(const world *w, const char *ip, int port, const char *name)
{
    (void)port;
    json_t *byname = name ? world_by_host(w, name) : NULL;
    if (byname && has_address(byname, ip)) return byname;
    return world_by_ip(w, ip);
}

const char *world_port_protocol(json_t *svc, int port)
{
    size_t i;
    json_t *p;
    json_array_foreach(obj_at(svc, "spec.ports"), i, p) {
        if (obj_int_or(p, "number", -1) == port) return obj_str_or(p, "protocol", "TCP");
    }
    return NULL;
}

int world_resolve(const world *w, const char *name, char out[][46], int max)
{
    json_t *s = world_by_host(w, name);
    if (!s) return 0;
    int n = 0;
    size_t i;
    json_t *a;
    json_array_foreach(obj_at(s, "spec.addresses"), i, a) {
        if (n >= max) break;
        if (!json_is_string(a)) continue;
        snprintf(out[n++], 46, "%s", json_string_value(a));
    }
    return n;
}

void http_date(char *buf, size_t len, long long ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
    snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
             mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

char *world_page(const char *title, long long bytes, size_t *len)
{
    /* Deterministic filler so sizes (and byte counters) are stable run to run. */
    static const char filler[] =
        "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
        "incididunt ut labore et dolore magna aliqua.</p>\n";
    char head[1024];
    int hn = snprintf(head, sizeof head,
                      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<title>%s</title>\n</head>\n<body>\n", title ? title : "");
    static const char tail[] = "</body>\n</html>\n";
    size_t min = (size_t)hn + sizeof tail - 1;
    size_t total = bytes > 0 && (size_t)bytes > min ? (size_t)bytes : min;
    char *p = malloc(total + 1);
    if (!p) { *len = 0; return NULL; }
    memcpy(p, head, (size_t)hn);
    size_t off = (size_t)hn, end = total - (sizeof tail - 1);
    /* one period of the filler, then what is filled copied onto the rest
     * (a whole number of periods each time, so the text stays the same) */
    size_t k = sizeof filler - 1 < end - off ? sizeof filler - 1 : end - off;
    memcpy(p + off, filler, k);
    size_t filled = k;
    while (hn + filled < end) {
        size_t n = filled < end - (hn + filled) ? filled : end - (hn + filled);
        memcpy(p + hn + filled, p + hn, n);
        filled += n;
    }
    memcpy(p + end, tail, sizeof tail - 1);
    p[total] = 0;
    *len = total;
    return p;
}

static void set_common(http_msg *resp, long long now_ms)
{
    char d[64];
    http_date(d, sizeof d, now_ms);
    http_set(resp, "date", d);
}

static void set_length(http_msg *resp)
{
    char n[32];
    snprintf(n, sizeof n, "%zu", resp->body_len);
    http_set(resp, "content-length", n);
}

static void add_headers(http_msg *resp, json_t *headers)
{
    const char *k;
    json_t *v;
    json_object_foreach(headers, k, v) {
        if (json_is_string(v)) http_set(resp, k, json_string_value(v));
        else if (json_is_integer(v)) {
            char n[32];
            snprintf(n, sizeof n, "%lld", (long long)json_integer_value(v));
            http_set(resp, k, n);
        }
    }
}

static void split_target(const char *target, char *path, size_t plen)
{
    snprintf(path, plen, "%s", target ? target : "/");
    char *q = strchr(path, '?');
    if (q) *q = 0;
}

static bool rule_matches(json_t *match, const world_request *wr, const char *path)
{
    if (!match) return true;
    long long port = obj_int_or(match, "port", 0);
    if (port && port != wr->port) return false;
    const char *m = obj_str(match, "method");
    if (m && strcasecmp(m, wr->req->method ? wr->req->method : "GET")) return false;
    const char *exact = obj_str(match, "path");
    if (exact && strcmp(exact, path)) return false;
    const char *prefix = obj_str(match, "pathPrefix");
    if (prefix && strncmp(prefix, path, strlen(prefix))) return false;
    const char *glob = obj_str(match, "pathGlob");
    if (glob && fnmatch(glob, path, 0)) return false;
    return true;
}

void world_respond(const world_request *wr, http_msg *resp, long long *latency_ms)
{
    json_t *spec = obj_at(wr->svc, "spec");
    const char *host = NULL;
    const char *hosthdr = http_get(wr->req, "host");
    char hostbuf[256];
    if (hosthdr) {
        snprintf(hostbuf, sizeof hostbuf, "%s", hosthdr);
        char *c = strrchr(hostbuf, ':');
        if (c && !strchr(hostbuf, ']')) *c = 0;
        host = hostbuf;
    } else {
        host = json_string_value(json_array_get(obj_at(wr->svc, "spec.hosts"), 0));
        if (!host) host = obj_name(wr->svc);
    }
    *latency_ms = obj_int_or(spec, "latencyMs", 0);
    long long now = wr->now_ms + *latency_ms;
    char path[2048];
    split_target(wr->req->target, path, sizeof path);

    http_msg_init(resp);
    size_t i;
    json_t *rule, *chosen = NULL;
    json_array_foreach(obj_at(spec, "http"), i, rule) {
        if (rule_matches(obj_at(rule, "match"), wr, path)) { chosen = rule; break; }
    }
    if (!chosen) {
        resp->status = 404;
        http_set(resp, "content-type", "text/html");
        static const char nf[] = "<html><body><h1>404 Not Found</h1></body></html>\n";
        http_set_body(resp, nf, sizeof nf - 1);
    } else if (obj_at(chosen, "redirect")) {
        json_t *r = obj_at(chosen, "redirect");
        resp->status = (int)obj_int_or(r, "code", 301);
        const char *scheme = obj_str_or(r, "scheme", wr->tls ? "https" : "http");
        const char *rhost = obj_str_or(r, "host", host);
        const char *rpath = obj_str_or(r, "path", wr->req->target ? wr->req->target : "/");
        long long rport = obj_int_or(r, "port", 0);
        char loc[4096];
        if (rport) snprintf(loc, sizeof loc, "%s://%s:%lld%s", scheme, rhost, rport, rpath);
        else snprintf(loc, sizeof loc, "%s://%s%s", scheme, rhost, rpath);
        http_set(resp, "location", loc);
    } else if (obj_str(chosen, "app")) {
        const char *app = obj_str(chosen, "app");
        long long delay = 0;
        if (!strcmp(app, "httpbin"))
            app_httpbin(wr->req, wr->tls ? "https" : "http", host, wr->client_ip, now, resp, &delay);
        else
            app_nginx(wr->req, now, resp);
        *latency_ms += delay;
    } else {
        json_t *r = obj_at(chosen, "response");
        resp->status = (int)obj_int_or(r, "status", 200);
        const char *body = obj_str(r, "body");
        if (body) {
            http_set_body(resp, body, strlen(body));
        } else if (obj_str(r, "title") || obj_at(r, "bodyBytes")) {
            size_t n;
            long long want = obj_int_or(r, "bodyBytes", 0);
            if (want > WORLD_MAX_BODY) want = WORLD_MAX_BODY;
            char *page = world_page(obj_str(r, "title"), want, &n);
            resp->body = (unsigned char *)page;
            resp->body_len = page ? n : 0;
        }
        add_headers(resp, obj_at(r, "headers"));
    }
    add_headers(resp, obj_at(chosen, "headers"));
    add_headers(resp, obj_at(spec, "headers"));
    set_common(resp, now);
    set_length(resp);
}
