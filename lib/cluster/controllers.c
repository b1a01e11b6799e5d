/* The controllers: they turn what users apply into what runs.  Each one
 * reads the store, writes what should change through the API write path,
 * and reports how many objects it changed; running them until nothing
 * changes gives the settled state a real cluster reaches within seconds. */
#include <string.h>
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"

/* Enough rounds for Deployment -> ReplicaSet -> Pod -> Endpoints and the
 * status written back up; a loop that never settles is a bug, not a hang. */
#define MAX_ROUNDS 8

static int run_rounds(cluster_cache *c)
{
    for (int round = 0; round < MAX_ROUNDS; round++) {
        int changed = 0, n;
        if ((n = controller_service_accounts(c)) < 0) return -1;
        changed += n;
        if ((n = controller_garbage(c)) < 0) return -1;
        changed += n;
        if ((n = controller_ca_root_cert(c)) < 0) return -1;
        changed += n;
        if ((n = controller_deployments(c)) < 0) return -1;
        changed += n;
        if ((n = controller_replicasets(c)) < 0) return -1;
        changed += n;
        /* the Deployments' status from the ReplicaSets of this round, not the last */
        if ((n = controller_deployment_status(c)) < 0) return -1;
        changed += n;
        if ((n = controller_endpoints(c)) < 0) return -1;
        changed += n;
        if (!changed) return 0;
    }
    return 0;
}

int cluster_reconcile(store *st, const istio_release *rel)
{
    cluster_cache *c = ccache_new(st, rel);
    if (!c) return -1;
    int rc = run_rounds(c);
    ccache_free(c);
    return rc;
}

bool cluster_owned_by(json_t *obj, const char *uid)
{
    size_t i;
    json_t *ref;
    json_array_foreach(obj_at(obj, "metadata.ownerReferences"), i, ref)
        if (json_is_true(json_object_get(ref, "controller")) && !strcmp(obj_str_or(ref, "uid", ""), uid)) return true;
    return false;
}

json_t *cluster_index_by_owner(json_t *objs)
{
    json_t *index = json_object();
    size_t i, j;
    json_t *o, *ref;
    json_array_foreach(objs, i, o)
        json_array_foreach(obj_at(o, "metadata.ownerReferences"), j, ref) {
            const char *uid = obj_str(ref, "uid");
            if (!uid || !json_is_true(json_object_get(ref, "controller"))) continue;
            json_t *list = json_object_get(index, uid);
            if (!list) json_object_set_new(index, uid, list = json_array());
            json_array_append(list, o);
        }
    return index;
}

json_t *cluster_owner_ref(json_t *owner, const char *api_version, const char *kind)
{
    return json_pack("[{s:s,s:s,s:s,s:s,s:b,s:b}]", "apiVersion", api_version, "kind", kind,
                     "name", obj_name(owner), "uid", obj_str_or(owner, "metadata.uid", ""),
                     "controller", 1, "blockOwnerDeletion", 1);
}

/* Write obj if it differs from what is stored (so a settled store sees no
 * writes and resourceVersions do not churn).  1 = written, 0 = same, -1 = error. */
int cluster_write_if_changed(store *st, const kind_info *k, json_t *obj, json_t *stored)
{
    if (stored && json_equal(obj, stored)) return 0;
    api_error e;
    api_status s = stored ? api_update(st, k, obj, &e) : api_create(st, k, obj, &e);
    return s == API_OK ? 1 : -1;
}
