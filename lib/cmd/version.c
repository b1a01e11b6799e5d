/* kubectl version: the kubectl meshsim emulates and the cluster's API server
 * (kind's node image), as lines or, for scripts, -o json|yaml. */
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cmd/kubectl_help.h"
#include "model/printer.h"

/* version.Info as kubectl prints it, fields in its struct's order */
static json_t *version_info(const char *git_version, const char *minor, const char *commit, const char *built,
                            const char *go)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "major", "1", "minor", minor,
                     "gitVersion", git_version, "gitCommit", commit, "gitTreeState", "clean", "buildDate", built,
                     "goVersion", go, "compiler", "gc", "platform", "linux/amd64");
}

int cmd_kubectl_version(cmd_ctx *ctx, int argc, char **argv)
{
    bool client_only = false;
    const char *output = NULL;
    const flag_spec specs[] = {
        {"client", 0, FLAG_BOOL, &client_only, NULL},
        {"output", 'o', FLAG_STR, &output, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "kubectl version", ctx->err);
    flags_free(&fr);
    if (prc > 0) return kubectl_help(ctx->out, "version") ? 1 : 0;
    if (prc < 0) return 1;
    if (output && *output && strcmp(output, "json") && strcmp(output, "yaml")) {
        fprintf(ctx->err, "error: --output must be 'yaml' or 'json'\n");
        return 1;
    }
    if (!output || !*output) {
        fprintf(ctx->out, "Client Version: %s\nKustomize Version: v5.5.0\n", KUBECTL_EMULATED_VERSION);
        if (!client_only) fprintf(ctx->out, "Server Version: v1.32.2\n");
        return 0;
    }
    json_t *v = json_object();
    json_object_set_new(v, "clientVersion", version_info(KUBECTL_EMULATED_VERSION, "32",
                                                         "4cb5f0764b8d5f425645c6f433394fede34a8a26",
                                                         "2025-05-15T20:09:34Z", "go1.23.8"));
    json_object_set_new(v, "kustomizeVersion", json_string("v5.5.0"));
    if (!client_only)
        json_object_set_new(v, "serverVersion", version_info("v1.32.2", "32", "67a30c0adcf52bd3f56ff0893ce19966be12991f",
                                                             "2025-02-12T21:19:47Z", "go1.23.6"));
    int rc = 0;
    if (!strcmp(output, "yaml")) {
        rc = print_yaml(ctx->out, v) ? 1 : 0;
    } else {
        /* json.MarshalIndent with two spaces, in struct order */
        char *text = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (text) fprintf(ctx->out, "%s\n", text);
        rc = text ? 0 : 1;
        free(text);
    }
    json_decref(v);
    return rc;
}
