/* The deployment controller: a Deployment owns one ReplicaSet per pod
 * template (named <deployment>-<pod-template-hash>).  The one for the
 * current template gets the replicas; older ones are scaled to zero, which
 * is where a real rolling update ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"

#define REVISION "deployment.kubernetes.io/revision"

static long long revision_of(json_t *rs)
{
    const char *v = obj_annotation(rs, REVISION);
    return v ? atoll(v) : 0;
}

/* A condition as of now. */
static json_t *new_condition(const char *type, const char *status, const char *reason, const char *message,
                             const char *now)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", type, "status", status, "lastUpdateTime", now,
                     "lastTransitionTime", now, "reason", reason, "message", message);
}

/* Keep a condition's timestamps when nothing about it changed: the old
 * one, or made (NULL: a new one), shared as objects of the view are never
 * changed in place. */
static json_t *condition(json_t *old_conds, const char *type, const char *status, const char *reason,
                         const char *message, const char *now, json_t *made)
{
    size_t i;
    json_t *c;
    json_array_foreach(old_conds, i, c) {
        if (!strcmp(obj_str_or(c, "type", ""), type) && !strcmp(obj_str_or(c, "status", ""), status) &&
            !strcmp(obj_str_or(c, "reason", ""), reason) && !strcmp(obj_str_or(c, "message", ""), message))
            return json_incref(c);
    }
    return made ? json_incref(made) : new_condition(type, status, reason, message, now);
}

#define AVAILABLE_TRUE "MinimumReplicasAvailable", "Deployment has minimum availability."
#define AVAILABLE_FALSE "MinimumReplicasUnavailable", "Deployment does not have minimum availability."

/* A member of o that is an object, copied (shallow) to be changed; a new
 * empty one when absent (as obj_labels_mut makes it). */
static json_t *own_object(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    json_t *copy = json_is_object(v) ? json_copy(v) : json_object();
    json_object_set_new(o, key, copy);
    return copy;
}

static json_t *new_replicaset(json_t *d, json_t *tmpl, const char *name, const char *hash, long long replicas,
                              long long revision)
{
    /* the template with the hash among its labels; its spec stays the
     * Deployment's (objects of the view are never changed in place) */
    json_t *t = json_copy(tmpl);
    json_object_set_new(own_object(own_object(t, "metadata"), "labels"), "pod-template-hash", json_string(hash));
    json_t *labels = json_deep_copy(obj_labels(t));
    json_t *match = json_deep_copy(obj_at(d, "spec.selector.matchLabels"));
    if (!json_is_object(match)) { json_decref(match); match = json_object(); }
    json_object_set_new(match, "pod-template-hash", json_string(hash));
    char rev[32], reps[32], surge[32];
    snprintf(rev, sizeof rev, "%lld", revision);
    snprintf(reps, sizeof reps, "%lld", replicas);
    snprintf(surge, sizeof surge, "%lld", replicas + (replicas + 3) / 4);
    json_t *rs = json_pack("{s:s,s:s,s:{s:s,s:s,s:o,s:{s:s,s:s,s:s},s:o},s:{s:I,s:{s:o},s:o}}",
        "apiVersion", "apps/v1", "kind", "ReplicaSet",
        "metadata", "name", name, "namespace", obj_namespace(d), "labels", labels,
        "annotations", "deployment.kubernetes.io/desired-replicas", reps, "deployment.kubernetes.io/max-replicas", surge,
        REVISION, rev, "ownerReferences", cluster_owner_ref(d, "apps/v1", "Deployment"),
        "spec", "replicas", (json_int_t)replicas, "selector", "matchLabels", match, "template", t);
    json_t *expr = obj_at(d, "spec.selector.matchExpressions");
    if (expr) json_object_set(obj_at(rs, "spec.selector"), "matchExpressions", expr);
    return rs;
}

/* The pod-template-hash of d's template, worked out once per reconcile
 * and generation (the template only changes with the spec): the memo's
 * key for it, the hash (from the memo, read only: this may run on a second
 * thread), and keeping it there. */
static void hash_key(json_t *d, char key[160])
{
    snprintf(key, 160, "template-hash/%s/%lld", obj_str_or(d, "metadata.uid", ""), obj_int_or(d, "metadata.generation", 0));
}

static void template_hash(json_t *memo, json_t *d, char hash[CLUSTER_HASH_MAX])
{
    char key[160];
    hash_key(d, key);
    const char *known = json_string_value(json_object_get(memo, key));
    if (known) snprintf(hash, CLUSTER_HASH_MAX, "%s", known);
    else cluster_template_hash(obj_at(d, "spec.template"), hash);
}

static void keep_hash(json_t *memo, json_t *d, const char *hash)
{
    char key[160];
    hash_key(d, key);
    if (!json_object_get(memo, key)) json_object_set_new(memo, key, json_string(hash));
}

/* The ReplicaSets of d in its namespace, from owned (the ReplicaSets d
 * controls, one listing per round: see cluster_index_by_owner); *current
 * is the one for d's template (name), if any. */
