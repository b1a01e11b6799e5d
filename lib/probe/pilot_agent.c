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
                fprintf(x->out, "# TYPE %s %s\n", base, strstr(base, "_active") ? "gauge" : "counter");
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

/* /clusters: per cluster with counters, Envoy's "name::host::stat::value" form. */
static void print_clusters(exec_ctx *x, stat_list *l)
{
    for (int i = 0; i < l->n; i++) {
        const char *n = l->s[i].name;
        if (strncmp(n, "cluster.", 8)) continue;
        const char *last = strrchr(n, '.');
        if (!last || last <= n + 8) continue;
        if (strcmp(last + 1, "upstream_cx_total") && strcmp(last + 1, "upstream_rq_total")) continue;
        fprintf(x->out, "%.*s::default_priority::%s::%lld\n", (int)(last - n - 8), n + 8,
                !strcmp(last + 1, "upstream_cx_total") ? "cx_total" : "rq_total", l->s[i].v);
    }
}

static int usage(exec_ctx *x)
{
    fprintf(x->err, "Error: accepts between 2 and 3 arg(s), received %d\n", 0);
    return 1;
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
    const char *method = argv[2], *path = argv[3];
    if (strcasecmp(method, "GET") && strcasecmp(method, "POST")) {
        fprintf(x->err, "Error: method %s not allowed\n", method);
        return 1;
    }
    char p[512];
    snprintf(p, sizeof p, "%s%s", path[0] == '/' ? "" : "/", path);
    char *query = strchr(p, '?');
    if (query) *query++ = 0;

    stat_list l = {0};
    store_stat_each(x->st, x->ns, x->pod_name, collect, &l);
    qsort(l.s, (size_t)l.n, sizeof *l.s, by_name);
    int rc = 0;
    if (!strcmp(p, "/stats") || !strcmp(p, "/stats/prometheus")) {
        print_stats(x, &l, !strcmp(p, "/stats/prometheus") ? "format=prometheus" : query);
    } else if (!strcmp(p, "/clusters")) {
        print_clusters(x, &l);
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
        /* the configuration lives in lib/mesh; point at the real tool for it */
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
        rc = 1;
    }
    for (int i = 0; i < l.n; i++) free(l.s[i].name);
    free(l.s);
    return rc;
}
