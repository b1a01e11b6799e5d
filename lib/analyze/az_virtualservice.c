/* VirtualService analyzers: referenced gateways exist and serve the VS
 * hosts (IST0101, IST0132), destinations name a known host and port
 * (IST0101, IST0112), subsets are defined by some DestinationRule
 * (IST0101 host+subset), and two mesh-bound VSs do not share a host (IST0109). */
#include <stdlib.h>
#include <string.h>
#include "analyze/internal.h"

static json_t *spec_of(const az_res *r) { return json_object_get(r->obj, "spec"); }

/* The destinations of a VS in Istio's order: tcp, tls, http routes. */
typedef void (*dest_fn)(az_ctx *c, const az_res *vs, json_t *dest, bool mirror, void *arg);

static void each_destination(az_ctx *c, const az_res *vs, dest_fn fn, void *arg)
{
    static const char *const sections[] = {"tcp", "tls", "http"};
    json_t *spec = spec_of(vs);
    for (int s = 0; s < 3; s++) {
        size_t i, j;
        json_t *rule, *rd;
        json_array_foreach(json_object_get(spec, sections[s]), i, rule)
            json_array_foreach(json_object_get(rule, "route"), j, rd) {
                json_t *d = json_object_get(rd, "destination");
                if (json_is_object(d)) fn(c, vs, d, false, arg);
            }
    }
    size_t i, j;
    json_t *rule, *m;
    json_array_foreach(json_object_get(spec, "http"), i, rule) {
        json_t *mirror = json_object_get(rule, "mirror");
        if (json_is_object(mirror)) fn(c, vs, mirror, true, arg);
        json_array_foreach(json_object_get(rule, "mirrors"), j, m) {
            json_t *d = json_object_get(m, "destination");
            if (json_is_object(d)) fn(c, vs, d, true, arg);
        }
    }
}

/* ---- gateways ---- */
static bool vs_host_in_gateway(az_ctx *c, const char *gw_ns, const char *gw_name, json_t *vs_hosts, const char *vs_ns)
{
    const az_res *gw = az_find(c, "Gateway", gw_ns, gw_name);
    if (!gw) return false;
    size_t i, j, k;
    json_t *srv, *h, *vh;
    json_array_foreach(json_object_get(spec_of(gw), "servers"), i, srv)
        json_array_foreach(json_object_get(srv, "hosts"), j, h) {
            const char *gh = json_string_value(h);
            if (!gh) continue;
            const char *slash = strchr(gh, '/');
            if (slash) {
                /* "./host" is the gateway's namespace, "*" any; only hosts for the VS namespace count */
                size_t nl = (size_t)(slash - gh);
                bool any = nl == 1 && gh[0] == '*';
                bool dot = nl == 1 && gh[0] == '.';
                bool mine = dot ? !strcmp(gw_ns, vs_ns) : (strlen(vs_ns) == nl && !strncmp(gh, vs_ns, nl));
                if (!any && !mine) continue;
                gh = slash + 1;
            }
            json_array_foreach(vs_hosts, k, vh) {
                const char *x = json_string_value(vh);
                if (x && az_host_matches(gh, x)) return true;
            }
        }
    return false;
}

static void hosts_list(json_t *hosts, char *buf, size_t len)
{
    /* Go's %v of a string slice: [a b] */
    size_t off = 0, i;
    json_t *h;
    off += (size_t)snprintf(buf, len, "[");
    json_array_foreach(hosts, i, h) {
        if (off >= len) break;
        off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", json_string_value(h) ? json_string_value(h) : "");
    }
    if (off < len) snprintf(buf + off, len - off, "]");
}

