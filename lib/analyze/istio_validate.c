/* Istio's semantic validation of networking resources.  See istio_validate.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analyze/istio_validate.h"

static void err(iv_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void err(iv_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    if (!s) return;
    r->errors = realloc(r->errors, (r->nerrors + 1) * sizeof *r->errors);
    r->errors[r->nerrors++] = s;
}

static void warn(iv_result *r, iv_warn_type t, const char *a, const char *b, const char *c)
{
    r->warnings = realloc(r->warnings, (r->nwarnings + 1) * sizeof *r->warnings);
    iv_warning *w = &r->warnings[r->nwarnings++];
    w->type = t;
    w->a = a ? strdup(a) : NULL;
    w->b = b ? strdup(b) : NULL;
    w->c = c ? strdup(c) : NULL;
    w->text = NULL;
    int rc = -1;
    if (t == IV_WARN_UNREACHABLE)
        rc = asprintf(&w->text, "virtualService rule %s not used (%s)", a, b);
    else if (t == IV_WARN_INEFFECTIVE)
        rc = asprintf(&w->text, "virtualService rule %s match %s is not used (duplicate/overlapping match in rule %s)",
                      a, b, c);
    else
        rc = asprintf(&w->text, "%s", a ? a : "");
    if (rc < 0) w->text = NULL;
}

void iv_result_free(iv_result *r)
{
    for (size_t i = 0; i < r->nerrors; i++) free(r->errors[i]);
    free(r->errors);
    for (size_t i = 0; i < r->nwarnings; i++) {
        free(r->warnings[i].a);
        free(r->warnings[i].b);
        free(r->warnings[i].c);
        free(r->warnings[i].text);
    }
    free(r->warnings);
    memset(r, 0, sizeof *r);
}

/* host.Name.SubsetOf: a is covered by b. */
static bool subset_of(const char *a, const char *b)
{
    if (b[0] == '*') {
        if (a[0] == '*') {
            size_t la = strlen(a + 1), lb = strlen(b + 1);
            return la >= lb && !strcmp(a + 1 + la - lb, b + 1);
        }
        size_t la = strlen(a), lb = strlen(b + 1);
        return la >= lb && !strcmp(a + la - lb, b + 1);
    }
    return a[0] != '*' && !strcmp(a, b);
}

static void rule_name(char *buf, size_t len, json_t *rule, size_t i)
{
    const char *n = json_string_value(json_object_get(rule, "name"));
    if (n && *n)
        snprintf(buf, len, "\"%s\"", n);
    else
        snprintf(buf, len, "#%zu", i);
}

/* Same rule-order analysis for http, tcp and tls routes. */
static void unreachable_rules(iv_result *r, json_t *rules)
{
    json_t *seen = json_object();     /* canonical match JSON -> rule index */
    long empty = -1;
    size_t i;
    json_t *rule;
    json_array_foreach(rules, i, rule) {
        char rn[300];
        rule_name(rn, sizeof rn, rule, i);
        json_t *matches = json_object_get(rule, "match");
        if (!json_array_size(matches)) {
            if (empty >= 0) warn(r, IV_WARN_UNREACHABLE, rn, "only the last rule can have no matches", NULL);
            empty = (long)i;
            continue;
        }
        size_t dups = 0, j;
        json_t *m;
        json_array_foreach(matches, j, m) {
            if (empty >= 0) {
                warn(r, IV_WARN_UNREACHABLE, rn, "route without matches defined before", NULL);
                continue;
            }
            char *key = json_dumps(m, JSON_SORT_KEYS | JSON_COMPACT);
            if (!key) continue;
            json_t *prev = json_object_get(seen, key);
            if (prev) {
                char mn[300], dn[300];
                const char *mname = json_string_value(json_object_get(m, "name"));
                if (mname && *mname)
                    snprintf(mn, sizeof mn, "\"%s\"", mname);
                else
                    snprintf(mn, sizeof mn, "#%zu", j);
                size_t d = (size_t)json_integer_value(prev);
                rule_name(dn, sizeof dn, json_array_get(rules, d), d);
                warn(r, IV_WARN_INEFFECTIVE, rn, mn, dn);
                dups++;
            } else {
                json_object_set_new(seen, key, json_integer((json_int_t)i));
            }
            free(key);
        }
        if (empty < 0 && dups == json_array_size(matches))
            warn(r, IV_WARN_UNREACHABLE, rn, "all matches used by prior rules", NULL);
    }
    json_decref(seen);
}

static bool bound_to_mesh(json_t *spec)
{
    json_t *g = json_object_get(spec, "gateways");
    if (!json_array_size(g)) return true;
    size_t i;
    json_t *v;
    json_array_foreach(g, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), "mesh")) return true;
    return false;
}

