/* meshsim trace: run a probe in a pod and show, hop by hop, why its traffic
 * went where it went.  `MESHSIM_TRACE=1 kubectl exec ...` gives the same
 * account on standard error after the command's own output. */
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "model/printer.h"
#include "net/trace.h"

static void usage(FILE *out)
{
    fprintf(out, "Run a command in a container and show the hop-by-hop account of its traffic.\n\n"
                 "Usage:\n  meshsim trace [-o text|json] POD [-n NAMESPACE] [-c CONTAINER] -- COMMAND [args...]\n\n"
                 "Example:\n  meshsim trace \"$SOURCE_POD\" -c sleep -- curl -sS http://edition.cnn.com/politics\n");
}

int cmd_trace(cmd_ctx *ctx, int argc, char **argv)
{
    const char *format = "text";
    char **exec_args = calloc((size_t)argc + 2, sizeof *exec_args);
    int n = 0;
    exec_args[n++] = "exec";
    bool dashdash = false;
    for (int i = 0; i < argc; i++) {
        if (!dashdash && (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))) {
            usage(ctx->out);
            free(exec_args);
            return 0;
        }
        if (!dashdash && (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc) {
            format = argv[++i];
            continue;
        }
        if (!dashdash && !strncmp(argv[i], "--output=", 9)) { format = argv[i] + 9; continue; }
        if (!dashdash && !strncmp(argv[i], "-o", 2) && argv[i][2]) { format = argv[i] + 2; continue; }
        if (!strcmp(argv[i], "--")) dashdash = true;
        exec_args[n++] = argv[i];
    }
    if (strcmp(format, "text") && strcmp(format, "json")) {
        fprintf(ctx->err, "error: unknown output format \"%s\" (text or json)\n", format);
        free(exec_args);
        return 1;
    }
    if (!dashdash || n < 3) {
        usage(ctx->err);
        free(exec_args);
        return 1;
    }
    trace_begin();
    int rc = kubectl_main(ctx, n, exec_args);
    json_t *recs = trace_end();
    fflush(ctx->out);
    if (!strcmp(format, "json")) {
        print_json(ctx->out, recs);
    } else {
        fprintf(ctx->out, "--- trace ---\n");
        trace_print(ctx->out, recs);
    }
    json_decref(recs);
    free(exec_args);
    return rc;
}
