/* What the istio-init container printed when it ran: istio-iptables'
 * dump of its environment and settings, then the rules it installed.  The
 * log is worked out from the container's own arguments (the injector put the
 * pod's includeOutboundIPRanges, excludeInboundPorts, ... there), its image's
 * release and the time it ran, so nothing is stored per pod.
 *
 * Two eras, as Istio printed them:
 *  - before 1.5 the init container ran the istio-iptables shell script: an
 *    "Environment:" / "Variables:" dump, every command it ran echoed by the
 *    shell's trace ("+ iptables -t nat ..."), and at exit iptables-save's
 *    view of the nat table (and the ip6tables filter rules that block IPv6);
 *  - later releases run pilot-agent's istio-iptables: structured log lines
 *    ("<time>\tinfo\t...") with the environment, the variables, the
 *    iptables-restore input it applied and iptables-save's view after. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cluster/cluster.h"
#include "model/obj.h"

typedef struct ipt_args {
    const char *p, *z, *u, *g, *m, *i, *x, *b, *d, *o, *q, *k;
} ipt_args;

/* istio-iptables' short options as the injector passes them; long flags
 * (--log_output_level, ...) change nothing this log shows. */
static bool parse_args(json_t *args, ipt_args *a)
{
    memset(a, 0, sizeof *a);
    size_t n = json_array_size(args);
    if (!n || strcmp(json_string_value(json_array_get(args, 0)) ? json_string_value(json_array_get(args, 0)) : "",
                     "istio-iptables"))
        return false;
    for (size_t i = 1; i + 1 < n; i++) {
        const char *f = json_string_value(json_array_get(args, i));
        if (!f || f[0] != '-' || !f[1] || f[2]) continue;
        const char *v = json_string_value(json_array_get(args, i + 1));
        if (!v) continue;
        const char **slot = NULL;
        switch (f[1]) {
        case 'p': slot = &a->p; break;
        case 'z': slot = &a->z; break;
        case 'u': slot = &a->u; break;
        case 'g': slot = &a->g; break;
        case 'm': slot = &a->m; break;
        case 'i': slot = &a->i; break;
        case 'x': slot = &a->x; break;
        case 'b': slot = &a->b; break;
        case 'd': slot = &a->d; break;
        case 'o': slot = &a->o; break;
        case 'q': slot = &a->q; break;
        case 'k': slot = &a->k; break;
        default: break;
        }
        if (slot) { *slot = v; i++; }
    }
    if (!a->p) a->p = "15001";
    if (!a->z) a->z = "15006";
    if (!a->u) a->u = "1337";
    if (!a->g) a->g = a->u;
    if (!a->m) a->m = "REDIRECT";
    if (!a->i) a->i = "";
    if (!a->x) a->x = "";
    if (!a->b) a->b = "";
    if (!a->d) a->d = "";
    if (!a->o) a->o = "";
    if (!a->q) a->q = "";
    if (!a->k) a->k = "";
    return true;
}

/* ---- IPv4 ranges ---------------------------------------------------------- */

/* An IPv4 address with an optional /len: 1, with the address and prefix
 * length (32 when absent); 0 for anything else (IPv6, garbage). */
static int parse_v4(const char *s, unsigned long *addr, int *len)
{
    unsigned a, b, c, d;
    int l = 32, consumed = 0;
    char tail;
    if (sscanf(s, "%3u.%3u.%3u.%3u%n", &a, &b, &c, &d, &consumed) != 4) return 0;
    const char *rest = s + consumed;
    if (*rest == '/') {
        if (sscanf(rest + 1, "%d%c", &l, &tail) != 1 || l < 0 || l > 32) return 0;
    } else if (*rest) {
        return 0;
    }
    if (a > 255 || b > 255 || c > 255 || d > 255) return 0;
    *addr = ((unsigned long)a << 24) | ((unsigned long)b << 16) | ((unsigned long)c << 8) | d;
    *len = l;
    return 1;
}

