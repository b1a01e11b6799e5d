/* The istioctl personality: its table of commands. */
#include <string.h>
#include "cmd/commands.h"

static const cmd_entry istioctl_cmds[] = {
    {"install", cmd_istioctl_install, "Applies an Istio manifest, installing or reconfiguring Istio on a cluster."},
    {"apply", cmd_istioctl_install, "Applies an Istio manifest (alias of install)."},
    {"uninstall", cmd_istioctl_uninstall, "Uninstall Istio from a cluster"},
    {"verify-install", cmd_istioctl_verify_install, "Verifies Istio Installation Status"},
    {"profile", cmd_istioctl_profile, "Commands related to Istio configuration profiles"},
    {"manifest", cmd_istioctl_manifest, "Commands related to Istio manifests"},
    {"version", cmd_istioctl_version, "Prints out build version information"},
    {"kube-inject", cmd_kube_inject, "Inject Istio sidecar into Kubernetes pod resources"},
    {"analyze", cmd_analyze, "Analyze Istio configuration and print validation messages"},
    {"experimental", cmd_istio_experimental, "Experimental commands that may be modified or deprecated"},
    {"pc", cmd_proxy_config, "Retrieve information about proxy configuration from Envoy (alias of proxy-config)"},
    {"proxy-config", cmd_proxy_config, "Retrieve information about proxy configuration from Envoy [kube only]"},
    {"proxy-status", cmd_proxy_status, "Retrieves the synchronization status of each Envoy in the mesh [kube only]"},
    {"ps", cmd_proxy_status, "Retrieves the synchronization status of each Envoy in the mesh (alias of proxy-status)"},
    {"validate", cmd_istio_validate, "Validate Istio policy and rules files"},
    {"v", cmd_istio_validate, "Validate Istio policy and rules files (alias of validate)"},
    {"x", cmd_istio_experimental, "Experimental commands (alias of experimental)"},
    {0},
};

static void usage(FILE *out)
{
    fprintf(out, "Istio configuration command line utility for service operators to\n"
                 "debug and diagnose their Istio mesh (emulated by meshsim, offline).\n\nAvailable Commands:\n");
    for (const cmd_entry *e = istioctl_cmds; e->name; e++) fprintf(out, "  %-16s %s\n", e->name, e->summary);
    fprintf(out, "\nUsage:\n  istioctl [command]\n");
}

int istioctl_main(cmd_ctx *ctx, int argc, char **argv)
{
    if (argc == 0 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") || !strcmp(argv[0], "help")) {
        usage(argc ? ctx->out : ctx->err);
        return argc ? 0 : 1;
    }
    const cmd_entry *e = cmd_find(istioctl_cmds, argv[0]);
    if (!e) {
        fprintf(ctx->err, "Error: unknown command \"%s\" for \"istioctl\"\nRun 'istioctl --help' for usage.\n", argv[0]);
        return 64;
    }
    return e->fn(ctx, argc - 1, argv + 1);
}
