/* Mutating admission: what the API server and its webhooks fill in before an
 * object is stored. */
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "model/obj.h"

/* A Service gets a ClusterIP unless it is headless or ExternalName. */
static void admit_service(store *st, json_t *svc, json_t *old)
{
    json_t *spec = json_object_get(svc, "spec");
    if (!json_is_object(spec)) return;
    const char *type = obj_str_or(svc, "spec.type", "ClusterIP");
    if (!json_object_get(spec, "type")) json_object_set_new(spec, "type", json_string(type));
    if (!json_object_get(spec, "sessionAffinity")) json_object_set_new(spec, "sessionAffinity", json_string("None"));
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(spec, "ports"), i, p) {
        if (!json_object_get(p, "protocol")) json_object_set_new(p, "protocol", json_string("TCP"));
        if (!json_object_get(p, "targetPort")) json_object_set(p, "targetPort", json_object_get(p, "port"));
    }
    if (!strcmp(type, "ExternalName")) return;
    /* NodePort and LoadBalancer services get a node port per port (30000-32767) */
    if (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer")) {
        json_array_foreach(json_object_get(spec, "ports"), i, p) {
            if (json_object_get(p, "nodePort")) continue;
            size_t j;
            json_t *op, *kept_port = NULL;
            json_array_foreach(old ? obj_at(old, "spec.ports") : NULL, j, op)
                if (obj_int_or(op, "port", -1) == obj_int_or(p, "port", -2) && json_object_get(op, "nodePort"))
                    kept_port = json_object_get(op, "nodePort");
            if (kept_port) json_object_set(p, "nodePort", kept_port);
            else json_object_set_new(p, "nodePort", json_integer(30000 + (store_counter_next(st, "nodePort") * 7919) % 2768));
        }
        if (!json_object_get(spec, "externalTrafficPolicy")) json_object_set_new(spec, "externalTrafficPolicy", json_string("Cluster"));
    }
    /* kind's load-balancer provider hands out addresses from the node network */
    if (!strcmp(type, "LoadBalancer") && !json_array_size(obj_at(svc, "status.loadBalancer.ingress"))) {
        json_t *kept_lb = old ? obj_at(old, "status.loadBalancer") : NULL;
        if (json_array_size(json_object_get(kept_lb, "ingress"))) {
            json_object_set_new(svc, "status", json_pack("{s:O}", "loadBalancer", kept_lb));
        } else {
            char lb[32];
            snprintf(lb, sizeof lb, "172.18.255.%lld", 200 + (store_counter_next(st, "loadBalancerIP") - 1) % 55);
            json_object_set_new(svc, "status", json_pack("{s:{s:[{s:s,s:s}]}}", "loadBalancer", "ingress", "ip", lb,
                                                          "ipMode", "VIP"));
        }
    }
    const char *ip = obj_str(svc, "spec.clusterIP");
    const char *kept = old ? obj_str(old, "spec.clusterIP") : NULL;
    if (ip && *ip) return;
    char buf[32];
    if (kept && *kept) snprintf(buf, sizeof buf, "%s", kept);
    else ipam_service_ip(st, buf, sizeof buf);
    json_object_set_new(spec, "clusterIP", json_string(buf));
    json_object_set_new(spec, "clusterIPs", json_pack("[s]", buf));
}

static void admit_namespace(json_t *ns)
{
    json_object_set_new(obj_labels_mut(ns), "kubernetes.io/metadata.name", json_string(obj_name(ns)));
    if (!json_object_get(ns, "spec")) json_object_set_new(ns, "spec", json_pack("{s:[s]}", "finalizers", "kubernetes"));
    if (!json_object_get(ns, "status")) json_object_set_new(ns, "status", json_pack("{s:s}", "phase", "Active"));
}

/* The workload a pod belongs to: a ReplicaSet's pods are named
 * <deployment>-<pod-template-hash>-<suffix>. */