/* iptables-save's form of a range: the network address and its length. */
static void saved_cidr(const char *s, char *out, size_t len)
{
    unsigned long addr;
    int l;
    if (!parse_v4(s, &addr, &l)) { snprintf(out, len, "%s", s); return; }
    unsigned long mask = l ? (0xffffffffUL << (32 - l)) & 0xffffffffUL : 0;
    addr &= mask;
    snprintf(out, len, "%lu.%lu.%lu.%lu/%d", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255, l);
}

/* The comma-separated items of s (empty ones dropped), as a new array. */
static json_t *split(const char *s)
{
    json_t *out = json_array();
    while (s && *s) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        if (n) json_array_append_new(out, json_stringn(s, n));
        s = comma ? comma + 1 : NULL;
    }
    return out;
}

/* The IPv4 ranges of a list (IPv6 ones only matter with IPv6 enabled,
 * which pods of this cluster never are).  The shell script took a bare
 * address too; pilot-agent wants a prefix length (need_len). */
static json_t *v4_ranges(const char *list, bool need_len)
{
    json_t *all = split(list), *v4 = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(all, i, r) {
        unsigned long a;
        int l;
        if (parse_v4(json_string_value(r), &a, &l) && (!need_len || strchr(json_string_value(r), '/')))
            json_array_append(v4, r);
    }
    json_decref(all);
    return v4;
}

/* ---- rules ---------------------------------------------------------------- */

typedef struct rule {
    const char *chain;
    const char *oif;          /* "-o lo" */
    char src[48], dst[48];    /* as written; "" = none */
    bool ndst;                /* ! -d */
    bool tcp;                 /* -p tcp */
    char dport[16];
    bool ndport;              /* ! --dport */
    char owner[48];           /* "--uid-owner 1337", "! --gid-owner 1337" */
    const char *target;
    char targs[48];           /* "--to-ports 15001" */
} rule;

typedef struct ruleset {
    rule r[256];
    int n;
    const char *chains[8];    /* created chains, in creation order */
    int nchains;
} ruleset;

static rule *add(ruleset *rs, const char *chain, const char *target)
{
    if (rs->n == (int)(sizeof rs->r / sizeof rs->r[0])) rs->n--;   /* never in practice: keep the last slot */
    rule *r = &rs->r[rs->n++];
    memset(r, 0, sizeof *r);
    r->chain = chain;
    r->target = target;
    return r;
}

/* A TCP rule, to dport when given (the form most of istio-iptables' rules take). */
static rule *add_tcp(ruleset *rs, const char *chain, const char *target, const char *dport)
{
    rule *r = add(rs, chain, target);
    r->tcp = true;
    if (dport) snprintf(r->dport, sizeof r->dport, "%s", dport);
    return r;
}

static void new_chain(ruleset *rs, const char *chain)
{
    for (int i = 0; i < rs->nchains; i++)
        if (!strcmp(rs->chains[i], chain)) return;
    if (rs->nchains < 8) rs->chains[rs->nchains++] = chain;
}

/* The rule as the installer wrote it (iptables command / restore input). */
static void written(const rule *r, const char *to_ports, char *out, size_t len)
{
    size_t n = (size_t)snprintf(out, len, "-A %s", r->chain);
#define PUT(...) do { if (n < len) n += (size_t)snprintf(out + n, len - n, __VA_ARGS__); } while (0)
    if (r->oif) PUT(" -o %s", r->oif);
    if (*r->src) PUT(" -s %s", r->src);
    if (*r->dst) PUT("%s -d %s", r->ndst ? " !" : "", r->dst);
    if (r->tcp) PUT(" -p tcp");
    if (*r->dport) PUT("%s --dport %s", r->ndport ? " !" : "", r->dport);
    if (*r->owner) PUT(" -m owner %s", r->owner);
    PUT(" -j %s", r->target);
    if (*r->targs) PUT(" %s %s", to_ports, r->targs);
#undef PUT
}

/* The rule as iptables-save prints it back: addresses before interfaces,
 * the implicit tcp match named, ranges as networks. */
