/* Envoy statistics the simulated proxies keep: a thread-safe collector that
 * engine threads add to and the main thread writes to the store, and the
 * names Envoy gives its counters. */
#ifndef MESHSIM_STATS_H
#define MESHSIM_STATS_H

#include <stdbool.h>
#include "store/store.h"

typedef struct stats stats;

stats *stats_new(void);
void stats_free(stats *s);
/* Counters add; gauges are set (last value wins). */
void stats_add(stats *s, const char *ns, const char *pod, const char *name, long long delta);
void stats_gauge(stats *s, const char *ns, const char *pod, const char *name, long long value);
/* Write everything to the store (main thread).  Returns 0 or -1. */
int stats_flush(stats *s, store *st);
int stats_count(const stats *s);

/* "cluster.<cluster><suffix>.<stat>": suffix is the release's alt_stat_name
 * delimiter ("" before Istio 1.23, ";" after). */
void stats_cluster_name(char *buf, size_t len, const char *cluster, const char *suffix, const char *stat);

/* What one proxy did for one HTTP request or TCP connection. */
typedef struct stats_event {
    const char *ns, *pod;           /* the proxy's pod */
    const char *cluster;            /* upstream cluster ("" when none) */
    const char *suffix;             /* release stat suffix */
    const char *listener;           /* "0.0.0.0_80", "virtualInbound" ... */
    const char *http_prefix;        /* HCM stat prefix ("outbound_0.0.0.0_80"), NULL for TCP */
    bool http, http2_upstream;
    bool new_connection;            /* first request on this downstream connection */
    int status;                     /* HTTP status, 0 for TCP */
    const char *flags;              /* Envoy response flags, "" none */
    long long rx_bytes, tx_bytes;   /* upstream connection bytes (rx: from upstream) */
    bool upstream_attempted;        /* a connection to the cluster was tried */
    bool connect_failed;
    /* Istio standard metric labels */
    const char *reporter;           /* "source", "destination" */
    const char *source_workload, *source_namespace, *source_app;
    const char *destination_workload, *destination_namespace, *destination_app;
    const char *destination_service, *destination_service_name, *destination_service_namespace;
    const char *request_protocol;   /* "http", "grpc", "tcp" */
    const char *security_policy;    /* "mutual_tls", "unknown", "none" */
    long long duration_ms;
} stats_event;

void stats_record(stats *s, const stats_event *e);

#endif