static char *workload_name(json_t *pod)
{
    const char *name = obj_name(pod), *hash = obj_label(pod, "pod-template-hash");
    char *w = strdup(name);
    if (hash) {
        char *dash = strrchr(w, '-');
        if (dash) *dash = 0;
        size_t n = strlen(w), hl = strlen(hash);
        if (n > hl + 1 && !strcmp(w + n - hl, hash) && w[n - hl - 1] == '-') w[n - hl - 1] = 0;
    }
    return w;
}

static void admit_pod(store *st, const istio_release *rel, json_t *pod, json_t *old)
{
    const char *ns = obj_namespace(pod);
    if (!old && cluster_wants_injection(st, pod, ns)) {
        char *w = workload_name(pod);
        json_t *proxy = cluster_proxy_values(st);
        cluster_inject_with(rel, pod, ns, w, proxy);
        json_decref(proxy);
        free(w);
    }
    cluster_pod_defaults(st, pod, old);
}

void ccache_admission_inputs(cluster_cache *c, json_t *pod, const char *ns, cluster_admission_inputs *in)
{
    in->rel = ccache_release(c);
    in->installed = ccache_get(c, kind_lookup("deployments.apps"), "istio-system", "istiod") != NULL;
    in->nso = in->installed ? ccache_get(c, kind_lookup("namespaces"), "", ns) : NULL;
    in->proxy = in->parts = NULL;
    if (!cluster_injection_decided(in->installed, in->nso, pod, ns)) return;   /* nothing to inject */
    /* the install's proxy values and the injector's parts, made once per reconcile */
    in->proxy = json_object_get(ccache_memo(c), "proxy-values");
    if (!in->proxy)
        json_object_set_new(ccache_memo(c), "proxy-values", in->proxy = cluster_proxy_values(ccache_store(c)));
    in->parts = json_object_get(ccache_memo(c), "inject-parts");
    if (!in->parts) {
        json_object_set_new(ccache_memo(c), "inject-parts", in->parts = cluster_inject_parts(in->rel));
        cluster_inject_parts_for(in->parts, in->rel, in->proxy);
    }
}

void cluster_admit_pod_template_with(const cluster_admission_inputs *in, json_t *pod)
{
    const char *ns = obj_namespace(pod);
    /* (the inputs decided on the same labels, annotations and spec) */
    if (in->parts && cluster_injection_decided(in->installed, in->nso, pod, ns)) {
        char *w = workload_name(pod);
        cluster_inject_shared(in->rel, pod, ns, w, in->proxy, in->parts);
        free(w);
    }
}

static void set_default(json_t *o, const char *key, json_t *v)
{
    if (json_is_object(o) && !json_object_get(o, key)) json_object_set(o, key, v);
    json_decref(v);
}

/* Deployments and ReplicaSets: the apps/v1 defaults. */
static void admit_workload(json_t *obj, bool deployment)
{
    json_t *spec = json_object_get(obj, "spec");
    if (!json_is_object(spec)) return;
    set_default(spec, "replicas", json_integer(1));
    if (deployment) {
        set_default(spec, "revisionHistoryLimit", json_integer(10));
        set_default(spec, "progressDeadlineSeconds", json_integer(600));
        set_default(spec, "strategy", json_pack("{s:s,s:{s:s,s:s}}", "type", "RollingUpdate", "rollingUpdate",
                                                "maxSurge", "25%", "maxUnavailable", "25%"));
    }
    json_t *tspec = obj_at(spec, "template.spec");
    if (json_is_object(tspec)) {
        cluster_podspec_defaults(tspec);
        json_t *tmd = obj_at(spec, "template.metadata");
        if (json_is_object(tmd)) set_default(tmd, "creationTimestamp", json_null());
    }
}

int cluster_admit(store *st, const istio_release *rel, const kind_info *k, json_t *obj, json_t *old)
{
    if (!strcmp(k->kind, "Service")) admit_service(st, obj, old);
    else if (!strcmp(k->kind, "Namespace")) admit_namespace(obj);
    else if (!strcmp(k->kind, "Pod")) admit_pod(st, rel, obj, old);
    else if (!strcmp(k->kind, "Deployment")) admit_workload(obj, true);
    else if (!strcmp(k->kind, "ReplicaSet")) admit_workload(obj, false);
    return 0;
}
