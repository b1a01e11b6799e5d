/* kubectl rollout status|restart|history|pause|resume|undo: a rollout in
 * meshsim completes within the command that starts it, so status answers
 * at once. */
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

/* kubectl's status of a Deployment's rollout, in its order of questions.
 * Nothing changes while kubectl would watch (meshsim's controllers run
 * inside each command): watching ends as its timeout would. */
static int status_one(cmd_ctx *ctx, json_t *o, bool watch)
{
    long long want = obj_int_or(o, "spec.replicas", 1);
    long long updated = obj_int_or(o, "status.updatedReplicas", 0), avail = obj_int_or(o, "status.availableReplicas", 0);
    long long total = obj_int_or(o, "status.replicas", 0);
    const char *name = obj_name(o);
    if (updated < want)
        fprintf(ctx->out, "Waiting for deployment \"%s\" rollout to finish: %lld out of %lld new replicas have been updated...\n",
                name, updated, want);
    else if (total > updated)
        fprintf(ctx->out, "Waiting for deployment \"%s\" rollout to finish: %lld old replicas are pending termination...\n",
                name, total - updated);
    else if (avail < updated)
        fprintf(ctx->out, "Waiting for deployment \"%s\" rollout to finish: %lld of %lld updated replicas are available...\n",
                name, avail, updated);
    else {
        fprintf(ctx->out, "deployment \"%s\" successfully rolled out\n", name);
        return 0;
    }
    if (!watch) return 0;
    fflush(ctx->out);   /* in kubectl's order: Go's writes are unbuffered */
    fprintf(ctx->err, "error: timed out waiting for the condition\n");
    return 1;
}

/* The ReplicaSets of deployment d, newest revision first in *latest and
 * the one before in *previous, or (to_revision > 0) that revision's in
 * *latest; borrowed from all. */
static void revisions(json_t *all, json_t *d, long long to_revision, json_t **latest, json_t **previous)
{
    long long latest_rev = -1, previous_rev = -1;
    *latest = *previous = NULL;
    size_t i;
    json_t *rs;
    json_array_foreach(all, i, rs) {
        if (!cluster_owned_by(rs, obj_str_or(d, "metadata.uid", ""))) continue;
        const char *a = obj_annotation(rs, "deployment.kubernetes.io/revision");
        if (!a) continue;
        long long v = atoll(a);
        if (to_revision > 0) {
            if (v == to_revision) { *latest = rs; return; }
        } else if (v > latest_rev) {
            previous_rev = latest_rev; *previous = *latest;
            latest_rev = v; *latest = rs;
        } else if (v > previous_rev) {
            previous_rev = v; *previous = rs;
        }
    }
}

/* A pod template without the pod-template-hash label the ReplicaSet adds. */
static json_t *template_without_hash(json_t *tmpl)
{
    json_t *t = json_deep_copy(tmpl);
    json_t *labels = obj_at(t, "metadata.labels");
    if (json_is_object(labels)) json_object_del(labels, "pod-template-hash");
    return t;
}

/* kubectl rollout undo of one Deployment (o is updated): its template
 * becomes that of the previous revision's ReplicaSet (or --to-revision's).
 * Returns 0 with *skipped_rev set when the template already is that one. */
static int undo_one(cmd_ctx *ctx, store *st, json_t *o, long long to_revision, long long *skipped_rev)
{
    *skipped_rev = 0;
    if (json_is_true(obj_at(o, "spec.paused"))) {
        fprintf(ctx->err, "error: you cannot rollback a paused deployment; resume it first with "
                          "'kubectl rollout resume deployment/%s' and try again\n", obj_name(o));
        return 1;
    }
    json_t *all = store_list(st, "replicasets.apps", obj_namespace(o)), *target, *previous;
    revisions(all, o, to_revision, &target, &previous);
    if (to_revision <= 0) target = previous;
    int rc = 0;
    if (!target) {
        if (to_revision > 0) fprintf(ctx->err, "error: unable to find specified revision %lld in history\n", to_revision);
        else fprintf(ctx->err, "error: no rollout history found for deployment \"%s\"\n", obj_name(o));
        rc = 1;
    } else {
        json_t *want = template_without_hash(obj_at(target, "spec.template"));
        json_t *have = template_without_hash(obj_at(o, "spec.template"));
        if (json_equal(want, have)) {
            *skipped_rev = atoll(obj_annotation(target, "deployment.kubernetes.io/revision"));
        } else {
            json_object_set(json_object_get(o, "spec"), "template", want);
        }
        json_decref(want);
        json_decref(have);
    }
    json_decref(all);
    return rc;
}

