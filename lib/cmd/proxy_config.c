/* istioctl proxy-config (pc): a proxy's clusters, listeners, routes,
 * endpoints and bootstrap, from the configuration the mesh model gives it
 * (mesh_proxy_config, the same model mesh_route decides with), printed with
 * istioctl's tables or, with -o json|yaml, in the shape of Envoy's config dump. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cmd/commands.h"
#include "model/base64.h"
#include "cmd/flags.h"
#include "mesh/mesh.h"
#include "model/printer.h"
#include "pki/pki.h"
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

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

/* ---- clusters ---- */
static const char *str_or(json_t *o, const char *k, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s && *s ? s : dflt;
}

/* istioctl's order (writer/envoy/clusters): FQDN (name for special
 * clusters), subset, port, direction. */
static int cmp_cluster(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    const char *fx = str_or(x, "fqdn", str_or(x, "name", "")), *fy = str_or(y, "fqdn", str_or(y, "name", ""));
    int c = strcmp(fx, fy);
    if (c) return c;
    if ((c = strcmp(str_or(x, "subset", ""), str_or(y, "subset", "")))) return c;
    json_int_t px = json_integer_value(json_object_get(x, "port")), py = json_integer_value(json_object_get(y, "port"));
    if (px != py) return px < py ? -1 : 1;
    return strcmp(str_or(x, "direction", ""), str_or(y, "direction", ""));
}

/* The filtered clusters of the proxy's configuration, in istioctl's order. */
static json_t *select_clusters(json_t *pcfg, const pc_filter *f)
{
    json_t *all = json_object_get(pcfg, "clusters");
    size_t n = json_array_size(all), nr = 0;
    json_t **v = calloc(n + 1, sizeof *v);
    size_t i;
    json_t *c;
    json_array_foreach(all, i, c) {
        const char *fqdn = str_or(c, "fqdn", "");
        if (f->fqdn && !strstr(*fqdn ? fqdn : str_or(c, "name", ""), f->fqdn)) continue;
        if (f->port_seen && json_integer_value(json_object_get(c, "port")) != f->port) continue;
        if (f->subset && strcmp(str_or(c, "subset", ""), f->subset)) continue;
        if (f->direction && strcmp(str_or(c, "direction", ""), f->direction)) continue;
        v[nr++] = c;
    }
    if (nr > 1) qsort(v, nr, sizeof *v, cmp_cluster);
    json_t *out = json_array();
    for (size_t k = 0; k < nr; k++) json_array_append(out, v[k]);
    free(v);
    return out;
}

static void print_clusters(cmd_ctx *ctx, json_t *pcfg, const pc_filter *f, bool with_name)
{
    json_t *cl = select_clusters(pcfg, f);
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
    size_t i;
    json_t *c;
    json_array_foreach(cl, i, c) {
        char nm[600], port[16];
        const char *name = str_or(c, "name", "");
        snprintf(nm, sizeof nm, "cluster/%s", name);
        json_int_t pn = json_integer_value(json_object_get(c, "port"));
        bool special = !*str_or(c, "fqdn", "") && !*str_or(c, "direction", "");
        if (special) snprintf(port, sizeof port, "-");
        else snprintf(port, sizeof port, "%lld", (long long)pn);
        const char *row[7];
        size_t k = 0;
        if (with_name) row[k++] = nm;
        row[k++] = special ? name : str_or(c, "fqdn", "");
        row[k++] = port;
        row[k++] = str_or(c, "subset", "-");
        row[k++] = str_or(c, "direction", "-");
        row[k++] = str_or(c, "type", "-");
        if (dr_col) row[k++] = str_or(c, "destination_rule", "-");
        table_add(&t, row);
    }
    table_print(&t, ctx->out, 5);
    table_free(&t);
    json_decref(cl);
}

/* "name.namespace" -> Istio's config path in the cluster/route metadata. */
static json_t *istio_metadata(const char *kind, const char *name_ns)
{
    const char *dot = strrchr(name_ns, '.');
    if (!dot) return NULL;
    char path[700];
    snprintf(path, sizeof path, "/apis/networking.istio.io/v1alpha3/namespaces/%s/%s/%.*s", dot + 1, kind,
             (int)(dot - name_ns), name_ns);
    return json_pack("{s:{s:{s:s}}}", "filterMetadata", "istio", "config", path);
}

