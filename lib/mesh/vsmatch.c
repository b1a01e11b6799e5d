/* VirtualService rules: which rule matches a request or connection, and
 * what the matched rule does (Istio's route translation). */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mesh/internal.h"
#include "mesh/host.h"
#include "model/obj.h"
#include "model/selector.h"

bool vs_visible(const m_vs *vs, const char *ns)
{
    return export_visible(vs->export_to, vs->ns, ns);
}

bool vs_has(const m_vs *vs, const char *section)
{
    return json_array_size(jget(vs->spec, section)) > 0;
}

static bool gw_in(const vs_ctx *c, const char *ref)
{
    for (int i = 0; i < c->ngws; i++)
        if (!strcmp(c->gws[i], ref)) return true;
    return false;
}

bool vs_match_source(const vs_ctx *c, const m_vs *vs, json_t *match)
{
    json_t *mg = jget(match, "gateways");
    if (json_array_size(mg)) {   /* per-match gateways override the top-level list */
        bool ok = false;
        size_t i;
        json_t *g;
        json_array_foreach(mg, i, g)
        {
            char ref[512];
            if (json_is_string(g) && gw_in(c, gateway_ref_buf(ref, sizeof ref, json_string_value(g), vs->ns)))
                ok = true;
        }
        if (!ok) return false;
    } else {
        bool ok = false;
        for (int i = 0; i < vs->ngws && !ok; i++) ok = gw_in(c, vs->gws[i]);
        if (!ok) return false;
    }
    long long port = jint(match, "port", 0);
    if (port && port != c->port) return false;
    json_t *sl = jget(match, "sourceLabels");
    if (json_object_size(sl) &&
        !(c->proxy && labels_match_map(jget(jget(c->proxy->pod, "metadata"), "labels"), sl)))
        return false;
    const char *sns = jstr(match, "sourceNamespace");
    if (sns && *sns && !(c->proxy && !strcmp(sns, c->proxy->ns))) return false;
    return true;
}

/* Envoy safe_regex: the whole string must match. */
static bool regex_full(const char *re, const char *s, bool icase)
{
    size_t n = strlen(re);
    char *anch = malloc(n + 5);
    if (!anch) return false;
    snprintf(anch, n + 5, "^(%s)$", re);
    regex_t rx;
    bool ok = false;
    if (regcomp(&rx, anch, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0)) == 0) {
        ok = regexec(&rx, s, 0, NULL, 0) == 0;
        regfree(&rx);
    }
    free(anch);
    return ok;
}

/* Istio StringMatch {exact|prefix|regex}; {} means "present". */
static bool string_match(json_t *sm, const char *s, bool icase)
{
    if (!s) return false;
    const char *v;
    if ((v = jstr(sm, "exact"))) return icase ? !strcasecmp(v, s) : !strcmp(v, s);
    if ((v = jstr(sm, "prefix"))) return icase ? !strncasecmp(v, s, strlen(v)) : !strncmp(v, s, strlen(v));
    if ((v = jstr(sm, "regex"))) return regex_full(v, s, icase);
    return true;
}

static const char *header(const mesh_request *req, const char *name)
{
    return jstr(req->headers, name);
}

