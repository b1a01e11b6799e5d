/* kubectl delete. */
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "cmd/flags.h"
#include "cmd/kubectl_help.h"
#include "cmd/targets.h"
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"

int cmd_delete(cmd_ctx *ctx, int argc, char **argv)
{
    flag_list files = {0};
    const char *ns = NULL, *selector = NULL, *field_selector = NULL, *output = NULL, *cascade = NULL;
    const char *dry_run = NULL;
    bool all = false, all_ns = false, ignore_not_found = false, recursive = false, force = false, wait = true;
    bool now = false;
    long grace = -1;
    const flag_spec specs[] = {
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {"namespace", 'n', FLAG_STR, &ns, NULL},
        {"selector", 'l', FLAG_STR, &selector, NULL},
        {"field-selector", 0, FLAG_STR, &field_selector, NULL},
        {"all", 0, FLAG_BOOL, &all, NULL},
        {"all-namespaces", 'A', FLAG_BOOL, &all_ns, NULL},
        {"ignore-not-found", 0, FLAG_BOOL, &ignore_not_found, NULL},
        {"recursive", 'R', FLAG_BOOL, &recursive, NULL},
        {"output", 'o', FLAG_STR, &output, NULL},
        {"force", 0, FLAG_BOOL, &force, NULL},
        {"grace-period", 0, FLAG_INT, &grace, NULL},
        {"now", 0, FLAG_BOOL, &now, NULL},
        {"wait", 0, FLAG_BOOL, &wait, NULL},
        {"cascade", 0, FLAG_STR, &cascade, NULL},
        {"dry-run", 0, FLAG_STR, &dry_run, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "kubectl delete", ctx->err);
    if (prc) {
        if (prc > 0) kubectl_help(ctx->out, "delete");
        flags_free(&fr);
        flag_list_free(&files);
        return prc > 0 ? 0 : 1;
    }
    int rc = 0;
    if (files.n == 0 && fr.npos == 0) {
        fprintf(ctx->err, "error: You must provide one or more resources by argument or filename.\n"
                "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
                "   '<resource> <name>'\n   '<resource>'\n");
        rc = 1;
    } else if (files.n == 0 && fr.npos == 1 && !strchr(fr.pos[0], '/') && !all && !selector && !field_selector) {
        fprintf(ctx->err, "error: resource(s) were provided, but no name was specified\n");
        rc = 1;
    }
    if (rc) { flags_free(&fr); flag_list_free(&files); return rc; }
    store *st = cmd_store(ctx);
    if (!st) { flags_free(&fr); flag_list_free(&files); return 1; }
    target_query q = {fr.pos, fr.npos, files.v, files.n, recursive, ns ? ns : cmd_default_namespace(ctx), all_ns,
                      selector, field_selector, ctx->in};
    targets t = {0};
    FILE *quiet = ignore_not_found ? fopen("/dev/null", "w") : NULL;
    /* kubectl deletes what it found and prints the errors after */
    char *ebuf = NULL;
    size_t elen = 0;
    FILE *emem = open_memstream(&ebuf, &elen);
    int errors = targets_resolve(st, &q, quiet ? quiet : emem, &t);
    if (quiet) fclose(quiet);
    fclose(emem);
    rc = errors && !ignore_not_found ? 1 : 0;
    bool dry = dry_run && strcmp(dry_run, "none");
    for (size_t i = 0; i < t.n; i++) {
        api_error e;
        char disp[256];
        const kind_info *k = t.v[i].k;
        json_t *o = t.v[i].obj;
        if (!dry && api_delete(st, k, obj_namespace(o), obj_name(o), &e) != API_OK) {
            fprintf(ctx->err, "Error from server (NotFound): %s\n", e.msg);
            rc = 1;
            continue;
        }
        if (output && !strcmp(output, "name"))
            fprintf(ctx->out, "%s/%s\n", kind_display(k, disp, sizeof disp), obj_name(o));
        else
            fprintf(ctx->out, "%s \"%s\" %sdeleted%s\n", kind_display(k, disp, sizeof disp), obj_name(o),
                    (force && grace == 0) ? "force " : "", dry ? (strcmp(dry_run, "server") ? " (dry run)" : " (server dry run)") : "");
    }
    if (t.n == 0 && !errors && (all || selector || field_selector)) {
        fprintf(ctx->err, "No resources found\n");
    }
    fflush(ctx->out);
    fwrite(ebuf, 1, elen, ctx->err);
    free(ebuf);
    if (cluster_reconcile(st, ctx->rel)) rc = 1;
    targets_free(&t);
    flags_free(&fr);
    flag_list_free(&files);
    return cmd_finish(ctx, rc);
}
