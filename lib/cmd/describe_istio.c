/* istioctl experimental (x): the commands that were experimental in the
 * emulated releases (analyze lived here in 1.4). */
#include <string.h>
#include "cmd/commands.h"

static const cmd_entry experimental_cmds[] = {
    {"analyze", cmd_analyze, "Analyze Istio configuration and print validation messages"},
    {"validate", cmd_istio_validate, "Validate Istio policy and rules files"},
    {0},
};

int cmd_istio_experimental(cmd_ctx *ctx, int argc, char **argv)
{
    if (argc == 0 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        FILE *o = argc ? ctx->out : ctx->err;
        fprintf(o, "Experimental commands that may be modified or deprecated\n\nAvailable Commands:\n");
        for (const cmd_entry *e = experimental_cmds; e->name; e++) fprintf(o, "  %-12s %s\n", e->name, e->summary);
        return argc ? 0 : 64;
    }
    const cmd_entry *e = cmd_find(experimental_cmds, argv[0]);
    if (!e) {
        fprintf(ctx->err, "Error: unknown command \"%s\" for \"istioctl experimental\"\n", argv[0]);
        return 64;
    }
    return e->fn(ctx, argc - 1, argv + 1);
}
