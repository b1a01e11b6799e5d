/* Lookup keys of routing objects (see routing_keys.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "model/routing_keys.h"

#define SE_RESOURCE ROUTING_SE_RESOURCE
#define VS_RESOURCE ROUTING_VS_RESOURCE

bool routing_keyed_resource(const char *resource)
{
    return resource && (!strcmp(resource, SE_RESOURCE) || !strcmp(resource, VS_RESOURCE));
}

port_class_t routing_port_class(const char *proto)
{
    if (!proto || !*proto) return PORT_CLASS_AUTO;
    if (!strcasecmp(proto, "HTTP") || !strcasecmp(proto, "HTTP2") || !strcasecmp(proto, "GRPC") ||
        !strcasecmp(proto, "GRPC-WEB") || !strcasecmp(proto, "HTTP_PROXY"))
        return PORT_CLASS_HTTP;
    if (!strcasecmp(proto, "HTTPS") || !strcasecmp(proto, "TLS")) return PORT_CLASS_TLS;
    if (!strcasecmp(proto, "UDP")) return PORT_CLASS_UDP;
    if (!strcasecmp(proto, "TCP") || !strcasecmp(proto, "MONGO") || !strcasecmp(proto, "MYSQL") ||
        !strcasecmp(proto, "REDIS"))
        return PORT_CLASS_TCP;
    return PORT_CLASS_AUTO;
}

const char *routing_proto_from_name(const char *name, char *buf, size_t len)
{
    if (!len) return "";
    buf[0] = 0;
    if (!name || !*name) return buf;
    const char *dash = strchr(name, '-');
    size_t n = dash ? (size_t)(dash - name) : strlen(name);
    char up[32];
    if (n >= sizeof up) return buf;
    for (size_t i = 0; i < n; i++) up[i] = (char)toupper((unsigned char)name[i]);
    up[n] = 0;
    if (!strcmp(up, "GRPC") && dash && !strncmp(dash, "-web", 4)) {
        snprintf(buf, len, "GRPC-WEB");
        return buf;
    }
    static const char *known[] = {"HTTP", "HTTP2", "HTTPS", "TLS", "TCP", "GRPC", "MONGO",
                                  "MYSQL", "REDIS", "UDP", "HTTP_PROXY", NULL};
    for (int i = 0; known[i]; i++)
        if (!strcmp(up, known[i])) { snprintf(buf, len, "%s", up); return buf; }
    return buf;
}

/* ---- emitting, without duplicates ---- */

typedef struct keyset {
    char **keys;
    int n, cap;
    routing_key_fn emit;
    void *ctx;
} keyset;

static void put(keyset *ks, const char *key)
{
    for (int i = 0; i < ks->n; i++)
        if (!strcmp(ks->keys[i], key)) return;
    if (ks->n == ks->cap) {
        int cap = ks->cap ? ks->cap * 2 : 8;
        char **nk = realloc(ks->keys, (size_t)cap * sizeof *nk);
        if (!nk) return;
        ks->keys = nk;
        ks->cap = cap;
    }
    char *k = strdup(key);
    if (!k) return;
    ks->keys[ks->n++] = k;
    ks->emit(ks->ctx, key);
}

static void putf(keyset *ks, const char *fmt, const char *s, int num)
{
    char buf[600];
    if (s) snprintf(buf, sizeof buf, fmt, s);
    else snprintf(buf, sizeof buf, fmt, num);
    put(ks, buf);
}

static json_t *at(json_t *o, const char *k) { return json_is_object(o) ? json_object_get(o, k) : NULL; }

