/* kubectl patch: change one object by a strategic merge, JSON merge or JSON
 * patch; the result goes through the API server's validation, admission and
 * write path like apply and replace, and the controllers follow (a changed
 * pod template rolls out new pods). */
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cmd/kubectl_help.h"
#include "cmd/output.h"
#include "cmd/targets.h"
#include "cluster/cluster.h"
#include "analyze/istio_validate.h"
#include "model/api.h"
#include "model/loader.h"
#include "model/obj.h"
#include "model/patch.h"
#include "model/validate.h"
#include "net/world.h"

typedef struct patch_opts {
    patch_type type;
    json_t *patch;
    const char *output;
    bool local;          /* --local or --dry-run=client: nothing is sent */
    bool server_dry;     /* --dry-run=server: admitted and validated, not stored */
} patch_opts;

/* Go's %q of a short text, for "unable to parse" messages. */
static void go_quote(const char *s, char *buf, size_t len)
{
    size_t o = 0;
    buf[o++] = '"';
    for (; *s && o + 8 < len; s++) {
        if (*s == '"' || *s == '\\') { buf[o++] = '\\'; buf[o++] = *s; }
        else if (*s == '\n') { buf[o++] = '\\'; buf[o++] = 'n'; }
        else if (*s == '\t') { buf[o++] = '\\'; buf[o++] = 't'; }
        else buf[o++] = *s;
    }
    buf[o++] = '"';
    buf[o] = 0;
}

/* The API server's checks on the patched object (the same as for apply):
 * schema, meshsim's world schema, Istio's validating webhook.  Prints
 * kubectl's message and returns 1 when refused. */
static int validate_patched(cmd_ctx *ctx, const kind_info *k, json_t *obj)
{
    char msg[4096];
    valid_status vs = validate_object(k, obj, msg, sizeof msg);
    if (vs == VALID_BAD_REQUEST) {
        fprintf(ctx->err, "Error from server (BadRequest): %s\n", msg);
        return 1;
    }
    if (vs == VALID_INVALID) {
        fprintf(ctx->err, "%s\n", msg);
        return 1;
    }
    if (!strcmp(k->kind, "ExternalService") && world_validate(obj, msg, sizeof msg)) {
        fprintf(ctx->err, "The ExternalService \"%s\" is invalid: %s\n", obj_name(obj), msg);
        return 1;
    }
    if (!strcmp(k->group, "networking.istio.io")) {
        iv_result r = {0};
        int refused = 0;
        if (istio_validate(obj, obj_namespace(obj), &r) && r.nerrors) {
            fprintf(ctx->err, "Error from server: admission webhook \"validation.istio.io\" denied the request: "
                              "configuration is invalid: ");
            if (r.nerrors == 1) {
                fprintf(ctx->err, "%s\n", r.errors[0]);
            } else {
                fprintf(ctx->err, "%zu errors occurred:", r.nerrors);
                for (size_t i = 0; i < r.nerrors; i++) fprintf(ctx->err, "\n\t* %s", r.errors[i]);
                fprintf(ctx->err, "\n\n\n");
            }
            refused = 1;
        }
        iv_result_free(&r);
        return refused;
    }
    return 0;
}

static void print_result(cmd_ctx *ctx, const patch_opts *o, const kind_info *k, json_t *obj, bool changed, int *rc)
{
    char disp[256];
    kind_display(k, disp, sizeof disp);
    const char *name = obj_name(obj) && *obj_name(obj) ? obj_name(obj) : "<unknown>";
    if (o->output && !strcmp(o->output, "name")) fprintf(ctx->out, "%s/%s\n", disp, name);
    else if (o->output && *o->output) *rc |= output_object(ctx->out, ctx->err, o->output, obj);
    else fprintf(ctx->out, "%s/%s patched%s\n", disp, name, changed ? "" : " (no change)");
}