/* The clusters as Envoy's config dump writes them. */
static json_t *envoy_clusters(json_t *cl)
{
    json_t *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(cl, i, c) {
        const char *name = str_or(c, "name", ""), *type = str_or(c, "type", "STATIC");
        json_t *e = json_pack("{s:s,s:s,s:s}", "name", name, "type", type, "connectTimeout", "10s");
        if (!strcmp(type, "EDS"))
            json_object_set_new(e, "edsClusterConfig", json_pack("{s:{s:{},s:s},s:s}", "edsConfig", "ads",
                                                                  "resourceApiVersion", "V3", "serviceName", name));
        const char *dr = str_or(c, "destination_rule", "");
        json_t *md = *dr ? istio_metadata("destination-rule", dr) : NULL;
        if (md) json_object_set_new(e, "metadata", md);
        json_array_append_new(out, e);
    }
    return out;
}

/* ---- listeners ---- */
static bool listener_passes(json_t *l, const pc_filter *f)
{
    if (f->address && strcmp(str_or(l, "address", ""), f->address)) return false;
    if (f->port_seen && json_integer_value(json_object_get(l, "port")) != f->port) return false;
    return true;
}

/* Before 1.8 istioctl printed one row per listener: ADDRESS PORT TYPE. */
static void print_listeners_summary(cmd_ctx *ctx, json_t *ls, const pc_filter *f, bool with_name)
{
    table t;
    table_init(&t, with_name ? 4 : 3);
    const char *hdr[] = {"NAME", "ADDRESS", "PORT", "TYPE"};
    table_add(&t, with_name ? hdr : hdr + 1);
    json_t *seen = json_object();
    size_t i;
    json_t *l;
    json_array_foreach(ls, i, l) {
        if (!listener_passes(l, f)) continue;
        const char *addr = str_or(l, "address", "");
        long long port = json_integer_value(json_object_get(l, "port"));
        char key[128];
        snprintf(key, sizeof key, "%s_%lld", addr, port);
        if (json_object_get(seen, key)) continue;
        json_object_set_new(seen, key, json_true());
        bool http = false;
        size_t j;
        json_t *o;
        json_array_foreach(ls, j, o)
            if (!strcmp(str_or(o, "address", ""), addr) && json_integer_value(json_object_get(o, "port")) == port &&
                !strncmp(str_or(o, "destination", ""), "Route:", 6))
                http = true;
        if (f->type && strcasecmp(f->type, http ? "HTTP" : "TCP")) continue;
        char ps[16], nm[160];
        snprintf(ps, sizeof ps, "%lld", port);
        snprintf(nm, sizeof nm, "listener/%s", key);
        const char *row[] = {nm, addr, ps, http ? "HTTP" : "TCP"};
        table_add(&t, with_name ? row : row + 1);
    }
    json_decref(seen);
    table_print(&t, ctx->out, 1);
    table_free(&t);
}

static void print_listeners(cmd_ctx *ctx, json_t *pcfg, const pc_filter *f, bool with_name)
{
    json_t *ls = json_object_get(pcfg, "listeners");
    if (release_minor(ctx->rel) < 8) {
        print_listeners_summary(ctx, ls, f, with_name);
        return;
    }
    table t;
    table_init(&t, with_name ? 5 : 4);
    const char *addr_hdr = release_minor(ctx->rel) >= 20 ? "ADDRESSES" : "ADDRESS";
    const char *hdr[] = {"NAME", addr_hdr, "PORT", "MATCH", "DESTINATION"};
    table_add(&t, with_name ? hdr : hdr + 1);
    size_t i;
    json_t *l;
    json_array_foreach(ls, i, l) {
        if (!listener_passes(l, f)) continue;
        char ps[16], nm[160];
        snprintf(ps, sizeof ps, "%lld", (long long)json_integer_value(json_object_get(l, "port")));
        snprintf(nm, sizeof nm, "listener/%s_%s", str_or(l, "address", ""), ps);
        const char *row[] = {nm, str_or(l, "address", ""), ps, str_or(l, "match", "ALL"), str_or(l, "destination", "")};
        table_add(&t, with_name ? row : row + 1);
    }
    table_print(&t, ctx->out, 1);
    table_free(&t);
}

