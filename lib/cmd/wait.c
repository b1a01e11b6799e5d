/* kubectl wait: meshsim's objects reach their final state inside the
 * command that changes them, so a condition is decided from the store at
 * once; one that does not hold now never will, which kubectl reports as a
 * timeout. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cmd/targets.h"
#include "model/jsonpath.h"
#include "model/obj.h"

/* --for=condition=Ready[=True] */
static bool condition_met(json_t *o, const char *cond)
{
    char name[256];
    const char *want = "True";
    const char *eq = strchr(cond, '=');
    snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - cond) : (int)strlen(cond), cond);
    if (eq) want = eq + 1;
    size_t i;
    json_t *c;
    json_array_foreach(obj_at(o, "status.conditions"), i, c)
        if (!strcasecmp(obj_str_or(c, "type", ""), name)) return !strcasecmp(obj_str_or(c, "status", ""), want);
    return false;
}

/* --for=jsonpath='{.status.phase}'=Running */
static bool jsonpath_met(json_t *o, const char *expr)
{
    const char *close = strrchr(expr, '}');
    if (!close) return false;
    char *tmpl = strndup(expr, (size_t)(close - expr + 1));
    const char *want = close[1] == '=' ? close + 2 : NULL;
    char *buf = NULL, err[256];
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int rc = jsonpath_execute(tmpl, o, mem, err, sizeof err);
    fclose(mem);
    bool met = rc == 0 && (want ? !strcmp(buf, want) : len > 0);
    free(buf);
    free(tmpl);
    return met;
}

int cmd_wait(cmd_ctx *ctx, int argc, char **argv)
{
    const char *ns = NULL, *selector = NULL, *field_selector = NULL, *timeout = NULL, *output = NULL;
    flag_list fors = {0}, files = {0};
    bool all = false, all_ns = false, local = false;
    const flag_spec specs[] = {
        {"for", 0, FLAG_LIST, &fors, NULL},
        {"namespace", 'n', FLAG_STR, &ns, NULL},
        {"selector", 'l', FLAG_STR, &selector, NULL},
        {"field-selector", 0, FLAG_STR, &field_selector, NULL},
        {"timeout", 0, FLAG_STR, &timeout, NULL},
        {"all", 0, FLAG_BOOL, &all, NULL},
        {"all-namespaces", 'A', FLAG_BOOL, &all_ns, NULL},
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {"output", 'o', FLAG_STR, &output, NULL},
        {"local", 0, FLAG_BOOL, &local, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "kubectl wait", ctx->err), rc = 0;
    const char *cond = fors.n ? fors.v[fors.n - 1] : NULL;
    if (prc) {
        if (prc > 0) fprintf(ctx->out, "Experimental: Wait for a specific condition on one or many resources.\n\n"
                                       "Usage:\n  kubectl wait ([-f FILENAME] | resource.group/resource.name | resource.group [(-l label | --all)]) "
                                       "[--for=create|--for=delete|--for condition=available|--for=jsonpath='{}'[=value]] [options]\n");
        rc = prc > 0 ? 0 : 1;
        goto done;
    }
    if (!cond) {
        fprintf(ctx->err, "error: --for must be specified\n");
        rc = 1;
        goto done;
    }
    if (strcmp(cond, "delete") && strcmp(cond, "create") && strncmp(cond, "condition=", 10) && strncmp(cond, "jsonpath=", 9)) {
        fprintf(ctx->err, "error: unrecognized condition: \"%s\"\n", cond);
        rc = 1;
        goto done;
    }
    store *st = cmd_store(ctx);
    if (!st) { rc = 1; goto done; }
    target_query q = {fr.pos, fr.npos, files.v, files.n, false, ns ? ns : cmd_default_namespace(ctx), all_ns, selector, field_selector, ctx->in};
    targets t = {0};
    bool del = !strcmp(cond, "delete");
    FILE *quiet = del ? fopen("/dev/null", "w") : NULL;
    int errors = targets_resolve(st, &q, quiet ? quiet : ctx->err, &t);
    if (quiet) fclose(quiet);
    if (errors && !del) rc = 1;
    if (!errors && t.n == 0 && !del) {
        fprintf(ctx->err, "error: no matching resources found\n");
        rc = 1;
    }
    for (size_t i = 0; i < t.n; i++) {
        json_t *o = t.v[i].obj;
        char disp[256];
        kind_display(t.v[i].k, disp, sizeof disp);
        bool met;
        if (del) met = false;
        else if (!strcmp(cond, "create")) met = true;
        else if (!strncmp(cond, "condition=", 10)) met = condition_met(o, cond + 10);
        else met = jsonpath_met(o, cond + 9);
        if (met) {
            if (output && !strcmp(output, "name")) fprintf(ctx->out, "%s/%s\n", disp, obj_name(o));
            else fprintf(ctx->out, "%s/%s condition met\n", disp, obj_name(o));
        } else {
            fprintf(ctx->err, "error: timed out waiting for the condition on %s/%s\n", t.v[i].k->resource, obj_name(o));
            rc = 1;
        }
    }
    targets_free(&t);
    flags_free(&fr);
    flag_list_free(&fors);
    flag_list_free(&files);
    return cmd_finish(ctx, rc);
done:
    flags_free(&fr);
    flag_list_free(&fors);
    flag_list_free(&files);
    return rc;
}