void az_vs_gateways(az_ctx *c)
{
    for (size_t v = 0; v < c->k[AZK_VS].n; v++) {
        const az_res *vs = c->k[AZK_VS].v[v];
        json_t *hosts = json_object_get(spec_of(vs), "hosts");
        size_t i;
        json_t *g;
        json_array_foreach(json_object_get(spec_of(vs), "gateways"), i, g) {
            const char *gw = json_string_value(g);
            if (!gw || !strcmp(gw, "mesh")) continue;
            char ns[256], name[256];
            const char *slash = strchr(gw, '/');
            if (slash) {
                snprintf(ns, sizeof ns, "%.*s", (int)(slash - gw), gw);
                snprintf(name, sizeof name, "%s", slash + 1);
            } else {
                snprintf(ns, sizeof ns, "%s", vs->ns);
                snprintf(name, sizeof name, "%s", gw);
            }
            if (!az_find(c, "Gateway", ns, name)) az_report(c, vs, "IST0101", "gateway", gw);
            if (!vs_host_in_gateway(c, ns, name, hosts, vs->ns)) {
                char hl[2048], vsn[600], gwn[600];
                hosts_list(hosts, hl, sizeof hl);
                snprintf(vsn, sizeof vsn, "%s/%s", vs->ns, vs->name);
                snprintf(gwn, sizeof gwn, "%s/%s", ns, name);
                az_report(c, vs, "IST0132", hl, vsn, gwn);
            }
        }
    }
}

/* ---- destination hosts ---- */
static void check_dest_host(az_ctx *c, const az_res *vs, json_t *d, bool mirror, void *arg)
{
    (void)arg;
    const char *host = json_string_value(json_object_get(d, "host"));
    if (!host) host = "";
    const az_host *h = az_dest_host(c, vs->ns, json_object_get(spec_of(vs), "exportTo"), host);
    if (!h) {
        az_report(c, vs, "IST0101", mirror ? "mirror host" : "host", host);
        return;
    }
    json_t *port = json_object_get(d, "port");
    if (!port) {
        if (json_array_size(h->ports) > 1) {
            char list[1024];
            size_t off = (size_t)snprintf(list, sizeof list, "[");
            size_t i;
            json_t *p;
            json_array_foreach(h->ports, i, p)
                if (off < sizeof list)
                    off += (size_t)snprintf(list + off, sizeof list - off, "%s%lld", i ? " " : "",
                                            (long long)json_integer_value(json_object_get(p, "number")));
            if (off < sizeof list) snprintf(list + off, sizeof list - off, "]");
            az_report(c, vs, "IST0112", host, list);
        }
        return;
    }
    long long num = json_integer_value(json_object_get(port, "number"));
    size_t i;
    json_t *p;
    json_array_foreach(h->ports, i, p)
        if (json_integer_value(json_object_get(p, "number")) == num) return;
    char hp[600];
    snprintf(hp, sizeof hp, "%s:%lld", host, num);
    az_report(c, vs, "IST0101", "host:port", hp);
}

void az_vs_dest_hosts(az_ctx *c)
{
    for (size_t v = 0; v < c->k[AZK_VS].n; v++) each_destination(c, c->k[AZK_VS].v[v], check_dest_host, NULL);
}

/* ---- subsets: keyed by the resource name derived from the host ---- */
static void subset_key(char *buf, size_t len, const char *ns, const char *host, const char *subset)
{
    char name[256], hns[256];
    if (az_split_svc_fqdn(host, name, sizeof name, hns, sizeof hns))
        snprintf(buf, len, "%s/%s+%s", hns, name, subset);
    else
        snprintf(buf, len, "%s/%s+%s", ns, host, subset);
}

static void check_subset(az_ctx *c, const az_res *vs, json_t *d, bool mirror, void *arg)
{
    az_map *have = arg;
    const char *host = json_string_value(json_object_get(d, "host"));
    const char *subset = json_string_value(json_object_get(d, "subset"));
    if (!host || !subset || !*subset) return;
    char key[800];
    subset_key(key, sizeof key, vs->ns, host, subset);
    if (azm_first(have, key)) return;
    char val[700];
    snprintf(val, sizeof val, "%s+%s", host, subset);
    az_report(c, vs, "IST0101", mirror ? "mirror+subset in destinationrule" : "host+subset in destinationrule", val);
}

