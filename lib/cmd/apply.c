/* kubectl apply / create -f / replace -f: documents into the store.
 *
 * apply keeps kubectl's last-applied-configuration annotation and merges the
 * way client-side apply does: fields the manifest sets win, fields the
 * previous manifest set but this one dropped are removed, fields others set
 * (labels added by `kubectl label`, status, server defaults) stay. */
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "cmd/flags.h"
#include "cmd/output.h"
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/loader.h"
#include "model/obj.h"
#include "model/validate.h"

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

typedef enum { MODE_APPLY, MODE_CREATE, MODE_REPLACE } apply_mode;

/* Three-way merge of maps: live <- desired, removing what only last had. */
static void merge3(json_t *live, json_t *desired, json_t *last)
{
    const char *k;
    json_t *v, *tmp;
    json_object_foreach_safe(live, tmp, k, v) {
        if (!json_object_get(desired, k) && last && json_object_get(last, k)) json_object_del(live, k);
    }
    json_object_foreach(desired, k, v) {
        json_t *lv = json_object_get(live, k);
        if (json_is_object(v) && json_is_object(lv))
            merge3(lv, v, last ? json_object_get(last, k) : NULL);
        else
            json_object_set(live, k, v);
    }
}

/* What the annotation records: the manifest as given, namespace filled in. */
static char *last_applied_text(json_t *manifest)
{
    json_t *copy = json_deep_copy(manifest);
    json_t *ann = obj_annotations(copy);
    if (ann) {
        json_object_del(ann, LAST_APPLIED);
        if (json_object_size(ann) == 0) json_object_del(obj_metadata(copy), "annotations");
    }
    char *text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(copy);
    size_t n = strlen(text);
    text = realloc(text, n + 2);
    text[n] = '\n';
    text[n + 1] = 0;
    return text;
}

typedef struct apply_opts {
    apply_mode mode;
    const char *ns_flag;
    const char *dry_run;      /* NULL, "none", "client", "server" */
    const char *output;
    bool recursive, force;
} apply_opts;

static const char *dry_suffix(const apply_opts *o)
{
    if (!o->dry_run || !strcmp(o->dry_run, "none")) return "";
    return !strcmp(o->dry_run, "server") ? " (server dry run)" : " (dry run)";
}

static const char *verb_ing(apply_mode m) { return m == MODE_REPLACE ? "replacing" : "creating"; }

