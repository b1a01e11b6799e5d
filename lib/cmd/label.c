/* kubectl label and kubectl annotate: the same command over two maps. */
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "cmd/flags.h"
#include "cmd/kubectl_help.h"
#include "cmd/output.h"
#include "cmd/targets.h"
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"

typedef struct change {
    char *key;
    char *value;     /* NULL = remove */
} change;

static int parse_changes(const char **args, int n, change *out, int *nout, const char *what, FILE *err)
{
    *nout = 0;
    for (int i = 0; i < n; i++) {
        const char *a = args[i];
        const char *eq = strchr(a, '=');
        size_t len = strlen(a);
        if (eq) {
            out[*nout].key = strndup(a, (size_t)(eq - a));
            out[*nout].value = strdup(eq + 1);
        } else if (len > 1 && a[len - 1] == '-') {
            out[*nout].key = strndup(a, len - 1);
            out[*nout].value = NULL;
        } else {
            fprintf(err, "error: invalid %s spec: %s\n", what, a);
            return -1;
        }
        (*nout)++;
    }
    for (int i = 0; i < *nout; i++)
        for (int j = 0; j < *nout; j++)
            if (i != j && !strcmp(out[i].key, out[j].key) && (!out[i].value) != (!out[j].value)) {
                fprintf(err, "error: can not both modify and remove %s in the same command\n",
                        strcmp(what, "label") ? "an annotation" : "a label");
                return -1;
            }
    return 0;
}

