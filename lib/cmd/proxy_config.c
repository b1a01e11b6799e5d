/* istioctl proxy-config (pc): a proxy's clusters, listeners, routes,
 * endpoints and bootstrap, read from the config dump the mesh model builds
 * for it (lib/mesh/config_dump.h), printed with istioctl's tables or as JSON. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "mesh/config_dump.h"
#include "mesh/mesh.h"
#include "model/printer.h"

typedef struct pc_filter {
    const char *fqdn, *subset, *direction, *address, *cluster, *name, *status, *type;
    long port;
    bool port_seen;
} pc_filter;

static int release_minor(const istio_release *rel)
{
    int maj = 1, min = 4;
    if (rel && rel->minor) sscanf(rel->minor, "%d.%d", &maj, &min);
    return maj > 1 ? 99 : min;
}

static json_t *dump_section(json_t *dump, const char *type_suffix)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(dump, "configs"), i, c) {
        const char *t = json_string_value(json_object_get(c, "@type"));
        if (t && strstr(t, type_suffix)) return c;
    }
    return NULL;
}

/* ---- clusters ---- */
typedef struct crow {
    json_t *obj;
    const char *name;
    char fqdn[300], subset[100], direction[16], port[16];
    int portn;
    const char *type;
    char dr[400];
} crow;

static void parse_cluster(json_t *c, crow *r)
{
    memset(r, 0, sizeof *r);
    r->name = json_string_value(json_object_get(c, "name"));
    r->type = json_string_value(json_object_get(c, "type"));
    if (!r->type) r->type = "STATIC";
    const char *n = r->name ? r->name : "";
    char dir[16], port[16], subset[100], host[300];
    if (sscanf(n, "%15[^|]|%15[^|]|%99[^|]|%299s", dir, port, subset, host) == 4 ||
        (sscanf(n, "%15[^|]|%15[^|]||%299s", dir, port, host) == 3 && (subset[0] = 0, 1))) {
        snprintf(r->direction, sizeof r->direction, "%s", dir);
        snprintf(r->port, sizeof r->port, "%s", port);
        snprintf(r->subset, sizeof r->subset, "%s", subset[0] ? subset : "-");
        snprintf(r->fqdn, sizeof r->fqdn, "%s", host);
        r->portn = atoi(port);
    } else if (strchr(n, '|')) {
        /* inbound|port||: no host */
        sscanf(n, "%15[^|]|%15[^|]", dir, port);
        snprintf(r->direction, sizeof r->direction, "%s", dir);
        snprintf(r->port, sizeof r->port, "%s", port);
        snprintf(r->subset, sizeof r->subset, "-");
        r->portn = atoi(port);
    } else {
        snprintf(r->fqdn, sizeof r->fqdn, "%s", n);
        snprintf(r->port, sizeof r->port, "-");
        snprintf(r->subset, sizeof r->subset, "-");
        snprintf(r->direction, sizeof r->direction, "-");
    }
    const char *cfg = json_string_value(
        json_object_get(json_object_get(json_object_get(json_object_get(c, "metadata"), "filter_metadata"), "istio"), "config"));
    snprintf(r->dr, sizeof r->dr, "-");
    if (cfg) {
        char ns[128], name[200];
        if (sscanf(cfg, "/apis/networking.istio.io/v1alpha3/namespaces/%127[^/]/destination-rule/%199s", ns, name) == 2)
            snprintf(r->dr, sizeof r->dr, "%s.%s", name, ns);
    }
}

static int cmp_crow(const void *a, const void *b)
{
    const crow *x = a, *y = b;
    int c = strcmp(x->fqdn, y->fqdn);
    if (c) return c;
    if ((c = strcmp(x->subset, y->subset))) return c;
    if (x->portn != y->portn) return x->portn < y->portn ? -1 : 1;
    return strcmp(x->direction, y->direction);
}

static json_t *all_clusters(json_t *dump)
{
    json_t *sec = dump_section(dump, "ClustersConfigDump"), *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(sec, "static_clusters"), i, e) json_array_append(out, json_object_get(e, "cluster"));
    json_array_foreach(json_object_get(sec, "dynamic_active_clusters"), i, e)
        json_array_append(out, json_object_get(e, "cluster"));
    return out;
}