/* Apply one document.  Returns 0 on success, 1 on a reported error. */
static int apply_one(cmd_ctx *ctx, store *st, const apply_opts *o, loaded_doc *d)
{
    json_t *obj = d->obj;
    const char *kind = obj_str(obj, "kind"), *apiv = obj_str(obj, "apiVersion");
    char disp[256], msg[2048];
    if (!kind || !*kind) {
        char *text = json_dumps(obj, JSON_COMPACT);
        fprintf(ctx->err, "error: unable to decode \"%s\": Object 'Kind' is missing in '%s'\n", d->source, text);
        free(text);
        return 1;
    }
    if (!apiv || !*apiv) {
        char *text = json_dumps(obj, JSON_COMPACT);
        fprintf(ctx->err, "error: unable to decode \"%s\": Object 'apiVersion' is missing in '%s'\n", d->source, text);
        free(text);
        return 1;
    }
    bool version_ok = false;
    const kind_info *k = kind_for_object(apiv, kind, &version_ok);
    if (!k || !version_ok) {
        fprintf(ctx->err, "error: resource mapping not found for name: \"%s\" namespace: \"%s\" from \"%s\": "
                "no matches for kind \"%s\" in version \"%s\"\nensure CRDs are installed first\n",
                obj_name(obj), obj_namespace(obj), d->source, kind, apiv);
        return 1;
    }
    if (k->namespaced) {
        const char *ns = obj_str(obj, "metadata.namespace");
        if (ns && *ns && o->ns_flag && strcmp(ns, o->ns_flag)) {
            fprintf(ctx->err, "error: the namespace from the provided object \"%s\" does not match the namespace "
                    "\"%s\". You must pass '--namespace=%s' to perform this operation.\n", ns, o->ns_flag, ns);
            return 1;
        }
        if (!ns || !*ns) obj_set_str(obj, "metadata.namespace", o->ns_flag ? o->ns_flag : "default");
    } else if (json_is_object(obj_at(obj, "metadata"))) {
        json_object_del(obj_metadata(obj), "namespace");
    }
    const char *ns = k->namespaced ? obj_namespace(obj) : "";
    if (o->mode == MODE_APPLY && (!obj_name(obj) || !*obj_name(obj))) {
        char gvk[256];
        snprintf(gvk, sizeof gvk, "%s", apiv);
        char *slash = strrchr(gvk, '/');
        const char *grp = slash ? (*slash = 0, gvk) : "", *ver = slash ? slash + 1 : gvk;
        fprintf(ctx->err, "error: error when retrieving current configuration of:\nResource: \"%s/%s, Resource=%s\", "
                "GroupVersionKind: \"%s/%s, Kind=%s\"\nName: \"\", Namespace: \"%s\"\nfrom server for: \"%s\": "
                "resource name may not be empty\n", grp, ver, k->plural, grp, ver, k->kind, ns, d->source);
        return 1;
    }
    valid_status vs = validate_object(k, obj, msg, sizeof msg);
    if (vs == VALID_BAD_REQUEST) {
        fprintf(ctx->err, "Error from server (BadRequest): error when %s \"%s\": %s\n", verb_ing(o->mode), d->source, msg);
        return 1;
    }
    if (vs == VALID_INVALID) {
        fprintf(ctx->err, "%s\n", msg);
        return 1;
    }
    if (vs == VALID_DENIED) {
        fprintf(ctx->err, "Error from server: error when %s \"%s\": %s\n", verb_ing(o->mode), d->source, msg);
        return 1;
    }
    if (k->namespaced && !api_namespace_exists(st, ns)) {
        fprintf(ctx->err, "Error from server (NotFound): error when %s \"%s\": namespaces \"%s\" not found\n",
                verb_ing(o->mode), d->source, ns);
        return 1;
    }
    kind_display(k, disp, sizeof disp);
    json_t *live = api_get(st, k, ns, obj_name(obj));
    bool dry = o->dry_run && strcmp(o->dry_run, "none");
    const char *verb;
    json_t *result = NULL;
    api_error e = {0};
    int rc = 0;
    if (o->mode == MODE_APPLY) {
        char *text = last_applied_text(obj);
        if (!live) {
            result = json_deep_copy(obj);
            json_object_set_new(obj_annotations_mut(result), LAST_APPLIED, json_string(text));
            verb = "created";
        } else {
            const char *old = obj_annotation(live, LAST_APPLIED);
            json_t *last = old ? json_loads(old, 0, NULL) : NULL;
            result = json_deep_copy(live);
            merge3(result, obj, last);
            json_object_set_new(obj_annotations_mut(result), LAST_APPLIED, json_string(text));
            /* compare with what the API server would store: lists the manifest
             * replaces get their server-side defaults back (ports' protocol, ...) */
            json_t *admitted = json_deep_copy(result);
            cluster_admit(st, ctx->rel, k, admitted, live);
            verb = json_equal(admitted, live) ? "unchanged" : "configured";
            json_decref(admitted);
            json_decref(last);
        }
        free(text);
    } else if (o->mode == MODE_CREATE) {
        if (live) {
            fprintf(ctx->err, "Error from server (AlreadyExists): error when creating \"%s\": %s \"%s\" already exists\n",
                    d->source, k->resource, obj_name(obj));
            json_decref(live);
            return 1;
        }
        result = json_deep_copy(obj);
        verb = "created";
    } else {
        if (!live) {
            fprintf(ctx->err, "Error from server (NotFound): error when replacing \"%s\": %s \"%s\" not found\n",
                    d->source, k->resource, obj_name(obj));
            return 1;
        }
        result = json_deep_copy(obj);
        json_object_set(result, "status", json_object_get(live, "status"));
        if (!json_object_get(live, "status")) json_object_del(result, "status");
        verb = "replaced";
    }
    if (strcmp(verb, "unchanged") && (!dry || !strcmp(o->dry_run, "server"))) {
        if (cluster_admit(st, ctx->rel, k, result, live)) {
            fprintf(ctx->err, "Error from server: error when %s \"%s\": admission failed\n", verb_ing(o->mode), d->source);
            rc = 1;
        } else if (!dry) {
            api_status as = live ? api_update(st, k, result, &e) : api_create(st, k, result, &e);
            if (as != API_OK) {
                fprintf(ctx->err, "Error from server: error when %s \"%s\": %s\n", verb_ing(o->mode), d->source, e.msg);
                rc = 1;
            }
        }
    }
    if (rc == 0) {
        if (o->output && *o->output && strcmp(o->output, "name")) output_object(ctx->out, ctx->err, o->output, result);
        else if (o->output && !strcmp(o->output, "name")) fprintf(ctx->out, "%s/%s\n", disp, obj_name(obj));
        else fprintf(ctx->out, "%s/%s %s%s\n", disp, obj_name(obj), verb, dry_suffix(o));
    }
    json_decref(live);
    json_decref(result);
    return rc;
}

