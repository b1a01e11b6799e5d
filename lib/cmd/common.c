/* The command context: opening the store once per command, one transaction
 * per command, and the builtin tables. */
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "cluster/cluster.h"
#include "net/world.h"

store *cmd_store(cmd_ctx *ctx)
{
    if (ctx->st) return ctx->st;
    char err[1024] = "";
    bool created = false;
    ctx->st = store_open(ctx->home, &created, err, sizeof err);
    if (!ctx->st) {
        fprintf(ctx->err, "error: %s\n", err);
        return NULL;
    }
    char *tag = store_meta_get(ctx->st, "istio_release");
    const istio_release *rel = release_lookup(tag);
    free(tag);
    ctx->rel = rel ? rel : release_default();
    if (created && (cluster_bootstrap(ctx->st) || world_seed(ctx->st, err, sizeof err))) {
        fprintf(ctx->err, "error: cannot create a new cluster in %s: %s\n", ctx->home, err[0] ? err : store_errmsg(ctx->st));
        store_close(ctx->st);
        ctx->st = NULL;
        return NULL;
    }
    return ctx->st;
}

int cmd_finish(cmd_ctx *ctx, int rc)
{
    if (!ctx->st) return rc;
    /* A failing command still commits what it did to the objects that
     * succeeded (kubectl applies the valid documents of a stream); commands
     * that must be all-or-nothing call store_rollback() themselves first. */
    if (store_commit(ctx->st)) {
        fprintf(ctx->err, "error: cannot save the cluster state: %s\n", store_errmsg(ctx->st));
        rc = rc ? rc : 1;
    }
    store_close(ctx->st);
    ctx->st = NULL;
    return rc;
}

const cmd_entry *cmd_find(const cmd_entry *table, const char *name)
{
    for (; table->name; table++)
        if (!strcmp(table->name, name)) return table;
    return NULL;
}

int cmd_bin_dir(char *buf, size_t size)
{
    const char *dir = getenv("MESHSIM_BIN_DIR");
    if (dir && *dir) {
        snprintf(buf, size, "%s", dir);
        return 0;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return -1;
    self[n] = 0;
    snprintf(buf, size, "%s", dirname(self));
    return 0;
}
