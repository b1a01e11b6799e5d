/* kubectl config: the one context meshsim has.  There is no kubeconfig file
 * to edit; the views print what a kubeconfig for this cluster would hold.
 * The context's namespace is cluster state (store meta "namespace"), so a
 * `meshsim reset` clears it with the rest of the cluster. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cmd/kubectl_help.h"
#include "cmd/output.h"
#include "model/printer.h"

#define CONTEXT "meshsim"
#define SERVER "https://127.0.0.1:6443"

/* set-context [NAME | --current] [--namespace=NS]: meshsim has one context,
 * so a NAME other than it (which kubectl would create) is refused. */
static int set_context(cmd_ctx *ctx, const char *const *args, int nargs, bool current, const char *ns)
{
    if (nargs > 1) {
        fprintf(ctx->err, "error: Unexpected args: [");
        for (int i = 0; i < nargs; i++) fprintf(ctx->err, "%s%s", i ? " " : "", args[i]);
        fprintf(ctx->err, "]\n");
        return 1;
    }
    const char *name = nargs ? args[0] : NULL;
    if (current && name) {
        fprintf(ctx->err, "error: you cannot specify both a context name and --current\n");
        return 1;
    }
    if (!current && (!name || !*name)) {
        fprintf(ctx->err, "error: you must specify a non-empty context name or --current\n");
        return 1;
    }
    if (name && strcmp(name, CONTEXT)) {
        fprintf(ctx->err, "error: meshsim has a single context \"%s\"; cannot create context \"%s\"\n", CONTEXT, name);
        return 1;
    }
    store *st = cmd_store(ctx);
    if (!st) return 1;
    if (ns && store_meta_set(st, "namespace", ns)) {
        fprintf(ctx->err, "error: cannot save the context's namespace: %s\n", store_errmsg(st));
        return 1;
    }
    fprintf(ctx->out, "Context \"%s\" modified.\n", CONTEXT);
    return 0;
}

