/* Envoy counters per proxy, named as Envoy names them (cluster_stats.rst,
 * listener and HTTP connection manager statistics), plus Istio's standard
 * metrics in Prometheus form. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "telemetry/stats.h"

typedef struct stat_rec {
    char *ns, *pod, *name;
    long long v;
    bool gauge;
} stat_rec;

struct stats {
    pthread_mutex_t mu;
    stat_rec *r;
    int n, cap;
};

stats *stats_new(void)
{
    stats *s = calloc(1, sizeof *s);
    if (s) pthread_mutex_init(&s->mu, NULL);
    return s;
}

void stats_free(stats *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) { free(s->r[i].ns); free(s->r[i].pod); free(s->r[i].name); }
    free(s->r);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static void put(stats *s, const char *ns, const char *pod, const char *name, long long v, bool gauge)
{
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n; i++) {
        stat_rec *r = &s->r[i];
        if (!strcmp(r->name, name) && !strcmp(r->pod, pod) && !strcmp(r->ns, ns)) {
            if (gauge) r->v = v; else r->v += v;
            pthread_mutex_unlock(&s->mu);
            return;
        }
    }
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 64;
        stat_rec *nr = realloc(s->r, (size_t)cap * sizeof *nr);
        if (!nr) { pthread_mutex_unlock(&s->mu); return; }
        s->r = nr;
        s->cap = cap;
    }
    s->r[s->n++] = (stat_rec){strdup(ns), strdup(pod), strdup(name), v, gauge};
    pthread_mutex_unlock(&s->mu);
}

void stats_add(stats *s, const char *ns, const char *pod, const char *name, long long delta)
{
    put(s, ns, pod, name, delta, false);
}

void stats_gauge(stats *s, const char *ns, const char *pod, const char *name, long long value)
{
    put(s, ns, pod, name, value, true);
}

int stats_count(const stats *s) { return s->n; }

int stats_flush(stats *s, store *st)
{
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n; i++) {
        stat_rec *r = &s->r[i];
        int e = r->gauge ? store_stat_set(st, r->ns, r->pod, r->name, r->v)
                         : store_stat_add(st, r->ns, r->pod, r->name, r->v);
        if (e) rc = -1;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void stats_cluster_name(char *buf, size_t len, const char *cluster, const char *suffix, const char *stat)
{
    snprintf(buf, len, "cluster.%s%s.%s", cluster, suffix ? suffix : "", stat);
}

static void cl(stats *s, const stats_event *e, const char *stat, long long v)
{
    char name[512];
    stats_cluster_name(name, sizeof name, e->cluster, e->suffix, stat);
    stats_add(s, e->ns, e->pod, name, v);
}

static const char *lbl(const char *v) { return v && *v ? v : "unknown"; }

void stats_record(stats *s, const stats_event *e)
{
    char name[1024];
    bool has_cluster = e->cluster && *e->cluster;

    if (e->new_connection && e->listener && *e->listener) {
        snprintf(name, sizeof name, "listener.%s.downstream_cx_total", e->listener);
        stats_add(s, e->ns, e->pod, name, 1);
        snprintf(name, sizeof name, "listener.%s.downstream_cx_active", e->listener);
        stats_gauge(s, e->ns, e->pod, name, 0);
    }
    if (e->http && e->http_prefix) {
        snprintf(name, sizeof name, "http.%s.downstream_rq_total", e->http_prefix);
        stats_add(s, e->ns, e->pod, name, 1);
        if (e->status >= 100) {
            snprintf(name, sizeof name, "http.%s.downstream_rq_%dxx", e->http_prefix, e->status / 100);
            stats_add(s, e->ns, e->pod, name, 1);
        }
        if (e->new_connection) {
            snprintf(name, sizeof name, "http.%s.downstream_cx_total", e->http_prefix);
            stats_add(s, e->ns, e->pod, name, 1);
        }
    }
    if (has_cluster) {
        if (e->flags && strstr(e->flags, "UH")) {
            cl(s, e, "upstream_cx_none_healthy", 1);
        } else if (e->upstream_attempted) {
            if (e->new_connection || !e->http) {
                cl(s, e, "upstream_cx_total", 1);
                cl(s, e, e->http2_upstream ? "upstream_cx_http2_total" : (e->http ? "upstream_cx_http1_total" : "upstream_cx_destroy"), 1);
                char g[512];
                stats_cluster_name(g, sizeof g, e->cluster, e->suffix, "upstream_cx_active");
                stats_gauge(s, e->ns, e->pod, g, 0);
            }
            if (e->connect_failed) cl(s, e, "upstream_cx_connect_fail", 1);
            if (e->flags && strstr(e->flags, "UT")) cl(s, e, "upstream_rq_timeout", 1);
            cl(s, e, "upstream_cx_rx_bytes_total", e->rx_bytes);
            cl(s, e, "upstream_cx_tx_bytes_total", e->tx_bytes);
            if (e->http) {
                cl(s, e, "upstream_rq_total", 1);
                if (e->status >= 100 && !e->connect_failed) {
                    char k[32];
                    cl(s, e, "upstream_rq_completed", 1);
                    snprintf(k, sizeof k, "upstream_rq_%dxx", e->status / 100);
                    cl(s, e, k, 1);
                    snprintf(k, sizeof k, "upstream_rq_%d", e->status);
                    cl(s, e, k, 1);
                }
            }
        }
    }
    /* Istio standard metrics (Prometheus names with labels) */
    if (!e->reporter) return;
    char labels[900];
    int n = snprintf(labels, sizeof labels,
                     "reporter=\"%s\",source_workload=\"%s\",source_workload_namespace=\"%s\",source_app=\"%s\","
                     "destination_workload=\"%s\",destination_workload_namespace=\"%s\",destination_app=\"%s\","
                     "destination_service=\"%s\",destination_service_name=\"%s\","
                     "destination_service_namespace=\"%s\",request_protocol=\"%s\"",
                     e->reporter, lbl(e->source_workload), lbl(e->source_namespace), lbl(e->source_app),
                     lbl(e->destination_workload), lbl(e->destination_namespace), lbl(e->destination_app),
                     lbl(e->destination_service), lbl(e->destination_service_name),
                     lbl(e->destination_service_namespace), lbl(e->request_protocol));
    if (n < 0 || (size_t)n >= sizeof labels) return;
    if (e->http) {
        snprintf(name, sizeof name, "istio_requests_total{%s,response_code=\"%d\",response_flags=\"%s\","
                 "connection_security_policy=\"%s\"}", labels, e->status,
                 e->flags && *e->flags ? e->flags : "-", lbl(e->security_policy));
        stats_add(s, e->ns, e->pod, name, 1);
    } else {
        snprintf(name, sizeof name, "istio_tcp_connections_opened_total{%s,connection_security_policy=\"%s\"}",
                 labels, lbl(e->security_policy));
        stats_add(s, e->ns, e->pod, name, 1);
        snprintf(name, sizeof name, "istio_tcp_connections_closed_total{%s,connection_security_policy=\"%s\"}",
                 labels, lbl(e->security_policy));
        stats_add(s, e->ns, e->pod, name, 1);
        snprintf(name, sizeof name, "istio_tcp_received_bytes_total{%s,connection_security_policy=\"%s\"}",
                 labels, lbl(e->security_policy));
        stats_add(s, e->ns, e->pod, name, e->tx_bytes);
        snprintf(name, sizeof name, "istio_tcp_sent_bytes_total{%s,connection_security_policy=\"%s\"}",
                 labels, lbl(e->security_policy));
        stats_add(s, e->ns, e->pod, name, e->rx_bytes);
    }
}
