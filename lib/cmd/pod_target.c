/* Finding the pod and container of kubectl exec / logs.  See pod_target.h. */
#include <stdlib.h>
#include <string.h>
#include "cmd/pod_target.h"
#include "model/api.h"
#include "model/kinds.h"
#include "model/obj.h"
#include "model/selector.h"
#include "store/index.h"

/* The pod last found by name, kept while the store's objects stay the same:
 * a process that runs many commands (the shell, __probe-loop) would parse
 * the same pod (6 KB of JSON with a sidecar) at every one.  Keyed by the
 * store's directory and objects generation, which every committed object
 * write changes (store/index.h). */
static struct {
    char dir[4096];
    long long generation;
    char ns[256], name[256];
    json_t *pod;
} last;

static json_t *pod_by_name(store *st, const char *ns, const char *name)
{
    bool keep = !store_objects_dirty(st) && strlen(store_dir(st)) < sizeof last.dir &&
                strlen(ns) < sizeof last.ns && strlen(name) < sizeof last.name;
    long long gen = keep ? store_objects_generation(st) : 0;
    if (keep && last.pod && last.generation == gen && !strcmp(last.dir, store_dir(st)) &&
        !strcmp(last.ns, ns) && !strcmp(last.name, name))
        return json_incref(last.pod);
    json_t *pod = store_get(st, "pods", ns, name);
    if (keep && pod) {
        json_decref(last.pod);
        last.pod = json_incref(pod);
        last.generation = gen;
        strcpy(last.dir, store_dir(st));
        strcpy(last.ns, ns);
        strcpy(last.name, name);
    }
    return pod;
}

/* The label selector of a workload or Service, as a LabelSelector object. */
static json_t *selector_of(json_t *w)
{
    if (!strcmp(obj_kind(w), "Service")) {
        json_t *sel = obj_at(w, "spec.selector");
        return json_is_object(sel) && json_object_size(sel) ? json_pack("{s:O}", "matchLabels", sel) : NULL;
    }
    json_t *sel = obj_at(w, "spec.selector");
    return json_is_object(sel) ? json_incref(sel) : NULL;
}

json_t *pod_target_pods_of(store *st, json_t *w)
{
    json_t *out = json_array();
    json_t *sel = selector_of(w);
    if (!sel) return out;
    json_t *pods = store_list(st, "pods", obj_namespace(w));
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p)
        if (label_selector_matches(sel, obj_labels(p))) json_array_append(out, p);
    json_decref(pods);
    json_decref(sel);
    return out;
}

json_t *pod_target_resolve(store *st, const char *arg, const char *ns, FILE *err)
{
    const char *slash = strchr(arg, '/');
    if (!slash) {
        json_t *pod = pod_by_name(st, ns, arg);
        if (!pod) fprintf(err, "Error from server (NotFound): pods \"%s\" not found\n", arg);
        return pod;
    }
    char type[256];
    snprintf(type, sizeof type, "%.*s", (int)(slash - arg), arg);
    const char *name = slash + 1;
    const kind_info *k = kind_lookup(type);
    if (!k) {
        fprintf(err, "error: the server doesn't have a resource type \"%s\"\n", type);
        return NULL;
    }
    json_t *o = api_get(st, k, ns, name);
    if (!o) {
        fprintf(err, "Error from server (NotFound): %s \"%s\" not found\n", k->resource, name);
        return NULL;
    }
    if (!strcmp(k->kind, "Pod")) return o;
    json_t *pods = pod_target_pods_of(st, o), *pick = NULL;
    size_t i;
    json_t *p;
    /* kubectl prefers a running pod */
    json_array_foreach(pods, i, p)
        if (!pick && !strcmp(obj_str_or(p, "status.phase", ""), "Running")) pick = p;
    if (!pick) pick = json_array_get(pods, 0);
    json_t *sel = selector_of(o);
    if (pick) json_incref(pick);
    else if (!sel) fprintf(err, "error: cannot attach to %s: selector for %s not implemented\n", k->kind, name);
    else fprintf(err, "error: timed out waiting for the condition\n");
    json_decref(sel);
    json_decref(pods);
    json_decref(o);
    return pick;
}

json_t *pod_target_container(json_t *pod, const char *name, FILE *err, bool quiet, const char *verb)
{
    json_t *cs = obj_at(pod, "spec.containers"), *c;
    size_t i;
    if (name) {
        json_array_foreach(cs, i, c)
            if (!strcmp(obj_str_or(c, "name", ""), name)) return c;
        json_array_foreach(obj_at(pod, "spec.initContainers"), i, c)
            if (!strcmp(obj_str_or(c, "name", ""), name)) return c;
        if (!strcmp(verb, "exec"))
            fprintf(err, "error: unable to upgrade connection: container not found (\"%s\")\n", name);
        else
            fprintf(err, "error: container %s is not valid for pod %s\n", name, obj_name(pod));
        return NULL;
    }
    const char *def = obj_annotation(pod, "kubectl.kubernetes.io/default-container");
    if (def) {
        json_array_foreach(cs, i, c)
            if (!strcmp(obj_str_or(c, "name", ""), def)) return c;
        if (!quiet) fprintf(err, "Warning: default container name \"%s\" not found in pod %s\n", def, obj_name(pod));
    }
    c = json_array_get(cs, 0);
    if (!c) {
        fprintf(err, "error: pod %s does not have a container\n", obj_name(pod));
        return NULL;
    }
    size_t n = json_array_size(cs) + json_array_size(obj_at(pod, "spec.initContainers"));
    if (n > 1 && !quiet) {
        fprintf(err, "Defaulted container \"%s\" out of: ", obj_str_or(c, "name", ""));
        json_t *x;
        json_array_foreach(cs, i, x) fprintf(err, "%s%s", i ? ", " : "", obj_str_or(x, "name", ""));
        json_array_foreach(obj_at(pod, "spec.initContainers"), i, x) fprintf(err, ", %s (init)", obj_str_or(x, "name", ""));
        fputc('\n', err);
    }
    return c;
}
