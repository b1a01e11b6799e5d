/* Host names as Istio compares them (pkg/config/host semantics). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mesh/host.h"

static bool is_wild(const char *h) { return h[0] == '*'; }

static bool ends_with(const char *s, const char *suffix)
{
    size_t l = strlen(s), sl = strlen(suffix);
    return l >= sl && !strcasecmp(s + l - sl, suffix);
}

/* Does wildcard w ("*" or "*.suffix") cover the plain name h? */
static bool wild_covers(const char *w, const char *h)
{
    const char *suffix = w + 1;   /* "" or ".foo.com" */
    if (!*suffix) return true;
    return strlen(h) > strlen(suffix) && ends_with(h, suffix);
}

/* Wildcards a and b: is a's set inside b's ("*.x.foo.com" inside "*.foo.com")? */
static bool wild_inside(const char *a, const char *b)
{
    return !b[1] || ends_with(a + 1, b + 1);
}

bool host_matches(const char *a, const char *b)
{
    if (!a || !b) return false;
    bool wa = is_wild(a), wb = is_wild(b);
    if (!wa && !wb) return !strcasecmp(a, b);
    if (wa && !wb) return wild_covers(a, b);
    if (!wa && wb) return wild_covers(b, a);
    return wild_inside(a, b) || wild_inside(b, a);
}

bool host_subset_of(const char *a, const char *b)
{
    if (!a || !b) return false;
    bool wa = is_wild(a), wb = is_wild(b);
    if (!wb) return !wa && !strcasecmp(a, b);
    if (!wa) return wild_covers(b, a);
    return wild_inside(a, b);
}

bool host_is_ip(const char *s)
{
    unsigned char buf[16];
    return s && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

const char *host_fqdn_buf(char *buf, size_t len, const char *host, const char *ns)
{
    if (!host || !len) return NULL;
    if (!strchr(host, '.') && strcmp(host, "*") && !host_is_ip(host) && ns && *ns)
        snprintf(buf, len, "%s.%s." MESH_DOMAIN, host, ns);
    else
        snprintf(buf, len, "%s", host);
    for (char *p = buf; *p; p++) *p = (char)tolower((unsigned char)*p);
    return buf;
}

const char *host_fqdn(arena *a, const char *host, const char *ns)
{
    if (!host) return NULL;
    char buf[512];
    return arena_strdup(a, host_fqdn_buf(buf, sizeof buf, host, ns));
}

void host_split_authority(const char *authority, char *host, size_t hostlen, int *port)
{
    *port = 0;
    if (!hostlen) return;
    host[0] = 0;
    if (!authority) return;
    const char *end;
    const char *start = authority;
    if (*authority == '[') {                   /* [v6]:port */
        start = authority + 1;
        end = strchr(start, ']');
        if (!end) end = start + strlen(start);
        if (end[0] == ']' && end[1] == ':') *port = atoi(end + 2);
    } else {
        end = strrchr(authority, ':');
        if (end && strchr(authority, ':') == end) *port = atoi(end + 1);
        else end = authority + strlen(authority);
    }
    size_t n = (size_t)(end - start);
    if (n >= hostlen) n = hostlen - 1;
    for (size_t i = 0; i < n; i++) host[i] = (char)tolower((unsigned char)start[i]);
    host[n] = 0;
    if (n && host[n - 1] == '.') host[n - 1] = 0;   /* "example.com." */
}

const char *gateway_ref_buf(char *buf, size_t len, const char *name, const char *vs_ns)
{
    if (!name || !len) return NULL;
    const char *slash = strchr(name, '/');
    const char *dot = strchr(name, '.');
    if (!strcmp(name, "mesh")) {
        snprintf(buf, len, "mesh");
    } else if (slash) {
        if (slash == name + 1 && name[0] == '.') snprintf(buf, len, "%s/%s", vs_ns, slash + 1);
        else snprintf(buf, len, "%s", name);
    } else if (dot) {   /* legacy FQDN form name.ns.svc.cluster.local */
        const char *dot2 = strchr(dot + 1, '.');
        size_t nl = (size_t)(dot - name);
        size_t sl = dot2 ? (size_t)(dot2 - dot - 1) : strlen(dot + 1);
        snprintf(buf, len, "%.*s/%.*s", (int)sl, dot + 1, (int)nl, name);
    } else {
        snprintf(buf, len, "%s/%s", vs_ns, name);
    }
    return buf;
}

const char *gateway_ref(arena *a, const char *name, const char *vs_ns)
{
    if (!name) return NULL;
    if (!strcmp(name, "mesh")) return "mesh";
    char buf[512];
    return arena_strdup(a, gateway_ref_buf(buf, sizeof buf, name, vs_ns));
}

bool export_visible(json_t *export_to, const char *owner_ns, const char *client_ns)
{
    if (!json_is_array(export_to) || !json_array_size(export_to)) return true;
    size_t i;
    json_t *v;
    json_array_foreach(export_to, i, v) {
        const char *s = json_string_value(v);
        if (!s) continue;
        if (!strcmp(s, "*")) return true;
        if (!strcmp(s, ".") && owner_ns && client_ns && !strcmp(owner_ns, client_ns)) return true;
        if (client_ns && !strcmp(s, client_ns)) return true;
    }
    return false;
}

bool ip_in_cidr(const char *ip, const char *cidr)
{
    if (!ip || !cidr) return false;
    char net[64];
    const char *slash = strchr(cidr, '/');
    size_t nl = slash ? (size_t)(slash - cidr) : strlen(cidr);
    if (nl >= sizeof net) return false;
    memcpy(net, cidr, nl);
    net[nl] = 0;
    unsigned char a[16], b[16];
    int alen;
    if (inet_pton(AF_INET, ip, a) == 1 && inet_pton(AF_INET, net, b) == 1) alen = 4;
    else if (inet_pton(AF_INET6, ip, a) == 1 && inet_pton(AF_INET6, net, b) == 1) alen = 16;
    else return false;
    int bits = slash ? atoi(slash + 1) : alen * 8;
    if (bits < 0 || bits > alen * 8) return false;
    for (int i = 0; i < alen && bits > 0; i++, bits -= 8) {
        unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
        if ((a[i] & mask) != (b[i] & mask)) return false;
    }
    return true;
}