static void saved(const rule *r, char *out, size_t len)
{
    char c[64];
    size_t n = (size_t)snprintf(out, len, "-A %s", r->chain);
#define PUT(...) do { if (n < len) n += (size_t)snprintf(out + n, len - n, __VA_ARGS__); } while (0)
    if (*r->src) { saved_cidr(r->src, c, sizeof c); PUT(" -s %s", c); }
    if (*r->dst) { saved_cidr(r->dst, c, sizeof c); PUT("%s -d %s", r->ndst ? " !" : "", c); }
    if (r->oif) PUT(" -o %s", r->oif);
    if (r->tcp) PUT(" -p tcp");
    if (*r->dport) PUT(" -m tcp%s --dport %s", r->ndport ? " !" : "", r->dport);
    if (*r->owner) PUT(" -m owner %s", r->owner);
    PUT(" -j %s", r->target);
    if (*r->targs) PUT(" --to-ports %s", r->targs);
#undef PUT
}

/* ---- output --------------------------------------------------------------- */

typedef struct out {
    store_log_fn fn;
    void *ctx;
    const char *ns, *pod, *container;
    long long ts;
} out;

static void line(out *o, const char *text) { o->fn(o->ctx, o->ns, o->pod, o->container, o->ts, text); }

static void linef(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void linef(out *o, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    line(o, buf);
}

/* A word as the shell's trace shows it: quoted when it is empty or holds
 * characters the shell would treat specially. */
static const char *shq(const char *w, char *buf, size_t len)
{
    if (*w && !strpbrk(w, " \t\n'\"\\$`*?[]!|&;<>(){}#~")) return w;
    snprintf(buf, len, "'%s'", w);
    return buf;
}

/* iptables-save's dump of the nat table. */
static void save_nat(out *o, const ruleset *rs, const char *version, const char *when)
{
    static const char *const builtin[] = {"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"};
    linef(o, "# Generated by iptables-save %s on %s", version, when);
    line(o, "*nat");
    for (int i = 0; i < 4; i++) linef(o, ":%s ACCEPT [0:0]", builtin[i]);
    /* user chains by name */
    const char *sorted[8];
    int n = rs->nchains;
    memcpy(sorted, rs->chains, sizeof sorted);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(sorted[j - 1], sorted[j]) > 0; j--) {
            const char *t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    for (int i = 0; i < n; i++) linef(o, ":%s - [0:0]", sorted[i]);
    char buf[512];
    for (int c = 0; c < 4 + n; c++) {
        const char *chain = c < 4 ? builtin[c] : sorted[c - 4];
        for (int i = 0; i < rs->n; i++) {
            if (strcmp(rs->r[i].chain, chain)) continue;
            saved(&rs->r[i], buf, sizeof buf);
            line(o, buf);
        }
    }
    line(o, "COMMIT");
    linef(o, "# Completed on %s", when);
}

/* ---- before 1.5: the shell script --------------------------------------- */

static void trace_rule(out *o, ruleset *rs, rule *r)
{
    char w[480], t[520];
    written(r, "--to-port", w, sizeof w);
    /* the trace quotes the negation */
    char *bang;
    while ((bang = strstr(w, " ! "))) {
        memmove(bang + 4, bang + 2, strlen(bang + 2) + 1);
        memcpy(bang, " '!'", 4);
    }
    snprintf(t, sizeof t, "+ iptables -t nat %s", w);
    line(o, t);
    (void)rs;
}

static void script_era(out *o, const ipt_args *a, const char *when)
{
    char q1[300], q2[300];
    line(o, "Environment:");
    line(o, "------------");
    static const char *const env[] = {"ENVOY_PORT", "INBOUND_CAPTURE_PORT", "ISTIO_INBOUND_INTERCEPTION_MODE",
        "ISTIO_INBOUND_TPROXY_MARK", "ISTIO_INBOUND_TPROXY_ROUTE_TABLE", "ISTIO_INBOUND_PORTS",
        "ISTIO_LOCAL_EXCLUDE_PORTS", "ISTIO_SERVICE_CIDR", "ISTIO_SERVICE_EXCLUDE_CIDR"};
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) linef(o, "%s=", env[i]);
    line(o, "");
    line(o, "Variables:");
    line(o, "----------");
    linef(o, "PROXY_PORT=%s", a->p);
    linef(o, "PROXY_INBOUND_CAPTURE_PORT=%s", a->z);
    linef(o, "PROXY_UID=%s", a->u);
    linef(o, "INBOUND_INTERCEPTION_MODE=%s", a->m);
    line(o, "INBOUND_TPROXY_MARK=1337");
    line(o, "INBOUND_TPROXY_ROUTE_TABLE=133");
    linef(o, "INBOUND_PORTS_INCLUDE=%s", a->b);
    linef(o, "INBOUND_PORTS_EXCLUDE=%s", a->d);
    linef(o, "OUTBOUND_IP_RANGES_INCLUDE=%s", a->i);
    linef(o, "OUTBOUND_IP_RANGES_EXCLUDE=%s", a->x);
    linef(o, "OUTBOUND_PORTS_EXCLUDE=%s", a->o);
    linef(o, "KUBEVIRT_INTERFACES=%s", a->k);
    line(o, "ENABLE_INBOUND_IPV6=");
    line(o, "");

    ruleset *rs = calloc(1, sizeof *rs);
    if (!rs) return;
    rule *r;
    size_t i;
    json_t *v;
    bool all_in = !strcmp(a->b, "*");
    line(o, "+ iptables -t nat -N ISTIO_REDIRECT");
    new_chain(rs, "ISTIO_REDIRECT");
    r = add_tcp(rs, "ISTIO_REDIRECT", "REDIRECT", NULL);
    snprintf(r->targs, sizeof r->targs, "%s", a->p);
    trace_rule(o, rs, r);
    line(o, "+ iptables -t nat -N ISTIO_IN_REDIRECT");
    new_chain(rs, "ISTIO_IN_REDIRECT");
    linef(o, "+ '[' %s == '*' ']'", shq(a->b, q1, sizeof q1));
    r = add_tcp(rs, "ISTIO_IN_REDIRECT", "REDIRECT", NULL);
    snprintf(r->targs, sizeof r->targs, "%s", all_in ? a->z : a->p);
    trace_rule(o, rs, r);
    linef(o, "+ '[' -n %s ']'", shq(a->b, q1, sizeof q1));
    if (*a->b) {
        linef(o, "+ '[' %s = TPROXY ']'", shq(a->m, q1, sizeof q1));
        line(o, "+ table=nat");
        line(o, "+ iptables -t nat -N ISTIO_INBOUND");
        new_chain(rs, "ISTIO_INBOUND");
        r = add_tcp(rs, "PREROUTING", "ISTIO_INBOUND", NULL);
        trace_rule(o, rs, r);
        linef(o, "+ '[' %s == '*' ']'", shq(a->b, q1, sizeof q1));
        if (all_in) {
            r = add_tcp(rs, "ISTIO_INBOUND", "RETURN", "22");
            trace_rule(o, rs, r);
            linef(o, "+ '[' -n %s ']'", shq(a->d, q1, sizeof q1));
            json_t *ports = split(a->d);
            json_array_foreach(ports, i, v) {
                line(o, "+ for port in ${INBOUND_PORTS_EXCLUDE}");
                r = add_tcp(rs, "ISTIO_INBOUND", "RETURN", json_string_value(v));
                trace_rule(o, rs, r);
            }
            json_decref(ports);
            linef(o, "+ '[' %s = TPROXY ']'", shq(a->m, q1, sizeof q1));
            r = add_tcp(rs, "ISTIO_INBOUND", "ISTIO_IN_REDIRECT", NULL);
            trace_rule(o, rs, r);
        } else {
            json_t *ports = split(a->b);
            json_array_foreach(ports, i, v) {
                line(o, "+ for port in ${INBOUND_PORTS_INCLUDE}");
                linef(o, "+ '[' %s = TPROXY ']'", shq(a->m, q1, sizeof q1));
                r = add_tcp(rs, "ISTIO_INBOUND", "ISTIO_IN_REDIRECT", json_string_value(v));
                trace_rule(o, rs, r);
            }
            json_decref(ports);
        }
    }
    line(o, "+ iptables -t nat -N ISTIO_OUTPUT");
    new_chain(rs, "ISTIO_OUTPUT");
    r = add_tcp(rs, "OUTPUT", "ISTIO_OUTPUT", NULL);
    trace_rule(o, rs, r);
    linef(o, "+ '[' -n %s ']'", shq(a->o, q1, sizeof q1));
    json_t *oports = split(a->o);
    json_array_foreach(oports, i, v) {
        line(o, "+ for port in ${OUTBOUND_PORTS_EXCLUDE}");
        r = add_tcp(rs, "ISTIO_OUTPUT", "RETURN", json_string_value(v));
        trace_rule(o, rs, r);
    }
    json_decref(oports);
    r = add(rs, "ISTIO_OUTPUT", "RETURN");
    r->oif = "lo";
    snprintf(r->src, sizeof r->src, "127.0.0.6/32");
    trace_rule(o, rs, r);
    line(o, "+ '[' -z '' ']'");
    r = add(rs, "ISTIO_OUTPUT", "ISTIO_IN_REDIRECT");
    r->oif = "lo";
    r->ndst = true;
    snprintf(r->dst, sizeof r->dst, "127.0.0.1/32");
    trace_rule(o, rs, r);
    const char *who[2][3] = {{a->u, "uid", "${PROXY_UID}"}, {a->g, "gid", "${PROXY_GID}"}};
    for (int w = 0; w < 2; w++) {
        json_t *ids = split(who[w][0]);
        json_array_foreach(ids, i, v) {
            linef(o, "+ for %s in %s", who[w][1], who[w][2]);
            r = add(rs, "ISTIO_OUTPUT", "RETURN");
            snprintf(r->owner, sizeof r->owner, "--%s-owner %s", who[w][1], json_string_value(v));
            trace_rule(o, rs, r);
        }
        json_decref(ids);
    }
    r = add(rs, "ISTIO_OUTPUT", "RETURN");
    snprintf(r->dst, sizeof r->dst, "127.0.0.1/32");
    trace_rule(o, rs, r);
    json_t *ex = v4_ranges(a->x, false);
    linef(o, "+ '[' %zu -gt 0 ']'", json_array_size(ex));
    json_array_foreach(ex, i, v) {
        line(o, "+ for cidr in \"${ipv4_ranges_exclude[@]}\"");
        r = add(rs, "ISTIO_OUTPUT", "RETURN");
        snprintf(r->dst, sizeof r->dst, "%s", json_string_value(v));
        trace_rule(o, rs, r);
    }
    json_decref(ex);
    bool all_out = !strcmp(a->i, "*");
    json_t *in = all_out ? json_pack("[s]", "*") : v4_ranges(a->i, false);
    linef(o, "+ '[' %zu -gt 0 ']'", json_array_size(in));
    if (json_array_size(in)) {
        linef(o, "+ '[' %s == '*' ']'", shq(json_string_value(json_array_get(in, 0)), q2, sizeof q2));
        if (all_out) {
            r = add(rs, "ISTIO_OUTPUT", "ISTIO_REDIRECT");
            trace_rule(o, rs, r);
        } else {
            json_array_foreach(in, i, v) {
                line(o, "+ for cidr in \"${ipv4_ranges_include[@]}\"");
                r = add(rs, "ISTIO_OUTPUT", "ISTIO_REDIRECT");
                snprintf(r->dst, sizeof r->dst, "%s", json_string_value(v));
                trace_rule(o, rs, r);
            }
            r = add(rs, "ISTIO_OUTPUT", "RETURN");
            trace_rule(o, rs, r);
        }
    }
    json_decref(in);
    /* no IPv6 on these pods: the script shuts inbound IPv6 */
    line(o, "+ set +o nounset");
    line(o, "+ '[' -n '' ']'");
    line(o, "+ ip6tables -F INPUT");
    line(o, "+ ip6tables -A INPUT -m state --state ESTABLISHED -j ACCEPT");
    line(o, "+ ip6tables -A INPUT -i lo -d ::1 -j ACCEPT");
    line(o, "+ ip6tables -A INPUT -j REJECT");
    line(o, "+ dump");
    line(o, "+ iptables-save");
    save_nat(o, rs, "v1.6.1", when);
    line(o, "+ ip6tables-save");
    linef(o, "# Generated by ip6tables-save v1.6.1 on %s", when);
    line(o, "*filter");
    line(o, ":INPUT ACCEPT [0:0]");
    line(o, ":FORWARD ACCEPT [0:0]");
    line(o, ":OUTPUT ACCEPT [0:0]");
    line(o, "-A INPUT -m state --state ESTABLISHED -j ACCEPT");
    line(o, "-A INPUT -d ::1/128 -i lo -j ACCEPT");
    line(o, "-A INPUT -j REJECT --reject-with icmp6-port-unreachable");
    line(o, "COMMIT");
    linef(o, "# Completed on %s", when);
    free(rs);
}

