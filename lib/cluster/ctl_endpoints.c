/* The endpoints controller: a Service with a selector gets an Endpoints
 * object of the same name listing its running pods, with named targetPorts
 * resolved against each pod's container ports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"
#include "model/selector.h"

#define MANAGED "endpoints.kubernetes.io/last-change-trigger-time"

/* The pod port a service port targets, or 0 when the pod has no such named port. */
static long long target_port(json_t *svc_port, json_t *pod)
{
    json_t *tp = json_object_get(svc_port, "targetPort");
    if (!tp) return obj_int_or(svc_port, "port", 0);
    if (json_is_integer(tp)) return json_integer_value(tp);
    const char *name = json_string_value(tp);
    if (!name) return 0;
    char *end;
    long long n = strtoll(name, &end, 10);
    if (*name && !*end) return n;
    size_t i, j;
    json_t *c, *p;
    json_array_foreach(obj_at(pod, "spec.containers"), i, c)
        json_array_foreach(json_object_get(c, "ports"), j, p)
            if (!strcmp(obj_str_or(p, "name", ""), name)) return obj_int_or(p, "containerPort", 0);
    return 0;
}

/* Pods with the same resolved ports share a subset, as in the real controller. */
static json_t *subsets_for(json_t *svc, json_t *pods)
{
    json_t *subsets = json_array();
    json_t *by_ports = json_object();   /* ports JSON text -> subset */
    json_t *sel = obj_at(svc, "spec.selector");
    size_t i;
    json_t *pod;
    json_array_foreach(pods, i, pod) {
        if (!labels_match_map(obj_labels(pod), sel)) continue;
        const char *ip = obj_str(pod, "status.podIP");
        if (!ip || strcmp(obj_str_or(pod, "status.phase", ""), "Running")) continue;
        json_t *ports = json_array();
        size_t j;
        json_t *sp;
        json_array_foreach(obj_at(svc, "spec.ports"), j, sp) {
            long long port = target_port(sp, pod);
            if (!port) continue;
            json_t *ep = json_pack("{s:I,s:s}", "port", (json_int_t)port, "protocol", obj_str_or(sp, "protocol", "TCP"));
            if (obj_str(sp, "name") && *obj_str(sp, "name")) json_object_set_new(ep, "name", json_string(obj_str(sp, "name")));
            if (obj_str(sp, "appProtocol")) json_object_set_new(ep, "appProtocol", json_string(obj_str(sp, "appProtocol")));
            json_array_append_new(ports, ep);
        }
        if (!json_array_size(ports)) { json_decref(ports); continue; }
        char *key = json_dumps(ports, JSON_COMPACT | JSON_SORT_KEYS);
        json_t *subset = json_object_get(by_ports, key);
        if (!subset) {
            subset = json_pack("{s:[],s:O}", "addresses", "ports", ports);
            json_array_append_new(subsets, subset);
            json_object_set(by_ports, key, subset);
        }
        free(key);
        json_decref(ports);
        json_array_append_new(json_object_get(subset, "addresses"),
            json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:s}}", "ip", ip, "nodeName", obj_str_or(pod, "spec.nodeName", CLUSTER_NODE_NAME),
                      "targetRef", "kind", "Pod", "name", obj_name(pod), "namespace", obj_namespace(pod),
                      "uid", obj_str_or(pod, "metadata.uid", "")));
    }
    json_decref(by_ports);
    return subsets;
}

/* The stored object with only what the controller decides replaced. */
static json_t *desired_endpoints(json_t *svc, json_t *subsets, json_t *stored)
{
    json_t *ep = stored ? json_deep_copy(stored)
                        : json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Endpoints",
                                    "metadata", "name", obj_name(svc), "namespace", obj_namespace(svc));
    json_t *labels = obj_labels(svc);
    if (labels) json_object_set_new(obj_metadata(ep), "labels", json_deep_copy(labels));
    else json_object_del(obj_metadata(ep), "labels");
    if (json_array_size(subsets)) json_object_set(ep, "subsets", subsets);
    else json_object_del(ep, "subsets");
    if (!stored || !json_equal(json_object_get(stored, "subsets"), json_object_get(ep, "subsets")) ||
        !obj_annotation(ep, MANAGED)) {
        char now[32];
        time_rfc3339(now, sizeof now, time_now_ms() / 1000);
        json_object_set_new(obj_annotations_mut(ep), MANAGED, json_string(now));
    }
    return ep;
}

int controller_endpoints(cluster_cache *c)
{
    const kind_info *ek = kind_lookup("endpoints"), *sk = kind_lookup("services"), *pk = kind_lookup("pods");
    json_t *svcs = ccache_list(c, sk);
    /* the pods of a namespace listed once: this controller writes no pods,
     * and a listing per Service made it quadratic; only the namespaces of
     * Services (a ReplicaSet's new pods are made for the view when read) */
    json_t *pods_by_ns = json_object();
    int changed = 0;
    size_t i;
    json_t *svc;
    json_array_foreach(svcs, i, svc) {
        json_t *sel = obj_at(svc, "spec.selector");
        if (!json_is_object(sel) || !json_object_size(sel)) continue;
        json_t *pods = json_object_get(pods_by_ns, obj_namespace(svc));
        if (!pods) json_object_set_new(pods_by_ns, obj_namespace(svc), pods = ccache_list_in(c, pk, obj_namespace(svc)));
        json_t *subsets = subsets_for(svc, pods);
        json_t *stored = ccache_get(c, ek, obj_namespace(svc), obj_name(svc));
        json_t *ep = desired_endpoints(svc, subsets, stored);
        int rc = ccache_write_if_changed(c, ek, ep, stored);
        json_decref(ep);
        json_decref(subsets);
        if (rc < 0) { changed = -1; break; }
        changed += rc;
    }
    json_decref(pods_by_ns);
    json_decref(svcs);
    if (changed < 0) return -1;
    /* Endpoints this controller made whose Service is gone, or lost its selector */
    json_t *eps = ccache_list(c, ek);
    json_t *ep;
    json_array_foreach(eps, i, ep) {
        if (!obj_annotation(ep, MANAGED)) continue;
        json_t *s = ccache_get(c, sk, obj_namespace(ep), obj_name(ep));
        json_t *sel = s ? obj_at(s, "spec.selector") : NULL;
        if (!s || !json_is_object(sel) || !json_object_size(sel)) {
            if (ccache_delete(c, ek, obj_namespace(ep), obj_name(ep)) == 0) changed++;
        }
    }
    json_decref(eps);
    return changed;
}
