/* Host names as Istio compares them (pkg/config/host semantics). */
#include <arpa/inet.h>
#include <ctype.h>
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

const char *host_fqdn(arena *a, const char *host, const char *ns)
{
    if (!host) return NULL;
    char *h;
    if (!strchr(host, '.') && strcmp(host, "*") && !host_is_ip(host) && ns && *ns)
        h = arena_printf(a, "%s.%s." MESH_DOMAIN, host, ns);
    else
        h = arena_strdup(a, host);
    if (h) for (char *p = h; *p; p++) *p = (char)tolower((unsigned char)*p);
    return h;
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

const char *gateway_ref(arena *a, const char *name, const char *vs_ns)
{
    if (!name) return NULL;
    if (!strcmp(name, "mesh")) return "mesh";
    const char *slash = strchr(name, '/');
    if (slash) {
        if (slash == name + 1 && name[0] == '.') return arena_printf(a, "%s/%s", vs_ns, slash + 1);
        return arena_strdup(a, name);
    }
    const char *dot = strchr(name, '.');
    if (dot) {   /* legacy FQDN form name.ns.svc.cluster.local */
        const char *dot2 = strchr(dot + 1, '.');
        size_t nl = (size_t)(dot - name);
        size_t sl = dot2 ? (size_t)(dot2 - dot - 1) : strlen(dot + 1);
        return arena_printf(a, "%.*s/%.*s", (int)sl, dot + 1, (int)nl, name);
    }
    return arena_printf(a, "%s/%s", vs_ns, name);
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