/* ---- 1.5 and later: pilot-agent istio-iptables -------------------------- */

/* "<RFC 3339 with microseconds>\tinfo\t" for the step-th message. */
static void stamp(char *buf, size_t len, long long start_ms, int step)
{
    long long us = start_ms * 1000 + 112365 + step * 47LL;
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%06lldZ\tinfo\t", base, us % 1000000);
}

static void agent_era(out *o, const ipt_args *a, long long start_ms, const char *when)
{
    char ts[64], w[512];
    int step = 0;
    stamp(ts, sizeof ts, start_ms, step++);
    linef(o, "%sIstio iptables environment:", ts);
    static const char *const env[] = {"ENVOY_PORT", "INBOUND_CAPTURE_PORT", "ISTIO_INBOUND_INTERCEPTION_MODE",
        "ISTIO_INBOUND_TPROXY_ROUTE_TABLE", "ISTIO_INBOUND_PORTS", "ISTIO_OUTBOUND_PORTS", "ISTIO_LOCAL_EXCLUDE_PORTS",
        "ISTIO_EXCLUDE_INTERFACES", "ISTIO_SERVICE_CIDR", "ISTIO_SERVICE_EXCLUDE_CIDR", "ISTIO_META_DNS_CAPTURE",
        "INVALID_DROP"};
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) linef(o, "%s=", env[i]);
    line(o, "");
    stamp(ts, sizeof ts, start_ms, step++);
    linef(o, "%sIstio iptables variables:", ts);
    line(o, "IPTABLES_VERSION=");
    linef(o, "PROXY_PORT=%s", a->p);
    linef(o, "PROXY_INBOUND_CAPTURE_PORT=%s", a->z);
    line(o, "PROXY_TUNNEL_PORT=15008");
    linef(o, "PROXY_UID=%s", a->u);
    linef(o, "PROXY_GID=%s", a->g);
    linef(o, "INBOUND_INTERCEPTION_MODE=%s", a->m);
    line(o, "INBOUND_TPROXY_MARK=1337");
    line(o, "INBOUND_TPROXY_ROUTE_TABLE=133");
    linef(o, "INBOUND_PORTS_INCLUDE=%s", a->b);
    linef(o, "INBOUND_PORTS_EXCLUDE=%s", a->d);
    line(o, "OUTBOUND_OWNER_GROUPS_INCLUDE=*");
    line(o, "OUTBOUND_OWNER_GROUPS_EXCLUDE=");
    linef(o, "OUTBOUND_IP_RANGES_INCLUDE=%s", a->i);
    linef(o, "OUTBOUND_IP_RANGES_EXCLUDE=%s", a->x);
    linef(o, "OUTBOUND_PORTS_INCLUDE=%s", a->q);
    linef(o, "OUTBOUND_PORTS_EXCLUDE=%s", a->o);
    linef(o, "KUBE_VIRT_INTERFACES=%s", a->k);
    static const char *const fixed[] = {"ENABLE_INBOUND_IPV6=false", "DUAL_STACK=false", "DNS_CAPTURE=false",
        "DROP_INVALID=false", "CAPTURE_ALL_DNS=false", "DNS_SERVERS=[],[]", "NETWORK_NAMESPACE=", "CNI_MODE=false",
        "EXCLUDE_INTERFACES=", ""};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) line(o, fixed[i]);

    ruleset *rs = calloc(1, sizeof *rs);
    if (!rs) return;
    rule *r;
    size_t i;
    json_t *v;
    const char *chains[] = {"ISTIO_INBOUND", "ISTIO_REDIRECT", "ISTIO_IN_REDIRECT", "ISTIO_OUTPUT"};
    for (int c = 0; c < 4; c++) new_chain(rs, chains[c]);
    r = add_tcp(rs, "ISTIO_INBOUND", "RETURN", "15008");
    r = add_tcp(rs, "ISTIO_REDIRECT", "REDIRECT", NULL);
    snprintf(r->targs, sizeof r->targs, "%s", a->p);
    r = add_tcp(rs, "ISTIO_IN_REDIRECT", "REDIRECT", NULL);
    snprintf(r->targs, sizeof r->targs, "%s", a->z);
    if (*a->b) {
        r = add_tcp(rs, "PREROUTING", "ISTIO_INBOUND", NULL);
        bool all_in = !strcmp(a->b, "*");
        json_t *ports = split(all_in ? a->d : a->b);
        json_array_foreach(ports, i, v) {
            r = add_tcp(rs, "ISTIO_INBOUND", all_in ? "RETURN" : "ISTIO_IN_REDIRECT", json_string_value(v));
        }
        json_decref(ports);
        if (all_in) {
            r = add_tcp(rs, "ISTIO_INBOUND", "ISTIO_IN_REDIRECT", NULL);
        }
    }
    r = add_tcp(rs, "OUTPUT", "ISTIO_OUTPUT", NULL);
    json_t *ports = split(a->o);
    json_array_foreach(ports, i, v) {
        r = add_tcp(rs, "ISTIO_OUTPUT", "RETURN", json_string_value(v));
    }
    json_decref(ports);
    r = add(rs, "ISTIO_OUTPUT", "RETURN");
    r->oif = "lo";
    snprintf(r->src, sizeof r->src, "127.0.0.6/32");
    const char *who[2][2] = {{a->u, "uid"}, {a->g, "gid"}};
    for (int k = 0; k < 2; k++) {
        json_t *ids = split(who[k][0]);
        json_array_foreach(ids, i, v) {
            const char *id = json_string_value(v);
            /* back to itself over a Service address: through the inbound side */
            r = add(rs, "ISTIO_OUTPUT", "ISTIO_IN_REDIRECT");
            r->oif = "lo";
            r->ndst = true;
            snprintf(r->dst, sizeof r->dst, "127.0.0.1/32");
            r->tcp = true;
            r->ndport = true;
            snprintf(r->dport, sizeof r->dport, "15008");
            snprintf(r->owner, sizeof r->owner, "--%s-owner %s", who[k][1], id);
            r = add(rs, "ISTIO_OUTPUT", "RETURN");
            r->oif = "lo";
            snprintf(r->owner, sizeof r->owner, "! --%s-owner %s", who[k][1], id);
            r = add(rs, "ISTIO_OUTPUT", "RETURN");
            snprintf(r->owner, sizeof r->owner, "--%s-owner %s", who[k][1], id);
        }
        json_decref(ids);
    }
    r = add(rs, "ISTIO_OUTPUT", "RETURN");
    snprintf(r->dst, sizeof r->dst, "127.0.0.1/32");
    json_t *ex = v4_ranges(a->x, true);
    json_array_foreach(ex, i, v) {
        r = add(rs, "ISTIO_OUTPUT", "RETURN");
        snprintf(r->dst, sizeof r->dst, "%s", json_string_value(v));
    }
    json_decref(ex);
    ports = split(a->q);
    json_array_foreach(ports, i, v) {
        r = add_tcp(rs, "ISTIO_OUTPUT", "ISTIO_REDIRECT", json_string_value(v));
    }
    json_decref(ports);
    if (!strcmp(a->i, "*")) {
        add(rs, "ISTIO_OUTPUT", "ISTIO_REDIRECT");
    } else {
        json_t *in = v4_ranges(a->i, true);
        json_array_foreach(in, i, v) {
            r = add(rs, "ISTIO_OUTPUT", "ISTIO_REDIRECT");
            snprintf(r->dst, sizeof r->dst, "%s", json_string_value(v));
        }
        if (json_array_size(in)) add(rs, "ISTIO_OUTPUT", "RETURN");
        json_decref(in);
    }

    stamp(ts, sizeof ts, start_ms, step++);
    linef(o, "%sRunning iptables-restore with the following input:", ts);
    line(o, "* nat");
    for (int c = 0; c < rs->nchains; c++) linef(o, "-N %s", rs->chains[c]);
    for (int k = 0; k < rs->n; k++) {
        written(&rs->r[k], "--to-ports", w, sizeof w);
        line(o, w);
    }
    line(o, "COMMIT");
    stamp(ts, sizeof ts, start_ms, step++);
    linef(o, "%sRunning command (with wait lock): iptables-restore --noflush --wait=30", ts);
    stamp(ts, sizeof ts, start_ms, step++);
    linef(o, "%sRunning ip6tables-restore with the following input:", ts);
    line(o, "");
    stamp(ts, sizeof ts, start_ms, step++);
    linef(o, "%sRunning command (with wait lock): ip6tables-restore --noflush --wait=30", ts);
    stamp(ts, sizeof ts, start_ms, step++);
    linef(o, "%sRunning command (without lock): iptables-save ", ts);
    save_nat(o, rs, "v1.8.7", when);
    stamp(ts, sizeof ts, start_ms, step++);
    linef(o, "%sRunning command (without lock): ip6tables-save ", ts);
    free(rs);
}