/* Patch one object.  st is NULL for --local. */
static int patch_one(cmd_ctx *ctx, store *st, const patch_opts *o, const kind_info *k, json_t *live)
{
    char err[2048];
    if (o->type == PATCH_STRATEGIC && !patch_strategic_supported(k)) {
        if (o->local)
            fprintf(ctx->err, "error: strategic merge patch is not supported for %s/%s, Kind=%s locally, try --type merge\n",
                    k->group, k->version, k->kind);
        else
            fprintf(ctx->err, "error: application/strategic-merge-patch+json is not supported by %s/%s, Kind=%s: the body "
                    "of the request was in an unknown format - accepted media types include: application/json-patch+json, "
                    "application/merge-patch+json, application/apply-patch+yaml\n", k->group, k->version, k->kind);
        return 1;
    }
    json_t *res = patch_apply(o->type, k, live, o->patch, err, sizeof err);
    if (!res && o->local) {
        fprintf(ctx->err, "error: %s\n", err);
        return 1;
    }
    if (!res) {
        /* the API server's answers: a patch it cannot decode is a BadRequest;
         * a JSON patch that does not apply (a failed test included) is 422
         * without details; strategic merge errors come back as they are */
        bool bad_request = o->type == PATCH_MERGE || !strncmp(err, "json: cannot unmarshal", 22) ||
                           !strcmp(err, "invalid JSON document") || !strncmp(err, "Object 'Kind'", 13);
        if (bad_request) fprintf(ctx->err, "Error from server (BadRequest): %s\n", err);
        else if (o->type == PATCH_JSON)
            fprintf(ctx->err, "The request is invalid: the server rejected our request due to an error in our request\n");
        else fprintf(ctx->err, "Error from server: %s\n", err);
        return 1;
    }
    int rc = 0;
    if (o->local) {
        print_result(ctx, o, k, res, !json_equal(res, live), &rc);
        json_decref(res);
        return rc;
    }
    /* what the URL names may not change */
    const char *name = obj_name(live), *newname = obj_str(res, "metadata.name");
    if (!json_is_object(res) || !newname || strcmp(newname, name)) {
        fprintf(ctx->err, "Error from server (BadRequest): the name of the object (%s) does not match the name on the URL (%s)\n",
                newname ? newname : "", name);
        json_decref(res);
        return 1;
    }
    if (k->namespaced && strcmp(obj_namespace(res), obj_namespace(live))) {
        fprintf(ctx->err, "Error from server (BadRequest): the namespace of the provided object does not match the "
                "namespace sent on the request\n");
        json_decref(res);
        return 1;
    }
    const char *kind = obj_kind(res), *apiv = obj_api_version(res);
    if (!kind || strcmp(kind, k->kind) || !apiv || strcmp(apiv, obj_api_version(live))) {
        /* the server decodes the result as the URL's kind */
        fprintf(ctx->err, "Error from server (BadRequest): %s in version \"%s\" cannot be handled as a %s: "
                "the object provided is unrecognized (must be of type %s): %s, Kind=%s\n",
                k->kind, k->version, k->kind, k->kind, apiv ? apiv : "", kind ? kind : "");
        json_decref(res);
        return 1;
    }
    if (validate_patched(ctx, k, res)) {
        json_decref(res);
        return 1;
    }
    if (cluster_admit(st, ctx->rel, k, res, live)) {
        fprintf(ctx->err, "Error from server: admission failed\n");
        json_decref(res);
        return 1;
    }
    /* the server does not write (nor bump resourceVersion) when nothing changed */
    bool changed = !json_equal(res, live);
    api_error e = {0};
    if (changed && !o->server_dry && api_update(st, k, res, &e) != API_OK) {
        fprintf(ctx->err, "Error from server: %s\n", e.msg);
        json_decref(res);
        return 1;
    }
    print_result(ctx, o, k, changed ? res : live, changed, &rc);
    json_decref(res);
    return rc;
}

/* The patch text: -p or --patch-file, JSON or YAML. */
static json_t *read_patch(cmd_ctx *ctx, const char *text, const char *file)
{
    char *buf = NULL;
    size_t len = 0;
    if (file) {
        buf = read_file(file, &len, LOADER_MAX_BYTES);
        if (!buf) {
            fprintf(ctx->err, "error: unable to read patch file: open %s: no such file or directory\n", file);
            return NULL;
        }
    } else {
        buf = strdup(text);
        len = strlen(buf);
    }
    size_t sp = 0;
    while (sp < len && strchr(" \t\r\n", buf[sp])) sp++;
    if (sp == len) {
        fprintf(ctx->err, "error: must specify --patch or --patch-file containing the contents of the patch\n");
        free(buf);
        return NULL;
    }
    char err[1024];
    json_t *p = loader_parse_value(buf, len, err, sizeof err);
    if (!p) {
        char q[600];
        go_quote(buf, q, sizeof q);
        fprintf(ctx->err, "error: unable to parse %s: %s\n", q, err);
    }
    free(buf);
    return p;
}

