/* The kubectl personality: its table of verbs (as git has a table of
 * builtins) and the global flags that may come before the verb. */
#include <string.h>
#include <stdlib.h>
#include "cmd/commands.h"
#include "net/trace.h"

static const cmd_entry kubectl_verbs[] = {
    {"api-resources", cmd_api_resources, "Print the supported API resources on the server"},
    {"apply", cmd_apply, "Apply a configuration to a resource by file name or stdin"},
    {"annotate", cmd_annotate, "Update the annotations on a resource"},
    {"cluster-info", cmd_cluster_info, "Display cluster information"},
    {"config", cmd_config, "Modify kubeconfig files"},
    {"create", cmd_create, "Create a resource from a file or from stdin"},
    {"delete", cmd_delete, "Delete resources by file names, stdin, resources and names, or by resources and label selector"},
    {"describe", cmd_describe, "Show details of a specific resource or group of resources"},
    {"get", cmd_get, "Display one or many resources"},
    {"label", cmd_label, "Update the labels on a resource"},
    {"exec", cmd_exec, "Execute a command in a container"},
    {"logs", cmd_logs, "Print the logs for a container in a pod"},
    {"patch", cmd_patch, "Update fields of a resource"},
    {"rollout", cmd_rollout, "Manage the rollout of a resource"},
    {"scale", cmd_scale, "Set a new size for a deployment, replica set, or replication controller"},
    {"wait", cmd_wait, "Experimental: Wait for a specific condition on one or many resources"},
    {"replace", cmd_replace, "Replace a resource by file name or stdin"},
    {"version", cmd_kubectl_version, "Print the client and server version information"},
    {0},
};

static void usage(FILE *out)
{
    fprintf(out, "kubectl controls the Kubernetes cluster manager (emulated by meshsim, offline).\n\n"
                 "Basic Commands:\n");
    for (const cmd_entry *e = kubectl_verbs; e->name; e++) fprintf(out, "  %-14s %s\n", e->name, e->summary);
    fprintf(out, "\nUsage:\n  kubectl [flags] [options]\n\n"
                 "Use \"kubectl <command> --help\" for more information about a given command.\n");
}

/* Global flags that take a value, which kubectl accepts before the verb. */
static bool global_flag_with_value(const char *a)
{
    static const char *const with_value[] = {"-n", "--namespace", "--context", "--kubeconfig", "--cluster",
                                             "--user", "-s", "--server", "--request-timeout", NULL};
    for (const char *const *f = with_value; *f; f++)
        if (!strcmp(a, *f)) return true;
    return false;
}

/* Levenshtein distance, for cobra's "Did you mean this?" (distance <= 2 or a prefix). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 99;
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++) d[i][0] = i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

static void suggest(FILE *err, const char *typed)
{
    int n = 0;
    for (const cmd_entry *e = kubectl_verbs; e->name; e++)
        if (distance(typed, e->name) <= 2 || !strncmp(e->name, typed, strlen(typed)))
            fprintf(err, "%s\t%s\n", n++ ? "" : "\nDid you mean this?\n", e->name);
    if (n) fputc('\n', err);   /* cobra ends the suggestions with a blank line */
}

int kubectl_main(cmd_ctx *ctx, int argc, char **argv)
{
    /* Move global flags found before the verb to after it, so every verb's
     * own parser sees them (`kubectl -n istio-system rollout status ...`). */
    char *moved[64];
    int nmoved = 0, i = 0;
    while (i < argc && argv[i][0] == '-' && nmoved < 60) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(ctx->out); return 0; }
        moved[nmoved++] = argv[i];
        if (global_flag_with_value(argv[i]) && i + 1 < argc) moved[nmoved++] = argv[++i];
        i++;
    }
    if (i >= argc) {
        usage(ctx->err);
        return argc ? 1 : 0;
    }
    const cmd_entry *e = cmd_find(kubectl_verbs, argv[i]);
    if (!e) {
        fprintf(ctx->err, "Error: unknown command \"%s\" for \"kubectl\"\n", argv[i]);
        suggest(ctx->err, argv[i]);
        return 1;
    }
    char *args[argc + 1];
    int n = 0;
    for (int j = i + 1; j < argc; j++) args[n++] = argv[j];
    /* Global flags go before a "--" so they never reach an exec'd command. */
    int dd = n;
    for (int j = 0; j < n; j++)
        if (!strcmp(args[j], "--")) { dd = j; break; }
    char *final[argc + 1];
    int m = 0;
    for (int j = 0; j < dd; j++) final[m++] = args[j];
    for (int j = 0; j < nmoved; j++) final[m++] = moved[j];
    for (int j = dd; j < n; j++) final[m++] = args[j];
    final[m] = NULL;
    /* MESHSIM_TRACE=1 kubectl exec ...: the trace follows on standard error */
    bool tracing = e->fn == cmd_exec && getenv("MESHSIM_TRACE") && *getenv("MESHSIM_TRACE") &&
                   strcmp(getenv("MESHSIM_TRACE"), "0");
    if (tracing) trace_begin();
    int rc = e->fn(ctx, m, final);
    if (tracing) {
        json_t *recs = trace_end();
        fflush(ctx->out);
        trace_print(ctx->err, recs);
        json_decref(recs);
    }
    return rc;
}