/* ---- entry ---------------------------------------------------------------- */

static long long parse_rfc3339_ms(const char *s)
{
    struct tm tm = {0};
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                     &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long long)timegm(&tm) * 1000;
}

/* The release of an image tag ("docker.io/istio/proxyv2:1.4.6"): before 1.5? */
static bool script_release(const char *image)
{
    const char *colon = strrchr(image ? image : "", ':');
    int major = 0, minor = 0;
    if (!colon || sscanf(colon + 1, "%d.%d", &major, &minor) != 2) return false;
    return major == 1 && minor < 5;
}

int cluster_init_container_log(json_t *pod, const char *container, store_log_fn fn, void *ctx)
{
    json_t *c = NULL, *x;
    size_t i;
    json_array_foreach(obj_at(pod, "spec.initContainers"), i, x)
        if (!strcmp(obj_str_or(x, "name", ""), container)) c = x;
    ipt_args a;
    if (!c || !parse_args(json_object_get(c, "args"), &a)) return 1;
    const char *started = NULL;
    json_array_foreach(obj_at(pod, "status.initContainerStatuses"), i, x)
        if (!strcmp(obj_str_or(x, "name", ""), container)) started = obj_str(x, "state.terminated.startedAt");
    long long start_ms = parse_rfc3339_ms(started ? started : obj_str(pod, "status.startTime"));
    if (!start_ms) return 1;    /* never ran */
    char when[40];
    time_t secs = (time_t)(start_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(when, sizeof when, "%a %b %e %H:%M:%S %Y", &tm);
    out o = {fn, ctx, obj_namespace(pod), obj_name(pod), container, start_ms};
    if (script_release(obj_str(c, "image"))) script_era(&o, &a, when);
    else agent_era(&o, &a, start_ms, when);
    return 0;
}
