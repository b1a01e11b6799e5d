/* A pod as the API server defaults it and the kubelet runs it: one node,
 * an IP from the pod range, every container started and ready. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "model/obj.h"

/* o[key] = made when unset; made is worked out only then (the templates of
 * many ReplicaSets have their defaults already). */
#define set_default(o, key, made) do { \
        if (!json_object_get((o), (key))) json_object_set_new((o), (key), (made)); \
    } while (0)

/* Image pull policy default: Always for :latest or untagged images. */
static const char *pull_policy(const char *image)
{
    const char *slash = strrchr(image, '/');
    const char *tail = slash ? slash + 1 : image;
    const char *colon = strchr(tail, ':');
    if (strchr(tail, '@')) return "IfNotPresent";
    if (!colon || !strcmp(colon, ":latest")) return "Always";
    return "IfNotPresent";
}

static void container_defaults(json_t *c)
{
    set_default(c, "imagePullPolicy", json_string(pull_policy(obj_str_or(c, "image", ""))));
    set_default(c, "resources", json_object());
    set_default(c, "terminationMessagePath", json_string("/dev/termination-log"));
    set_default(c, "terminationMessagePolicy", json_string("File"));
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(c, "ports"), i, p)
        set_default(p, "protocol", json_string("TCP"));
}

/* Defaults of a pod spec; also used for the templates of workloads. */
void cluster_podspec_defaults(json_t *spec)
{
    set_default(spec, "dnsPolicy", json_string("ClusterFirst"));
    set_default(spec, "restartPolicy", json_string("Always"));
    set_default(spec, "schedulerName", json_string("default-scheduler"));
    set_default(spec, "securityContext", json_object());
    set_default(spec, "terminationGracePeriodSeconds", json_integer(30));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(spec, "containers"), i, c) container_defaults(c);
    json_array_foreach(json_object_get(spec, "initContainers"), i, c) container_defaults(c);
}

static json_t *container_status(json_t *c, const char *started, bool init)
{
    char id[80];
    char rnd[33];
    cluster_random_suffix(rnd, 32);
    snprintf(id, sizeof id, "containerd://%s", rnd);
    json_t *state = init
        ? json_pack("{s:{s:s,s:s,s:i,s:s,s:s}}", "terminated", "containerID", id, "reason", "Completed",
                    "exitCode", 0, "startedAt", started, "finishedAt", started)
        : json_pack("{s:{s:s}}", "running", "startedAt", started);
    return json_pack("{s:s,s:s,s:s,s:s,s:b,s:i,s:b,s:o,s:{}}",
                     "name", obj_str_or(c, "name", ""), "image", obj_str_or(c, "image", ""),
                     "imageID", obj_str_or(c, "image", ""), "containerID", id,
                     "ready", !init, "restartCount", 0, "started", !init, "state", state,
                     "lastState");
}

/* The API server's part: spec defaults, the ServiceAccount, the node (on
 * create); on update the kubelet's view of a running pod is kept from old. */
void cluster_pod_spec_defaults(json_t *pod, json_t *old)
{
    json_t *spec = json_object_get(pod, "spec");
    if (!json_is_object(spec)) {
        spec = json_object();
        json_object_set_new(pod, "spec", spec);
    }
    cluster_podspec_defaults(spec);
    /* the ServiceAccount admission plugin */
    const char *sa = obj_str(spec, "serviceAccountName");
    if (!sa) sa = obj_str(spec, "serviceAccount");
    char *sa_copy = strdup(sa ? sa : "default");
    json_object_set_new(spec, "serviceAccountName", json_string(sa_copy));
    json_object_set_new(spec, "serviceAccount", json_string(sa_copy));
    free(sa_copy);
    if (old) {
        /* the kubelet's view of a running pod does not change on update */
        json_t *keep = obj_at(old, "spec.nodeName");
        if (keep) json_object_set(spec, "nodeName", keep);
        if (json_object_get(old, "status")) json_object_set(pod, "status", json_object_get(old, "status"));
        return;
    }
    if (!obj_str(spec, "nodeName")) json_object_set_new(spec, "nodeName", json_string(CLUSTER_NODE_NAME));
}

void cluster_pod_defaults(store *st, json_t *pod, json_t *old)
{
    cluster_pod_spec_defaults(pod, old);
    if (!old) cluster_pod_status(st, pod);
}

/* The kubelet's part for a new pod: an IP, every container started. */
void cluster_pod_status(store *st, json_t *pod)
{
    cluster_pod_status_ip(st, pod, NULL);
}

