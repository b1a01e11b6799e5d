/* The meshsim personality: its own commands, and kubectl / istioctl as
 * subcommands (`meshsim kubectl get pods`). */
#include <string.h>
#include <unistd.h>
#include "cmd/commands.h"

static int run_kubectl(cmd_ctx *ctx, int argc, char **argv) { return kubectl_main(ctx, argc, argv); }
static int run_istioctl(cmd_ctx *ctx, int argc, char **argv) { return istioctl_main(ctx, argc, argv); }

static const cmd_entry meshsim_cmds[] = {
    {"kubectl", run_kubectl, "Run kubectl against the local cluster"},
    {"istioctl", run_istioctl, "Run istioctl against the local cluster"},
    {"trace", cmd_trace, "Run a probe in a pod and show hop by hop why its traffic went where it went"},
    {"reset", cmd_reset, "Turn the store back into a fresh cluster"},
    {"version", cmd_meshsim_version, "Print meshsim's version and the versions it emulates"},
    {"env", cmd_env, "Print the export lines that put kubectl and istioctl on PATH (eval \"$(meshsim env)\")"},
    {"__store-check", cmd_store_check, "Check the state store's integrity and count its objects (for tests)"},
    {"shell", cmd_shell, "Interactive prompt (history, Tab completion); -c CMD or a script on stdin for CI"},
    {"doctest", cmd_doctest, "Run the $ commands of a Markdown page and compare their output"},
    {"completion", cmd_completion, "Print the bash, zsh or fish completion script"},
    {0},
};

static void usage(FILE *out)
{
    fprintf(out, "meshsim runs the kubectl and istioctl workflows of the Istio documentation offline.\n\n"
                 "Usage:\n  meshsim <command> [arguments]\n\nCommands:\n");
    for (const cmd_entry *e = meshsim_cmds; e->name; e++)
        if (strncmp(e->name, "__", 2))   /* __commands are hidden */
            fprintf(out, "  %-12s %s\n", e->name, e->summary);
    fprintf(out, "\nThe cluster's state lives in $MESHSIM_HOME (default ~/.local/state/meshsim).\n");
}

/* `meshsim reset --help`: commands without flags of their own answer with
 * their summary instead of doing their work. */
static bool generic_help(const cmd_entry *e, int argc, char **argv, FILE *out)
{
    static const char *const plain[] = {"reset", "version", "env", NULL};
    if (argc < 2 || (strcmp(argv[1], "--help") && strcmp(argv[1], "-h"))) return false;
    for (const char *const *p = plain; *p; p++)
        if (!strcmp(e->name, *p)) {
            fprintf(out, "%s.\n\nUsage:\n  meshsim %s\n", e->summary, e->name);
            return true;
        }
    return false;
}

int meshsim_main(cmd_ctx *ctx, int argc, char **argv)
{
    /* `meshsim` alone on a terminal is the interactive shell */
    if (argc == 0 && ctx->in_is_tty && isatty(1)) return cmd_shell(ctx, 0, argv);
    if (argc == 0 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") || !strcmp(argv[0], "help")) {
        usage(argc ? ctx->out : ctx->err);
        return argc ? 0 : 2;
    }
    const cmd_entry *e = cmd_find(meshsim_cmds, argv[0]);
    if (!e) {
        fprintf(ctx->err, "meshsim: '%s' is not a meshsim command. See 'meshsim --help'.\n", argv[0]);
        return 2;
    }
    if (generic_help(e, argc, argv, ctx->out)) return 0;
    return e->fn(ctx, argc - 1, argv + 1);
}

/* The three personalities by name, and the hidden `__complete` that the
 * completion scripts call on each of them (cobra's protocol). */
int personality_main(cmd_ctx *ctx, const char *prog, int argc, char **argv)
{
    if (argc > 0 && !strcmp(argv[0], "__complete")) return cmd_complete(ctx, prog, argc - 1, argv + 1);
    if (!strcmp(prog, "kubectl")) return kubectl_main(ctx, argc, argv);
    if (!strcmp(prog, "istioctl")) return istioctl_main(ctx, argc, argv);
    return meshsim_main(ctx, argc, argv);
}
