/* meshsim's own commands: reset, version, env. */
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/commands.h"

int cmd_reset(cmd_ctx *ctx, int argc, char **argv)
{
    (void)argc; (void)argv;
    char path[4200];
    /* the journal first: a killed command's, left beside a new state.db,
     * would be played into it (-wal and -shm: an older meshsim's) */
    const char *files[] = {"state.db-journal", "state.db-wal", "state.db-shm", "state.db", NULL};
    cmd_store_forget(ctx->home);   /* no handle of this process on the files removed */
    for (const char **f = files; *f; f++) {
        snprintf(path, sizeof path, "%s/%s", ctx->home, *f);
        unlink(path);
    }
    if (!cmd_store(ctx)) return 1;
    fprintf(ctx->out, "meshsim: a new cluster is ready in %s\n", ctx->home);
    return cmd_finish(ctx, 0);
}

int cmd_meshsim_version(cmd_ctx *ctx, int argc, char **argv)
{
    (void)argc; (void)argv;
    const istio_release *rel = release_default();
    fprintf(ctx->out, "meshsim %s\nkubectl %s (emulated)\nistio %s (emulated by default;",
            MESHSIM_VERSION, KUBECTL_EMULATED_VERSION, rel->tag);
    for (const istio_release *r = release_table; r->tag; r++) fprintf(ctx->out, " %s", r->tag);
    fprintf(ctx->out, " selectable with istioctl install --set tag=...)\n");
    return 0;
}

/* `eval "$(meshsim env)"` puts the kubectl and istioctl links first on PATH. */
int cmd_env(cmd_ctx *ctx, int argc, char **argv)
{
    (void)argc; (void)argv;
    char dir[PATH_MAX];
    if (cmd_bin_dir(dir, sizeof dir)) {
        fprintf(ctx->err, "meshsim: cannot find my own binary\n");
        return 1;
    }
    fprintf(ctx->out, "export PATH=\"%s:$PATH\"\nexport MESHSIM_HOME=\"%s\"\n", dir, ctx->home);
    return 0;
}