void cluster_pod_status_ip(store *st, json_t *pod, const char *given_ip)
{
    json_t *spec = json_object_get(pod, "spec");
    json_t *status = json_object_get(pod, "status");
    if (json_is_object(status) && obj_str(status, "podIP")) return; /* written by whoever knows better */
    char ip[32], ts[32];
    bool host_network = json_is_true(json_object_get(spec, "hostNetwork"));
    if (host_network) snprintf(ip, sizeof ip, "172.18.0.2");
    else if (given_ip) snprintf(ip, sizeof ip, "%s", given_ip);
    else ipam_pod_ip(st, ip, sizeof ip);
    time_rfc3339(ts, sizeof ts, time_now_ms() / 1000);
    json_t *cs = json_array(), *ics = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(spec, "containers"), i, c) json_array_append_new(cs, container_status(c, ts, false));
    json_array_foreach(json_object_get(spec, "initContainers"), i, c) json_array_append_new(ics, container_status(c, ts, true));
    json_t *conds = json_array();
    const char *types[] = {"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"};
    for (int t = 0; t < 5; t++)
        json_array_append_new(conds, json_pack("{s:s,s:s,s:n,s:s}", "type", types[t], "status", "True",
                                               "lastProbeTime", "lastTransitionTime", ts));
    status = json_pack("{s:s,s:o,s:s,s:[{s:s}],s:s,s:[{s:s}],s:s,s:s,s:o}",
                       "phase", "Running", "conditions", conds, "hostIP", "172.18.0.2",
                       "hostIPs", "ip", "172.18.0.2", "podIP", ip, "podIPs", "ip", ip,
                       "qosClass", "BestEffort", "startTime", ts, "containerStatuses", cs);
    if (json_array_size(ics)) json_object_set(status, "initContainerStatuses", ics);
    json_decref(ics);
    json_object_set_new(pod, "status", status);
}

/* ---- the statuses of many new pods of one template (see cluster.h) ---- */

struct cluster_status_kit {
    json_t *spec;
    char ts[32];
    /* the same in every pod started in that second: shared, never changed */
    json_t *conditions, *host_ip, *host_ips, *running, *last_state, *started, *zero, *completed, *running_phase,
        *besteffort;
    json_t *names[64], *images[64];   /* per container (init containers after the others) */
    size_t ncontainers, ninit;
    char *texts[3];   /* of conditions, running, host_ips (cluster_status_kit_shared) */
    long long sec;    /* the second ts names */
};

static void kit_drop_time(cluster_status_kit *k)
{
    for (int i = 0; i < 3; i++) {
        free(k->texts[i]);
        k->texts[i] = NULL;
    }
    json_decref(k->conditions);
    json_decref(k->running);
    json_decref(k->started);
    k->conditions = k->running = k->started = NULL;
}

/* The parts that depend on the second the pods start. */
static void kit_time(cluster_status_kit *k, const char *ts)
{
    if (k->conditions && !strcmp(k->ts, ts)) return;
    kit_drop_time(k);
    snprintf(k->ts, sizeof k->ts, "%s", ts);
    k->started = json_string(ts);
    k->conditions = json_array();
    const char *types[] = {"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"};
    for (int t = 0; t < 5; t++)
        json_array_append_new(k->conditions, json_pack("{s:s,s:s,s:n,s:O}", "type", types[t], "status", "True",
                                                       "lastProbeTime", "lastTransitionTime", k->started));
    k->running = json_pack("{s:{s:O}}", "running", "startedAt", k->started);
    json_t *nodes[3] = {k->conditions, k->running, k->host_ips};
    for (int i = 0; i < 3; i++) k->texts[i] = cluster_dumps_sharing(nodes[i], NULL, NULL, 0);
}

/* Do the containers of spec (then the init containers) have the kit's names and images? */
bool cluster_status_kit_fits(cluster_status_kit *k, json_t *spec)
{
    json_t *lists[2] = {json_object_get(spec, "containers"), json_object_get(spec, "initContainers")};
    if (json_array_size(lists[0]) != k->ncontainers || json_array_size(lists[1]) != k->ninit) return false;
    size_t at = 0, i;
    json_t *c;
    for (int l = 0; l < 2; l++)
        json_array_foreach(lists[l], i, c) {
            if (strcmp(obj_str_or(c, "name", ""), json_string_value(k->names[at])) ||
                strcmp(obj_str_or(c, "image", ""), json_string_value(k->images[at])))
                return false;
            at++;
        }
    return true;
}

int cluster_status_kit_shared(cluster_status_kit *k, json_t **nodes, const char **texts)
{
    if (!k || !k->conditions) return 0;
    json_t *n[3] = {k->conditions, k->running, k->host_ips};
    for (int i = 0; i < 3; i++) {
        nodes[i] = n[i];
        texts[i] = k->texts[i];
    }
    return 3;
}

cluster_status_kit *cluster_status_kit_new(json_t *spec)
{
    cluster_status_kit *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    k->spec = json_incref(spec);
    json_t *cs = json_object_get(spec, "containers"), *ics = json_object_get(spec, "initContainers");
    if (json_array_size(cs) + json_array_size(ics) > sizeof k->names / sizeof k->names[0]) {
        json_decref(k->spec);
        free(k);
        return NULL;   /* the caller makes them one by one */
    }
    size_t i;
    json_t *c;
    json_array_foreach(cs, i, c) {
        k->names[k->ncontainers] = json_string(obj_str_or(c, "name", ""));
        k->images[k->ncontainers++] = json_string(obj_str_or(c, "image", ""));
    }
    json_array_foreach(ics, i, c) {
        k->names[k->ncontainers + k->ninit] = json_string(obj_str_or(c, "name", ""));
        k->images[k->ncontainers + k->ninit++] = json_string(obj_str_or(c, "image", ""));
    }
    k->host_ip = json_string("172.18.0.2");
    k->host_ips = json_pack("[{s:O}]", "ip", k->host_ip);
    k->last_state = json_object();
    k->zero = json_integer(0);
    k->completed = json_string("Completed");
    k->running_phase = json_string("Running");
    k->besteffort = json_string("BestEffort");
    return k;
}

