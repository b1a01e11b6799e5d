/* Applications the simulation knows how to run: httpbin (the Istio samples'
 * and httpbin.org's request/response service) and nginx's default page. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "net/world.h"

static void set_date(http_msg *resp, long long now_ms)
{
    char d[64];
    http_date(d, sizeof d, now_ms);
    http_set(resp, "date", d);
}

static void set_len(http_msg *resp)
{
    char n[32];
    snprintf(n, sizeof n, "%zu", resp->body_len);
    http_set(resp, "content-length", n);
}

/* httpbin shows field names the way Werkzeug does: Capitalised-Words. */
static void canonical(const char *in, char *out, size_t len)
{
    size_t i = 0;
    int up = 1;
    for (; in[i] && i + 1 < len; i++) {
        out[i] = up ? (char)toupper((unsigned char)in[i]) : (char)tolower((unsigned char)in[i]);
        up = in[i] == '-';
    }
    out[i] = 0;
}

static json_t *headers_json(const http_msg *req)
{
    json_t *h = json_object();
    for (int i = 0; i < req->nh; i++) {
        char name[128];
        if (req->h[i].name[0] == ':') continue;
        canonical(req->h[i].name, name, sizeof name);
        json_object_set_new(h, name, json_string(req->h[i].value));
    }
    return h;
}

static json_t *args_json(const char *target)
{
    json_t *a = json_object();
    const char *q = target ? strchr(target, '?') : NULL;
    if (!q) return a;
    char *copy = strdup(q + 1), *save = NULL;
    for (char *kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (eq) *eq++ = 0;
        json_object_set_new(a, kv, json_string(eq ? eq : ""));
    }
    free(copy);
    return a;
}

static void json_body(http_msg *resp, json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(j);
    if (!s) return;
    size_t n = strlen(s);
    char *b = realloc(s, n + 2);
    if (!b) { free(s); return; }
    b[n] = '\n';
    resp->body = (unsigned char *)b;
    resp->body_len = n + 1;
    http_set(resp, "content-type", "application/json");
}

