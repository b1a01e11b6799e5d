/* Apply-time checks of ExternalService objects (meshsim-world(5)): every
 * message names the field, the way the API server's CRD validation does. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "model/obj.h"
#include "net/world.h"
#include "pki/pki.h"

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

static bool one_of(const char *v, const char *const *set)
{
    for (int i = 0; set[i]; i++)
        if (!strcmp(v, set[i])) return true;
    return false;
}

static int check_int(json_t *v, const char *field, long long lo, long long hi, char *err, size_t len)
{
    if (!v) return 0;
    if (!json_is_integer(v)) return fail(err, len, "%s in body must be of type integer: \"%s\"", field,
                                         json_is_string(v) ? "string" : json_is_object(v) ? "object" : "other");
    long long n = json_integer_value(v);
    if (n < lo) return fail(err, len, "%s in body should be greater than or equal to %lld", field, lo);
    if (n > hi) return fail(err, len, "%s in body should be less than or equal to %lld", field, hi);
    return 0;
}

static int check_str(json_t *v, const char *field, char *err, size_t len)
{
    if (v && !json_is_string(v)) return fail(err, len, "%s in body must be of type string", field);
    return 0;
}

static int check_headers(json_t *h, const char *field, char *err, size_t len)
{
    if (!h) return 0;
    if (!json_is_object(h)) return fail(err, len, "%s in body must be of type object", field);
    const char *k;
    json_t *v;
    json_object_foreach(h, k, v) {
        if (!json_is_string(v) && !json_is_integer(v))
            return fail(err, len, "%s.%s in body must be of type string", field, k);
        for (const char *c = k; *c; c++)
            if (*c <= ' ' || *c == ':' || *c >= 127)
                return fail(err, len, "%s.%s: Invalid value: \"%s\": not a valid header field name", field, k, k);
    }
    return 0;
}

static int check_rule(json_t *r, int i, char *err, size_t len)
{
    char f[96];
    if (!json_is_object(r)) return fail(err, len, "spec.http[%d] in body must be of type object", i);
    static const char *const known[] = {"match", "redirect", "response", "app", "headers", NULL};
    const char *k;
    json_t *v;
    json_object_foreach(r, k, v)
        if (!one_of(k, known)) return fail(err, len, "spec.http[%d].%s: field not declared in schema", i, k);
    int actions = !!json_object_get(r, "redirect") + !!json_object_get(r, "response") + !!json_object_get(r, "app");
    if (actions != 1)
        return fail(err, len, "spec.http[%d]: Invalid value: exactly one of redirect, response or app is required", i);
    json_t *m = json_object_get(r, "match");
    if (m) {
        if (!json_is_object(m)) return fail(err, len, "spec.http[%d].match in body must be of type object", i);
        snprintf(f, sizeof f, "spec.http[%d].match.port", i);
        if (check_int(json_object_get(m, "port"), f, 1, 65535, err, len)) return -1;
        static const char *const mk[] = {"port", "method", "path", "pathPrefix", "pathGlob", NULL};
        json_object_foreach(m, k, v) {
            if (!one_of(k, mk)) return fail(err, len, "spec.http[%d].match.%s: field not declared in schema", i, k);
            snprintf(f, sizeof f, "spec.http[%d].match.%s", i, k);
            if (strcmp(k, "port") && check_str(v, f, err, len)) return -1;
        }
    }
    json_t *rd = json_object_get(r, "redirect");
    if (rd) {
        if (!json_is_object(rd)) return fail(err, len, "spec.http[%d].redirect in body must be of type object", i);
        snprintf(f, sizeof f, "spec.http[%d].redirect.code", i);
        if (check_int(json_object_get(rd, "code"), f, 300, 399, err, len)) return -1;
        snprintf(f, sizeof f, "spec.http[%d].redirect.port", i);
        if (check_int(json_object_get(rd, "port"), f, 1, 65535, err, len)) return -1;
        const char *scheme = obj_str(rd, "scheme");
        if (scheme && strcmp(scheme, "http") && strcmp(scheme, "https"))
            return fail(err, len, "spec.http[%d].redirect.scheme: Unsupported value: \"%s\": supported values: "
                                  "\"http\", \"https\"", i, scheme);
    }
    json_t *rs = json_object_get(r, "response");
    if (rs) {
        if (!json_is_object(rs)) return fail(err, len, "spec.http[%d].response in body must be of type object", i);
        snprintf(f, sizeof f, "spec.http[%d].response.status", i);
        if (check_int(json_object_get(rs, "status"), f, 100, 999, err, len)) return -1;
        snprintf(f, sizeof f, "spec.http[%d].response.bodyBytes", i);
        if (check_int(json_object_get(rs, "bodyBytes"), f, 0, WORLD_MAX_BODY, err, len)) return -1;
        snprintf(f, sizeof f, "spec.http[%d].response.body", i);
        if (check_str(json_object_get(rs, "body"), f, err, len)) return -1;
        snprintf(f, sizeof f, "spec.http[%d].response.title", i);
        if (check_str(json_object_get(rs, "title"), f, err, len)) return -1;
        snprintf(f, sizeof f, "spec.http[%d].response.headers", i);
        if (check_headers(json_object_get(rs, "headers"), f, err, len)) return -1;
    }
    const char *app = obj_str(r, "app");
    if (json_object_get(r, "app") && (!app || (strcmp(app, "httpbin") && strcmp(app, "nginx"))))
        return fail(err, len, "spec.http[%d].app: Unsupported value: \"%s\": supported values: \"httpbin\", \"nginx\"",
                    i, app ? app : "");
    snprintf(f, sizeof f, "spec.http[%d].headers", i);
    return check_headers(json_object_get(r, "headers"), f, err, len);
}

int world_validate(json_t *svc, char *err, size_t errlen)
{
    json_t *spec = obj_at(svc, "spec");
    if (!json_is_object(spec)) return fail(err, errlen, "spec: Required value");
    json_t *hosts = json_object_get(spec, "hosts");
    if (!json_is_array(hosts) || json_array_size(hosts) == 0)
        return fail(err, errlen, "spec.hosts: Required value: at least one DNS name");
    size_t i;
    json_t *v;
    json_array_foreach(hosts, i, v) {
        const char *h = json_string_value(v);
        if (!h || !*h) return fail(err, errlen, "spec.hosts[%zu] in body must be of type string", i);
        const char *name = !strncmp(h, "*.", 2) ? h + 2 : h;
        if (!*name || strlen(name) > 253)
            return fail(err, errlen, "spec.hosts[%zu]: Invalid value: \"%s\": not a DNS name", i, h);
        for (const char *c = name; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'))
                return fail(err, errlen, "spec.hosts[%zu]: Invalid value: \"%s\": not a DNS name", i, h);
    }
    json_t *addrs = json_object_get(spec, "addresses");
    if (!json_is_array(addrs) || json_array_size(addrs) == 0)
        return fail(err, errlen, "spec.addresses: Required value: at least one IPv4 address");
    json_array_foreach(addrs, i, v) {
        struct in_addr a;
        const char *s = json_string_value(v);
        if (!s || inet_pton(AF_INET, s, &a) != 1)
            return fail(err, errlen, "spec.addresses[%zu]: Invalid value: \"%s\": must be an IPv4 address", i, s ? s : "");
    }
    json_t *ports = json_object_get(spec, "ports");
    if (!json_is_array(ports)) return fail(err, errlen, "spec.ports: Required value");
    json_array_foreach(ports, i, v) {
        char f[64];
        if (!json_is_object(v)) return fail(err, errlen, "spec.ports[%zu] in body must be of type object", i);
        snprintf(f, sizeof f, "spec.ports[%zu].number", i);
        if (!json_object_get(v, "number")) return fail(err, errlen, "%s: Required value", f);
        if (check_int(json_object_get(v, "number"), f, 1, 65535, err, errlen)) return -1;
        const char *proto = obj_str(v, "protocol");
        static const char *const protos[] = {"HTTP", "HTTPS", "TLS", "TCP", NULL};
        if (json_object_get(v, "protocol") && (!proto || !one_of(proto, protos)))
            return fail(err, errlen, "spec.ports[%zu].protocol: Unsupported value: \"%s\": supported values: "
                                     "\"HTTP\", \"HTTPS\", \"TLS\", \"TCP\"", i, proto ? proto : "");
    }
    if (check_int(json_object_get(spec, "latencyMs"), "spec.latencyMs", 0, 3600000, err, errlen)) return -1;
    if (check_headers(json_object_get(spec, "headers"), "spec.headers", err, errlen)) return -1;
    json_t *http = json_object_get(spec, "http");
    if (http && !json_is_array(http)) return fail(err, errlen, "spec.http in body must be of type array");
    json_array_foreach(http, i, v)
        if (check_rule(v, (int)i, err, errlen)) return -1;
    /* spec.tls: the certificate, client authentication (clientCA), ALPN, versions */
    if (pki_world_tls_validate(json_object_get(spec, "tls"), err, errlen)) return -1;
    return 0;
}