static json_t *owned_here(json_t *d, json_t *owned, const char *name, json_t **current, long long *max_rev)
{
    const char *ns = obj_namespace(d);
    json_t *all = json_array(), *rs;
    size_t i;
    *current = NULL;
    *max_rev = 0;
    json_array_foreach(owned, i, rs) {
        if (strcmp(obj_namespace(rs), ns)) continue;
        json_array_append(all, rs);
        long long rev = revision_of(rs);
        if (rev > *max_rev) *max_rev = rev;
        if (!strcmp(obj_name(rs), name)) *current = rs;
    }
    return all;
}

/* A Deployment of this round and what the controller works out for it
 * from the view alone, on two threads (cluster_parallel): its template's
 * hash, its ReplicaSets, the new ReplicaSet it would create (pass 0), the
 * Deployment with its new status (pass 1); then the writes, in order, on
 * this one. */
typedef struct dep_job {
    json_t *d, *owned;       /* borrowed */
    json_t *memo;            /* read only while worked out */
    const char *now;         /* the round's time, and its Available conditions (pass 1) */
    json_t *available[2];    /* False, True */
    char hash[CLUSTER_HASH_MAX], name[512];
    json_t *all, *current;   /* owned_here */
    bool held_back;          /* paused: current is the newest, not the template's */
    long long max_rev;
    json_t *nrs;             /* pass 0: the ReplicaSet to create when none is current */
    json_t *update;          /* pass 1: the Deployment with its new status (NULL: unchanged) */
} dep_job;

static void work_out(dep_job *j, int pass)
{
    json_t *d = j->d, *tmpl = obj_at(d, "spec.template");
    if (!json_is_object(tmpl)) return;
    template_hash(j->memo, d, j->hash);
    snprintf(j->name, sizeof j->name, "%s-%s", obj_name(d), j->hash);
    j->all = owned_here(d, j->owned, j->name, &j->current, &j->max_rev);
    j->held_back = false;
    if (!j->current && json_is_true(obj_at(d, "spec.paused"))) {
        /* paused (kubectl rollout pause): a new template waits for the
         * resume, the newest ReplicaSet keeps the pods, scaled as asked */
        size_t i;
        json_t *rs;
        json_array_foreach(j->all, i, rs)
            if (revision_of(rs) == j->max_rev) j->current = rs;
        j->held_back = j->current != NULL;
    }
    long long replicas = obj_int_or(d, "spec.replicas", 1);
    if (pass == 0) {
        if (!j->current) j->nrs = new_replicaset(d, tmpl, j->name, j->hash, replicas, j->max_rev + 1);
        return;
    }
    if (!j->current) return;   /* a ReplicaSet of that name that is not ours */
    long long ready = 0, total = 0, updated = 0;
    size_t i;
    json_t *rs;
    json_array_foreach(j->all, i, rs) {
        total += obj_int_or(rs, "status.replicas", 0);
        ready += obj_int_or(rs, "status.readyReplicas", 0);
        /* held back by a pause, no pod has the template yet */
        if (rs == j->current && !j->held_back) updated = obj_int_or(rs, "status.replicas", 0);
    }
    long long revision = revision_of(j->current);
    const char *now = j->now;
    char msg[700];
    json_t *old_conds = obj_at(d, "status.conditions");
    json_t *status = json_object();
    json_object_set_new(status, "observedGeneration", json_integer(obj_int_or(d, "metadata.generation", 1)));
    if (total) json_object_set_new(status, "replicas", json_integer(total));
    if (updated) json_object_set_new(status, "updatedReplicas", json_integer(updated));
    if (ready) json_object_set_new(status, "readyReplicas", json_integer(ready));
    if (ready) json_object_set_new(status, "availableReplicas", json_integer(ready));
    if (total > ready) json_object_set_new(status, "unavailableReplicas", json_integer(total - ready));
    json_t *conds = json_array();
    bool available = ready >= replicas - replicas / 4;
    json_array_append_new(conds, available ? condition(old_conds, "Available", "True", AVAILABLE_TRUE, now, j->available[1])
                                           : condition(old_conds, "Available", "False", AVAILABLE_FALSE, now, j->available[0]));
    bool done = updated == replicas && total == replicas && ready == replicas;
    snprintf(msg, sizeof msg, done ? "ReplicaSet \"%s\" has successfully progressed." : "ReplicaSet \"%s\" is progressing.",
             j->name);
    json_array_append_new(conds, condition(old_conds, "Progressing", "True",
                                           done ? "NewReplicaSetAvailable" : "ReplicaSetUpdated", msg, now, NULL));
    json_object_set_new(status, "conditions", conds);
    char revbuf[32];
    snprintf(revbuf, sizeof revbuf, "%lld", revision);
    const char *have_rev = obj_annotation(d, REVISION);
    if (have_rev && !strcmp(have_rev, revbuf) && json_equal(status, json_object_get(d, "status"))) {
        json_decref(status);
        return;
    }
    /* the revision annotation is the status' bookkeeping: the ReplicaSets
     * follow the spec */
    j->update = ccache_writable(d, true);
    json_object_set_new(j->update, "status", status);
    json_object_set_new(obj_annotations_mut(j->update), REVISION, json_string(revbuf));
}

