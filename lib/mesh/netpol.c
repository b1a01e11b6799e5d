/* Kubernetes NetworkPolicy, evaluated for one connection.
 * A pod is isolated for a direction only when some policy selecting it has
 * that policy type; then a connection needs one rule (of any such policy)
 * allowing it.  Egress of the source and ingress of the destination must
 * both allow. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mesh/internal.h"
#include "mesh/host.h"
#include "model/obj.h"
#include "model/selector.h"

static json_t *pod_labels(const mesh_workload *w) { return jget(jget(w->pod, "metadata"), "labels"); }

static bool selects(json_t *pol, const mesh_workload *w)
{
    const char *ns = jstr_or(jget(pol, "metadata"), "namespace", "default");
    if (strcmp(ns, w->ns)) return false;
    json_t *ps = jpath(pol, "spec", "podSelector");
    return !ps || label_selector_matches(ps, pod_labels(w));
}

static bool has_type(json_t *pol, const char *type)
{
    json_t *spec = jget(pol, "spec");
    json_t *types = jget(spec, "policyTypes");
    if (json_array_size(types)) {
        size_t i;
        json_t *t;
        json_array_foreach(types, i, t)
            if (json_is_string(t) && !strcmp(json_string_value(t), type)) return true;
        return false;
    }
    /* defaulting: Ingress always, Egress when there are egress rules */
    if (!strcmp(type, "Ingress")) return true;
    return json_array_size(jget(spec, "egress")) > 0;
}

static bool ipblock_match(json_t *blk, const char *ip)
{
    if (!ip_in_cidr(ip, jstr(blk, "cidr"))) return false;
    size_t i;
    json_t *e;
    json_array_foreach(jget(blk, "except"), i, e)
        if (ip_in_cidr(ip, json_string_value(e))) return false;
    return true;
}

/* Does one of peers (a rule's from/to) admit the other end? */
static bool peers_match(const mesh *m, json_t *peers, const char *policy_ns, const mesh_workload *other,
                        const char *other_ip)
{
    if (!json_array_size(peers)) return true;
    size_t i;
    json_t *p;
    json_array_foreach(peers, i, p) {
        json_t *blk = jget(p, "ipBlock");
        if (blk) {
            if (ipblock_match(blk, other_ip)) return true;
            continue;
        }
        if (!other) continue;   /* pod and namespace selectors only select pods */
        json_t *nss = jget(p, "namespaceSelector"), *ps = jget(p, "podSelector");
        if (!nss && !ps) continue;
        if (nss) {
            json_t *labels = ns_labels(m, other->ns);
            bool ok = label_selector_matches(nss, labels);
            json_decref(labels);
            if (!ok) continue;
        } else if (strcmp(other->ns, policy_ns)) {
            continue;
        }
        if (ps && !label_selector_matches(ps, pod_labels(other))) continue;
        return true;
    }
    return false;
}

/* A named port on the destination pod, with its protocol. */
static int named_port(const mesh_workload *dst, const char *name, const char *proto)
{
    if (!dst) return -1;
    size_t i, k;
    json_t *c, *cp;
    json_array_foreach(jpath(dst->pod, "spec", "containers"), i, c)
        json_array_foreach(jget(c, "ports"), k, cp) {
            const char *n = jstr(cp, "name");
            if (n && !strcmp(n, name) && !strcasecmp(jstr_or(cp, "protocol", "TCP"), proto))
                return (int)jint(cp, "containerPort", -1);
        }
    return -1;
}

static bool ports_match(json_t *ports, int port, const char *proto, const mesh_workload *dst)
{
    if (!json_array_size(ports)) return true;
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p) {
        if (strcasecmp(jstr_or(p, "protocol", "TCP"), proto)) continue;
        json_t *pv = jget(p, "port");
        if (!pv) return true;
        if (json_is_string(pv)) {
            const char *s = json_string_value(pv);
            char *end;
            long n = strtol(s, &end, 10);
            if (*s && !*end) {
                if (n == port) return true;
            } else if (named_port(dst, s, proto) == port) {
                return true;
            }
            continue;
        }
        long long lo = json_integer_value(pv), hi = jint(p, "endPort", lo);
        if (port >= lo && port <= hi) return true;
    }
    return false;
}