static bool cluster_passes(const crow *r, const pc_filter *f)
{
    if (f->fqdn && !strstr(r->fqdn, f->fqdn)) return false;
    if (f->port_seen && r->portn != f->port) return false;
    if (f->subset && strcmp(r->subset, f->subset)) return false;
    if (f->direction && strcmp(r->direction, f->direction)) return false;
    return true;
}

/* The filtered clusters in istioctl's order, as Envoy's JSON. */
static json_t *sorted_clusters(json_t *dump, const pc_filter *f)
{
    json_t *cl = all_clusters(dump), *out = json_array();
    size_t n = json_array_size(cl), nr = 0;
    crow *rows = calloc(n + 1, sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        parse_cluster(json_array_get(cl, i), &rows[nr]);
        rows[nr].obj = json_array_get(cl, i);
        if (cluster_passes(&rows[nr], f)) nr++;
    }
    if (nr > 1) qsort(rows, nr, sizeof *rows, cmp_crow);
    for (size_t i = 0; i < nr; i++) json_array_append(out, rows[i].obj);
    free(rows);
    json_decref(cl);
    return out;
}

static void print_clusters(cmd_ctx *ctx, json_t *dump, const pc_filter *f, bool with_name)
{
    json_t *cl = all_clusters(dump);
    size_t n = json_array_size(cl);
    crow *rows = calloc(n + 1, sizeof *rows);
    size_t nr = 0;
    for (size_t i = 0; i < n; i++) {
        parse_cluster(json_array_get(cl, i), &rows[nr]);
        rows[nr].obj = json_array_get(cl, i);
        if (cluster_passes(&rows[nr], f)) nr++;
    }
    if (nr > 1) qsort(rows, nr, sizeof *rows, cmp_crow);
    bool dr_col = release_minor(ctx->rel) >= 10;
    size_t ncol = (dr_col ? 6 : 5) + (with_name ? 1 : 0);
    table t;
    table_init(&t, ncol);
    const char *hdr[7];
    size_t h = 0;
    if (with_name) hdr[h++] = "NAME";
    hdr[h++] = "SERVICE FQDN"; hdr[h++] = "PORT"; hdr[h++] = "SUBSET"; hdr[h++] = "DIRECTION"; hdr[h++] = "TYPE";
    if (dr_col) hdr[h++] = "DESTINATION RULE";
    table_add(&t, hdr);
    for (size_t i = 0; i < nr; i++) {
        char nm[400];
        snprintf(nm, sizeof nm, "cluster/%s", rows[i].name ? rows[i].name : "");
        const char *row[7];
        size_t c = 0;
        if (with_name) row[c++] = nm;
        row[c++] = rows[i].fqdn; row[c++] = rows[i].port; row[c++] = rows[i].subset;
        row[c++] = rows[i].direction; row[c++] = rows[i].type;
        if (dr_col) row[c++] = rows[i].dr;
        table_add(&t, row);
    }
    table_print(&t, ctx->out, 5);
    table_free(&t);
    free(rows);
    json_decref(cl);
}

/* ---- listeners ---- */
static void chain_match(json_t *m, char *buf, size_t len)
{
    buf[0] = 0;
    json_t *sni = json_object_get(m, "server_names");
    const char *tp = json_string_value(json_object_get(m, "transport_protocol"));
    json_t *ap = json_object_get(m, "application_protocols");
    size_t i;
    json_t *v;
    if (json_array_size(sni)) {
        strncat(buf, "SNI: ", len - strlen(buf) - 1);
        json_array_foreach(sni, i, v) {
            if (i) strncat(buf, ",", len - strlen(buf) - 1);
            strncat(buf, json_string_value(v) ? json_string_value(v) : "", len - strlen(buf) - 1);
        }
    }
    if (tp) {
        if (*buf) strncat(buf, "; ", len - strlen(buf) - 1);
        strncat(buf, "Trans: ", len - strlen(buf) - 1);
        strncat(buf, tp, len - strlen(buf) - 1);
    }
    if (json_array_size(ap)) {
        if (*buf) strncat(buf, "; ", len - strlen(buf) - 1);
        bool http = false;
        json_array_foreach(ap, i, v) http |= json_string_value(v) && !strcmp(json_string_value(v), "http/1.1");
        strncat(buf, http ? "App: HTTP" : "App: ", len - strlen(buf) - 1);
        if (!http)
            json_array_foreach(ap, i, v) {
                if (i) strncat(buf, ",", len - strlen(buf) - 1);
                strncat(buf, json_string_value(v) ? json_string_value(v) : "", len - strlen(buf) - 1);
            }
    }
    if (!*buf) snprintf(buf, len, "ALL");
}