static int label_main(cmd_ctx *ctx, int argc, char **argv, bool annotate)
{
    const char *what = annotate ? "annotation" : "label";
    const char *cmdpath = annotate ? "kubectl annotate" : "kubectl label";
    flag_list files = {0};
    const char *ns = NULL, *selector = NULL, *field_selector = NULL, *output = NULL, *dry_run = NULL;
    const char *resource_version = NULL;
    bool overwrite = false, all = false, all_ns = false, local = false, list = false, recursive = false;
    const flag_spec specs[] = {
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {"namespace", 'n', FLAG_STR, &ns, NULL},
        {"selector", 'l', FLAG_STR, &selector, NULL},
        {"field-selector", 0, FLAG_STR, &field_selector, NULL},
        {"overwrite", 0, FLAG_BOOL, &overwrite, NULL},
        {"all", 0, FLAG_BOOL, &all, NULL},
        {"all-namespaces", 'A', FLAG_BOOL, &all_ns, NULL},
        {"local", 0, FLAG_BOOL, &local, NULL},
        {"list", 0, FLAG_BOOL, &list, NULL},
        {"output", 'o', FLAG_STR, &output, NULL},
        {"dry-run", 0, FLAG_STR, &dry_run, NULL},
        {"recursive", 'R', FLAG_BOOL, &recursive, NULL},
        {"resource-version", 0, FLAG_STR, &resource_version, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, cmdpath, ctx->err);
    if (prc) {
        if (prc > 0) kubectl_help(ctx->out, cmdpath + 8);
        flags_free(&fr);
        flag_list_free(&files);
        return prc > 0 ? 0 : 1;
    }
    /* positional arguments: resources first, then KEY=VAL / KEY- */
    const char *res_args[256], *chg_args[256];
    int nres = 0, nchg = 0;
    for (int i = 0; i < fr.npos && i < 256; i++) {
        const char *a = fr.pos[i];
        size_t len = strlen(a);
        if (strchr(a, '=') || (len > 1 && a[len - 1] == '-' && (files.n || nres >= 1))) chg_args[nchg++] = a;
        else res_args[nres++] = a;
    }
    change changes[256];
    int n = 0, rc = 0;
    if (nres == 0 && files.n == 0) {
        fprintf(ctx->err, "error: one or more resources must be specified as <resource> <name> or <resource>/<name>\n");
        rc = 1;
    } else if (nchg == 0 && !list) {
        fprintf(ctx->err, "error: at least one %s update is required\n", what);
        rc = 1;
    } else if (parse_changes(chg_args, nchg, changes, &n, what, ctx->err)) {
        rc = 1;
    }
    if (!rc && local && files.n == 0) {
        fprintf(ctx->err, "error: can only use local files by -f pod.yaml or --filename=pod.json when --local=true is set\n");
        rc = 1;
    }
    store *st = rc || local ? NULL : cmd_store(ctx);
    if (!st && (rc || !local)) {
        for (int i = 0; i < n; i++) { free(changes[i].key); free(changes[i].value); }
        flags_free(&fr);
        flag_list_free(&files);
        return rc ? rc : 1;
    }
    target_query q = {res_args, nres, files.v, files.n, recursive, ns ? ns : cmd_default_namespace(ctx), all_ns,
                      selector, field_selector, ctx->in};
    if (nres == 1 && !strchr(res_args[0], '/') && !all && !selector && !files.n) {
        fprintf(ctx->err, "error: resource(s) were provided, but no name was specified\n");
        rc = 1;
    }
    targets t = {0};
    if (!rc && (local ? targets_from_files(&q, ctx->err, &t) : targets_resolve(st, &q, ctx->err, &t))) rc = 1;
    for (size_t i = 0; list && i < t.n && !rc; i++) {
        /* --list: the object's labels, "key=value" one per line (sorted) */
        json_t *m = annotate ? obj_annotations(t.v[i].obj) : obj_labels(t.v[i].obj);
        const char *keys[512];
        size_t nk = obj_sorted_keys(m, keys, 512);
        if (t.n > 1) {
            const kind_info *k = t.v[i].k;
            fprintf(ctx->out, "Listing %ss for %s.%s/%s:\n", what, k->kind, k->group, obj_name(t.v[i].obj));
        }
        for (size_t a = 0; a < nk; a++)
            fprintf(ctx->out, "%s%s=%s\n", t.n > 1 ? " " : "", keys[a], json_string_value(json_object_get(m, keys[a])));
    }
    for (size_t i = 0; i < t.n && !rc && !list; i++) {
        json_t *o = t.v[i].obj;
        json_t *before = json_deep_copy(annotate ? obj_annotations(o) : obj_labels(o));
        json_t *map = annotate ? obj_annotations_mut(o) : obj_labels_mut(o);
        int failed = 0;
        for (int c = 0; c < n; c++) {
            json_t *cur = json_object_get(map, changes[c].key);
            if (!changes[c].value) {
                /* only the server path reports it (kubectl's --local and client dry run do not) */
                if (!cur && !local && !(dry_run && !strcmp(dry_run, "client")))
                    fprintf(ctx->out, "%s \"%s\" not found.\n", what, changes[c].key);
                json_object_del(map, changes[c].key);
            } else {
                if (cur && !overwrite && strcmp(json_string_value(cur) ? json_string_value(cur) : "", changes[c].value)) {
                    fprintf(ctx->err, "error: '%s' already has a value (%s), and --overwrite is false\n",
                            changes[c].key, json_string_value(cur) ? json_string_value(cur) : "");
                    failed = 1;
                    break;
                }
                json_object_set_new(map, changes[c].key, json_string(changes[c].value));
            }
        }
        if (failed) { json_decref(before); rc = 1; break; }
        if (json_object_size(map) == 0) json_object_del(obj_metadata(o), annotate ? "annotations" : "labels");
        json_t *after = annotate ? obj_annotations(o) : obj_labels(o);
        json_t *none = json_object();   /* stands in for absent labels; freed below */
        bool changed = !json_equal(before ? before : none, after ? after : none);
        json_decref(none);
        bool removed = json_object_size(after) < json_object_size(before);
        json_decref(before);
        api_error e;
        bool dry = local || (dry_run && strcmp(dry_run, "none"));
        if (changed && !dry && api_update(st, t.v[i].k, o, &e) != API_OK) {
            fprintf(ctx->err, "Error from server: %s\n", e.msg);
            rc = 1;
            break;
        }
        char disp[256];
        kind_display(t.v[i].k, disp, sizeof disp);
        if (output && !strcmp(output, "name")) {
            fprintf(ctx->out, "%s/%s\n", disp, obj_name(o));
        } else if (output && *output) {
            rc |= output_object(ctx->out, ctx->err, output, o);
        } else {
            const char *verb = !changed ? (annotate ? "not annotated" : "not labeled")
                             : (removed && !overwrite) ? (annotate ? "annotated" : "unlabeled")
                             : (annotate ? "annotated" : "labeled");
            fprintf(ctx->out, "%s/%s %s\n", disp, obj_name(o), verb);
        }
    }
    for (int i = 0; i < n; i++) { free(changes[i].key); free(changes[i].value); }
    /* new labels can change what selectors select (Endpoints) */
    if (st && cluster_reconcile(st, ctx->rel)) rc = 1;   /* --local has no store */
    targets_free(&t);
    flags_free(&fr);
    flag_list_free(&files);
    return cmd_finish(ctx, rc);
}

int cmd_label(cmd_ctx *ctx, int argc, char **argv) { return label_main(ctx, argc, argv, false); }
int cmd_annotate(cmd_ctx *ctx, int argc, char **argv) { return label_main(ctx, argc, argv, true); }