static bool http_conditions(const vs_ctx *c, json_t *match)
{
    const mesh_request *req = c->req;
    char path[1024];
    snprintf(path, sizeof path, "%s", req->path && *req->path ? req->path : "/");
    char *q = strchr(path, '?');
    if (q) *q = 0;
    json_t *uri = jget(match, "uri");
    bool icase = json_is_true(jget(match, "ignoreUriCase"));
    if (uri && !string_match(uri, path, icase)) return false;
    json_t *method = jget(match, "method");
    if (method && !string_match(method, req->method, false)) return false;
    json_t *auth = jget(match, "authority");
    if (auth && !string_match(auth, req->authority, false)) return false;
    json_t *scheme = jget(match, "scheme");
    if (scheme && !string_match(scheme, req->sni ? "https" : "http", false)) return false;
    const char *k;
    json_t *v;
    json_object_foreach(jget(match, "headers"), k, v)
        if (!string_match(v, header(req, k), false)) return false;
    json_object_foreach(jget(match, "withoutHeaders"), k, v)
        if (string_match(v, header(req, k), false)) return false;
    json_t *qp = jget(match, "queryParams");
    if (json_object_size(qp)) {
        const char *full = req->path ? strchr(req->path, '?') : NULL;
        json_object_foreach(qp, k, v) {
            const char *val = NULL;
            char buf[512] = "";
            for (const char *p = full; p && *p;) {
                p++;
                size_t kl = strlen(k);
                if (!strncmp(p, k, kl) && (p[kl] == '=' || p[kl] == '&' || !p[kl])) {
                    const char *s = p[kl] == '=' ? p + kl + 1 : p + kl;
                    size_t n = strcspn(s, "&");
                    if (n >= sizeof buf) n = sizeof buf - 1;
                    memcpy(buf, s, n);
                    buf[n] = 0;
                    val = buf;
                    break;
                }
                p = strchr(p, '&');
            }
            if (!string_match(v, val, false)) return false;
        }
    }
    return true;
}

/* "1.5s", "100ms", "2m", "1h" -> milliseconds; 0 when absent or unparsable. */
static int duration_ms(const char *s)
{
    if (!s) return 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s) return 0;
    if (!strcmp(end, "ms")) return (int)v;
    if (!strcmp(end, "s")) return (int)(v * 1000);
    if (!strcmp(end, "m")) return (int)(v * 60000);
    if (!strcmp(end, "h")) return (int)(v * 3600000);
    return 0;
}

/* Weighted choice among route[]: repeatable for the same x-request-id. */
static json_t *pick_destination(const vs_ctx *c, json_t *routes)
{
    size_t n = json_array_size(routes);
    if (!n) return NULL;
    if (n == 1) return json_array_get(routes, 0);
    long long total = 0;
    size_t i;
    json_t *r;
    json_array_foreach(routes, i, r) total += jint(r, "weight", 0) > 0 ? jint(r, "weight", 0) : 0;
    if (total <= 0) return json_array_get(routes, 0);
    long long x = (long long)(request_hash(c->req) % (unsigned long long)total);
    json_array_foreach(routes, i, r) {
        long long w = jint(r, "weight", 0);
        if (w <= 0) continue;
        if (x < w) return r;
        x -= w;
    }
    return json_array_get(routes, n - 1);
}

/* Route to a destination {host, subset, port}. */
static void to_destination(const vs_ctx *c, const m_vs *vs, json_t *route, mesh_decision *out)
{
    json_t *dst = jget(route, "destination");
    char hbuf[512];
    const char *host = host_fqdn_buf(hbuf, sizeof hbuf, jstr_or(dst, "host", ""), vs->ns);
    int port = (int)jint(jget(dst, "port"), "number", 0);
    if (!port) {
        /* a service with one port needs no port; otherwise the listener's */
        const m_svc *s = svc_by_host(c->m, host, c->proxy);
        port = s && s->nports == 1 ? s->ports[0].number : c->port;
    }
    const char *subset = jstr(dst, "subset");
    why_add(out, "destination %s port %d%s%s (weight %lld)", host, port, subset ? " subset " : "",
            subset ? subset : "", jint(route, "weight", 100));
    cluster_route(c->m, c->proxy, c->req, host, port, subset, out);
}

static void matched(const m_vs *vs, int idx, const char *kind, mesh_decision *out)
{
    out->vs_rule = idx;
    snprintf(out->virtual_service, sizeof out->virtual_service, "%s", vs->key);
    why_add(out, "VirtualService %s %s rule #%d matches", vs->key, kind, idx);
}