int cmd_patch(cmd_ctx *ctx, int argc, char **argv)
{
    flag_list files = {0};
    const char *ns = NULL, *text = NULL, *file = NULL, *type = "strategic", *output = NULL, *dry_run = NULL;
    const char *field_manager = NULL;   /* accepted; managed fields are not kept */
    bool local = false, recursive = false, allow_missing = true, show_managed = false;
    const flag_spec specs[] = {
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {"namespace", 'n', FLAG_STR, &ns, NULL},
        {"patch", 'p', FLAG_STR, &text, NULL},
        {"patch-file", 0, FLAG_STR, &file, NULL},
        {"type", 0, FLAG_STR, &type, NULL},
        {"output", 'o', FLAG_STR, &output, NULL},
        {"dry-run", 0, FLAG_STR, &dry_run, NULL},
        {"local", 0, FLAG_BOOL, &local, NULL},
        {"recursive", 'R', FLAG_BOOL, &recursive, NULL},
        {"field-manager", 0, FLAG_STR, &field_manager, NULL},
        {"allow-missing-template-keys", 0, FLAG_BOOL, &allow_missing, NULL},
        {"show-managed-fields", 0, FLAG_BOOL, &show_managed, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "kubectl patch", ctx->err), rc = 0;
    json_t *patch = NULL;
    targets t = {0};
    store *st = NULL;
    if (prc) {
        if (prc > 0) kubectl_help(ctx->out, "patch");
        rc = prc > 0 ? 0 : 1;
        goto done;
    }
    int ptype = patch_type_parse(type);
    if (ptype < 0) {
        fprintf(ctx->err, "error: --type must be one of [json merge strategic], not \"%s\"\n", type);
        rc = 1;
        goto done;
    }
    if (dry_run && strcmp(dry_run, "client") && strcmp(dry_run, "server") && strcmp(dry_run, "none")) {
        fprintf(ctx->err, "error: Invalid dry-run value (%s). Must be \"none\", \"server\", or \"client\".\n", dry_run);
        rc = 1;
        goto done;
    }
    if (output && *output && !output_is_structured(output) && strncmp(output, "jsonpath", 8) &&
        strncmp(output, "go-template", 11) && strncmp(output, "template", 8)) {
        fprintf(ctx->err, "error: unable to match a printer suitable for the output format \"%s\", allowed formats are: "
                "go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml\n",
                output);
        rc = 1;
        goto done;
    }
    if (text && file) {
        fprintf(ctx->err, "error: cannot specify --patch and --patch-file together\n");
        rc = 1;
        goto done;
    }
    if (!text && !file) {
        fprintf(ctx->err, "error: must specify --patch or --patch-file containing the contents of the patch\n");
        rc = 1;
        goto done;
    }
    if (fr.npos == 0 && files.n == 0) {
        fprintf(ctx->err, "error: You must provide one or more resources by argument or filename.\n"
                          "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
                          "   '<resource> <name>'\n   '<resource>'\n");
        rc = 1;
        goto done;
    }
    if (local && fr.npos > 0) {
        fprintf(ctx->err, "error: cannot specify --local and server resources\n");
        rc = 1;
        goto done;
    }
    if (fr.npos == 1 && !strchr(fr.pos[0], '/') && !files.n) {
        fprintf(ctx->err, "error: resource(s) were provided, but no name was specified\n");
        rc = 1;
        goto done;
    }
    if (!(patch = read_patch(ctx, text, file))) { rc = 1; goto done; }
    patch_opts o = {(patch_type)ptype, patch, output, local || (dry_run && !strcmp(dry_run, "client")),
                    dry_run && !strcmp(dry_run, "server")};
    target_query q = {fr.pos, fr.npos, files.v, files.n, recursive, ns ? ns : cmd_default_namespace(ctx), false, NULL, NULL, ctx->in};
    if (local) {
        if (targets_from_files(&q, ctx->err, &t)) rc = 1;
        for (size_t i = 0; i < t.n && !rc; i++) rc |= patch_one(ctx, NULL, &o, t.v[i].k, t.v[i].obj);
        goto done;
    }
    if (!(st = cmd_store(ctx))) { rc = 1; goto done; }
    if (targets_resolve(st, &q, ctx->err, &t)) rc = 1;
    for (size_t i = 0; i < t.n; i++) rc |= patch_one(ctx, o.local ? NULL : st, &o, t.v[i].k, t.v[i].obj);
    /* a changed pod template or selector: the controllers roll out / re-select */
    if (!rc && cluster_reconcile(st, ctx->rel)) rc = 1;
    targets_free(&t);
    json_decref(patch);
    flags_free(&fr);
    flag_list_free(&files);
    return cmd_finish(ctx, rc);
done:
    targets_free(&t);
    json_decref(patch);
    flags_free(&fr);
    flag_list_free(&files);
    return rc;
}
