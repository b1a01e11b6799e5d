/* kubectl version. */
#include <string.h>
#include "cmd/commands.h"
#include "cmd/kubectl_help.h"

int cmd_kubectl_version(cmd_ctx *ctx, int argc, char **argv)
{
    bool client_only = false;
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return kubectl_help(ctx->out, "version") ? 1 : 0;
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--client") || !strcmp(argv[i], "--client=true")) client_only = true;
    fprintf(ctx->out, "Client Version: %s\nKustomize Version: v5.5.0\n", KUBECTL_EMULATED_VERSION);
    if (!client_only) fprintf(ctx->out, "Server Version: v1.32.2\n");
    return 0;
}
