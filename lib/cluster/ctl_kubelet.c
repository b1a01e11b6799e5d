/* The kubelet's visible side effect: a container that starts writes its
 * start-up lines to its log.  Istio's proxies (pilot-agent + Envoy) and
 * istiod log a few lines each; application containers of the samples log
 * nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"

/* pilot-agent's own log format: RFC 3339 with microseconds, tab, level, tab. */
static void stamp(char *buf, size_t len, long long ms)
{
    char base[32];
    time_rfc3339(base, sizeof base, ms / 1000);
    base[strlen(base) - 1] = 0;   /* drop the Z */
    snprintf(buf, len, "%s.%06lldZ", base, (ms % 1000) * 1000);
}

static void proxy_lines(store *st, json_t *pod, json_t *c, long long now)
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
    store_log_append(st, ns, name, "istio-proxy", now, line);
    snprintf(line, sizeof line, "%s\tinfo\tProxy role\tips=[%s] type=%s id=%s.%s domain=%s.svc.cluster.local",
             ts, obj_str_or(pod, "status.podIP", ""), router ? "router" : "sidecar", name, ns, ns);
    store_log_append(st, ns, name, "istio-proxy", now, line);
    snprintf(line, sizeof line, "%s\tinfo\tcache\tgenerated new workload certificate\tresourceName=default "
             "latency=12.0ms ttl=23h59m59s", ts);
    store_log_append(st, ns, name, "istio-proxy", now, line);
    stamp(ts, sizeof ts, now + 1200);
    snprintf(line, sizeof line, "%s\tinfo\tReadiness succeeded in 1.2s", ts);
    store_log_append(st, ns, name, "istio-proxy", now + 1200, line);
    snprintf(line, sizeof line, "%s\tinfo\tEnvoy proxy is ready", ts);
    store_log_append(st, ns, name, "istio-proxy", now + 1200, line);
}

static void istiod_lines(store *st, json_t *pod, json_t *c, long long now)
{
    const char *ns = obj_namespace(pod), *name = obj_name(pod), *cname = obj_str_or(c, "name", "discovery");
    char ts[40], line[512];
    stamp(ts, sizeof ts, now);
    snprintf(line, sizeof line, "%s\tinfo\tstarting discovery server", ts);
    store_log_append(st, ns, name, cname, now, line);
    snprintf(line, sizeof line, "%s\tinfo\tDiscovery service started", ts);
    store_log_append(st, ns, name, cname, now, line);
    snprintf(line, sizeof line, "%s\tinfo\tads\tAll caches have been synced up", ts);
    store_log_append(st, ns, name, cname, now, line);
}

int controller_kubelet(cluster_cache *cache)
{
    store *st = ccache_store(cache);
    json_t *pods = ccache_list(cache, kind_lookup("pods"));
    size_t i, j;
    json_t *p, *c;
    json_array_foreach(pods, i, p) {
        if (strcmp(obj_str_or(p, "status.phase", ""), "Running")) continue;
        char key[128];
        snprintf(key, sizeof key, "kubelet/started/%s", obj_str_or(p, "metadata.uid", ""));
        char *seen = store_meta_get(st, key);
        if (seen) { free(seen); continue; }
        store_meta_set(st, key, "1");
        long long now = time_now_ms();
        json_array_foreach(obj_at(p, "spec.containers"), j, c) {
            const char *name = obj_str_or(c, "name", "");
            if (!strcmp(name, "istio-proxy")) proxy_lines(st, p, c, now);
            else if (!strcmp(name, "discovery")) istiod_lines(st, p, c, now);
        }
    }
    json_decref(pods);
    return 0;
}
