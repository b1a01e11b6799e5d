/* The meshsim personality: its own commands, and kubectl / istioctl as
 * subcommands (`meshsim kubectl get pods`). */
#include <string.h>
#include "cmd/commands.h"

static int run_kubectl(cmd_ctx *ctx, int argc, char **argv) { return kubectl_main(ctx, argc, argv); }
static int run_istioctl(cmd_ctx *ctx, int argc, char **argv) { return istioctl_main(ctx, argc, argv); }

static const cmd_entry meshsim_cmds[] = {
    {"kubectl", run_kubectl, "Run kubectl against the local cluster"},
    {"istioctl", run_istioctl, "Run istioctl against the local cluster"},
    {"reset", cmd_reset, "Turn the store back into a fresh cluster"},
    {"version", cmd_meshsim_version, "Print meshsim's version and the versions it emulates"},
    {"env", cmd_env, "Print the export lines that put kubectl and istioctl on PATH (eval \"$(meshsim env)\")"},
    {"__store-check", cmd_store_check, "Check the state store's integrity and count its objects (for tests)"},
    {0},
};

static void usage(FILE *out)
{
    fprintf(out, "meshsim runs the kubectl and istioctl workflows of the Istio documentation offline.\n\n"
                 "Usage:\n  meshsim <command> [arguments]\n\nCommands:\n");
    for (const cmd_entry *e = meshsim_cmds; e->name; e++)
        if (strncmp(e->name, "__", 2))   /* __commands are hidden */
            fprintf(out, "  %-10s %s\n", e->name, e->summary);
    fprintf(out, "\nThe cluster's state lives in $MESHSIM_HOME (default ~/.local/state/meshsim).\n");
}

int meshsim_main(cmd_ctx *ctx, int argc, char **argv)
{
    if (argc == 0 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") || !strcmp(argv[0], "help")) {
        usage(argc ? ctx->out : ctx->err);
        return argc ? 0 : 2;
    }
    const cmd_entry *e = cmd_find(meshsim_cmds, argv[0]);
    if (!e) {
        fprintf(ctx->err, "meshsim: '%s' is not a meshsim command. See 'meshsim --help'.\n", argv[0]);
        return 2;
    }
    return e->fn(ctx, argc - 1, argv + 1);
}