int cmd_config(cmd_ctx *ctx, int argc, char **argv)
{
    bool minify = false, raw = false, flatten = false, no_headers = false, current = false;
    const char *output = NULL, *ns = NULL;
    const flag_spec specs[] = {
        {"current", 0, FLAG_BOOL, &current, NULL}, {"namespace", 0, FLAG_STR, &ns, NULL},
        {"minify", 0, FLAG_BOOL, &minify, NULL}, {"raw", 0, FLAG_BOOL, &raw, NULL},
        {"flatten", 0, FLAG_BOOL, &flatten, NULL}, {"output", 'o', FLAG_STR, &output, NULL},
        {"no-headers", 0, FLAG_BOOL, &no_headers, NULL}, {0},
    };
    /* a flag's error names the subcommand, as cobra's does */
    char cmdpath[64] = "kubectl config";
    static const char *const subs[] = {"current-context", "get-contexts", "set-context", "use-context", "view", NULL};
    for (int i = 0; i < argc && argv[i][0] != '-'; i++)
        for (const char *const *sc = subs; *sc; sc++)
            if (!strcmp(argv[i], *sc)) snprintf(cmdpath, sizeof cmdpath, "kubectl config %s", *sc);
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, cmdpath, ctx->err);
    if (prc || fr.npos == 0) {
        if (prc >= 0) fprintf(prc > 0 ? ctx->out : ctx->err, "Modify kubeconfig files using subcommands like \"kubectl config set current-context my-context\".\n\n"
                              "Available Commands:\n  current-context   Display the current-context\n"
                              "  get-contexts      Describe one or many contexts\n"
                              "  set-context       Set a context entry in kubeconfig\n"
                              "  use-context       Set the current-context in a kubeconfig file\n"
                              "  view              Display merged kubeconfig settings or a specified kubeconfig file\n\n"
                              "Usage:\n  kubectl config SUBCOMMAND [options]\n");
        flags_free(&fr);
        return prc > 0 ? 0 : 1;
    }
    const char *sub = fr.pos[0];
    int rc = 0;
    /* the context's namespace; "" when none is set */
    char ctx_ns[256] = "";
    if (!strcmp(sub, "get-contexts") || !strcmp(sub, "view")) {
        store *st = cmd_store(ctx);
        if (!st) {
            flags_free(&fr);
            return 1;
        }
        char *v = store_meta_get(st, "namespace");
        if (v) snprintf(ctx_ns, sizeof ctx_ns, "%s", v);
        free(v);
    }
    if (!strcmp(sub, "current-context")) {
        fprintf(ctx->out, "%s\n", CONTEXT);
    } else if (!strcmp(sub, "get-contexts")) {
        if (fr.npos > 1 && strcmp(fr.pos[1], CONTEXT)) {
            fprintf(ctx->err, "error: context %s not found\n", fr.pos[1]);
            rc = 1;
        } else if (output && !strcmp(output, "name")) {
            fprintf(ctx->out, "%s\n", CONTEXT);
        } else {
            table t;
            table_init(&t, 5);
            if (!no_headers) table_add(&t, (const char *const[]){"CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"});
            table_add(&t, (const char *const[]){"*", CONTEXT, CONTEXT, CONTEXT, ctx_ns});
            table_print(&t, ctx->out, 3);
            table_free(&t);
        }
    } else if (!strcmp(sub, "use-context")) {
        if (fr.npos < 2) {
            /* cobra's answer to a missing argument: the help, then the error */
            kubectl_help(ctx->out, "config use-context");
            fflush(ctx->out);   /* printed before the error, as kubectl's unbuffered writes are */
            fprintf(ctx->err, "error: Unexpected args: []\n");
            rc = 1;
        } else if (strcmp(fr.pos[1], CONTEXT)) {
            fprintf(ctx->err, "error: no context exists with the name: \"%s\"\n", fr.npos > 1 ? fr.pos[1] : "");
            rc = 1;
        } else {
            fprintf(ctx->out, "Switched to context \"%s\".\n", CONTEXT);
        }
    } else if (!strcmp(sub, "set-context")) {
        rc = set_context(ctx, fr.pos + 1, fr.npos - 1, current, ns);
    } else if (!strcmp(sub, "view")) {
        const char *data = raw ? "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==" : "DATA+OMITTED";
        if (output && strcmp(output, "yaml")) {
            json_t *cfg = json_pack("{s:s, s:[{s:{s:s, s:s}, s:s}], s:[{s:{s:s, s:s}, s:s}], s:s, s:s, s:{}, "
                                    "s:[{s:s, s:{s:s, s:s}}]}",
                                    "apiVersion", "v1", "clusters", "cluster", "certificate-authority-data", data,
                                    "server", SERVER, "name", CONTEXT, "contexts", "context", "cluster", CONTEXT,
                                    "user", CONTEXT, "name", CONTEXT, "current-context", CONTEXT, "kind", "Config",
                                    "preferences", "users", "name", CONTEXT, "user", "client-certificate-data", data,
                                    "client-key-data", data);
            if (cfg && *ctx_ns)
                json_object_set_new(json_object_get(json_array_get(json_object_get(cfg, "contexts"), 0), "context"),
                                    "namespace", json_string(ctx_ns));
            rc = cfg ? output_object(ctx->out, ctx->err, output, cfg) : 1;
            json_decref(cfg);
        } else {
            fprintf(ctx->out, "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: %s\n"
                    "  name: %s\ncontexts:\n- context:\n    cluster: %s\n", data, SERVER, CONTEXT, CONTEXT);
            if (*ctx_ns) fprintf(ctx->out, "    namespace: %s\n", ctx_ns);
            fprintf(ctx->out, "    user: %s\n  name: %s\n"
                    "current-context: %s\nkind: Config\npreferences: {}\nusers:\n- name: %s\n  user:\n"
                    "    client-certificate-data: %s\n    client-key-data: %s\n",
                    CONTEXT, CONTEXT, CONTEXT, CONTEXT, data, data);
        }
    } else {
        fprintf(ctx->err, "error: unknown command \"%s\"\nSee 'kubectl config -h' for help and examples\n", sub);
        rc = 1;
    }
    flags_free(&fr);
    return cmd_finish(ctx, rc);
}
