/* AuthorizationPolicy (security.istio.io): Envoy's RBAC filter on a
 * workload's inbound side and on gateways. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mesh/internal.h"
#include "mesh/host.h"
#include "model/obj.h"

/* Istio's string match: "*" any, "abc*" prefix, "*abc" suffix, else exact. */
static bool smatch(const char *pat, const char *s)
{
    if (!pat || !s) return false;
    size_t pl = strlen(pat), sl = strlen(s);
    if (!strcmp(pat, "*")) return true;
    if (pl && pat[pl - 1] == '*') return !strncmp(pat, s, pl - 1);
    if (pat[0] == '*') return sl >= pl - 1 && !strcmp(s + sl - (pl - 1), pat + 1);
    return !strcmp(pat, s);
}

static bool any_of(json_t *list, const char *s, bool (*fn)(const char *, const char *))
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
        if (json_is_string(v) && fn(json_string_value(v), s)) return true;
    return false;
}

static bool cidr_fn(const char *cidr, const char *ip) { return ip_in_cidr(ip, cidr); }
static bool host_fn(const char *pat, const char *h) { return !strcasecmp(pat, h) || smatch(pat, h); }

/* A list field: absent = no constraint; present = must hold.  The not-
 * variant: present = must not hold. */
static bool field(json_t *o, const char *k, const char *notk, const char *val,
                  bool (*fn)(const char *, const char *))
{
    json_t *yes = jget(o, k), *no = jget(o, notk);
    if (json_array_size(yes) && (!val || !any_of(yes, val, fn))) return false;
    if (json_array_size(no) && val && any_of(no, val, fn)) return false;
    return true;
}

typedef struct actx {
    const mesh *m;
    const mesh_workload *w;
    const mesh_request *req;
    const char *src_ns;        /* from the principal (mTLS identity), NULL without one */
    char host[256];
    bool deny_rule;            /* DENY ignores HTTP-only fields on TCP */
} actx;

static bool source_match(const actx *c, json_t *src)
{
    const char *pr = c->req->src_principal;
    return field(src, "principals", "notPrincipals", pr, smatch) &&
           field(src, "requestPrincipals", "notRequestPrincipals", NULL, smatch) &&
           field(src, "namespaces", "notNamespaces", c->src_ns, smatch) &&
           field(src, "ipBlocks", "notIpBlocks", c->req->src_ip, cidr_fn) &&
           field(src, "remoteIpBlocks", "notRemoteIpBlocks", c->req->src_ip, cidr_fn);
}

static bool has_http_fields(json_t *op)
{
    static const char *f[] = {"hosts", "notHosts", "methods", "notMethods", "paths", "notPaths", NULL};
    for (int i = 0; f[i]; i++) if (jget(op, f[i])) return true;
    return false;
}