static const char ROLLOUT_HELP[] =
    "Manage the rollout of one or many resources.\n"
    "        \n"
    " Valid resource types include:\n\n"
    "  *  deployments\n  *  daemonsets\n  *  statefulsets\n\n"
    "Examples:\n"
    "  # Rollback to the previous deployment\n  kubectl rollout undo deployment/abc\n  \n"
    "  # Check the rollout status of a daemonset\n  kubectl rollout status daemonset/foo\n  \n"
    "  # Restart a deployment\n  kubectl rollout restart deployment/abc\n  \n"
    "  # Restart deployments with the 'app=nginx' label\n  kubectl rollout restart deployment --selector=app=nginx\n\n"
    "Available Commands:\n"
    "  history       View rollout history\n"
    "  pause         Mark the provided resource as paused\n"
    "  restart       Restart a resource\n"
    "  resume        Resume a paused resource\n"
    "  status        Show the status of the rollout\n"
    "  undo          Undo a previous rollout\n\n"
    "Usage:\n  kubectl rollout SUBCOMMAND [options]\n\n"
    "Use \"kubectl rollout <command> --help\" for more information about a given command.\n"
    "Use \"kubectl options\" for a list of global command-line options (applies to all commands).\n";

int cmd_rollout(cmd_ctx *ctx, int argc, char **argv)
{
    if (argc == 0 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        /* kubectl prints it on standard output either way, and fails without a subcommand */
        fputs(ROLLOUT_HELP, ctx->out);
        return argc ? 0 : 1;
    }
    const char *sub = argv[0];
    static const char *const subs[] = {"status", "restart", "history", "pause", "resume", "undo", NULL};
    bool known = false;
    for (const char *const *w = subs; *w && !known; w++) known = !strcmp(*w, sub);
    if (!known) {
        fprintf(ctx->err, "error: unknown command \"%s\"\nSee 'kubectl rollout -h' for help and examples\n", sub);
        return 1;
    }
    char cmdpath[64];
    snprintf(cmdpath, sizeof cmdpath, "kubectl rollout %s", sub);
    const char *ns = NULL, *timeout = NULL, *selector = NULL, *revision = NULL, *to_revision = NULL;
    bool watch = true;
    flag_list files = {0};
    const flag_spec specs[] = {
        {"namespace", 'n', FLAG_STR, &ns, NULL},
        {"timeout", 0, FLAG_STR, &timeout, NULL},
        {"watch", 'w', FLAG_BOOL, &watch, NULL},
        {"selector", 'l', FLAG_STR, &selector, NULL},
        {"revision", 0, FLAG_STR, &revision, NULL},
        {"to-revision", 0, FLAG_STR, &to_revision, NULL},
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
            if (!strcmp(sub, "pause") || !strcmp(sub, "resume"))
                fprintf(ctx->err, "error: %s \"%s\" %s is not supported\n", k->resource, obj_name(o),
                        !strcmp(sub, "pause") ? "pausing" : "resuming");
            else
                fprintf(ctx->err, "error: no %s has been implemented for \"%s\"\n",
                        !strcmp(sub, "status") ? "status viewer" : !strcmp(sub, "restart") ? "restarter"
                        : !strcmp(sub, "undo") ? "rollbacker" : "history viewer", k->kind);
            rc = 1;
            continue;
        }
        if (!strcmp(sub, "pause") || !strcmp(sub, "resume")) {
            /* while paused, the deployment controller rolls out no new template */
            bool pause = !strcmp(sub, "pause"), paused = json_is_true(obj_at(o, "spec.paused"));
            if (pause == paused) {
                fprintf(ctx->err, "error: %s \"%s\" is %s\n", k->resource, obj_name(o), pause ? "already paused" : "not paused");
                rc = 1;
                continue;
            }
            if (pause) json_object_set_new(json_object_get(o, "spec"), "paused", json_true());
            else json_object_del(json_object_get(o, "spec"), "paused");
            api_error e;
            if (api_update(st, k, o, &e) != API_OK) {
                fprintf(ctx->err, "Error from server: %s\n", e.msg);
                rc = 1;
            } else {
                fprintf(ctx->out, "%s/%s %s\n", disp, obj_name(o), pause ? "paused" : "resumed");
            }
        } else if (!strcmp(sub, "undo")) {
            long long skipped = 0;
            if (undo_one(ctx, st, o, to_revision ? atoll(to_revision) : 0, &skipped)) {
                rc = 1;
                continue;
            }
            api_error e;
            if (skipped) {
                fprintf(ctx->out, "%s/%s skipped rollback (current template already matches revision %lld)\n", disp,
                        obj_name(o), skipped);
            } else if (api_update(st, k, o, &e) != API_OK) {
                fprintf(ctx->err, "Error from server: %s\n", e.msg);
                rc = 1;
            } else {
                fprintf(ctx->out, "%s/%s rolled back\n", disp, obj_name(o));
            }
        } else if (!strcmp(sub, "status")) {
            rc |= status_one(ctx, o, watch);
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
    if ((!strcmp(sub, "restart") || !strcmp(sub, "resume") || !strcmp(sub, "undo")) && cluster_reconcile(st, ctx->rel))
        rc = 1;
    targets_free(&t);
    flags_free(&fr);
    flag_list_free(&files);
    return cmd_finish(ctx, rc);
done:
    flags_free(&fr);
    flag_list_free(&files);
    return rc;
}