void az_vs_dest_rules(az_ctx *c)
{
    az_map *have = azm_new(c->k[AZK_DR].n * 2 + 1);
    char fq[512], key[800];
    for (size_t i = 0; i < c->k[AZK_DR].n; i++) {
        const az_res *dr = c->k[AZK_DR].v[i];
        const char *host = json_string_value(json_object_get(spec_of(dr), "host"));
        if (!host) continue;
        az_fqdn(fq, sizeof fq, host, dr->ns);
        size_t j;
        json_t *ss;
        json_array_foreach(json_object_get(spec_of(dr), "subsets"), j, ss) {
            const char *name = json_string_value(json_object_get(ss, "name"));
            if (!name) continue;
            subset_key(key, sizeof key, dr->ns, fq, name);
            azm_add(have, key, dr);
        }
    }
    for (size_t v = 0; v < c->k[AZK_VS].n; v++) each_destination(c, c->k[AZK_VS].v[v], check_subset, have);
    azm_free(have);
}

/* ---- mesh gateway host conflicts ---- */
static bool bound_to_mesh(json_t *spec)
{
    json_t *gws = json_object_get(spec, "gateways");
    if (!json_array_size(gws)) return true;
    size_t i;
    json_t *g;
    json_array_foreach(gws, i, g)
        if (json_is_string(g) && !strcmp(json_string_value(g), "mesh")) return true;
    return false;
}

void az_vs_mesh_conflicts(az_ctx *c)
{
    az_map *m = azm_new(c->k[AZK_VS].n * 2 + 1);
    char **keys = NULL;
    size_t nkeys = 0, cap = 0;
    char fq[512], key[800];
    for (size_t v = 0; v < c->k[AZK_VS].n; v++) {
        const az_res *vs = c->k[AZK_VS].v[v];
        json_t *spec = spec_of(vs);
        if (!bound_to_mesh(spec)) continue;
        json_t *exp = json_object_get(spec, "exportTo");
        const char *scopes[64];
        size_t ns = 0, i;
        json_t *e;
        bool all = !json_array_size(exp);
        json_array_foreach(exp, i, e) if (json_is_string(e) && !strcmp(json_string_value(e), "*")) all = true;
        if (all) {
            scopes[ns++] = "*";
        } else {
            json_array_foreach(exp, i, e) {
                const char *s = json_string_value(e);
                if (!s || ns >= 64) continue;
                s = strcmp(s, ".") ? s : vs->ns;
                bool dup = false;
                for (size_t k = 0; k < ns; k++) dup |= !strcmp(scopes[k], s);
                if (!dup) scopes[ns++] = s;
            }
        }
        json_t *h;
        for (size_t s = 0; s < ns; s++)
            json_array_foreach(json_object_get(spec, "hosts"), i, h) {
                if (!json_is_string(h)) continue;
                az_fqdn(fq, sizeof fq, json_string_value(h), vs->ns);
                snprintf(key, sizeof key, "%s/%s", scopes[s], fq);
                size_t n;
                azm_get(m, key, &n);
                if (!n) {
                    if (nkeys == cap) {
                        cap = cap ? cap * 2 : 64;
                        keys = realloc(keys, cap * sizeof *keys);
                    }
                    keys[nkeys++] = strdup(key);
                }
                azm_add(m, key, vs);
            }
    }
    for (size_t k = 0; k < nkeys; k++) {
        size_t n;
        const void *const *v = azm_get(m, keys[k], &n);
        if (n > 1) {
            size_t len = 1;
            for (size_t i = 0; i < n; i++) {
                const az_res *r = v[i];
                len += strlen(r->ns) + strlen(r->name) + 2;
            }
            char *names = calloc(1, len);
            for (size_t i = 0; i < n; i++) {
                const az_res *r = v[i];
                if (i) strcat(names, ",");
                strcat(names, r->ns);
                strcat(names, "/");
                strcat(names, r->name);
            }
            for (size_t i = 0; i < n; i++) az_report(c, v[i], "IST0109", names, keys[k]);
            free(names);
        }
        free(keys[k]);
    }
    free(keys);
    azm_free(m);
}