static void chain_destination(json_t *ch, char *buf, size_t len)
{
    json_t *tc = json_object_get(json_array_get(json_object_get(ch, "filters"), 0), "typed_config");
    const char *rds = json_string_value(json_object_get(json_object_get(tc, "rds"), "route_config_name"));
    const char *cl = json_string_value(json_object_get(tc, "cluster"));
    if (rds) snprintf(buf, len, "Route: %s", rds);
    else if (cl && strstr(cl, "Cluster")) snprintf(buf, len, "%s", cl);
    else if (cl) snprintf(buf, len, "Cluster: %s", cl);
    else snprintf(buf, len, "Non-HTTP/Non-TCP");
}

typedef struct lrow {
    char addr[64], port[16], match[512], dest[600];
    int portn;
} lrow;

static int cmp_lrow(const void *a, const void *b)
{
    const lrow *x = a, *y = b;
    if (x->portn != y->portn) return x->portn < y->portn ? -1 : 1;
    return strcmp(x->addr, y->addr);
}

static json_t *all_listeners(json_t *dump)
{
    json_t *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(dump_section(dump, "ListenersConfigDump"), "dynamic_listeners"), i, e)
        json_array_append(out, json_object_get(json_object_get(e, "active_state"), "listener"));
    return out;
}

/* Before 1.8 istioctl printed one row per listener: ADDRESS PORT TYPE. */
static void print_listeners_summary(cmd_ctx *ctx, json_t *ls, const pc_filter *f, bool with_name)
{
    table t;
    table_init(&t, with_name ? 4 : 3);
    if (with_name) {
        const char *hdr[] = {"NAME", "ADDRESS", "PORT", "TYPE"};
        table_add(&t, hdr);
    } else {
        const char *hdr[] = {"ADDRESS", "PORT", "TYPE"};
        table_add(&t, hdr);
    }
    size_t i;
    json_t *l;
    json_array_foreach(ls, i, l) {
        json_t *sa = json_object_get(json_object_get(l, "address"), "socket_address");
        const char *addr = json_string_value(json_object_get(sa, "address"));
        int port = (int)json_integer_value(json_object_get(sa, "port_value"));
        if (f->address && (!addr || strcmp(addr, f->address))) continue;
        if (f->port_seen && port != f->port) continue;
        bool http = false;
        size_t c;
        json_t *ch;
        json_array_foreach(json_object_get(l, "filter_chains"), c, ch) {
            json_t *tc = json_object_get(json_array_get(json_object_get(ch, "filters"), 0), "typed_config");
            if (json_object_get(tc, "rds")) http = true;
        }
        if (f->type && strcasecmp(f->type, http ? "HTTP" : "TCP")) continue;
        char ps[16], nm[128];
        snprintf(ps, sizeof ps, "%d", port);
        snprintf(nm, sizeof nm, "listener/%s_%d", addr ? addr : "", port);
        const char *row4[] = {nm, addr ? addr : "", ps, http ? "HTTP" : "TCP"};
        table_add(&t, with_name ? row4 : row4 + 1);
    }
    table_print(&t, ctx->out, 1);
    table_free(&t);
}

