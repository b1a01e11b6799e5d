/* `pilot-agent request GET <path>` inside an istio-proxy container: the
 * Envoy admin API on localhost:15000 as the proxy's counters in the store
 * show it (/stats in text, JSON and Prometheus form, /clusters, /listeners,
 * /config_dump, /server_info, /ready). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mesh/mesh.h"
#include "model/obj.h"
#include "probe/admin.h"
#include "probe/probe.h"

typedef struct stat_kv { char *name; long long v; } stat_kv;
typedef struct stat_list { stat_kv *s; int n, cap; } stat_list;

static int collect(void *ctx, const char *name, long long value)
{
    stat_list *l = ctx;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        stat_kv *ns = realloc(l->s, (size_t)cap * sizeof *ns);
        if (!ns) return -1;
        l->s = ns;
        l->cap = cap;
    }
    l->s[l->n++] = (stat_kv){strdup(name), value};
    return 0;
}

static stat_kv *find_stat(stat_list *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->s[i].name, name)) return &l->s[i];
    return NULL;
}

static long long stat_value(stat_list *l, const char *name)
{
    stat_kv *k = find_stat(l, name);
    return k ? k->v : 0;
}

/* Envoy keeps every counter of every cluster it has, used or not: the
 * clusters come from the proxy's configuration (lib/mesh), zeros included. */
static void add_config_stats(exec_ctx *x, stat_list *l, json_t *config)
{
    static const char *const per_cluster[] = {
        "upstream_cx_active", "upstream_cx_connect_fail", "upstream_cx_none_healthy", "upstream_cx_rx_bytes_total",
        "upstream_cx_total", "upstream_cx_tx_bytes_total", "upstream_rq_active", "upstream_rq_pending_total",
        "upstream_rq_retry", "upstream_rq_timeout", "upstream_rq_total", NULL};
    size_t i, j;
    json_t *c, *e;
    int nclusters = 0;
    json_array_foreach(json_object_get(config, "clusters"), i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        if (!name || !*name) continue;
        nclusters++;
        for (int k = 0; per_cluster[k]; k++) {
            char full[640];
            snprintf(full, sizeof full, "cluster.%s%s.%s", name, x->rel->stat_suffix, per_cluster[k]);
            if (!find_stat(l, full)) collect(l, full, 0);
        }
        int members = 0;
        json_array_foreach(json_object_get(config, "endpoints"), j, e) {
            const char *cl = json_string_value(json_object_get(e, "cluster"));
            if (cl && !strcmp(cl, name)) members++;
        }
        char full[640];
        snprintf(full, sizeof full, "cluster.%s%s.membership_total", name, x->rel->stat_suffix);
        if (!find_stat(l, full)) collect(l, full, members);
        snprintf(full, sizeof full, "cluster.%s%s.membership_healthy", name, x->rel->stat_suffix);
        if (!find_stat(l, full)) collect(l, full, members);
    }
    if (!find_stat(l, "cluster_manager.active_clusters")) collect(l, "cluster_manager.active_clusters", nclusters);
    if (!find_stat(l, "listener_manager.total_listeners_active"))
        collect(l, "listener_manager.total_listeners_active", (long long)json_array_size(json_object_get(config, "listeners")));
    if (!find_stat(l, "server.live")) collect(l, "server.live", 1);
    if (!find_stat(l, "server.state")) collect(l, "server.state", 0);
}

/* The proxy's configuration as lib/mesh computes it (NULL if not a proxy). */
static json_t *proxy_config(exec_ctx *x)
{
    json_t *objs = store_list_all(x->st);
    if (!objs) return NULL;
    mesh *m = mesh_build(objs, x->rel);
    json_t *cfg = NULL;
    if (m) {
        const mesh_workload *w = mesh_workload_by_pod(m, x->ns, x->pod_name);
        if (w && (w->sidecar || w->gateway)) cfg = mesh_proxy_config(m, w);
        mesh_free(m);
    }
    json_decref(objs);
    return cfg;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const stat_kv *)a)->name, ((const stat_kv *)b)->name);
}

/* Istio's metrics are kept as Prometheus names ("istio_requests_total{...}");
 * Envoy's own are dotted names. */
static bool is_prom(const char *name) { return strchr(name, '{') != NULL; }

/* Envoy's Prometheus form of a dotted stat: envoy_ prefix, cluster name as a
 * label, other separators as underscores. */
static void prom_name(const char *name, char *out, size_t len)
{
    const char *stat = name;
    char label[512] = "";
    if (!strncmp(name, "cluster.", 8)) {
        const char *last = strrchr(name, '.');
        if (last && last > name + 8) {
            snprintf(label, sizeof label, "{envoy_cluster_name=\"%.*s\"}", (int)(last - name - 8), name + 8);
            static __thread char tmp[512];
            snprintf(tmp, sizeof tmp, "cluster.%s", last + 1);
            stat = tmp;
        }
    }
    size_t k = (size_t)snprintf(out, len, "envoy_");
    for (const char *p = stat; *p && k + 1 < len; p++) out[k++] = (*p == '.' || *p == '-' || *p == '|' || *p == ';') ? '_' : *p;
    out[k] = 0;
    if (*label && k + strlen(label) + 1 < len) strcat(out, label);
}

