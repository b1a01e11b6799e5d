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

/* Keep a condition's timestamps when nothing about it changed. */
static json_t *condition(json_t *old_conds, const char *type, const char *status, const char *reason,
                         const char *message, const char *now)
{
    size_t i;
    json_t *c;
    json_array_foreach(old_conds, i, c) {
        if (!strcmp(obj_str_or(c, "type", ""), type) && !strcmp(obj_str_or(c, "status", ""), status) &&
            !strcmp(obj_str_or(c, "reason", ""), reason) && !strcmp(obj_str_or(c, "message", ""), message))
            return json_deep_copy(c);
    }
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", type, "status", status, "lastUpdateTime", now,
                     "lastTransitionTime", now, "reason", reason, "message", message);
}

static json_t *new_replicaset(json_t *d, json_t *tmpl, const char *name, const char *hash, long long replicas,
                              long long revision)
{
    json_t *t = json_deep_copy(tmpl);
    json_object_set_new(obj_labels_mut(t), "pod-template-hash", json_string(hash));
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

/* owned: the ReplicaSets d controls, from one listing per round (see
 * cluster_index_by_owner); only this sync writes them. */
static int sync_deployment(cluster_cache *c, const kind_info *dk, const kind_info *rsk, json_t *d, json_t *owned)
{
    const char *ns = obj_namespace(d);
    json_t *tmpl = obj_at(d, "spec.template");
    if (!json_is_object(tmpl)) return 0;
    long long replicas = obj_int_or(d, "spec.replicas", 1);
    char hash[CLUSTER_HASH_MAX], name[512];
    cluster_template_hash(tmpl, hash);
    snprintf(name, sizeof name, "%s-%s", obj_name(d), hash);
    int changed = 0, rc;
    long long max_rev = 0, ready = 0, total = 0, updated = 0;
    json_t *all = json_array(), *current = NULL;
    size_t i;
    json_t *rs;
    json_array_foreach(owned, i, rs)
        if (!strcmp(obj_namespace(rs), ns)) json_array_append(all, rs);
    json_array_foreach(all, i, rs) {
        long long rev = revision_of(rs);
        if (rev > max_rev) max_rev = rev;
        if (!strcmp(obj_name(rs), name)) { current = rs; continue; }
        total += obj_int_or(rs, "status.replicas", 0);
        ready += obj_int_or(rs, "status.readyReplicas", 0);
        if (obj_int_or(rs, "spec.replicas", 0) != 0) {
            json_t *copy = json_deep_copy(rs);
            json_object_set_new(json_object_get(copy, "spec"), "replicas", json_integer(0));
            rc = ccache_write_if_changed(c, rsk, copy, rs);
            json_decref(copy);
            if (rc < 0) { json_decref(all); return -1; }
            changed += rc;
        }
    }
    long long revision = max_rev;
    if (!current) {
        if (ccache_get(c, rsk, ns, name)) {  /* a ReplicaSet of that name that is not ours: leave it be */
            json_decref(all);
            return changed;
        }
        revision = max_rev + 1;
        json_t *nrs = new_replicaset(d, tmpl, name, hash, replicas, revision);
        rc = ccache_write_if_changed(c, rsk, nrs, NULL);
        json_decref(nrs);
        if (rc < 0) { json_decref(all); return -1; }
        changed += rc;
    } else {
        long long rev = revision_of(current);
        json_t *copy = json_deep_copy(current);
        json_object_set_new(json_object_get(copy, "spec"), "replicas", json_integer(replicas));
        if (rev < max_rev) {   /* rolled back to an older template: it becomes the newest revision */
            char buf[32];
            snprintf(buf, sizeof buf, "%lld", max_rev + 1);
            json_object_set_new(obj_annotations_mut(copy), REVISION, json_string(buf));
            revision = max_rev + 1;
        } else {
            revision = rev;
        }
        rc = ccache_write_if_changed(c, rsk, copy, current);
        json_decref(copy);
        if (rc < 0) { json_decref(all); return -1; }
        changed += rc;
        updated = obj_int_or(current, "status.replicas", 0);
        total += updated;
        ready += obj_int_or(current, "status.readyReplicas", 0);
    }
    json_decref(all);

    /* status, as the controller reports it */
    char now[32], msg[700], revbuf[32];
    time_rfc3339(now, sizeof now, time_now_ms() / 1000);
    json_t *copy = json_deep_copy(d);
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
    json_array_append_new(conds, condition(old_conds, "Available", available ? "True" : "False",
        available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
        available ? "Deployment has minimum availability." : "Deployment does not have minimum availability.", now));
    bool done = updated == replicas && total == replicas && ready == replicas;
    snprintf(msg, sizeof msg, done ? "ReplicaSet \"%s\" has successfully progressed." : "ReplicaSet \"%s\" is progressing.", name);
    json_array_append_new(conds, condition(old_conds, "Progressing", "True",
                                           done ? "NewReplicaSetAvailable" : "ReplicaSetUpdated", msg, now));
    json_object_set_new(status, "conditions", conds);
    json_object_set_new(copy, "status", status);
    snprintf(revbuf, sizeof revbuf, "%lld", revision);
    json_object_set_new(obj_annotations_mut(copy), REVISION, json_string(revbuf));
    rc = ccache_write_if_changed(c, dk, copy, d);
    json_decref(copy);
    return rc < 0 ? -1 : changed + rc;
}

int controller_deployments(cluster_cache *c)
{
    const kind_info *dk = kind_lookup("deployments.apps"), *rsk = kind_lookup("replicasets.apps");
    json_t *all = ccache_list(c, dk);
    json_t *rss = json_array_size(all) ? ccache_list(c, rsk) : json_array();
    json_t *by_owner = cluster_index_by_owner(rss);
    int changed = 0;
    size_t i;
    json_t *d;
    json_array_foreach(all, i, d) {
        int n = sync_deployment(c, dk, rsk, d, json_object_get(by_owner, obj_str_or(d, "metadata.uid", "")));
        if (n < 0) { changed = -1; break; }
        changed += n;
    }
    json_decref(by_owner);
    json_decref(rss);
    json_decref(all);
    return changed;
}
