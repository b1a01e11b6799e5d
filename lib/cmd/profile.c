/* istioctl profile list|dump and istioctl manifest generate: the install
 * configuration without installing it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cmd/install_spec.h"
#include "cluster/install.h"
#include "model/obj.h"
#include "model/printer.h"

/* The emulated release without opening (or creating) a store when there is none yet. */
static const istio_release *current_release(cmd_ctx *ctx)
{
    store *st = cmd_store(ctx);
    return st ? ctx->rel : release_default();
}

static int profile_list(cmd_ctx *ctx)
{
    const char *names[32];
    int n = install_profile_names(current_release(ctx), names, 32);
    fprintf(ctx->out, "Istio configuration profiles:\n");
    for (int i = 0; i < n; i++) fprintf(ctx->out, "    %s\n", names[i]);
    return 0;
}

static int profile_dump(cmd_ctx *ctx, int argc, char **argv)
{
    flag_list sets = {0}, files = {0};
    const char *config_path = NULL, *output = "yaml";
    const flag_spec specs[] = {
        {"set", 's', FLAG_LIST, &sets, NULL},
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {"config-path", 'p', FLAG_STR, &config_path, NULL},
        {"output", 'o', FLAG_STR, &output, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "istioctl profile dump", ctx->err), rc = 0;
    if (prc) { rc = prc > 0 ? 0 : 64; goto out; }
    if (fr.npos > 1) {
        fprintf(ctx->err, "Error: too many positional arguments\n");
        rc = 64;
        goto out;
    }
    if (fr.npos) {
        /* a positional profile is the same as --set profile=NAME */
        sets.v = realloc(sets.v, (size_t)(sets.n + 1) * sizeof *sets.v);
        memmove(sets.v + 1, sets.v, (size_t)sets.n * sizeof *sets.v);
        static char buf[300];
        snprintf(buf, sizeof buf, "profile=%s", fr.pos[0]);
        sets.v[0] = buf;
        sets.n++;
    }
    const istio_release *rel = current_release(ctx);
    json_t *spec = install_spec_from_flags(ctx, &files, &sets, &rel);
    if (!spec) { rc = 1; goto out; }
    json_t *doc = json_pack("{s:s,s:s,s:O}", "apiVersion", "install.istio.io/v1alpha1", "kind", "IstioOperator", "spec", spec);
    json_t *show = doc;
    if (config_path && *config_path) {
        char path[512];
        /* the path is relative to spec, as istioctl reads it */
        snprintf(path, sizeof path, "%s", strncmp(config_path, "spec.", 5) ? config_path : config_path + 5);
        show = obj_at(spec, path);
        if (!show) {
            fprintf(ctx->err, "Error: could not find path %s\n", config_path);
            rc = 1;
        }
    }
    if (show) {
        if (!strcmp(output, "json")) print_json(ctx->out, show);
        else print_yaml(ctx->out, show);
    }
    json_decref(doc);
    json_decref(spec);
out:
    flags_free(&fr);
    flag_list_free(&sets);
    flag_list_free(&files);
    return ctx->st ? cmd_finish(ctx, rc) : rc;
}

int cmd_istioctl_profile(cmd_ctx *ctx, int argc, char **argv)
{
    if (argc == 0 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        fprintf(argc ? ctx->out : ctx->err, "The profile command lists, dumps or diffs Istio configuration profiles.\n\n"
                "Usage:\n  istioctl profile [command]\n\nAvailable Commands:\n  dump        Dumps an Istio configuration profile\n"
                "  list        Lists available Istio configuration profiles\n");
        return argc ? 0 : 64;
    }
    if (!strcmp(argv[0], "list")) {
        int rc = profile_list(ctx);
        return ctx->st ? cmd_finish(ctx, rc) : rc;
    }
    if (!strcmp(argv[0], "dump")) return profile_dump(ctx, argc - 1, argv + 1);
    fprintf(ctx->err, "Error: unknown command \"%s\" for \"istioctl profile\"\n", argv[0]);
    return 64;
}

int cmd_istioctl_manifest(cmd_ctx *ctx, int argc, char **argv)
{
    if (argc == 0 || strcmp(argv[0], "generate")) {
        fprintf(argc && strcmp(argv[0], "--help") ? ctx->err : ctx->out,
                "The manifest command generates Istio install manifests.\n\nUsage:\n  istioctl manifest [command]\n\n"
                "Available Commands:\n  generate    Generates an Istio install manifest\n");
        return argc && !strcmp(argv[0], "--help") ? 0 : 64;
    }
    flag_list sets = {0}, files = {0};
    const flag_spec specs[] = {
        {"set", 's', FLAG_LIST, &sets, NULL},
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc - 1, argv + 1, &fr, "istioctl manifest generate", ctx->err), rc = 0;
    if (prc) rc = prc > 0 ? 0 : 64;
    else {
        const istio_release *rel = current_release(ctx);
        json_t *spec = install_spec_from_flags(ctx, &files, &sets, &rel);
        if (!spec) rc = 1;
        else {
            json_t *objs = install_manifest(rel, spec);
            size_t i;
            json_t *pair;
            json_array_foreach(objs, i, pair) {
                if (i) fprintf(ctx->out, "---\n");
                print_yaml(ctx->out, json_array_get(pair, 1));
            }
            json_decref(objs);
            json_decref(spec);
        }
    }
    flags_free(&fr);
    flag_list_free(&sets);
    flag_list_free(&files);
    return ctx->st ? cmd_finish(ctx, rc) : rc;
}
