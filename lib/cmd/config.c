/* kubectl config: the one context meshsim has.  There is no kubeconfig file
 * to edit; the views print what a kubeconfig for this cluster would hold. */
#include <string.h>
#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "model/printer.h"

#define CONTEXT "meshsim"
#define SERVER "https://127.0.0.1:6443"

int cmd_config(cmd_ctx *ctx, int argc, char **argv)
{
    bool minify = false, raw = false, flatten = false, no_headers = false;
    const char *output = NULL;
    const flag_spec specs[] = {
        {"minify", 0, FLAG_BOOL, &minify, NULL}, {"raw", 0, FLAG_BOOL, &raw, NULL},
        {"flatten", 0, FLAG_BOOL, &flatten, NULL}, {"output", 'o', FLAG_STR, &output, NULL},
        {"no-headers", 0, FLAG_BOOL, &no_headers, NULL}, {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "kubectl config", ctx->err);
    if (prc || fr.npos == 0) {
        if (prc >= 0) fprintf(prc > 0 ? ctx->out : ctx->err, "Modify kubeconfig files using subcommands like \"kubectl config set current-context my-context\".\n\n"
                              "Available Commands:\n  current-context   Display the current-context\n"
                              "  get-contexts      Describe one or many contexts\n"
                              "  use-context       Set the current-context in a kubeconfig file\n"
                              "  view              Display merged kubeconfig settings or a specified kubeconfig file\n\n"
                              "Usage:\n  kubectl config SUBCOMMAND [options]\n");
        flags_free(&fr);
        return prc > 0 ? 0 : 1;
    }
    const char *sub = fr.pos[0];
    int rc = 0;
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
            table_add(&t, (const char *const[]){"*", CONTEXT, CONTEXT, CONTEXT, ""});
            table_print(&t, ctx->out, 3);
            table_free(&t);
        }
    } else if (!strcmp(sub, "use-context")) {
        if (fr.npos < 2 || strcmp(fr.pos[1], CONTEXT)) {
            fprintf(ctx->err, "error: no context exists with the name: \"%s\"\n", fr.npos > 1 ? fr.pos[1] : "");
            rc = 1;
        } else {
            fprintf(ctx->out, "Switched to context \"%s\".\n", CONTEXT);
        }
    } else if (!strcmp(sub, "view")) {
        const char *data = raw ? "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==" : "DATA+OMITTED";
        fprintf(ctx->out, "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: %s\n"
                "  name: %s\ncontexts:\n- context:\n    cluster: %s\n    user: %s\n  name: %s\n"
                "current-context: %s\nkind: Config\npreferences: {}\nusers:\n- name: %s\n  user:\n"
                "    client-certificate-data: %s\n    client-key-data: %s\n",
                data, SERVER, CONTEXT, CONTEXT, CONTEXT, CONTEXT, CONTEXT, CONTEXT, data, data);
    } else {
        fprintf(ctx->err, "error: unknown command \"%s\" for \"kubectl config\"\n", sub);
        rc = 1;
    }
    flags_free(&fr);
    return rc;
}