static void print_stats(exec_ctx *x, stat_list *l, const char *query)
{
    const char *fmt = query && strstr(query, "format=json") ? "json"
                    : query && strstr(query, "format=prometheus") ? "prometheus" : "text";
    const char *filter = query ? strstr(query, "filter=") : NULL;
    char flt[256] = "";
    if (filter) {
        snprintf(flt, sizeof flt, "%s", filter + 7);
        char *amp = strchr(flt, '&');
        if (amp) *amp = 0;
    }
    bool usedonly = query && strstr(query, "usedonly");
    if (!strcmp(fmt, "json")) {
        json_t *arr = json_array();
        for (int i = 0; i < l->n; i++) {
            if (is_prom(l->s[i].name) || (*flt && !strstr(l->s[i].name, flt))) continue;
            if (usedonly && !l->s[i].v) continue;
            json_array_append_new(arr, json_pack("{s:s,s:I}", "name", l->s[i].name, "value", (json_int_t)l->s[i].v));
        }
        json_t *root = json_pack("{s:o}", "stats", arr);
        char *s = json_dumps(root, JSON_INDENT(1));
        fprintf(x->out, "%s\n", s ? s : "{}");
        free(s);
        json_decref(root);
        return;
    }
    if (!strcmp(fmt, "prometheus")) {
        char last[1024] = "";
        for (int i = 0; i < l->n; i++) {
            char name[1024];
            if (is_prom(l->s[i].name)) snprintf(name, sizeof name, "%s", l->s[i].name);
            else prom_name(l->s[i].name, name, sizeof name);
            char base[1024];
            snprintf(base, sizeof base, "%s", name);
            char *brace = strchr(base, '{');
            if (brace) *brace = 0;
            if (strcmp(base, last)) {
                bool gauge = strstr(base, "_active") || strstr(base, "membership_") || strstr(base, "server_live") ||
                             strstr(base, "server_state") || strstr(base, "active_clusters");
                fprintf(x->out, "# TYPE %s %s\n", base, gauge ? "gauge" : "counter");
                snprintf(last, sizeof last, "%s", base);
            }
            fprintf(x->out, "%s %lld\n", name, l->s[i].v);
        }
        return;
    }
    for (int i = 0; i < l->n; i++) {
        if (is_prom(l->s[i].name)) continue;
        if (*flt && !strstr(l->s[i].name, flt)) continue;
        if (usedonly && !l->s[i].v) continue;
        fprintf(x->out, "%s: %lld\n", l->s[i].name, l->s[i].v);
    }
}

/* /clusters: Envoy's admin text, "cluster::host::stat::value" per host. The
 * counters are kept per cluster; its first endpoint carries them. */
static void print_clusters(exec_ctx *x, stat_list *l, json_t *config)
{
    size_t i, j;
    json_t *c, *e;
    json_array_foreach(json_object_get(config, "clusters"), i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        if (!name || !*name) continue;
        char base[600];
        snprintf(base, sizeof base, "cluster.%s%s.", name, x->rel->stat_suffix);
        fprintf(x->out, "%s::observability_name::%s%s\n", name, name, x->rel->stat_suffix);
        fprintf(x->out, "%s::default_priority::max_connections::4294967295\n", name);
        fprintf(x->out, "%s::default_priority::max_pending_requests::4294967295\n", name);
        fprintf(x->out, "%s::default_priority::max_requests::4294967295\n", name);
        fprintf(x->out, "%s::default_priority::max_retries::4294967295\n", name);
        fprintf(x->out, "%s::added_via_api::true\n", name);
        bool first = true;
        json_array_foreach(json_object_get(config, "endpoints"), j, e) {
            const char *cl = json_string_value(json_object_get(e, "cluster"));
            const char *ep = json_string_value(json_object_get(e, "endpoint"));
            if (!cl || !ep || strcmp(cl, name)) continue;
            char k[700];
            long long cx = 0, rq = 0, fail = 0, ok = 0, to = 0;
            if (first) {
                snprintf(k, sizeof k, "%supstream_cx_total", base); cx = stat_value(l, k);
                snprintf(k, sizeof k, "%supstream_rq_total", base); rq = stat_value(l, k);
                snprintf(k, sizeof k, "%supstream_cx_connect_fail", base); fail = stat_value(l, k);
                snprintf(k, sizeof k, "%supstream_rq_timeout", base); to = stat_value(l, k);
                snprintf(k, sizeof k, "%supstream_rq_2xx", base); ok = stat_value(l, k);
                snprintf(k, sizeof k, "%supstream_rq_3xx", base); ok += stat_value(l, k);
            }
            first = false;
            fprintf(x->out, "%s::%s::cx_active::0\n%s::%s::cx_connect_fail::%lld\n%s::%s::cx_total::%lld\n"
                            "%s::%s::rq_active::0\n%s::%s::rq_error::%lld\n%s::%s::rq_success::%lld\n"
                            "%s::%s::rq_timeout::%lld\n%s::%s::rq_total::%lld\n%s::%s::hostname::\n"
                            "%s::%s::health_flags::healthy\n%s::%s::weight::1\n%s::%s::region::\n%s::%s::zone::\n"
                            "%s::%s::sub_zone::\n%s::%s::canary::false\n%s::%s::priority::0\n"
                            "%s::%s::success_rate::-1.0\n%s::%s::local_origin_success_rate::-1.0\n",
                    name, ep, name, ep, fail, name, ep, cx, name, ep, name, ep, rq - ok > 0 ? rq - ok : 0,
                    name, ep, ok, name, ep, to, name, ep, rq, name, ep, name, ep, name, ep, name, ep, name, ep,
                    name, ep, name, ep, name, ep, name, ep, name, ep);
        }
    }
}

