/* kubectl rollout status|restart|history: a rollout in meshsim completes
 * within the command that starts it, so status answers at once. */
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cmd/targets.h"
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"

static bool rollout_kind(const kind_info *k)
{
    return !strcmp(k->kind, "Deployment");
}

static int status_one(cmd_ctx *ctx, const kind_info *k, json_t *o)
{
    char disp[256];
    kind_display(k, disp, sizeof disp);
    long long want = obj_int_or(o, "spec.replicas", 1);
    long long updated = obj_int_or(o, "status.updatedReplicas", 0), avail = obj_int_or(o, "status.availableReplicas", 0);
    long long total = obj_int_or(o, "status.replicas", 0);
    if (updated >= want && total <= updated && avail >= updated) {
        fprintf(ctx->out, "deployment \"%s\" successfully rolled out\n", obj_name(o));
        return 0;
    }
    /* nothing will change while we wait: meshsim's controllers run inside each command */
    fprintf(ctx->out, "Waiting for deployment \"%s\" rollout to finish: %lld of %lld updated replicas are available...\n",
            obj_name(o), avail, want);
    fprintf(ctx->err, "error: timed out waiting for the condition\n");
    return 1;
}

int cmd_rollout(cmd_ctx *ctx, int argc, char **argv)
{
    if (argc == 0 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        /* kubectl prints it on standard output either way, and fails without a subcommand */
        fprintf(ctx->out, "Manage the rollout of one or many resources.\n\nAvailable Commands:\n"
                "  history       View rollout history\n  restart       Restart a resource\n"
                "  status        Show the status of the rollout\n\nUsage:\n  kubectl rollout SUBCOMMAND [options]\n");
        return argc ? 0 : 1;
    }
    const char *sub = argv[0];
    if (strcmp(sub, "status") && strcmp(sub, "restart") && strcmp(sub, "history")) {
        fprintf(ctx->err, "error: unknown command \"%s\"\nSee 'kubectl rollout -h' for help and examples\n", sub);
        return 1;
    }
    char cmdpath[64];
    snprintf(cmdpath, sizeof cmdpath, "kubectl rollout %s", sub);
    const char *ns = NULL, *timeout = NULL, *selector = NULL, *revision = NULL;
    bool watch = true;
    flag_list files = {0};
    const flag_spec specs[] = {
        {"namespace", 'n', FLAG_STR, &ns, NULL},
        {"timeout", 0, FLAG_STR, &timeout, NULL},
        {"watch", 'w', FLAG_BOOL, &watch, NULL},
        {"selector", 'l', FLAG_STR, &selector, NULL},
        {"revision", 0, FLAG_STR, &revision, NULL},
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc - 1, argv + 1, &fr, cmdpath, ctx->err), rc = 0;
    if (prc) {
        rc = prc > 0 ? 0 : 1;
        goto done;
    }
    if (fr.npos == 0 && !files.n && !selector) {
        fprintf(ctx->err, "error: required resource not specified\n");
        rc = 1;
        goto done;
    }
    if (fr.npos == 1 && !strchr(fr.pos[0], '/') && !selector) {
        fprintf(ctx->err, "error: you must provide one or more resources by argument or filename.\n");
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
        if (!rollout_kind(k)) {
            fprintf(ctx->err, "error: no %s has been implemented for \"%s\"\n",
                    !strcmp(sub, "status") ? "status viewer" : !strcmp(sub, "restart") ? "restarter" : "history viewer", k->kind);
            rc = 1;
            continue;
        }
        if (!strcmp(sub, "status")) {
            rc |= status_one(ctx, k, o);
        } else if (!strcmp(sub, "restart")) {
            /* a new pod template annotation makes a new ReplicaSet, which replaces every pod */
            char ts[32];
            time_rfc3339(ts, sizeof ts, time_now_ms() / 1000);
            json_t *tmpl = obj_at(o, "spec.template");
            if (json_is_object(tmpl)) {
                json_t *md = json_object_get(tmpl, "metadata");
                if (!json_is_object(md)) { md = json_object(); json_object_set_new(tmpl, "metadata", md); }
                json_t *ann = json_object_get(md, "annotations");
                if (!json_is_object(ann)) { ann = json_object(); json_object_set_new(md, "annotations", ann); }
                /* two restarts within a second still differ */
                const char *prev = json_string_value(json_object_get(ann, "kubectl.kubernetes.io/restartedAt"));
                char stamp[64];
                if (prev && !strncmp(prev, ts, strlen(ts))) snprintf(stamp, sizeof stamp, "%s.%lld", ts, time_now_ms() % 1000);
                else snprintf(stamp, sizeof stamp, "%s", ts);
                json_object_set_new(ann, "kubectl.kubernetes.io/restartedAt", json_string(stamp));
            }
            api_error e;
            if (api_update(st, k, o, &e) != API_OK) {
                fprintf(ctx->err, "Error from server: %s\n", e.msg);
                rc = 1;
            } else {
                fprintf(ctx->out, "%s/%s restarted\n", disp, obj_name(o));
            }
        } else {
            fprintf(ctx->out, "%s/%s \nREVISION  CHANGE-CAUSE\n", disp, obj_name(o));
            json_t *all = store_list(st, "replicasets.apps", obj_namespace(o));
            long long revs[256];
            int n = 0;
            size_t j;
            json_t *rs;
            json_array_foreach(all, j, rs)
                if (cluster_owned_by(rs, obj_str_or(o, "metadata.uid", "")) && n < 256)
                    revs[n++] = atoll(obj_annotation(rs, "deployment.kubernetes.io/revision") ? obj_annotation(rs, "deployment.kubernetes.io/revision") : "0");
            json_decref(all);
            for (int a = 1; a < n; a++)
                for (int b = a; b > 0 && revs[b - 1] > revs[b]; b--) { long long x = revs[b]; revs[b] = revs[b - 1]; revs[b - 1] = x; }
            for (int a = 0; a < n; a++) fprintf(ctx->out, "%-9lld <none>\n", revs[a]);
            fputc('\n', ctx->out);
        }
    }
    if (!strcmp(sub, "restart") && cluster_reconcile(st, ctx->rel)) rc = 1;
    targets_free(&t);
    flags_free(&fr);
    flag_list_free(&files);
    return cmd_finish(ctx, rc);
done:
    flags_free(&fr);
    flag_list_free(&files);
    return rc;
}
