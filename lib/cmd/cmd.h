/* What every command gets: the store, the streams, and the emulated release.
 * Commands return the process exit code and print their own messages. */
#ifndef MESHSIM_CMD_H
#define MESHSIM_CMD_H

#include <stdio.h>
#include "store/store.h"
#include "model/release.h"

typedef struct cmd_ctx {
    FILE *in, *out, *err;
    const char *home;              /* store directory */
    store *st;                     /* opened on first use by cmd_store() */
    const istio_release *rel;      /* emulated Istio release of this cluster */
    int in_is_tty;                 /* standard input is a terminal */
    /* the process ends with this command (one kubectl or istioctl run;
     * not a command of meshsim shell or __probe-loop): what it allocated
     * last need not be freed object by object */
    bool last_command;
} cmd_ctx;

typedef int (*cmd_fn)(cmd_ctx *ctx, int argc, char **argv);

/* Open the store (creating and seeding a new cluster when absent) and begin
 * the command's transaction.  Prints an error and returns NULL on failure. */
store *cmd_store(cmd_ctx *ctx);
/* Commit the command's transaction (commands that must not commit roll
 * back first) and give the handle back: the process keeps it for its next
 * command on the same store (see common.c) and closes it at exit. */
int cmd_finish(cmd_ctx *ctx, int rc);
/* Close the handle kept for the store in home (NULL: any), before a command
 * removes the store's files. */
void cmd_store_forget(const char *home);
/* The namespace of the context (`kubectl config set-context --current
 * --namespace=NS`, store meta "namespace"), else "default": what a
 * namespaced command uses when given neither -n nor -A.  Read inside the
 * command's open transaction; a store not yet open is opened only when it
 * exists.  The string lives until the next call. */
const char *cmd_default_namespace(cmd_ctx *ctx);
/* kubectl's last word on a command cobra refused before running it (a
 * required flag not set): a klog error line, e.g.
 * E1127 10:46:26.610624   13324 run.go:72] "command failed" err="required flag(s) \"image\" not set" */
void cmd_klog_command_failed(FILE *err, const char *why);

/* A builtin: name, function, one-line summary (git's table of builtins). */
typedef struct cmd_entry {
    const char *name;
    cmd_fn fn;
    const char *summary;
} cmd_entry;

const cmd_entry *cmd_find(const cmd_entry *table, const char *name);
/* The directory holding our kubectl/istioctl/meshsim entry points: $MESHSIM_BIN_DIR
 * when set (a wrapper such as the valgrind runner), else the running binary's. */
int cmd_bin_dir(char *buf, size_t size);

/* The personalities. */
int kubectl_main(cmd_ctx *ctx, int argc, char **argv);
int istioctl_main(cmd_ctx *ctx, int argc, char **argv);
int meshsim_main(cmd_ctx *ctx, int argc, char **argv);

#endif