static int usage(exec_ctx *x)
{
    fprintf(x->err, "Error: accepts between 2 and 3 arg(s), received %d\n", 0);
    return 1;
}

/* The Envoy admin API of the exec's pod: path (with its query) -> body on
 * out; returns the HTTP status. */
int envoy_admin(exec_ctx *x, const char *path, FILE *out)
{
    exec_ctx ax = *x;
    ax.out = out;
    x = &ax;
    char p[512];
    snprintf(p, sizeof p, "%s%s", path[0] == '/' ? "" : "/", path);
    char *query = strchr(p, '?');
    if (query) *query++ = 0;

    stat_list l = {0};
    store_stat_each(x->st, x->ns, x->pod_name, collect, &l);
    json_t *config = proxy_config(x);
    if (config) add_config_stats(x, &l, config);
    qsort(l.s, (size_t)l.n, sizeof *l.s, by_name);
    int status = 200;
    if (!strcmp(p, "/stats") || !strcmp(p, "/stats/prometheus")) {
        print_stats(x, &l, !strcmp(p, "/stats/prometheus") ? "format=prometheus" : query);
    } else if (!strcmp(p, "/clusters")) {
        print_clusters(x, &l, config);
    } else if (!strcmp(p, "/ready")) {
        fprintf(x->out, "LIVE\n");
    } else if (!strcmp(p, "/server_info")) {
        json_t *info = json_pack("{s:s,s:s,s:s}", "version", x->rel->proxy_image ? x->rel->proxy_image : "",
                                 "state", "LIVE", "hot_restart_version", "11.104");
        char *s = json_dumps(info, JSON_INDENT(1));
        fprintf(x->out, "%s\n", s ? s : "{}");
        free(s);
        json_decref(info);
    } else if (!strcmp(p, "/listeners") || !strcmp(p, "/config_dump")) {
        /* the configuration itself is istioctl proxy-config's (lib/mesh) */
        fprintf(x->out, "{}\n");
    } else {
        /* Envoy's admin answers unknown paths with its help page and 404 */
        fprintf(x->out, "invalid path. admin commands are:\n"
                        "  /clusters: upstream cluster status\n"
                        "  /config_dump: dump current Envoy configs (experimental)\n"
                        "  /listeners: print listener info\n"
                        "  /ready: print server state, return 200 if LIVE, otherwise return 503\n"
                        "  /server_info: print server version/status information\n"
                        "  /stats: print server stats\n"
                        "  /stats/prometheus: print server stats in prometheus format\n");
        status = 404;
    }
    for (int i = 0; i < l.n; i++) free(l.s[i].name);
    free(l.s);
    json_decref(config);
    return status;
}

int probe_pilot_agent_main(exec_ctx *x, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "request")) {
        if (argc >= 2) fprintf(x->err, "Error: unknown command \"%s\" for \"pilot-agent\"\n", argv[1]);
        else fprintf(x->err, "Istio Pilot agent runs in the sidecar or gateway container and bootstraps Envoy.\n");
        fprintf(x->err, "Run 'pilot-agent --help' for usage.\n");
        return 1;
    }
    if (argc < 4 || argc > 5) {
        if (argc < 4) {
            fprintf(x->err, "Error: accepts between 2 and 3 arg(s), received %d\n", argc - 2);
            return 1;
        }
        return usage(x);
    }
    const char *method = argv[2];
    if (strcasecmp(method, "GET") && strcasecmp(method, "POST")) {
        fprintf(x->err, "Error: method %s not allowed\n", method);
        return 1;
    }
    return envoy_admin(x, argv[3], x->out) == 200 ? 0 : 1;
}