static bool is_ip(const char *s)
{
    unsigned char b[16];
    return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

/* The host as the mesh resolves it (mesh/host.c host_fqdn_buf): short
 * names against ns, lower case. */
static void host_key(keyset *ks, const char *h, const char *ns)
{
    if (!h) return;
    if (h[0] == '*') { put(ks, "wild"); return; }
    char buf[520];
    if (!strchr(h, '.') && !is_ip(h) && ns && *ns) snprintf(buf, sizeof buf, "host:%s.%s.svc.cluster.local", h, ns);
    else snprintf(buf, sizeof buf, "host:%s", h);
    for (char *p = buf; *p; p++) *p = (char)tolower((unsigned char)*p);
    put(ks, buf);
}

/* mesh/host.c gateway_ref_buf: "name" -> "ns/name", "./name", legacy FQDN. */
static void gateway_key(keyset *ks, const char *name, const char *ns)
{
    if (!name || !strcmp(name, "mesh")) return;
    char buf[520];
    const char *slash = strchr(name, '/'), *dot = strchr(name, '.');
    if (slash) {
        if (slash == name + 1 && name[0] == '.') snprintf(buf, sizeof buf, "gw:%s/%s", ns, slash + 1);
        else snprintf(buf, sizeof buf, "gw:%s", name);
    } else if (dot) {
        const char *dot2 = strchr(dot + 1, '.');
        size_t nl = (size_t)(dot - name);
        size_t sl = dot2 ? (size_t)(dot2 - dot - 1) : strlen(dot + 1);
        snprintf(buf, sizeof buf, "gw:%.*s/%.*s", (int)sl, dot + 1, (int)nl, name);
    } else {
        snprintf(buf, sizeof buf, "gw:%s/%s", ns, name);
    }
    put(ks, buf);
}

static void service_entry_keys(keyset *ks, json_t *spec)
{
    size_t i;
    json_t *v;
    json_array_foreach(at(spec, "hosts"), i, v)
        if (json_is_string(v)) host_key(ks, json_string_value(v), NULL);
    bool ranges = false;
    int naddr = 0;
    json_array_foreach(at(spec, "addresses"), i, v) {
        const char *a = json_string_value(v);
        if (!a) continue;
        const char *slash = strchr(a, '/');
        if (!slash) { putf(ks, "addr:%s", a, 0); naddr++; }
        else if (!strcmp(slash, "/32")) {
            char buf[128];
            snprintf(buf, sizeof buf, "addr:%.*s", (int)(slash - a), a);
            put(ks, buf);
            naddr++;
        } else {
            ranges = true;
        }
    }
    const char *res = json_string_value(at(spec, "resolution"));
    bool none = !res || !strcmp(res, "NONE") ||
                (strcmp(res, "STATIC") && strcmp(res, "DNS") && strcmp(res, "DNS_ROUND_ROBIN"));
    json_array_foreach(at(spec, "ports"), i, v) {
        json_t *num = at(v, "number");
        int n = json_is_integer(num) ? (int)json_integer_value(num)
              : json_is_string(num) ? atoi(json_string_value(num)) : 0;
        const char *proto = json_string_value(at(v, "protocol"));
        char buf[32];
        if (!proto || !*proto) proto = routing_proto_from_name(json_string_value(at(v, "name")), buf, sizeof buf);
        port_class_t c = routing_port_class(proto);
        if (c == PORT_CLASS_HTTP || c == PORT_CLASS_AUTO) putf(ks, "http:%d", NULL, n);
        if (c == PORT_CLASS_TLS) putf(ks, "tls:%d", NULL, n);
        if (ranges) putf(ks, "cidr:%d", NULL, n);
        if (none && !naddr && !ranges && (c == PORT_CLASS_TCP || c == PORT_CLASS_AUTO)) putf(ks, "tcpnone:%d", NULL, n);
    }
}

static void virtual_service_keys(keyset *ks, json_t *spec, const char *ns)
{
    size_t i;
    json_t *v;
    json_array_foreach(at(spec, "hosts"), i, v)
        if (json_is_string(v)) host_key(ks, json_string_value(v), ns);
    json_array_foreach(at(spec, "gateways"), i, v)
        if (json_is_string(v)) gateway_key(ks, json_string_value(v), ns);
    static const char *sections[] = {"http", "tls", "tcp"};
    for (int s = 0; s < 3; s++) {
        size_t r, mi, gi;
        json_t *rule, *match, *g;
        json_array_foreach(at(spec, sections[s]), r, rule)
            json_array_foreach(at(rule, "match"), mi, match)
                json_array_foreach(at(match, "gateways"), gi, g)
                    if (json_is_string(g)) gateway_key(ks, json_string_value(g), ns);
    }
}

int routing_keys(const char *resource, const char *ns, json_t *obj, routing_key_fn emit, void *ctx)
{
    if (!routing_keyed_resource(resource) || !json_is_object(obj)) return 0;
    keyset ks = {.emit = emit, .ctx = ctx};
    if (!ns || !*ns) ns = json_string_value(at(at(obj, "metadata"), "namespace"));
    if (!ns || !*ns) ns = "default";
    json_t *spec = at(obj, "spec");
    if (!strcmp(resource, SE_RESOURCE)) service_entry_keys(&ks, spec);
    else virtual_service_keys(&ks, spec, ns);
    for (int i = 0; i < ks.n; i++) free(ks.keys[i]);
    free(ks.keys);
    return ks.n;
}