static int apply_main(cmd_ctx *ctx, int argc, char **argv, apply_mode mode, const char *cmdpath)
{
    apply_opts o = {.mode = mode};
    flag_list files = {0};
    bool validate = true, save_config = false;
    const char *field_manager = NULL, *selector = NULL;
    const flag_spec specs[] = {
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {"namespace", 'n', FLAG_STR, &o.ns_flag, NULL},
        {"dry-run", 0, FLAG_STR, &o.dry_run, NULL},
        {"output", 'o', FLAG_STR, &o.output, NULL},
        {"recursive", 'R', FLAG_BOOL, &o.recursive, NULL},
        {"force", 0, FLAG_BOOL, &o.force, NULL},
        {"validate", 0, FLAG_BOOL, &validate, NULL},
        {"save-config", 0, FLAG_BOOL, &save_config, NULL},
        {"field-manager", 0, FLAG_STR, &field_manager, NULL},
        {"selector", 'l', FLAG_STR, &selector, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, cmdpath, ctx->err);
    if (prc) {
        if (prc > 0) fprintf(ctx->out, "Usage:\n  %s (-f FILENAME | -k DIRECTORY) [options]\n", cmdpath);
        flags_free(&fr);
        flag_list_free(&files);
        return prc > 0 ? 0 : 1;
    }
    if (o.dry_run && strcmp(o.dry_run, "client") && strcmp(o.dry_run, "server") && strcmp(o.dry_run, "none")) {
        fprintf(ctx->err, "error: Invalid dry-run value (%s). Must be \"none\", \"server\", or \"client\".\n", o.dry_run);
        flags_free(&fr);
        flag_list_free(&files);
        return 1;
    }
    if (files.n == 0) {
        fprintf(ctx->err, "error: must specify one of -f and -k\n\n");
        flags_free(&fr);
        flag_list_free(&files);
        return 1;
    }
    store *st = cmd_store(ctx);
    if (!st) { flags_free(&fr); flag_list_free(&files); return 1; }
    int rc = 0;
    size_t applied = 0;
    for (int i = 0; i < files.n; i++) {
        loaded_docs docs = {0};
        char err[2048];
        int lrc = loader_load_path(&docs, files.v[i], o.recursive, ctx->in, err, sizeof err);
        for (size_t j = 0; j < docs.n; j++) {
            rc |= apply_one(ctx, st, &o, &docs.docs[j]);
            applied++;
        }
        if (lrc) {
            fprintf(ctx->err, "error: %s\n", err);
            rc = 1;
        }
        loaded_docs_free(&docs);
    }
    if (applied == 0 && rc == 0) {
        fprintf(ctx->err, "error: no objects passed to %s\n", mode == MODE_APPLY ? "apply" : mode == MODE_CREATE ? "create" : "replace");
        rc = 1;
    }
    if (cluster_reconcile(st, ctx->rel)) rc = 1;
    flags_free(&fr);
    flag_list_free(&files);
    return cmd_finish(ctx, rc);
}

int cmd_apply(cmd_ctx *ctx, int argc, char **argv) { return apply_main(ctx, argc, argv, MODE_APPLY, "kubectl apply"); }
int cmd_create_from_files(cmd_ctx *ctx, int argc, char **argv) { return apply_main(ctx, argc, argv, MODE_CREATE, "kubectl create"); }
int cmd_replace(cmd_ctx *ctx, int argc, char **argv) { return apply_main(ctx, argc, argv, MODE_REPLACE, "kubectl replace"); }