/* One Envoy filter chain from istioctl's MATCH / DESTINATION texts. */
static json_t *envoy_chain(json_t *l)
{
    json_t *ch = json_object();
    const char *match = str_or(l, "match", "ALL"), *dest = str_or(l, "destination", "");
    if (!strncmp(match, "SNI: ", 5)) {
        json_t *names = json_array();
        char *copy = strdup(match + 5), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            json_array_append_new(names, json_string(t));
        free(copy);
        json_object_set_new(ch, "filterChainMatch", json_pack("{s:o}", "serverNames", names));
    }
    if (!strncmp(dest, "Route: ", 7))
        json_object_set_new(ch, "filters",
                            json_pack("[{s:s,s:{s:s,s:{s:s}}}]", "name", "envoy.filters.network.http_connection_manager",
                                      "typedConfig", "@type",
                                      "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                                      "rds", "routeConfigName", dest + 7));
    else
        json_object_set_new(ch, "filters",
                            json_pack("[{s:s,s:{s:s,s:s}}]", "name", "envoy.filters.network.tcp_proxy", "typedConfig",
                                      "@type", "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                                      "cluster", !strncmp(dest, "Cluster: ", 9) ? dest + 9 : dest));
    return ch;
}

static json_t *envoy_listeners(json_t *pcfg, const pc_filter *f)
{
    json_t *out = json_array(), *byname = json_object();
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(pcfg, "listeners"), i, l) {
        if (!listener_passes(l, f)) continue;
        char key[160];
        snprintf(key, sizeof key, "%s_%lld", str_or(l, "address", ""), (long long)json_integer_value(json_object_get(l, "port")));
        json_t *e = json_object_get(byname, key);
        if (!e) {
            const char *name = str_or(l, "name", key);
            e = json_pack("{s:s,s:{s:{s:s,s:I}},s:[]}", "name", name, "address", "socketAddress", "address",
                          str_or(l, "address", ""), "portValue", json_integer_value(json_object_get(l, "port")),
                          "filterChains");
            json_object_set_new(byname, key, e);
            json_array_append(out, e);
        }
        json_array_append_new(json_object_get(e, "filterChains"), envoy_chain(l));
    }
    json_decref(byname);
    return out;
}

/* ---- routes ---- */
static void print_routes(cmd_ctx *ctx, json_t *pcfg, const pc_filter *f, bool with_name, bool sidecar)
{
    json_t *rs = json_object_get(pcfg, "routes");
    table t;
    size_t i;
    json_t *r;
    if (release_minor(ctx->rel) < 8) {
        /* the 1.4-era summary: route configurations and their virtual host counts
         * (sidecar route configurations also hold the catch-all virtual host) */
        if (!with_name) fprintf(ctx->out, "NOTE: This output only contains routes loaded via RDS.\n");
        table_init(&t, 2);
        const char *hdr[] = {"NAME", "VIRTUAL HOSTS"};
        table_add(&t, hdr);
        json_t *order = json_array(), *vhosts = json_object();
        json_array_foreach(rs, i, r) {
            const char *name = str_or(r, "name", "");
            if (f->name && strcmp(name, f->name)) continue;
            json_t *set = json_object_get(vhosts, name);
            if (!set) {
                set = json_object();
                json_object_set_new(vhosts, name, set);
                json_array_append_new(order, json_string(name));
            }
            json_object_set_new(set, str_or(r, "vhost", ""), json_true());
        }
        json_array_foreach(order, i, r) {
            const char *name = json_string_value(r);
            char cnt[32], nm[300];
            snprintf(cnt, sizeof cnt, "%zu", json_object_size(json_object_get(vhosts, name)) + (sidecar ? 1 : 0));
            snprintf(nm, sizeof nm, "%s%s", with_name ? "route/" : "", name);
            const char *row[] = {nm, cnt};
            table_add(&t, row);
        }
        json_decref(order);
        json_decref(vhosts);
        table_print(&t, ctx->out, 5);
        table_free(&t);
        return;
    }
    table_init(&t, with_name ? 6 : 5);
    const char *hdr[] = {"NAME", "ROUTE NAME", "VHOST NAME", "DOMAINS", "MATCH", "VIRTUAL SERVICE"};
    const char *hdr5[] = {"NAME", "VHOST NAME", "DOMAINS", "MATCH", "VIRTUAL SERVICE"};
    table_add(&t, with_name ? hdr : hdr5);
    json_array_foreach(rs, i, r) {
        const char *name = str_or(r, "name", "");
        if (f->name && strcmp(name, f->name)) continue;
        char nm[300];
        snprintf(nm, sizeof nm, "route/%s", name);
        const char *dom = json_string_value(json_array_get(json_object_get(r, "domains"), 0));
        const char *row[] = {nm, name, str_or(r, "vhost", ""), dom ? dom : "", str_or(r, "match", "/*"),
                             str_or(r, "virtual_service", "")};
        table_add(&t, with_name ? row : row + 1);
    }
    table_print(&t, ctx->out, 5);
    table_free(&t);
}

static json_t *route_match_obj(const char *m)
{
    size_t n = strlen(m);
    if (!strncmp(m, "regex ", 6)) return json_pack("{s:{s:s}}", "safeRegex", "regex", m + 6);
    if (n && m[n - 1] == '*') {
        char p[600];
        snprintf(p, sizeof p, "%.*s", (int)(n - 1), m);
        return json_pack("{s:s}", "prefix", p);
    }
    return json_pack("{s:s}", "path", m);
}

static json_t *envoy_routes(json_t *pcfg, const pc_filter *f)
{
    json_t *out = json_array(), *cfgs = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(pcfg, "routes"), i, r) {
        const char *name = str_or(r, "name", "");
        if (f->name && strcmp(name, f->name)) continue;
        json_t *cfg = json_object_get(cfgs, name);
        if (!cfg) {
            cfg = json_pack("{s:s,s:[]}", "name", name, "virtualHosts");
            json_object_set_new(cfgs, name, cfg);
            json_array_append(out, cfg);
        }
        json_t *vhs = json_object_get(cfg, "virtualHosts"), *vh = NULL;
        size_t k;
        json_t *v;
        json_array_foreach(vhs, k, v)
            if (!strcmp(str_or(v, "name", ""), str_or(r, "vhost", ""))) vh = v;
        if (!vh) {
            vh = json_pack("{s:s,s:O,s:[]}", "name", str_or(r, "vhost", ""), "domains",
                           json_object_get(r, "domains") ? json_object_get(r, "domains") : json_array(), "routes");
            json_array_append_new(vhs, vh);
        }
        const char *vs = str_or(r, "virtual_service", "");
        if (!strcmp(vs, "404")) continue;   /* an empty virtual host: Envoy answers 404 */
        json_t *route = json_pack("{s:o}", "match", route_match_obj(str_or(r, "match", "/*")));
        json_t *md = *vs ? istio_metadata("virtual-service", vs) : NULL;
        if (md) json_object_set_new(route, "metadata", md);
        json_array_append_new(json_object_get(vh, "routes"), route);
    }
    json_decref(cfgs);
    return out;
}

/* ---- endpoints ---- */
static bool endpoint_passes(json_t *e, const pc_filter *f)
{
    const char *ep = str_or(e, "endpoint", "");
    const char *colon = strrchr(ep, ':');
    if (f->address && (!colon || strncmp(ep, f->address, (size_t)(colon - ep)) || strlen(f->address) != (size_t)(colon - ep)))
        return false;
    if (f->port_seen && (!colon || atol(colon + 1) != f->port)) return false;
    if (f->cluster && strcmp(str_or(e, "cluster", ""), f->cluster)) return false;
    if (f->status && strcasecmp(str_or(e, "status", ""), f->status)) return false;
    return true;
}

static void print_endpoints(cmd_ctx *ctx, json_t *pcfg, const pc_filter *f)
{
    table t;
    table_init(&t, 4);
    const char *hdr[] = {"ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER"};
    table_add(&t, hdr);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(pcfg, "endpoints"), i, e) {
        if (!endpoint_passes(e, f)) continue;
        const char *row[] = {str_or(e, "endpoint", ""), str_or(e, "status", "HEALTHY"), str_or(e, "outlier_check", "OK"),
                             str_or(e, "cluster", "")};
        table_add(&t, row);
    }
    table_print(&t, ctx->out, 5);
    table_free(&t);
}

/* Envoy's /clusters?format=json shape. */
static json_t *envoy_endpoints(json_t *pcfg, const pc_filter *f)
{
    json_t *out = json_array(), *by = json_object();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(pcfg, "endpoints"), i, e) {
        if (!endpoint_passes(e, f)) continue;
        const char *cl = str_or(e, "cluster", "");
        json_t *cs = json_object_get(by, cl);
        if (!cs) {
            cs = json_pack("{s:s,s:[]}", "name", cl, "hostStatuses");
            json_object_set_new(by, cl, cs);
            json_array_append(out, cs);
        }
        char ip[64];
        const char *ep = str_or(e, "endpoint", "");
        const char *colon = strrchr(ep, ':');
        snprintf(ip, sizeof ip, "%.*s", colon ? (int)(colon - ep) : (int)strlen(ep), ep);
        json_array_append_new(json_object_get(cs, "hostStatuses"),
                              json_pack("{s:{s:{s:s,s:i}},s:{s:s}}", "address", "socketAddress", "address", ip, "portValue",
                                        colon ? atoi(colon + 1) : 0, "healthStatus", "edsHealthStatus",
                                        str_or(e, "status", "HEALTHY")));
    }
    json_decref(by);
    return json_pack("{s:o}", "clusterStatuses", out);
}