static void print_listeners(cmd_ctx *ctx, json_t *dump, const pc_filter *f, bool with_name)
{
    json_t *ls = all_listeners(dump);
    if (release_minor(ctx->rel) < 8) {
        print_listeners_summary(ctx, ls, f, with_name);
        json_decref(ls);
        return;
    }
    size_t cap = 16, n = 0;
    lrow *rows = calloc(cap, sizeof *rows);
    size_t i;
    json_t *l;
    json_array_foreach(ls, i, l) {
        json_t *sa = json_object_get(json_object_get(l, "address"), "socket_address");
        const char *addr = json_string_value(json_object_get(sa, "address"));
        int port = (int)json_integer_value(json_object_get(sa, "port_value"));
        if (f->address && (!addr || strcmp(addr, f->address))) continue;
        if (f->port_seen && port != f->port) continue;
        size_t c;
        json_t *ch;
        json_array_foreach(json_object_get(l, "filter_chains"), c, ch) {
            if (n == cap) {
                cap *= 2;
                rows = realloc(rows, cap * sizeof *rows);
            }
            lrow *r = &rows[n++];
            snprintf(r->addr, sizeof r->addr, "%s", addr ? addr : "");
            snprintf(r->port, sizeof r->port, "%d", port);
            r->portn = port;
            chain_match(json_object_get(ch, "filter_chain_match"), r->match, sizeof r->match);
            chain_destination(ch, r->dest, sizeof r->dest);
        }
    }
    /* stable order: chains of one listener keep theirs */
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0 && cmp_lrow(&rows[b - 1], &rows[b]) > 0; b--) {
            lrow t = rows[b]; rows[b] = rows[b - 1]; rows[b - 1] = t;
        }
    table t;
    table_init(&t, with_name ? 5 : 4);
    const char *addr_hdr = release_minor(ctx->rel) >= 20 ? "ADDRESSES" : "ADDRESS";
    if (with_name) {
        const char *hdr[] = {"NAME", addr_hdr, "PORT", "MATCH", "DESTINATION"};
        table_add(&t, hdr);
    } else {
        const char *hdr[] = {addr_hdr, "PORT", "MATCH", "DESTINATION"};
        table_add(&t, hdr);
    }
    for (size_t r = 0; r < n; r++) {
        char nm[128];
        snprintf(nm, sizeof nm, "listener/%s_%s", rows[r].addr, rows[r].port);
        if (with_name) {
            const char *row[] = {nm, rows[r].addr, rows[r].port, rows[r].match, rows[r].dest};
            table_add(&t, row);
        } else {
            const char *row[] = {rows[r].addr, rows[r].port, rows[r].match, rows[r].dest};
            table_add(&t, row);
        }
    }
    table_print(&t, ctx->out, 1);
    table_free(&t);
    free(rows);
    json_decref(ls);
}

/* ---- routes ---- */
static json_t *all_routes(json_t *dump)
{
    json_t *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(dump_section(dump, "RoutesConfigDump"), "dynamic_route_configs"), i, e)
        json_array_append(out, json_object_get(e, "route_config"));
    return out;
}

static void route_match_text(json_t *m, char *buf, size_t len)
{
    const char *p;
    if ((p = json_string_value(json_object_get(m, "prefix")))) snprintf(buf, len, "%s*", p);
    else if ((p = json_string_value(json_object_get(m, "path")))) snprintf(buf, len, "%s", p);
    else if ((p = json_string_value(json_object_get(json_object_get(m, "safe_regex"), "regex")))) snprintf(buf, len, "regex %s", p);
    else snprintf(buf, len, "/*");
}

static void route_vs_text(json_t *r, char *buf, size_t len)
{
    const char *cfg = json_string_value(
        json_object_get(json_object_get(json_object_get(json_object_get(r, "metadata"), "filter_metadata"), "istio"), "config"));
    char ns[128], name[200];
    if (cfg && sscanf(cfg, "/apis/networking.istio.io/v1alpha3/namespaces/%127[^/]/virtual-service/%199s", ns, name) == 2)
        snprintf(buf, len, "%s.%s", name, ns);
    else
        buf[0] = 0;
}