static void apply_http_rule(const vs_ctx *c, const m_vs *vs, json_t *rule, json_t *match, int idx,
                            mesh_decision *out)
{
    matched(vs, idx, "http", out);
    const char *rn = jstr(rule, "name"), *mn = jstr(match, "name");
    if (rn && mn) snprintf(out->route_name, sizeof out->route_name, "%s.%s", rn, mn);
    else if (rn) snprintf(out->route_name, sizeof out->route_name, "%s", rn);
    else out->route_name[0] = 0;

    out->timeout_ms = duration_ms(jstr(rule, "timeout"));
    out->headers = jget(rule, "headers");
    json_t *mirror = jget(rule, "mirror");
    if (mirror) {
        char mb[512];
        const char *mh = host_fqdn_buf(mb, sizeof mb, jstr_or(mirror, "host", ""), vs->ns);
        int mp = (int)jint(jget(mirror, "port"), "number", 0);
        if (!mp) {
            const m_svc *ms = svc_by_host(c->m, mh, c->proxy);
            mp = ms && ms->nports == 1 ? ms->ports[0].number : c->port;
        }
        snprintf(out->mirror_cluster, sizeof out->mirror_cluster, "outbound|%d|%s|%.256s", mp,
                 jstr_or(mirror, "subset", ""), mh);
        why_add(out, "mirror a copy to %s", out->mirror_cluster);
    }
    json_t *retries = jget(rule, "retries");
    if (retries) {
        out->retry_attempts = (int)jint(retries, "attempts", 0);
        out->per_try_timeout_ms = duration_ms(jstr(retries, "perTryTimeout"));
    }
    json_t *rw = jget(rule, "rewrite");
    if (rw) {
        const char *ra = jstr(rw, "authority"), *ru = jstr(rw, "uri");
        if (ra) snprintf(out->rewrite_authority, sizeof out->rewrite_authority, "%s", ra);
        if (ru) {
            const char *prefix = jstr(jget(match, "uri"), "prefix");
            const char *path = c->req->path ? c->req->path : "/";
            if (prefix && !strncmp(path, prefix, strlen(prefix)))
                snprintf(out->rewrite_uri, sizeof out->rewrite_uri, "%s%s", ru, path + strlen(prefix));
            else
                snprintf(out->rewrite_uri, sizeof out->rewrite_uri, "%s", ru);
        }
        why_add(out, "rewrite%s%s%s%s", ra ? " authority " : "", ra ? ra : "", ru ? " uri " : "",
                ru ? out->rewrite_uri : "");
    }
    if (out->timeout_ms) why_add(out, "route timeout %d ms", out->timeout_ms);

    json_t *redirect = jget(rule, "redirect");
    if (redirect) {
        int code = (int)jint(redirect, "redirectCode", 301);
        char h[256];
        int p;
        host_split_authority(c->req->authority, h, sizeof h, &p);
        const char *ra = jstr(redirect, "authority");
        const char *scheme = jstr_or(redirect, "scheme", c->req->sni ? "https" : "http");
        const char *ru = jstr(redirect, "uri");
        snprintf(out->location, sizeof out->location, "%s://%s%s", scheme,
                 ra ? ra : (c->req->authority ? c->req->authority : h), ru ? ru : (c->req->path ? c->req->path : "/"));
        why_add(out, "redirect %d to %s", code, out->location);
        set_fail(out, HOP_DIRECT_RESPONSE, code, "", "direct_response");
        return;
    }
    json_t *dr = jget(rule, "directResponse");
    if (dr) {
        int code = (int)jint(dr, "status", 200);
        snprintf(out->response_body, sizeof out->response_body, "%s", jstr_or(jget(dr, "body"), "string", ""));
        why_add(out, "direct response %d", code);
        set_fail(out, HOP_DIRECT_RESPONSE, code, "", "direct_response");
        return;
    }
    json_t *fault = jget(rule, "fault");
    if (fault) {
        unsigned long long h = request_hash(c->req);
        json_t *delay = jget(fault, "delay");
        if (delay) {
            double pct = json_number_value(jpath(delay, "percentage", "value"));
            if (!jget(delay, "percentage")) pct = jget(delay, "percent") ? json_number_value(jget(delay, "percent")) : 100;
            if ((double)(h % 10000) < pct * 100) {
                out->delay_ms = duration_ms(jstr(delay, "fixedDelay"));
                why_add(out, "fault: delay %d ms", out->delay_ms);
            }
        }
        json_t *abort_ = jget(fault, "abort");
        if (abort_) {
            double pct = jget(abort_, "percentage") ? json_number_value(jpath(abort_, "percentage", "value"))
                         : jget(abort_, "percent") ? json_number_value(jget(abort_, "percent")) : 100;
            if ((double)((h / 10000) % 10000) < pct * 100) {
                int code = (int)jint(abort_, "httpStatus", 503);
                why_add(out, "fault: abort with %d", code);
                set_fail(out, HOP_FAIL, code, "FI", "fault_filter_abort");
                snprintf(out->response_body, sizeof out->response_body, "fault filter abort");
                return;
            }
        }
    }
    json_t *dest = pick_destination(c, jget(rule, "route"));
    if (!dest) {
        why_add(out, "the rule has no route");
        set_fail(out, HOP_FAIL, 404, "NR", "route_not_found");
        return;
    }
    out->dest_headers = jget(dest, "headers");
    to_destination(c, vs, dest, out);
}