static void print_json_array(cmd_ctx *ctx, json_t *arr);

/* ---- secrets: the workload certificate and the mesh root ---- */
typedef struct cert_info {
    char serial[128], not_after[32], not_before[32];
    bool valid;
} cert_info;

static bool cert_read(const char *pem, cert_info *ci)
{
    memset(ci, 0, sizeof *ci);
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!x) return false;
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *dec = bn ? BN_bn2dec(bn) : NULL;
    snprintf(ci->serial, sizeof ci->serial, "%s", dec ? dec : "");
    OPENSSL_free(dec);
    BN_free(bn);
    struct tm tm;
    if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm)) strftime(ci->not_after, sizeof ci->not_after, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm)) strftime(ci->not_before, sizeof ci->not_before, "%Y-%m-%dT%H:%M:%SZ", &tm);
    ci->valid = X509_cmp_current_time(X509_get0_notAfter(x)) > 0 && X509_cmp_current_time(X509_get0_notBefore(x)) < 0;
    X509_free(x);
    return true;
}

static int print_secrets(cmd_ctx *ctx, store *st, const mesh_workload *w, const char *output)
{
    char *chain = NULL, *root = NULL;
    if (pki_workload_pem(st, w->ns, w->service_account ? w->service_account : "default", &chain, NULL, &root) || !chain ||
        !root) {
        free(chain);
        free(root);
        fprintf(ctx->err, "Error: unable to retrieve the certificates of %s.%s\n", w->name, w->ns);
        return 1;
    }
    if (strcmp(output, "short")) {
        char *cb = base64_encode(chain, strlen(chain)), *rb = base64_encode(root, strlen(root));
        json_t *doc = json_pack("{s:[{s:s,s:{s:s,s:{s:{s:s},s:{s:s}}}},{s:s,s:{s:s,s:{s:{s:s}}}}]}",
                                "dynamicActiveSecrets", "name", "default", "secret", "name", "default",
                                "tlsCertificate", "certificateChain", "inlineBytes", cb ? cb : "", "privateKey",
                                "inlineBytes", "W3JlZGFjdGVkXQ==", "name", "ROOTCA", "secret", "name", "ROOTCA",
                                "validationContext", "trustedCa", "inlineBytes", rb ? rb : "");
        if (!strcmp(output, "yaml")) print_yaml(ctx->out, doc);
        else print_json_array(ctx, doc);
        json_decref(doc);
        free(cb);
        free(rb);
    } else {
        table t;
        table_init(&t, 7);
        const char *hdr[] = {"RESOURCE NAME", "TYPE", "STATUS", "VALID CERT", "SERIAL NUMBER", "NOT AFTER", "NOT BEFORE"};
        table_add(&t, hdr);
        cert_info ci;
        if (cert_read(chain, &ci)) {
            const char *row[] = {"default", "Cert Chain", "ACTIVE", ci.valid ? "true" : "false", ci.serial, ci.not_after, ci.not_before};
            table_add(&t, row);
        }
        if (cert_read(root, &ci)) {
            const char *row[] = {"ROOTCA", "CA", "ACTIVE", ci.valid ? "true" : "false", ci.serial, ci.not_after, ci.not_before};
            table_add(&t, row);
        }
        table_print(&t, ctx->out, 5);
        table_free(&t);
    }
    free(chain);
    free(root);
    return 0;
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
                 "  route       Retrieves route configuration for the Envoy in the specified pod\n"
                 "  secret      Retrieves secret configuration for the Envoy in the specified pod\n");
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
        snprintf(ns, nslen, "%s", ns_flag && *ns_flag ? ns_flag : cmd_default_namespace(ctx));
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
    if (prc > 0)
        fprintf(ctx->out, "Retrieve information about %s configuration for the Envoy instance in the specified pod.\n\n"
                          "Usage:\n  istioctl proxy-config %s [<type>/]<name>[.<namespace>] [flags]\n\n"
                          "Flags:\n  -n, --namespace string   Config namespace\n"
                          "  -o, --output string      Output format: one of json|yaml|short (default \"short\")\n",
                what, what);
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
    if (!strcmp(what, "secret")) {
        rc = print_secrets(ctx, st, w, output);
        goto done;
    }
    json_t *pcfg = mesh_proxy_config(m, w);
    bool structured = strcmp(output, "short") != 0;
    json_t *sel = NULL;
    if (!strcmp(what, "bootstrap")) {
        char node[700];
        snprintf(node, sizeof node, "%s~%s~%s.%s~%s.svc.cluster.local", w->gateway ? "router" : "sidecar",
                 w->ip ? w->ip : "", w->name, w->ns, w->ns);
        sel = json_pack("{s:{s:{s:s,s:s,s:{s:s,s:s,s:s}}}}", "bootstrap", "node", "id", node, "cluster",
                        w->name, "metadata", "NAMESPACE", w->ns, "ISTIO_VERSION", ctx->rel && ctx->rel->tag ? ctx->rel->tag : "",
                        "POD_NAME", w->name);
        structured = true;
    } else if (structured) {
        if (!strcmp(what, "cluster")) {
            json_t *cl = select_clusters(pcfg, &f);
            sel = envoy_clusters(cl);
            json_decref(cl);
        } else if (!strcmp(what, "listener")) sel = envoy_listeners(pcfg, &f);
        else if (!strcmp(what, "route")) sel = envoy_routes(pcfg, &f);
        else if (!strcmp(what, "endpoint")) sel = envoy_endpoints(pcfg, &f);
        else {
            /* all: Envoy's /config_dump, each section typed as Envoy types it */
            json_t *cl = select_clusters(pcfg, &f), *dc = json_array(), *dl = json_array(), *dr = json_array();
            json_t *ec = envoy_clusters(cl), *el = envoy_listeners(pcfg, &f), *er = envoy_routes(pcfg, &f);
            size_t k;
            json_t *x;
            json_array_foreach(ec, k, x) json_array_append_new(dc, json_pack("{s:O}", "cluster", x));
            json_array_foreach(el, k, x)
                json_array_append_new(dl, json_pack("{s:O,s:{s:O}}", "name", json_object_get(x, "name"), "activeState",
                                                    "listener", x));
            json_array_foreach(er, k, x) json_array_append_new(dr, json_pack("{s:O}", "routeConfig", x));
            sel = json_pack("{s:[{s:s,s:o},{s:s,s:o},{s:s,s:o}]}", "configs",
                            "@type", "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "dynamicActiveClusters", dc,
                            "@type", "type.googleapis.com/envoy.admin.v3.ListenersConfigDump", "dynamicListeners", dl,
                            "@type", "type.googleapis.com/envoy.admin.v3.RoutesConfigDump", "dynamicRouteConfigs", dr);
            json_decref(ec);
            json_decref(el);
            json_decref(er);
            json_decref(cl);
        }
    }
    if (sel) {
        if (!strcmp(output, "yaml")) print_yaml(ctx->out, sel);
        else print_json_array(ctx, sel);
        json_decref(sel);
    } else if (!strcmp(what, "cluster")) {
        print_clusters(ctx, pcfg, &f, false);
    } else if (!strcmp(what, "listener")) {
        print_listeners(ctx, pcfg, &f, false);
    } else if (!strcmp(what, "route")) {
        print_routes(ctx, pcfg, &f, false, w->sidecar);
    } else if (!strcmp(what, "endpoint")) {
        print_endpoints(ctx, pcfg, &f);
    } else {   /* all */
        print_clusters(ctx, pcfg, &f, true);
        fputc('\n', ctx->out);
        print_listeners(ctx, pcfg, &f, true);
        fputc('\n', ctx->out);
        print_routes(ctx, pcfg, &f, true, w->sidecar);
    }
    json_decref(pcfg);
done:
    mesh_free(m);
    json_decref(objects);
    flags_free(&fr);
    return cmd_finish(ctx, rc);
}