static bool operation_match(const actx *c, json_t *op)
{
    const mesh_request *r = c->req;
    char port[16];
    snprintf(port, sizeof port, "%d", r->dst_port);
    if (!field(op, "ports", "notPorts", port, smatch)) return false;
    if (!r->http) {
        /* HTTP-only fields: an ALLOW rule cannot match TCP; a DENY rule ignores them */
        return c->deny_rule || !has_http_fields(op);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s", r->path ? r->path : "/");
    char *q = strchr(path, '?');
    if (q) *q = 0;
    return field(op, "hosts", "notHosts", c->host, host_fn) &&
           field(op, "methods", "notMethods", r->method ? r->method : "GET", smatch) &&
           field(op, "paths", "notPaths", path, smatch);
}

static bool condition_match(const actx *c, json_t *cond)
{
    const char *key = jstr(cond, "key");
    if (!key) return false;
    const char *val = NULL;
    char buf[64];
    bool http_only = false;
    if (!strncmp(key, "request.headers[", 16)) {
        char name[128];
        snprintf(name, sizeof name, "%s", key + 16);
        char *end = strchr(name, ']');
        if (end) *end = 0;
        for (char *p = name; *p; p++) if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
        val = jstr(c->req->headers, name);
        http_only = true;
    } else if (!strcmp(key, "source.ip") || !strcmp(key, "remote.ip")) {
        val = c->req->src_ip;
    } else if (!strcmp(key, "source.namespace")) {
        val = c->src_ns;
    } else if (!strcmp(key, "source.principal")) {
        val = c->req->src_principal;
    } else if (!strcmp(key, "destination.port")) {
        snprintf(buf, sizeof buf, "%d", c->req->dst_port);
        val = buf;
    } else if (!strcmp(key, "destination.ip")) {
        val = c->req->dst_ip;
    } else if (!strcmp(key, "connection.sni")) {
        val = c->req->sni;
    } else {
        http_only = true;   /* request.auth.*, experimental keys: no JWT here */
    }
    if (http_only && !c->req->http) return c->deny_rule;
    bool ip = !strcmp(key, "source.ip") || !strcmp(key, "remote.ip") || !strcmp(key, "destination.ip");
    bool (*fn)(const char *, const char *) = ip ? cidr_fn : smatch;
    json_t *values = jget(cond, "values"), *nots = jget(cond, "notValues");
    if (json_array_size(values) && (!val || !any_of(values, val, fn))) return false;
    if (json_array_size(nots) && val && any_of(nots, val, fn)) return false;
    return true;
}

static bool rule_match(const actx *c, json_t *rule)
{
    json_t *from = jget(rule, "from"), *to = jget(rule, "to"), *when = jget(rule, "when");
    size_t i;
    json_t *x;
    if (json_array_size(from)) {
        bool ok = false;
        json_array_foreach(from, i, x) if (source_match(c, jget(x, "source"))) { ok = true; break; }
        if (!ok) return false;
    }
    if (json_array_size(to)) {
        bool ok = false;
        json_array_foreach(to, i, x) if (operation_match(c, jget(x, "operation"))) { ok = true; break; }
        if (!ok) return false;
    }
    json_array_foreach(when, i, x) if (!condition_match(c, x)) return false;
    return true;
}

/* Does policy p apply to workload w (its namespace with a matching or no
 * selector, or the root namespace)? */
static bool applies(const mesh *m, json_t *p, const mesh_workload *w)
{
    const char *ns = jstr_or(jget(p, "metadata"), "namespace", "default");
    if (strcmp(ns, w->ns) && strcmp(ns, m->root_ns)) return false;
    json_t *ml = jget(jpath(p, "spec", "selector"), "matchLabels");
    return !json_object_size(ml) || labels_match_map(jget(jget(w->pod, "metadata"), "labels"), ml);
}

/* The first rule of p that matches, or -1. */
static int policy_match(actx *c, json_t *p)
{
    size_t i;
    json_t *rule;
    json_array_foreach(jpath(p, "spec", "rules"), i, rule)
        if (rule_match(c, rule)) return (int)i;
    return -1;
}

static void denied(char *why, size_t len, json_t *p, int rule)
{
    if (!why || !len) return;
    if (!p) { snprintf(why, len, "rbac_access_denied_matched_policy[none]"); return; }
    json_t *md = jget(p, "metadata");
    snprintf(why, len, "rbac_access_denied_matched_policy[ns[%s]-policy[%s]-rule[%d]]",
             jstr_or(md, "namespace", ""), jstr_or(md, "name", ""), rule);
}

bool mesh_authz_allows(const mesh *m, const mesh_workload *w, const mesh_request *req, char *why, size_t whylen)
{
    if (why && whylen) *why = 0;
    if (!m || !w || !req) return true;
    actx c = {.m = m, .w = w, .req = req};
    /* the peer's namespace comes from its mTLS identity ".../ns/<ns>/sa/..." */
    char nsbuf[128] = "";
    const char *pr = req->src_principal;
    const char *nsp = pr ? strstr(pr, "/ns/") : NULL;
    if (nsp) {
        snprintf(nsbuf, sizeof nsbuf, "%s", nsp + 4);
        char *slash = strchr(nsbuf, '/');
        if (slash) *slash = 0;
        c.src_ns = nsbuf;
    }
    int port;
    host_split_authority(req->authority, c.host, sizeof c.host, &port);

    size_t nl[2];
    void *const *v[2];
    v[0] = mindex_get(m->authz_ns, m->root_ns, &nl[0]);
    v[1] = strcmp(w->ns, m->root_ns) ? mindex_get(m->authz_ns, w->ns, &nl[1]) : NULL;
    if (!v[1]) nl[1] = 0;
    /* DENY first */
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < nl[l]; i++) {
            json_t *p = v[l][i];
            if (strcmp(jstr_or(jget(p, "spec"), "action", "ALLOW"), "DENY") || !applies(m, p, w)) continue;
            c.deny_rule = true;
            int r = policy_match(&c, p);
            if (r >= 0) { denied(why, whylen, p, r); return false; }
        }
    /* then ALLOW: when any applies, one must match */
    bool any_allow = false;
    c.deny_rule = false;
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < nl[l]; i++) {
            json_t *p = v[l][i];
            if (strcmp(jstr_or(jget(p, "spec"), "action", "ALLOW"), "ALLOW") || !applies(m, p, w)) continue;
            any_allow = true;
            if (policy_match(&c, p) >= 0) {
                if (why && whylen) {
                    json_t *md = jget(p, "metadata");
                    snprintf(why, whylen, "allowed by AuthorizationPolicy %s/%s", jstr_or(md, "namespace", ""),
                             jstr_or(md, "name", ""));
                }
                return true;
            }
        }
    if (any_allow) { denied(why, whylen, NULL, 0); return false; }
    return true;
}
