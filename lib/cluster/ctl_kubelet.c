/* The kubelet's visible side effect: a container that starts writes its
 * start-up lines to its log.  Istio's proxies (pilot-agent + Envoy) and
 * istiod log a few lines each; application containers of the samples log
 * nothing.  The lines follow from the pod (its IP, image, when the
 * container started), so they are worked out when someone reads the log
 * rather than written for every pod that starts: creating 3 000 pods wrote
 * 15 000 log rows.  Stores made before kept them as rows (marked by a
 * kubelet/started/<uid> setting); those are not repeated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"

typedef struct emit {
    store_log_fn fn;
    void *ctx;
    const char *ns, *pod, *container;
} emit;

static void put(emit *e, long long ts, const char *line) { e->fn(e->ctx, e->ns, e->pod, e->container, ts, line); }

/* pilot-agent's own log format: RFC 3339 with microseconds, tab, level, tab. */
static void stamp(char *buf, size_t len, long long ms)
{
    char base[32];
    time_rfc3339(base, sizeof base, ms / 1000);
    base[strlen(base) - 1] = 0;   /* drop the Z */
    snprintf(buf, len, "%s.%06lldZ", base, (ms % 1000) * 1000);
}

static void proxy_lines(emit *e, json_t *pod, json_t *c, long long now)
{
    const char *ns = obj_namespace(pod), *name = obj_name(pod), *image = obj_str_or(c, "image", "");
    const char *ver = strrchr(image, ':');
    bool router = false;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(c, "args"), i, a)
        if (json_is_string(a) && !strcmp(json_string_value(a), "router")) router = true;
    char ts[40], line[1024];
    stamp(ts, sizeof ts, now);
    snprintf(line, sizeof line, "%s\tinfo\tVersion %s", ts, ver ? ver + 1 : "unknown");
    put(e, now, line);
    snprintf(line, sizeof line, "%s\tinfo\tProxy role\tips=[%s] type=%s id=%s.%s domain=%s.svc.cluster.local",
             ts, obj_str_or(pod, "status.podIP", ""), router ? "router" : "sidecar", name, ns, ns);
    put(e, now, line);
    snprintf(line, sizeof line, "%s\tinfo\tcache\tgenerated new workload certificate\tresourceName=default "
             "latency=12.0ms ttl=23h59m59s", ts);
    put(e, now, line);
    stamp(ts, sizeof ts, now + 1200);
    snprintf(line, sizeof line, "%s\tinfo\tReadiness succeeded in 1.2s", ts);
    put(e, now + 1200, line);
    snprintf(line, sizeof line, "%s\tinfo\tEnvoy proxy is ready", ts);
    put(e, now + 1200, line);
}

static void istiod_lines(emit *e, long long now)
{
    char ts[40], line[512];
    stamp(ts, sizeof ts, now);
    snprintf(line, sizeof line, "%s\tinfo\tstarting discovery server", ts);
    put(e, now, line);
    snprintf(line, sizeof line, "%s\tinfo\tDiscovery service started", ts);
    put(e, now, line);
    snprintf(line, sizeof line, "%s\tinfo\tads\tAll caches have been synced up", ts);
    put(e, now, line);
}

/* When the container started, in ms: its status' startedAt, with the
 * milliseconds (which RFC 3339 seconds lack) taken from the pod's uid so
 * they look like a clock's rather than all .000. */
static long long started_ms(json_t *pod, const char *container)
{
    const char *at = NULL;
    size_t i;
    json_t *cs;
    json_array_foreach(obj_at(pod, "status.containerStatuses"), i, cs)
        if (!strcmp(obj_str_or(cs, "name", ""), container)) at = obj_str(cs, "state.running.startedAt");
    if (!at) at = obj_str(pod, "status.startTime");
    struct tm tm = {0};
    if (!at || sscanf(at, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                      &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    unsigned h = 2166136261u;
    for (const char *p = obj_str_or(pod, "metadata.uid", ""); *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    return (long long)timegm(&tm) * 1000 + h % 1000;
}

int cluster_container_start_log(store *st, json_t *pod, const char *container, store_log_fn fn, void *ctx)
{
    if (strcmp(obj_str_or(pod, "status.phase", ""), "Running")) return 1;
    char key[128];
    snprintf(key, sizeof key, "kubelet/started/%s", obj_str_or(pod, "metadata.uid", ""));
    char *stored = st ? store_meta_get(st, key) : NULL;
    if (stored) {   /* written as rows by an older meshsim */
        free(stored);
        return 1;
    }
    json_t *c = NULL, *x;
    size_t i;
    json_array_foreach(obj_at(pod, "spec.containers"), i, x)
        if (!strcmp(obj_str_or(x, "name", ""), container)) c = x;
    if (!c) return 1;
    long long now = started_ms(pod, container);
    if (!now) return 1;
    emit e = {fn, ctx, obj_namespace(pod), obj_name(pod), container};
    if (!strcmp(container, "istio-proxy")) proxy_lines(&e, pod, c, now);
    else if (!strcmp(container, "discovery")) istiod_lines(&e, now);
    else return 1;
    return 0;
}