static void print_routes(cmd_ctx *ctx, json_t *dump, const pc_filter *f, bool with_name)
{
    json_t *rs = all_routes(dump);
    table t;
    size_t i;
    json_t *rc;
    if (release_minor(ctx->rel) < 8) {
        /* the 1.4-era summary: route configurations and their virtual host counts */
        if (!with_name) fprintf(ctx->out, "NOTE: This output only contains routes loaded via RDS.\n");
        table_init(&t, 2);
        const char *hdr[] = {"NAME", "VIRTUAL HOSTS"};
        table_add(&t, hdr);
        json_array_foreach(rs, i, rc) {
            const char *name = json_string_value(json_object_get(rc, "name"));
            if (f->name && (!name || strcmp(name, f->name))) continue;
            char cnt[32], nm[300];
            snprintf(cnt, sizeof cnt, "%zu", json_array_size(json_object_get(rc, "virtual_hosts")));
            snprintf(nm, sizeof nm, "%s%s", with_name ? "route/" : "", name ? name : "");
            const char *row[] = {nm, cnt};
            table_add(&t, row);
        }
        table_print(&t, ctx->out, 5);
        table_free(&t);
        json_decref(rs);
        return;
    }
    table_init(&t, with_name ? 6 : 5);
    if (with_name) {
        const char *hdr[] = {"NAME", "ROUTE NAME", "VHOST NAME", "DOMAINS", "MATCH", "VIRTUAL SERVICE"};
        table_add(&t, hdr);
    } else {
        const char *hdr[] = {"NAME", "VHOST NAME", "DOMAINS", "MATCH", "VIRTUAL SERVICE"};
        table_add(&t, hdr);
    }
    json_array_foreach(rs, i, rc) {
        const char *name = json_string_value(json_object_get(rc, "name"));
        if (f->name && (!name || strcmp(name, f->name))) continue;
        size_t v;
        json_t *vh;
        json_array_foreach(json_object_get(rc, "virtual_hosts"), v, vh) {
            const char *vname = json_string_value(json_object_get(vh, "name"));
            const char *dom = json_string_value(json_array_get(json_object_get(vh, "domains"), 0));
            json_t *routes = json_object_get(vh, "routes");
            char nm[300];
            snprintf(nm, sizeof nm, "route/%s", name ? name : "");
            if (!json_array_size(routes)) {
                const char *row5[] = {name ? name : "", vname ? vname : "", dom ? dom : "", "/*", "404"};
                const char *row6[] = {nm, name ? name : "", vname ? vname : "", dom ? dom : "", "/*", "404"};
                table_add(&t, with_name ? row6 : row5);
                continue;
            }
            size_t r;
            json_t *rt;
            json_array_foreach(routes, r, rt) {
                const char *cl = json_string_value(json_object_get(json_object_get(rt, "route"), "cluster"));
                if (cl && !strcmp(cl, "PassthroughCluster")) continue;   /* istioctl hides passthrough routes */
                char match[512], vs[400];
                route_match_text(json_object_get(rt, "match"), match, sizeof match);
                route_vs_text(rt, vs, sizeof vs);
                const char *row5[] = {name ? name : "", vname ? vname : "", dom ? dom : "", match, vs};
                const char *row6[] = {nm, name ? name : "", vname ? vname : "", dom ? dom : "", match, vs};
                table_add(&t, with_name ? row6 : row5);
            }
        }
    }
    table_print(&t, ctx->out, 5);
    table_free(&t);
    json_decref(rs);
}

/* ---- endpoints ---- */
typedef struct erow {
    char ep[80], cluster[400];
} erow;

static int cmp_erow(const void *a, const void *b)
{
    const erow *x = a, *y = b;
    int c = strcmp(x->ep, y->ep);
    return c ? c : strcmp(x->cluster, y->cluster);
}

static void print_endpoints(cmd_ctx *ctx, json_t *eps, const pc_filter *f)
{
    size_t n = json_array_size(eps), nr = 0;
    erow *rows = calloc(n + 1, sizeof *rows);
    size_t i;
    json_t *e;
    json_array_foreach(eps, i, e) {
        const char *addr = json_string_value(json_object_get(e, "address"));
        const char *cl = json_string_value(json_object_get(e, "cluster"));
        int port = (int)json_integer_value(json_object_get(e, "port"));
        if (f->address && (!addr || strcmp(addr, f->address))) continue;
        if (f->port_seen && port != f->port) continue;
        if (f->cluster && (!cl || strcmp(cl, f->cluster))) continue;
        if (f->status && strcasecmp(f->status, "healthy")) continue;
        snprintf(rows[nr].ep, sizeof rows[nr].ep, "%s:%d", addr ? addr : "", port);
        snprintf(rows[nr].cluster, sizeof rows[nr].cluster, "%s", cl ? cl : "");
        nr++;
    }
    if (nr > 1) qsort(rows, nr, sizeof *rows, cmp_erow);
    table t;
    table_init(&t, 4);
    const char *hdr[] = {"ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER"};
    table_add(&t, hdr);
    for (size_t r = 0; r < nr; r++) {
        const char *row[] = {rows[r].ep, "HEALTHY", "OK", rows[r].cluster};
        table_add(&t, row);
    }
    table_print(&t, ctx->out, 5);
    table_free(&t);
    free(rows);
}

/* ---- the command ---- */
static void pc_usage(FILE *out)
{
    fprintf(out, "A group of commands used to retrieve information about proxy configuration from the Envoy config dump\n\n"
                 "Usage:\n  istioctl proxy-config [command]\n\nAliases:\n  proxy-config, pc\n\n"
                 "Available Commands:\n"
                 "  all         Retrieves all configuration for the Envoy in the specified pod\n"
                 "  bootstrap   Retrieves bootstrap configuration for the Envoy in the specified pod\n"
                 "  cluster     Retrieves cluster configuration for the Envoy in the specified pod\n"
                 "  endpoint    Retrieves endpoint configuration for the Envoy in the specified pod\n"
                 "  listener    Retrieves listener configuration for the Envoy in the specified pod\n"
                 "  route       Retrieves route configuration for the Envoy in the specified pod\n");
}