static void validate_vs(json_t *spec, iv_result *r)
{
    json_t *hosts = json_object_get(spec, "hosts");
    if (!json_array_size(hosts)) err(r, "virtual service must have at least one host");
    size_t i, j;
    json_t *h, *h2;
    bool mesh = bound_to_mesh(spec);
    json_array_foreach(hosts, i, h) {
        const char *s = json_string_value(h);
        if (!s) continue;
        if (mesh && !strcmp(s, "*")) err(r, "wildcard host * is not allowed for virtual services bound to the mesh gateway");
        json_array_foreach(hosts, j, h2) {
            if (j <= i) continue;
            const char *t = json_string_value(h2);
            if (t && (subset_of(s, t) || subset_of(t, s))) err(r, "duplicate hosts in virtual service: %s & %s", s, t);
        }
    }
    json_t *http = json_object_get(spec, "http"), *tcp = json_object_get(spec, "tcp"), *tls = json_object_get(spec, "tls");
    if (!json_array_size(http) && !json_array_size(tcp) && !json_array_size(tls))
        err(r, "http, tcp or tls must be provided in virtual service");
    json_t *rule;
    json_array_foreach(tls, i, rule) {
        json_t *match = json_object_get(rule, "match");
        if (!json_array_size(match)) err(r, "TLS route must have at least one match condition");
        json_t *m;
        json_array_foreach(match, j, m) {
            json_t *sni = json_object_get(m, "sniHosts");
            if (!json_array_size(sni)) err(r, "TLS match must have at least one SNI host");
            size_t k;
            json_t *sh;
            json_array_foreach(sni, k, sh) {
                const char *sn = json_string_value(sh);
                if (!sn) continue;
                bool ok = false;
                size_t x;
                json_t *vh;
                json_array_foreach(hosts, x, vh) if (json_is_string(vh) && subset_of(sn, json_string_value(vh))) ok = true;
                if (!ok) {
                    char list[2048] = "";
                    json_array_foreach(hosts, x, vh) {
                        if (x) strncat(list, ", ", sizeof list - strlen(list) - 1);
                        strncat(list, json_string_value(vh) ? json_string_value(vh) : "", sizeof list - strlen(list) - 1);
                    }
                    err(r, "SNI host \"%s\" is not a compatible subset of any of the virtual service hosts: [%s]", sn, list);
                }
            }
        }
        if (!json_array_size(json_object_get(rule, "route"))) err(r, "TLS route is required");
    }
    json_array_foreach(tcp, i, rule)
        if (!json_array_size(json_object_get(rule, "route"))) err(r, "TCP route is required");
    json_array_foreach(http, i, rule) {
        bool has = json_array_size(json_object_get(rule, "route")) || json_object_get(rule, "redirect") ||
                   json_object_get(rule, "directResponse") || json_object_get(rule, "delegate");
        if (!has) err(r, "HTTP route, redirect or direct response is required");
    }
    unreachable_rules(r, http);
    unreachable_rules(r, tcp);
    unreachable_rules(r, tls);
}

static void validate_gateway(json_t *spec, iv_result *r)
{
    json_t *servers = json_object_get(spec, "servers");
    if (!json_array_size(servers)) err(r, "gateway must have at least one server");
    size_t i;
    json_t *s;
    json_array_foreach(servers, i, s) {
        if (!json_array_size(json_object_get(s, "hosts"))) err(r, "server config must contain at least one host");
        json_t *port = json_object_get(s, "port");
        if (!port) {
            err(r, "port is required");
            continue;
        }
        long long num = json_integer_value(json_object_get(port, "number"));
        if (num < 1 || num > 65535) err(r, "port number %lld must be in the range 1..65535", num);
        const char *proto = json_string_value(json_object_get(port, "protocol"));
        if (!proto || !*proto) err(r, "invalid protocol \"\", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP");
        if (proto && !strcmp(proto, "HTTPS") && !json_object_get(s, "tls"))
            err(r, "server must have TLS settings for HTTPS/TLS protocols");
    }
}

static void validate_se(json_t *spec, iv_result *r)
{
    json_t *hosts = json_object_get(spec, "hosts");
    if (!json_array_size(hosts)) err(r, "service entry must have at least one host");
    const char *res = json_string_value(json_object_get(spec, "resolution"));
    size_t i;
    json_t *h;
    json_array_foreach(hosts, i, h) {
        const char *s = json_string_value(h);
        if (s && !strcmp(s, "*")) err(r, "invalid host *");
        if (s && s[0] == '*' && res && (!strcmp(res, "DNS") || !strcmp(res, "DNS_ROUND_ROBIN")))
            err(r, "wildcard host %s is not allowed with DNS resolution", s);
    }
    json_t *p;
    json_array_foreach(json_object_get(spec, "ports"), i, p) {
        long long num = json_integer_value(json_object_get(p, "number"));
        if (num < 1 || num > 65535) err(r, "port number %lld must be in the range 1..65535", num);
    }
    if (res && !strcmp(res, "STATIC") && !json_array_size(json_object_get(spec, "endpoints")) &&
        !json_object_get(spec, "workloadSelector"))
        err(r, "endpoints must be provided if service entry discovery mode is static");
}

static void validate_dr(json_t *spec, iv_result *r)
{
    const char *host = json_string_value(json_object_get(spec, "host"));
    if (!host || !*host) err(r, "destination rule must have a host");
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(spec, "subsets"), i, s) {
        const char *n = json_string_value(json_object_get(s, "name"));
        if (!n || !*n) err(r, "subset name is invalid: \"\"");
    }
}

bool istio_validate(json_t *obj, const char *ns, iv_result *out)
{
    (void)ns;
    memset(out, 0, sizeof *out);
    const char *api = json_string_value(json_object_get(obj, "apiVersion"));
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    if (!api || !kind || strncmp(api, "networking.istio.io/", 20)) return false;
    json_t *spec = json_object_get(obj, "spec");
    if (!strcmp(kind, "VirtualService")) validate_vs(spec, out);
    else if (!strcmp(kind, "Gateway")) validate_gateway(spec, out);
    else if (!strcmp(kind, "ServiceEntry")) validate_se(spec, out);
    else if (!strcmp(kind, "DestinationRule")) validate_dr(spec, out);
    else if (strcmp(kind, "Sidecar") && strcmp(kind, "EnvoyFilter") && strcmp(kind, "WorkloadEntry") &&
             strcmp(kind, "WorkloadGroup") && strcmp(kind, "ProxyConfig"))
        return false;
    return true;
}
