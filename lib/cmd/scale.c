/* kubectl scale: a new spec.replicas; the controllers add or remove pods. */
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cmd/targets.h"
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"

int cmd_scale(cmd_ctx *ctx, int argc, char **argv)
{
    const char *ns = NULL, *selector = NULL;
    long replicas = -1, current = -1;
    bool replicas_set = false;
    bool all = false;
    flag_list files = {0};
    const flag_spec specs[] = {
        {"replicas", 0, FLAG_INT, &replicas, &replicas_set},
        {"current-replicas", 0, FLAG_INT, &current, NULL},
        {"namespace", 'n', FLAG_STR, &ns, NULL},
        {"selector", 'l', FLAG_STR, &selector, NULL},
        {"all", 0, FLAG_BOOL, &all, NULL},
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "kubectl scale", ctx->err), rc = 0;
    if (prc) {
        if (prc > 0) fprintf(ctx->out, "Set a new size for a deployment, replica set, replication controller, or stateful set.\n\n"
                                       "Usage:\n  kubectl scale [--resource-version=version] [--current-replicas=count] --replicas=COUNT (-f FILENAME | TYPE NAME) [options]\n");
        rc = prc > 0 ? 0 : 1;
        goto done;
    }
    if (!replicas_set) {
        cmd_klog_command_failed(ctx->err, "required flag(s) \"replicas\" not set");
        rc = 1;
        goto done;
    }
    if (replicas < 0) {
        fprintf(ctx->err, "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n");
        rc = 1;
        goto done;
    }
    if (fr.npos == 0 && !files.n) {
        fprintf(ctx->err, "error: required resource not specified\n");
        rc = 1;
        goto done;
    }
    store *st = cmd_store(ctx);
    if (!st) { rc = 1; goto done; }
    target_query q = {fr.pos, fr.npos, files.v, files.n, false, ns ? ns : cmd_default_namespace(ctx), false, selector, NULL, ctx->in};
    targets t = {0};
    if (targets_resolve(st, &q, ctx->err, &t)) rc = 1;
    for (size_t i = 0; i < t.n; i++) {
        const kind_info *k = t.v[i].k;
        json_t *o = t.v[i].obj;
        char disp[256];
        kind_display(k, disp, sizeof disp);
        if (strcmp(k->kind, "Deployment") && strcmp(k->kind, "ReplicaSet")) {
            fprintf(ctx->err, "error: no scaler has been implemented for {%s %s}\n", k->group, k->kind);
            rc = 1;
            continue;
        }
        if (current >= 0 && obj_int_or(o, "spec.replicas", 1) != current) {
            fprintf(ctx->err, "error: Expected replicas to be %ld, was %lld\n", current, obj_int_or(o, "spec.replicas", 1));
            rc = 1;
            continue;
        }
        json_object_set_new(json_object_get(o, "spec"), "replicas", json_integer(replicas));
        api_error e;
        if (api_update(st, k, o, &e) != API_OK) {
            fprintf(ctx->err, "Error from server: %s\n", e.msg);
            rc = 1;
            continue;
        }
        fprintf(ctx->out, "%s/%s scaled\n", disp, obj_name(o));
    }
    if (cluster_reconcile(st, ctx->rel)) rc = 1;
    targets_free(&t);
    flags_free(&fr);
    flag_list_free(&files);
    return cmd_finish(ctx, rc);
done:
    flags_free(&fr);
    flag_list_free(&files);
    return rc;
}