void app_httpbin(const http_msg *req, const char *scheme, const char *host, const char *client_ip,
                 long long now_ms, http_msg *resp, long long *delay_ms)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", req->target ? req->target : "/");
    char *q = strchr(path, '?');
    if (q) *q = 0;
    const char *method = req->method ? req->method : "GET";
    *delay_ms = 0;
    resp->status = 200;

    if (!strncmp(path, "/status/", 8)) {
        int code = atoi(path + 8);
        if (code < 100 || code > 999) {
            resp->status = 400;
            static const char bad[] = "Invalid status code\n";
            http_set_body(resp, bad, sizeof bad - 1);
            http_set(resp, "content-type", "text/html; charset=utf-8");
        } else {
            resp->status = code;
            if (code == 418) {
                static const char teapot[] =
                    "\n    -=[ teapot ]=-\n\n       _...._\n     .'  _ _ `.\n    | .\"` ^ `\". _,\n"
                    "    \\_;`\"---\"`|//\n      |       ;/\n      \\_     _/\n        `\"\"\"`\n";
                http_set_body(resp, teapot, sizeof teapot - 1);
                http_set(resp, "x-more-info", "http://tools.ietf.org/html/rfc2324");
            } else if (code >= 300 && code < 400) {
                http_set(resp, "location", "/redirect/1");
            }
            http_set(resp, "content-type", "text/html; charset=utf-8");
        }
    } else if (!strcmp(path, "/headers")) {
        json_t *j = json_object();
        json_object_set_new(j, "headers", headers_json(req));
        json_body(resp, j);
    } else if (!strcmp(path, "/ip")) {
        json_t *j = json_object();
        json_object_set_new(j, "origin", json_string(client_ip ? client_ip : ""));
        json_body(resp, j);
    } else if (!strcmp(path, "/user-agent")) {
        json_t *j = json_object();
        const char *ua = http_get(req, "user-agent");
        json_object_set_new(j, "user-agent", ua ? json_string(ua) : json_null());
        json_body(resp, j);
    } else if (!strcmp(path, "/get") || !strncmp(path, "/delay/", 7) || !strcmp(path, "/anything") ||
               !strncmp(path, "/anything/", 10) ||
               ((!strcmp(path, "/post") || !strcmp(path, "/put") || !strcmp(path, "/delete") ||
                 !strcmp(path, "/patch")) && strcasecmp(method, path + 1) == 0)) {
        if (!strncmp(path, "/delay/", 7)) {
            double s = atof(path + 7);
            if (s > 10) s = 10;
            if (s < 0) s = 0;
            *delay_ms = (long long)(s * 1000);
        }
        json_t *j = json_object();
        json_object_set_new(j, "args", args_json(req->target));
        if (strcasecmp(method, "GET") && strcasecmp(method, "HEAD")) {
            const char *ct = http_get(req, "content-type");
            bool form = ct && strstr(ct, "application/x-www-form-urlencoded");
            char *body = strndup((const char *)(req->body ? req->body : (unsigned char *)""), req->body_len);
            json_t *fields = json_object();
            if (form) {
                /* a form body is shown under "form", like query arguments */
                char q[2] = "?";
                char *t = malloc(strlen(body) + 2);
                if (t) {
                    strcpy(t, q);
                    strcat(t, body);
                    json_decref(fields);
                    fields = args_json(t);
                    free(t);
                }
            }
            json_object_set_new(j, "data", json_string(form ? "" : body));
            free(body);
            json_object_set_new(j, "form", fields);
            json_object_set_new(j, "files", json_object());
            json_object_set_new(j, "json", json_null());
        }
        json_object_set_new(j, "headers", headers_json(req));
        json_object_set_new(j, "origin", json_string(client_ip ? client_ip : ""));
        char url[2048];
        snprintf(url, sizeof url, "%s://%s%s", scheme, host ? host : "", req->target ? req->target : "/");
        json_object_set_new(j, "url", json_string(url));
        if (!strncmp(path, "/anything", 9)) json_object_set_new(j, "method", json_string(method));
        json_body(resp, j);
    } else if (!strcmp(path, "/") || !strcmp(path, "/html")) {
        size_t n;
        char *page = world_page(!strcmp(path, "/") ? "httpbin.org" : "Herman Melville - Moby-Dick",
                                !strcmp(path, "/") ? 9593 : 3741, &n);
        resp->body = (unsigned char *)page;
        resp->body_len = page ? n : 0;
        http_set(resp, "content-type", "text/html; charset=utf-8");
    } else if (!strcmp(path, "/post") || !strcmp(path, "/put") || !strcmp(path, "/delete") ||
               !strcmp(path, "/patch") || !strcmp(path, "/get")) {
        resp->status = 405;
        static const char na[] = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n"
                                 "<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n"
                                 "<p>The method is not allowed for the requested URL.</p>\n";
        http_set_body(resp, na, sizeof na - 1);
        http_set(resp, "content-type", "text/html");
    } else {
        resp->status = 404;
        static const char nf[] = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n"
                                 "<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was "
                                 "not found on the server.  If you entered the URL manually please check "
                                 "your spelling and try again.</p>\n";
        http_set_body(resp, nf, sizeof nf - 1);
        http_set(resp, "content-type", "text/html");
    }
    http_set(resp, "server", "gunicorn/19.9.0");
    set_date(resp, now_ms + *delay_ms);
    set_len(resp);
    http_set(resp, "access-control-allow-origin", "*");
    http_set(resp, "access-control-allow-credentials", "true");
}

void app_nginx(const http_msg *req, long long now_ms, http_msg *resp)
{
    static const char page[] =
        "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\n"
        "html { color-scheme: light dark; }\n"
        "body { width: 35em; margin: 0 auto;\nfont-family: Tahoma, Verdana, Arial, sans-serif; }\n"
        "</style>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n"
        "<p>If you see this page, the nginx web server is successfully installed and\n"
        "working. Further configuration is required.</p>\n\n"
        "<p>For online documentation and support please refer to\n"
        "<a href=\"http://nginx.org/\">nginx.org</a>.<br/>\n"
        "Commercial support is available at\n<a href=\"http://nginx.com/\">nginx.com</a>.</p>\n\n"
        "<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n";
    char path[1024];
    snprintf(path, sizeof path, "%s", req->target ? req->target : "/");
    char *q = strchr(path, '?');
    if (q) *q = 0;
    if (!strcmp(path, "/") || !strcmp(path, "/index.html")) {
        resp->status = 200;
        http_set_body(resp, page, sizeof page - 1);
        http_set(resp, "content-type", "text/html");
    } else {
        resp->status = 404;
        static const char nf[] = "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
                                 "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n"
                                 "</body>\r\n</html>\r\n";
        http_set_body(resp, nf, sizeof nf - 1);
        http_set(resp, "content-type", "text/html");
    }
    http_set(resp, "server", "nginx/1.25.3");
    set_date(resp, now_ms);
    set_len(resp);
}