static void say(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t len, const char *fmt, ...)
{
    if (!why || !len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

typedef struct verdict {
    bool isolated, allowed;
    char first[300];      /* first isolating policy, ns/name */
    char by[300];         /* the policy whose rule allowed */
} verdict;

/* One direction for pod w: egress (other = destination) or ingress (other = source). */
static void direction(const mesh *m, const mesh_workload *w, bool egress, const mesh_workload *other,
                      const char *other_ip, int port, const char *proto, const mesh_workload *dst, verdict *v)
{
    memset(v, 0, sizeof *v);
    size_t n;
    void *const *pols = mindex_get(m->netpol_ns, w->ns, &n);
    const char *type = egress ? "Egress" : "Ingress";
    for (size_t i = 0; i < n; i++) {
        json_t *pol = pols[i];
        if (!selects(pol, w) || !has_type(pol, type)) continue;
        const char *pns = jstr_or(jget(pol, "metadata"), "namespace", "default");
        const char *pname = jstr_or(jget(pol, "metadata"), "name", "");
        if (!v->isolated) snprintf(v->first, sizeof v->first, "%s/%s", pns, pname);
        v->isolated = true;
        size_t r;
        json_t *rule;
        json_array_foreach(jpath(pol, "spec", egress ? "egress" : "ingress"), r, rule) {
            if (peers_match(m, jget(rule, egress ? "to" : "from"), pns, other, other_ip) &&
                ports_match(jget(rule, "ports"), port, proto, dst)) {
                v->allowed = true;
                snprintf(v->by, sizeof v->by, "%s/%s", pns, pname);
                return;
            }
        }
    }
}

bool mesh_netpol_allows(const mesh *m, const char *src_ip, const char *dst_ip, int port,
                        const char *protocol, char *why, size_t whylen)
{
    if (!m || !src_ip || !dst_ip) { say(why, whylen, "no addresses"); return false; }
    const char *proto = protocol && *protocol ? protocol : "TCP";
    const mesh_workload *src = mesh_workload_by_ip(m, src_ip), *dst = mesh_workload_by_ip(m, dst_ip);
    if (src && dst && src == dst) {
        say(why, whylen, "a pod cannot block traffic to itself");
        return true;
    }
    verdict eg = {0}, in = {0};
    if (src) {
        direction(m, src, true, dst, dst_ip, port, proto, dst, &eg);
        if (eg.isolated && !eg.allowed) {
            say(why, whylen, "egress from %s/%s to %s:%d/%s denied: NetworkPolicy %s isolates the pod and no egress rule allows it",
                src->ns, src->name, dst_ip, port, proto, eg.first);
            return false;
        }
    }
    if (dst) {
        direction(m, dst, false, src, src_ip, port, proto, dst, &in);
        if (in.isolated && !in.allowed) {
            say(why, whylen, "ingress to %s/%s port %d/%s from %s denied: NetworkPolicy %s isolates the pod and no ingress rule allows it",
                dst->ns, dst->name, port, proto, src_ip, in.first);
            return false;
        }
    }
    char e[400], i[400];
    if (!src) snprintf(e, sizeof e, "the source %s is not a pod", src_ip);
    else if (eg.isolated) snprintf(e, sizeof e, "egress allowed by NetworkPolicy %s", eg.by);
    else snprintf(e, sizeof e, "no NetworkPolicy isolates %s/%s for egress", src->ns, src->name);
    if (!dst) snprintf(i, sizeof i, "%s is not a pod (no ingress policy)", dst_ip);
    else if (in.isolated) snprintf(i, sizeof i, "ingress allowed by NetworkPolicy %s", in.by);
    else snprintf(i, sizeof i, "no NetworkPolicy isolates %s/%s for ingress", dst->ns, dst->name);
    say(why, whylen, "%s; %s", e, i);
    return true;
}