static const char *canonical(const char *w)
{
    static const char *const words[][4] = {
        {"cluster", "clusters", "c", NULL}, {"listener", "listeners", "l", NULL}, {"route", "routes", "r", NULL},
        {"endpoint", "endpoints", "ep", NULL}, {"bootstrap", "b", NULL, NULL}, {"all", "a", NULL, NULL},
        {"secret", "secrets", "s", NULL},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        for (int j = 0; j < 4 && words[i][j]; j++)
            if (!strcmp(w, words[i][j])) return words[i][0];
    return NULL;
}

/* POD[.NS] or deploy/NAME[.NS] -> the pod's namespace and name. */
static int resolve_pod(cmd_ctx *ctx, store *st, const char *arg, const char *ns_flag, char *ns, size_t nslen,
                       char *name, size_t namelen)
{
    bool deploy = false;
    if (!strncmp(arg, "deploy/", 7) || !strncmp(arg, "deployment/", 11)) {
        deploy = true;
        arg = strchr(arg, '/') + 1;
    } else if (!strncmp(arg, "pod/", 4)) {
        arg += 4;
    }
    const char *dot = strrchr(arg, '.');
    if (dot) {
        snprintf(name, namelen, "%.*s", (int)(dot - arg), arg);
        snprintf(ns, nslen, "%s", dot + 1);
    } else {
        snprintf(name, namelen, "%s", arg);
        snprintf(ns, nslen, "%s", ns_flag && *ns_flag ? ns_flag : "default");
    }
    if (!deploy) {
        json_t *p = store_get(st, "pods", ns, name);
        if (!p) {
            fprintf(ctx->err, "Error: pods \"%s\" not found\n", name);
            return -1;
        }
        json_decref(p);
        return 0;
    }
    json_t *d = store_get(st, "deployments.apps", ns, name);
    if (!d) {
        fprintf(ctx->err, "Error: deployments.apps \"%s\" not found\n", name);
        return -1;
    }
    json_t *sel = json_object_get(json_object_get(json_object_get(d, "spec"), "selector"), "matchLabels");
    json_t *pods = store_list(st, "pods", ns);
    size_t i;
    json_t *p;
    bool found = false;
    json_array_foreach(pods, i, p) {
        json_t *labels = json_object_get(json_object_get(p, "metadata"), "labels");
        const char *k;
        json_t *v;
        bool ok = json_object_size(sel) > 0;
        json_object_foreach(sel, k, v) {
            json_t *have = json_object_get(labels, k);
            if (!json_is_string(have) || !json_equal(have, v)) ok = false;
        }
        if (ok) {
            snprintf(name, namelen, "%s", json_string_value(json_object_get(json_object_get(p, "metadata"), "name")));
            found = true;
            break;
        }
    }
    json_decref(pods);
    json_decref(d);
    if (!found) {
        fprintf(ctx->err, "Error: no pods found for deployment %s\n", arg);
        return -1;
    }
    return 0;
}

static void print_json_array(cmd_ctx *ctx, json_t *arr)
{
    char *s = json_dumps(arr, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    if (s) {
        fputs(s, ctx->out);
        fputc('\n', ctx->out);
        free(s);
    }
}

int cmd_proxy_config(cmd_ctx *ctx, int argc, char **argv)
{
    if (argc == 0 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        pc_usage(argc ? ctx->out : ctx->err);
        return argc ? 0 : 64;
    }
    const char *what = canonical(argv[0]);
    if (!what) {
        fprintf(ctx->err, "Error: unknown command \"%s\" for \"istioctl proxy-config\"\n", argv[0]);
        return 64;
    }
    pc_filter f = {0};
    const char *ns = NULL, *output = "short", *file = NULL, *istio_ns = NULL;
    bool verbose = true;
    const flag_spec specs[] = {
        {"namespace", 'n', FLAG_STR, &ns, NULL},
        {"output", 'o', FLAG_STR, &output, NULL},
        {"fqdn", 0, FLAG_STR, &f.fqdn, NULL},
        {"port", 0, FLAG_INT, &f.port, &f.port_seen},
        {"subset", 0, FLAG_STR, &f.subset, NULL},
        {"direction", 0, FLAG_STR, &f.direction, NULL},
        {"address", 0, FLAG_STR, &f.address, NULL},
        {"cluster", 0, FLAG_STR, &f.cluster, NULL},
        {"name", 0, FLAG_STR, &f.name, NULL},
        {"status", 0, FLAG_STR, &f.status, NULL},
        {"type", 0, FLAG_STR, &f.type, NULL},
        {"file", 'f', FLAG_STR, &file, NULL},
        {"istioNamespace", 'i', FLAG_STR, &istio_ns, NULL},
        {"verbose", 0, FLAG_BOOL, &verbose, NULL},
        {0},
    };
    flag_result fr;
    char cmdpath[64];
    snprintf(cmdpath, sizeof cmdpath, "istioctl proxy-config %s", what);
    int prc = flags_parse(specs, argc - 1, argv + 1, &fr, cmdpath, ctx->err);
    if (prc) {
        flags_free(&fr);
        return prc < 0 ? 64 : 0;
    }
    int rc = 0;
    if (fr.npos != 1) {
        fprintf(ctx->err, "Error: %s requires pod name or --file parameter\n", what);
        flags_free(&fr);
        return 64;
    }
    if (strcmp(output, "short") && strcmp(output, "json") && strcmp(output, "yaml")) {
        fprintf(ctx->err, "Error: output format \"%s\" not supported\n", output);
        flags_free(&fr);
        return 64;
    }
    if (!strcmp(what, "secret")) {
        fprintf(ctx->err, "Error: proxy-config secret is not supported by meshsim yet\n");
        flags_free(&fr);
        return 1;
    }
    store *st = cmd_store(ctx);
    if (!st) {
        flags_free(&fr);
        return 1;
    }
    char pns[256], pname[256];
    if (resolve_pod(ctx, st, fr.pos[0], ns, pns, sizeof pns, pname, sizeof pname)) {
        flags_free(&fr);
        return cmd_finish(ctx, 1);
    }
    json_t *objects = store_list_all(st);
    mesh *m = mesh_build(objects, ctx->rel);
    const mesh_workload *w = m ? mesh_workload_by_pod(m, pns, pname) : NULL;
    if (!w || (!w->sidecar && !w->gateway)) {
        fprintf(ctx->err, "Error: failed to execute command on %s.%s sidecar: container istio-proxy is not valid for pod %s\n",
                pname, pns, pname);
        rc = 1;
        goto done;
    }
    json_t *dump = mesh_config_dump(m, w);
    bool structured = strcmp(output, "short") != 0;
    if (!strcmp(what, "bootstrap")) {
        json_t *b = json_object_get(dump_section(dump, "BootstrapConfigDump"), "bootstrap");
        if (!strcmp(output, "yaml")) print_yaml(ctx->out, b);
        else print_json_array(ctx, b);
    } else if (!strcmp(what, "endpoint")) {
        json_t *eps = mesh_proxy_endpoints(m, w);
        if (structured) print_json_array(ctx, eps);
        else print_endpoints(ctx, eps, &f);
        json_decref(eps);
    } else if (structured) {
        json_t *sel = !strcmp(what, "cluster") ? sorted_clusters(dump, &f)
                      : !strcmp(what, "listener") ? all_listeners(dump)
                      : !strcmp(what, "route") ? all_routes(dump)
                      : json_incref(dump);
        if (!strcmp(output, "yaml")) print_yaml(ctx->out, sel);
        else print_json_array(ctx, sel);
        json_decref(sel);
    } else if (!strcmp(what, "cluster")) {
        print_clusters(ctx, dump, &f, false);
    } else if (!strcmp(what, "listener")) {
        print_listeners(ctx, dump, &f, false);
    } else if (!strcmp(what, "route")) {
        print_routes(ctx, dump, &f, false);
    } else {   /* all */
        print_clusters(ctx, dump, &f, true);
        fputc('\n', ctx->out);
        print_listeners(ctx, dump, &f, true);
        fputc('\n', ctx->out);
        print_routes(ctx, dump, &f, true);
    }
    json_decref(dump);
done:
    mesh_free(m);
    json_decref(objects);
    flags_free(&fr);
    return cmd_finish(ctx, rc);
}
