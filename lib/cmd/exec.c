/* kubectl exec: run a program inside a container.  The pod, container and
 * program are found as kubectl and the container runtime find them; the
 * program is one of the image's builtins (exec_programs.c). */
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "cmd/exec_programs.h"
#include "cmd/flags.h"
#include "cmd/pod_target.h"
#include "model/loader.h"
#include "model/obj.h"

/* Init containers have finished by the time a pod runs: nothing to exec into. */
static bool is_running_container(json_t *pod, json_t *c)
{
    size_t i;
    json_t *x;
    json_array_foreach(obj_at(pod, "spec.containers"), i, x)
        if (x == c) return true;
    return false;
}

int cmd_exec(cmd_ctx *ctx, int argc, char **argv)
{
    const char *ns = NULL, *container = NULL, *timeout = NULL;
    bool in = false, tty = false, quiet = false;
    flag_list files = {0};
    const flag_spec specs[] = {
        {"namespace", 'n', FLAG_STR, &ns, NULL},
        {"container", 'c', FLAG_STR, &container, NULL},
        {"stdin", 'i', FLAG_BOOL, &in, NULL},
        {"tty", 't', FLAG_BOOL, &tty, NULL},
        {"quiet", 'q', FLAG_BOOL, &quiet, NULL},
        {"pod-running-timeout", 0, FLAG_STR, &timeout, NULL},
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "kubectl exec", ctx->err), rc = 0;
    if (prc) {
        if (prc > 0) fprintf(ctx->out, "Execute a command in a container.\n\nUsage:\n  kubectl exec (POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...] [options]\n");
        rc = prc > 0 ? 0 : 1;
        goto done;
    }
    if (fr.npos == 0) {
        fprintf(ctx->err, "error: expected 'exec (POD | TYPE/NAME) COMMAND [ARG1] [ARG2] ... [ARGN]'.\n"
                          "POD or TYPE/NAME is a required argument for the exec command\n"
                          "See 'kubectl exec -h' for help and examples\n");
        rc = 1;
        goto done;
    }
    if (fr.npos > 1) {
        fprintf(ctx->err, "error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\n"
                          "See 'kubectl exec -h' for help and examples\n");
        rc = 1;
        goto done;
    }
    if (fr.nrest == 0) {
        fprintf(ctx->err, "error: you must specify at least one command for the container\n");
        rc = 1;
        goto done;
    }
    /* Piped input is read before the store is opened: the writer may be
     * another meshsim command (`kubectl exec A -- cat f | kubectl exec -i B
     * -- ...`) that needs the store while this one would hold it. */
    char *input = NULL;
    size_t input_len = 0;
    FILE *piped = NULL;
    if (in && !ctx->in_is_tty) {
        input = read_stream(ctx->in, &input_len, LOADER_MAX_BYTES);
        piped = input ? fmemopen(input, input_len ? input_len : 1, "r") : NULL;
        if (piped && !input_len) { fclose(piped); piped = fopen("/dev/null", "r"); }
    }
    store *st = cmd_store(ctx);
    if (!st) {
        if (piped) fclose(piped);
        free(input);
        rc = 1;
        goto done;
    }
    json_t *pod = pod_target_resolve(st, fr.pos[0], ns ? ns : cmd_default_namespace(ctx), ctx->err);
    if (!pod) {
        rc = 1;
    } else {
        json_t *c = pod_target_container(pod, container, ctx->err, quiet, "exec");
        if (!c) {
            rc = 1;
        } else if (strcmp(obj_str_or(pod, "status.phase", ""), "Running") || !is_running_container(pod, c)) {
            fprintf(ctx->err, "error: unable to upgrade connection: container not found (\"%s\")\n", obj_str_or(c, "name", ""));
            rc = 1;
        } else {
            exec_ctx x = {
                .st = st, .rel = ctx->rel, .pod = pod, .ns = obj_namespace(pod), .pod_name = obj_name(pod),
                .container = obj_str_or(c, "name", ""), .image = obj_str_or(c, "image", ""),
                .in = piped ? piped : ctx->in, .out = ctx->out, .err = ctx->err,
            };
            /* kubectl only allocates a terminal when it has one to give */
            if (tty && !ctx->in_is_tty)
                fprintf(ctx->err, "Unable to use a TTY - input is not a terminal or the right kind of file\n");
            FILE *none = NULL;
            if (!in) x.in = none = fopen("/dev/null", "r");
            char *args[fr.nrest + 1];
            for (int i = 0; i < fr.nrest; i++) args[i] = (char *)fr.rest[i];
            args[fr.nrest] = NULL;
            probe_main_fn fn = exec_program(x.image, args[0]);
            if (!fn) {
                /* what containerd reports for a missing executable */
                fprintf(ctx->err, "OCI runtime exec failed: exec failed: unable to start container process: exec: \"%s\": "
                                  "executable file not found in $PATH: unknown\n", args[0]);
                rc = 127;
            } else {
                rc = fn(&x, fr.nrest, args);
            }
            fflush(ctx->out);
            if (none) fclose(none);
            if (rc) fprintf(ctx->err, "command terminated with exit code %d\n", rc);
        }
        json_decref(pod);
    }
    if (piped) fclose(piped);
    free(input);
    flags_free(&fr);
    flag_list_free(&files);
    return cmd_finish(ctx, rc);
done:
    flags_free(&fr);
    flag_list_free(&files);
    return rc;
}