void cluster_status_kit_free(cluster_status_kit *k)
{
    if (!k) return;
    kit_drop_time(k);
    for (size_t i = 0; i < k->ncontainers + k->ninit; i++) {
        json_decref(k->names[i]);
        json_decref(k->images[i]);
    }
    json_decref(k->spec);
    json_decref(k->host_ip);
    json_decref(k->host_ips);
    json_decref(k->last_state);
    json_decref(k->zero);
    json_decref(k->completed);
    json_decref(k->running_phase);
    json_decref(k->besteffort);
    free(k);
}

/* container_status, sharing what every pod of the kit has alike; rnd is
 * the container id's random part. */
static json_t *kit_container_status(cluster_status_kit *k, size_t at, bool init, const char *rnd)
{
    char id[80];
    snprintf(id, sizeof id, "containerd://%s", rnd);
    json_t *cid = json_string_nocheck(id), *state;   /* ASCII, as the IP: no UTF-8 check */
    if (init) {
        json_t *term = json_object();
        json_object_set_nocheck(term, "containerID", cid);
        json_object_set_nocheck(term, "reason", k->completed);
        json_object_set_nocheck(term, "exitCode", k->zero);
        json_object_set_nocheck(term, "startedAt", k->started);
        json_object_set_nocheck(term, "finishedAt", k->started);
        state = json_object();
        json_object_set_new_nocheck(state, "terminated", term);
    } else {
        state = json_incref(k->running);
    }
    json_t *cs = json_object();
    json_object_set_nocheck(cs, "name", k->names[at]);
    json_object_set_nocheck(cs, "image", k->images[at]);
    json_object_set_nocheck(cs, "imageID", k->images[at]);
    json_object_set_new_nocheck(cs, "containerID", cid);
    json_object_set_new_nocheck(cs, "ready", json_boolean(!init));
    json_object_set_nocheck(cs, "restartCount", k->zero);
    json_object_set_new_nocheck(cs, "started", json_boolean(!init));
    json_object_set_new_nocheck(cs, "state", state);
    json_object_set_nocheck(cs, "lastState", k->last_state);
    return cs;
}

void cluster_pod_status_kit(cluster_status_kit *k, json_t *pod, const char *ip)
{
    long long now = time_now_ms() / 1000;
    if (!k->conditions || now != k->sec) {
        char ts[32];
        time_rfc3339(ts, sizeof ts, now);
        kit_time(k, ts);
        k->sec = now;
    }
    char ids[64][33];
    for (size_t i = 0; i < k->ncontainers + k->ninit; i++) cluster_random_suffix(ids[i], 32);
    cluster_pod_status_kit_as(k, pod, ip, NULL, ids);
}

size_t cluster_status_kit_containers(cluster_status_kit *k) { return k->ncontainers + k->ninit; }

void cluster_pod_status_kit_as(cluster_status_kit *k, json_t *pod, const char *ip, const char *ts, char (*ids)[33])
{
    if (ts) {
        kit_time(k, ts);
        k->sec = -1;   /* no second of the clock's */
    }
    json_t *status = json_object();
    json_t *podip = json_string_nocheck(ip);
    json_object_set_nocheck(status, "phase", k->running_phase);
    json_object_set_nocheck(status, "conditions", k->conditions);
    json_object_set_nocheck(status, "hostIP", k->host_ip);
    json_object_set_nocheck(status, "hostIPs", k->host_ips);
    json_object_set_nocheck(status, "podIP", podip);
    json_t *ipobj = json_object();
    json_object_set_new_nocheck(ipobj, "ip", podip);
    json_t *ips = json_array();
    json_array_append_new(ips, ipobj);
    json_object_set_new_nocheck(status, "podIPs", ips);
    json_object_set_nocheck(status, "qosClass", k->besteffort);
    json_object_set_nocheck(status, "startTime", k->started);
    json_t *cs = json_array();
    for (size_t i = 0; i < k->ncontainers; i++) json_array_append_new(cs, kit_container_status(k, i, false, ids[i]));
    json_object_set_new_nocheck(status, "containerStatuses", cs);
    if (k->ninit) {
        json_t *ics = json_array();
        for (size_t i = 0; i < k->ninit; i++)
            json_array_append_new(ics, kit_container_status(k, k->ncontainers + i, true, ids[k->ncontainers + i]));
        json_object_set_new_nocheck(status, "initContainerStatuses", ics);
    }
    json_object_set_new(pod, "status", status);
}
