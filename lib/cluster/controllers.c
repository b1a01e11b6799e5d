/* The controllers: they turn what users apply into what runs.  Each one
 * reads the store, writes what should change through the API write path,
 * and reports how many objects it changed; running them until nothing
 * changes gives the settled state a real cluster reaches within seconds. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"

/* Enough rounds for Deployment -> ReplicaSet -> Pod -> Endpoints and the
 * status written back up; a loop that never settles is a bug, not a hang. */
#define MAX_ROUNDS 8

/* The controllers in the order a round runs them, each with what it reads:
 * a controller whose inputs nobody wrote since it last settled would
 * decide the same again, so a round skips it (each one settles in one run
 * unless it says otherwise with ccache_again).  The garbage collector only
 * has new work after a delete (objects are made with live owners). */
typedef struct controller {
    int (*run)(cluster_cache *c);
    const char *inputs[5];
    bool after_deletes;   /* any delete is new work too */
    const char *spec_inputs[3];   /* inputs whose status writes it does not read */
} controller;

static const controller controllers[] = {
    {controller_service_accounts, {"namespaces", "serviceaccounts"}, false, {NULL}},
    {controller_garbage, {NULL}, true, {NULL}},   /* deletes only */
    {controller_ca_root_cert, {"deployments.apps", "namespaces", "configmaps", "secrets"}, false, {NULL}},
    /* a Deployment's ReplicaSets follow its spec and theirs, not the
     * statuses written after them */
    {controller_deployments, {NULL}, false, {"deployments.apps", "replicasets.apps"}},
    /* injection reads the namespace's labels and whether istiod runs (no
     * controller makes Deployments; one could only go with a delete) */
    {controller_replicasets, {"replicasets.apps", "pods", "namespaces"}, true, {NULL}},
    /* the Deployments' status from the ReplicaSets of this round, not the last */
    {controller_deployment_status, {"deployments.apps", "replicasets.apps"}, false, {NULL}},
    {controller_endpoints, {"services", "pods", "endpoints"}, false, {NULL}},
};
#define NCONTROLLERS (sizeof controllers / sizeof controllers[0])

static bool inputs_changed(cluster_cache *c, const controller *ctl, long long settled_at)
{
    if (settled_at < 0) return true;
    if (ctl->after_deletes && ccache_last_delete(c) > settled_at) return true;
    for (int i = 0; i < 5 && ctl->inputs[i]; i++)
        if (ccache_last_write(c, kind_lookup(ctl->inputs[i])) > settled_at) return true;
    for (int i = 0; i < 3 && ctl->spec_inputs[i]; i++)
        if (ccache_last_spec_write(c, kind_lookup(ctl->spec_inputs[i])) > settled_at) return true;
    return false;
}

static bool first_round_needed(cluster_cache *c, const controller *ctl)
{
    if (ctl->after_deletes && store_may_orphan(ccache_store(c))) return true;
    for (int i = 0; i < 5 && ctl->inputs[i]; i++)
        if (ccache_resource_written(c, ctl->inputs[i])) return true;
    for (int i = 0; i < 3 && ctl->spec_inputs[i]; i++)
        if (ccache_resource_written(c, ctl->spec_inputs[i])) return true;
    return false;
}

static int run_rounds(cluster_cache *c)
{
    long long settled_at[NCONTROLLERS];
    /* the store was settled when the command began: the first round runs
     * the controllers whose inputs the command wrote, and the garbage
     * collector when it may have left garbage.  (Running them all read every
     * pod of a 3 000-pod cluster to apply one VirtualService: 0.5 s, 200 MB.) */
    for (size_t i = 0; i < NCONTROLLERS; i++)
        settled_at[i] = first_round_needed(c, &controllers[i]) ? -1 : 0;
    for (int round = 0; round < MAX_ROUNDS; round++) {
        int changed = 0;
        for (size_t i = 0; i < NCONTROLLERS; i++) {
            if (!inputs_changed(c, &controllers[i], settled_at[i])) continue;
            ccache_take_again(c);
            int n = controllers[i].run(c);
            if (n < 0) return -1;
            changed += n;
            settled_at[i] = ccache_take_again(c) ? -1 : ccache_seq(c);
        }
        if (!changed) return 0;
    }
    return 0;
}

/* The view of the last reconcile, freed on a second thread while the
 * command commits (freeing the objects of 3 000 pods was a tenth of
 * applying 1 000 Deployments). */
static pthread_t freeing;
static bool freeing_running;

static void *free_view(void *c)
{
    ccache_free(c);
    return NULL;
}

void cluster_reconcile_done(void)
{
    if (!freeing_running) return;
    pthread_join(freeing, NULL);
    freeing_running = false;
}

/* Views left to the system when the process ends (see cluster.h): kept
 * reachable here, as leak checkers want. */
static bool leaving;
static cluster_cache *left[8];
static int nleft;

void cluster_reconcile_leave_views(bool leave) { leaving = leave; }

static bool leave_view(cluster_cache *c)
{
    if (!leaving || nleft == (int)(sizeof left / sizeof left[0])) return false;
    left[nleft++] = c;
    return true;
}

int cluster_reconcile(store *st, const istio_release *rel) { return cluster_reconcile_written(st, rel, NULL, NULL); }

int cluster_reconcile_written(store *st, const istio_release *rel, json_t *written, json_t *held)
{
    cluster_reconcile_done();
    cluster_cache *c = ccache_new(st, rel);
    if (!c) return -1;
    ccache_written(c, written);
    int rc = ccache_held(c, held);
    if (run_rounds(c)) rc = -1;
    if (ccache_flush(c)) rc = -1;
    if (ccache_write_behind_done(c)) rc = -1;
    if (leave_view(c)) return rc;
    static bool joined_at_exit;
    if (!joined_at_exit) joined_at_exit = atexit(cluster_reconcile_done) == 0;
    freeing_running = joined_at_exit && pthread_create(&freeing, NULL, free_view, c) == 0;
    if (!freeing_running) ccache_free(c);
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
