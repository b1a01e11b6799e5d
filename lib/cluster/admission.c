/* Mutating admission: what the API server and its webhooks fill in before an
 * object is stored. */
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
    if (!strcmp(type, "ExternalName")) return;
    const char *ip = obj_str(svc, "spec.clusterIP");
    const char *kept = old ? obj_str(old, "spec.clusterIP") : NULL;
    if (ip && *ip) return;
    char buf[32];
    if (kept && *kept) snprintf(buf, sizeof buf, "%s", kept);
    else ipam_service_ip(st, buf, sizeof buf);
    json_object_set_new(spec, "clusterIP", json_string(buf));
    json_object_set_new(spec, "clusterIPs", json_pack("[s]", buf));
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(spec, "ports"), i, p) {
        if (!json_object_get(p, "protocol")) json_object_set_new(p, "protocol", json_string("TCP"));
        if (!json_object_get(p, "targetPort")) json_object_set(p, "targetPort", json_object_get(p, "port"));
    }
}

static void admit_namespace(json_t *ns)
{
    json_object_set_new(obj_labels_mut(ns), "kubernetes.io/metadata.name", json_string(obj_name(ns)));
    if (!json_object_get(ns, "spec")) json_object_set_new(ns, "spec", json_pack("{s:[s]}", "finalizers", "kubernetes"));
    if (!json_object_get(ns, "status")) json_object_set_new(ns, "status", json_pack("{s:s}", "phase", "Active"));
}

int cluster_admit(store *st, const istio_release *rel, const kind_info *k, json_t *obj, json_t *old)
{
    (void)rel;
    if (!strcmp(k->kind, "Service")) admit_service(st, obj, old);
    else if (!strcmp(k->kind, "Namespace")) admit_namespace(obj);
    return 0;
}