static void job_free(dep_job *j)
{
    json_decref(j->all);
    json_decref(j->nrs);
    json_decref(j->update);
}

/* The current template's ReplicaSet gets the replicas (created when
 * missing), the others none; only this sync writes them. */
static int sync_deployment(cluster_cache *c, const kind_info *rsk, dep_job *j)
{
    json_t *d = j->d;
    const char *ns = obj_namespace(d);
    if (!json_is_object(obj_at(d, "spec.template"))) return 0;
    long long replicas = obj_int_or(d, "spec.replicas", 1);
    keep_hash(ccache_memo(c), d, j->hash);
    int changed = 0, rc = 0;
    json_t *current = j->current, *rs;
    long long max_rev = j->max_rev;
    size_t i;
    json_array_foreach(j->all, i, rs) {
        if (rs == current || obj_int_or(rs, "spec.replicas", 0) == 0) continue;
        json_t *copy = json_deep_copy(rs);
        json_object_set_new(json_object_get(copy, "spec"), "replicas", json_integer(0));
        rc = ccache_write_if_changed(c, rsk, copy, rs);
        json_decref(copy);
        if (rc < 0) break;
        changed += rc;
    }
    if (rc < 0) return -1;
    if (!current) {
        if (ccache_contains(c, rsk, ns, j->name)) return changed;  /* a ReplicaSet of that name that is not ours: leave it be */
        rc = ccache_write_if_changed(c, rsk, j->nrs, NULL);
        return rc < 0 ? -1 : changed + rc;
    }
    /* rolled back to an older template: it becomes the newest revision */
    bool bump = revision_of(current) < max_rev;
    if (!bump && obj_int_or(current, "spec.replicas", -1) == replicas && json_is_integer(obj_at(current, "spec.replicas")))
        return changed;
    json_t *copy = json_deep_copy(current);
    json_object_set_new(json_object_get(copy, "spec"), "replicas", json_integer(replicas));
    if (bump) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", max_rev + 1);
        json_object_set_new(obj_annotations_mut(copy), REVISION, json_string(buf));
    }
    rc = ccache_write_if_changed(c, rsk, copy, current);
    json_decref(copy);
    return rc < 0 ? -1 : changed + rc;
}

/* The status, as the controller reports it, once the ReplicaSets of this
 * round are settled (written only when it changed). */
static int deployment_status(cluster_cache *c, const kind_info *dk, dep_job *j)
{
    return j->update ? ccache_write_status_if_changed(c, dk, j->update, j->d) : 0;
}

typedef struct dep_jobs { dep_job *v; int pass; } dep_jobs;

static void work_out_one(void *ctx, size_t i)
{
    dep_jobs *js = ctx;
    work_out(&js->v[i], js->pass);
}

#define APART 32   /* fewer Deployments are worked out on this thread only */

/* pass: 0 = the ReplicaSets, 1 = the status (after the replicaset controller ran). */
static int each_deployment(cluster_cache *c, int pass)
{
    const kind_info *dk = kind_lookup("deployments.apps"), *rsk = kind_lookup("replicasets.apps");
    json_t *all = ccache_list(c, dk);
    json_t *rss = json_array_size(all) ? ccache_list(c, rsk) : json_array();
    json_t *by_owner = cluster_index_by_owner(rss);
    size_t n = json_array_size(all), i;
    dep_job *jobs = calloc(n ? n : 1, sizeof *jobs);
    int changed = jobs ? 0 : -1;
    /* the round's time, and the Available conditions every Deployment
     * made available or not in it shares */
    char now[32];
    time_rfc3339(now, sizeof now, time_now_ms() / 1000);
    json_t *available[2] = {NULL, NULL};
    if (pass) {
        available[0] = new_condition("Available", "False", AVAILABLE_FALSE, now);
        available[1] = new_condition("Available", "True", AVAILABLE_TRUE, now);
    }
    json_t *d;
    json_array_foreach(all, i, d) {
        if (!jobs) break;
        jobs[i].d = d;
        jobs[i].owned = json_object_get(by_owner, obj_str_or(d, "metadata.uid", ""));
        jobs[i].memo = ccache_memo(c);
        jobs[i].now = now;
        jobs[i].available[0] = available[0];
        jobs[i].available[1] = available[1];
    }
    if (jobs) {
        dep_jobs js = {jobs, pass};
        cluster_parallel(n, APART, work_out_one, &js);
    }
    for (i = 0; jobs && i < n; i++) {
        int k = pass ? deployment_status(c, dk, &jobs[i]) : sync_deployment(c, rsk, &jobs[i]);
        if (k < 0) { changed = -1; break; }
        changed += k;
    }
    for (i = 0; jobs && i < n; i++) job_free(&jobs[i]);
    free(jobs);
    json_decref(available[0]);
    json_decref(available[1]);
    json_decref(by_owner);
    json_decref(rss);
    json_decref(all);
    return changed;
}

int controller_deployments(cluster_cache *c) { return each_deployment(c, 0); }
int controller_deployment_status(cluster_cache *c) { return each_deployment(c, 1); }
