/* istioctl kube-inject: the manifests of a file with the sidecar added to
 * every pod template, printed as YAML for `kubectl apply -f -`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cluster/cluster.h"
#include "model/loader.h"
#include "model/obj.h"
#include "model/printer.h"

/* Where a kind keeps its pod template (NULL: the object is not a workload). */
static json_t *pod_template(json_t *o)
{
    const char *kind = obj_kind(o);
    if (!strcmp(kind, "Pod")) return o;
    if (!strcmp(kind, "Deployment") || !strcmp(kind, "ReplicaSet") || !strcmp(kind, "StatefulSet") ||
        !strcmp(kind, "DaemonSet") || !strcmp(kind, "Job") || !strcmp(kind, "ReplicationController") ||
        !strcmp(kind, "DeploymentConfig"))
        return obj_at(o, "spec.template");
    if (!strcmp(kind, "CronJob")) return obj_at(o, "spec.jobTemplate.spec.template");
    return NULL;
}

int cmd_kube_inject(cmd_ctx *ctx, int argc, char **argv)
{
    const char *file = NULL, *output = NULL, *mesh_file = NULL, *inject_file = NULL, *values_file = NULL;
    const char *revision = NULL;
    const flag_spec specs[] = {
        {"filename", 'f', FLAG_STR, &file, NULL},
        {"output", 'o', FLAG_STR, &output, NULL},
        {"meshConfigFile", 0, FLAG_STR, &mesh_file, NULL},
        {"injectConfigFile", 0, FLAG_STR, &inject_file, NULL},
        {"valuesFile", 0, FLAG_STR, &values_file, NULL},
        {"revision", 'r', FLAG_STR, &revision, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "istioctl kube-inject", ctx->err), rc = 0;
    flags_free(&fr);
    if (prc) {
        if (prc > 0) fprintf(ctx->out, "kube-inject manually injects the Istio sidecar into Kubernetes workloads.\n\n"
                                       "Usage:\n  istioctl kube-inject [flags]\n");
        return prc > 0 ? 0 : 64;
    }
    if (!file) {
        fprintf(ctx->err, "Error: filename not specified (see --filename or -f)\n");
        return 64;
    }
    store *st = cmd_store(ctx);
    if (!st) return 1;
    /* the injector's configuration comes from the cluster, as istioctl reads it */
    json_t *cm = store_get(st, "configmaps", "istio-system", "istio-sidecar-injector");
    if (!cm && !inject_file) {
        fprintf(ctx->err, "Error: failed to get injection config: configmaps \"istio-sidecar-injector\" not found\n");
        return cmd_finish(ctx, 1);
    }
    json_decref(cm);
    loaded_docs d = {0};
    char err[2048];
    if (loader_load_path(&d, file, 0, ctx->in, err, sizeof err)) {
        fprintf(ctx->err, "Error: %s\n", err);
        loaded_docs_free(&d);
        return cmd_finish(ctx, 1);
    }
    FILE *out = ctx->out;
    if (output && strcmp(output, "-")) {
        out = fopen(output, "w");
        if (!out) {
            fprintf(ctx->err, "Error: open %s: %s\n", output, strerror(errno));
            loaded_docs_free(&d);
            return cmd_finish(ctx, 1);
        }
    }
    for (size_t i = 0; i < d.n; i++) {
        json_t *o = d.docs[i].obj;
        json_t *t = pod_template(o);
        const char *flag = t ? obj_annotation(t, "sidecar.istio.io/inject") : NULL;
        if (!flag && t) flag = obj_label(t, "sidecar.istio.io/inject");
        if (t && !(flag && !strcmp(flag, "false")) && !json_is_true(obj_at(t, "spec.hostNetwork"))) {
            const char *ns = obj_namespace(o);
            cluster_inject(ctx->rel, t, *ns ? ns : "default", obj_name(o));
            if (t != o) {
                json_t *md = obj_metadata(t);
                if (!json_object_get(md, "creationTimestamp")) json_object_set_new(md, "creationTimestamp", json_null());
            }
            if (!json_object_get(o, "status")) json_object_set_new(o, "status", json_object());
        }
        print_yaml(out, o);
        fprintf(out, "---\n");
    }
    if (out != ctx->out) fclose(out);
    loaded_docs_free(&d);
    return cmd_finish(ctx, rc);
}