bool vs_route_http(const vs_ctx *c, const m_vs *vs, mesh_decision *out)
{
    size_t i;
    json_t *rule;
    json_array_foreach(jget(vs->spec, "http"), i, rule) {
        json_t *matches = jget(rule, "match");
        if (!json_array_size(matches)) {
            if (vs_match_source(c, vs, NULL)) {
                apply_http_rule(c, vs, rule, NULL, (int)i, out);
                return true;
            }
            continue;
        }
        size_t k;
        json_t *mt;
        json_array_foreach(matches, k, mt)
            if (vs_match_source(c, vs, mt) && http_conditions(c, mt)) {
                apply_http_rule(c, vs, rule, mt, (int)i, out);
                return true;
            }
    }
    return false;
}

static bool subnets_match(json_t *match, const char *ip)
{
    json_t *subnets = jget(match, "destinationSubnets");
    if (!json_array_size(subnets)) return true;
    size_t i;
    json_t *s;
    json_array_foreach(subnets, i, s)
        if (ip_in_cidr(ip, json_string_value(s))) return true;
    return false;
}

static bool l4_rule(const vs_ctx *c, const m_vs *vs, json_t *rule, const char *sni, int idx,
                    const char *kind, mesh_decision *out)
{
    json_t *matches = jget(rule, "match");
    bool ok = false;
    if (!json_array_size(matches)) {
        ok = !sni && vs_match_source(c, vs, NULL);   /* tls rules need sniHosts */
    } else {
        size_t k;
        json_t *mt;
        json_array_foreach(matches, k, mt) {
            if (!vs_match_source(c, vs, mt) || !subnets_match(mt, c->req->dst_ip)) continue;
            if (sni) {
                bool hit = false;
                size_t h;
                json_t *sh;
                char sbuf[512];
                json_array_foreach(jget(mt, "sniHosts"), h, sh)
                    if (json_is_string(sh) &&
                        host_subset_of(sni, host_fqdn_buf(sbuf, sizeof sbuf, json_string_value(sh), vs->ns)))
                        hit = true;
                if (!hit) continue;
            }
            ok = true;
            break;
        }
    }
    if (!ok) return false;
    matched(vs, idx, kind, out);
    out->route_name[0] = 0;
    json_t *dest = pick_destination(c, jget(rule, "route"));
    if (!dest) {
        why_add(out, "the rule has no route");
        set_fail(out, HOP_FAIL, 0, "NR", "");
        return true;
    }
    to_destination(c, vs, dest, out);
    return true;
}

bool vs_route_tls(const vs_ctx *c, const m_vs *vs, const char *sni, mesh_decision *out)
{
    if (!sni) return false;
    size_t i;
    json_t *rule;
    json_array_foreach(jget(vs->spec, "tls"), i, rule)
        if (l4_rule(c, vs, rule, sni, (int)i, "tls", out)) return true;
    return false;
}

bool vs_route_tcp(const vs_ctx *c, const m_vs *vs, mesh_decision *out)
{
    size_t i;
    json_t *rule;
    json_array_foreach(jget(vs->spec, "tcp"), i, rule)
        if (l4_rule(c, vs, rule, NULL, (int)i, "tcp", out)) return true;
    return false;
}
