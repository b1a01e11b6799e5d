/* The command context: the store handle of a command, one transaction per
 * command, and the builtin tables. */
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "cluster/cluster.h"
#include "net/world.h"

/* The store handle kept between the commands of one process (`meshsim
 * shell`, __probe-loop): opening the store was most of a short command's
 * cost, since each open reads the schema again.  Each command still runs
 * in a transaction of its own, begun when it takes the handle and committed
 * by cmd_finish; between commands the handle holds neither transaction nor
 * lock, so other processes read and write as they would without it.  It is
 * reused only in the process that opened it (not in a fork()ed child), for
 * the same directory, and while state.db is still the file it opened (a
 * `meshsim reset` or an `rm -rf` by another process makes a new one: the old
 * handle is then closed, which deletes no file). */
/* commands between two store_release_memory() of the kept handle */
#define KEPT_RELEASE_EVERY 32

static struct {
    store *st;
    pid_t pid;
    dev_t dev;
    ino_t ino;
    bool at_exit;
    unsigned reuses;
} kept;

static bool state_file(const char *dir, struct stat *sb)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/state.db", dir);
    return stat(path, sb) == 0;
}

static void close_kept(void)
{
    /* a fork()ed child leaves the parent's handle alone */
    if (kept.st && kept.pid == getpid()) store_close(kept.st);
    kept.st = NULL;
}

void cmd_store_forget(const char *home)
{
    if (kept.st && (!home || !strcmp(store_dir(kept.st), home))) close_kept();
}

/* The kept handle for home with this command's transaction begun, or NULL. */
static store *take_kept(const char *home)
{
    if (!kept.st) return NULL;
    struct stat sb;
    if (kept.pid != getpid() || strcmp(store_dir(kept.st), home) || !state_file(home, &sb) ||
        sb.st_dev != kept.dev || sb.st_ino != kept.ino) {
        close_kept();
        return NULL;
    }
    store *st = kept.st;
    kept.st = NULL;
    /* its memory stays flat however many commands it serves */
    if (++kept.reuses % KEPT_RELEASE_EVERY == 0) store_release_memory(st);
    if (store_begin(st)) {
        store_close(st);   /* a fresh open says why, in its own words */
        return NULL;
    }
    return st;
}

/* Keep st (its transaction committed) for the next command; false when it
 * cannot be kept (another handle is kept, or state.db is gone). */
static bool keep(store *st)
{
    struct stat sb;
    if (kept.st || !state_file(store_dir(st), &sb)) return false;
    if (!kept.at_exit) {
        if (atexit(close_kept)) return false;
        kept.at_exit = true;
    }
    kept.st = st;
    kept.pid = getpid();
    kept.dev = sb.st_dev;
    kept.ino = sb.st_ino;
    return true;
}

store *cmd_store(cmd_ctx *ctx)
{
    if (ctx->st) return ctx->st;
    /* the last command of a process leaves what its reconciles worked
     * from to the system: freeing 1 000 Deployments' view took longer than
     * committing them (the shell and __probe-loop run many, and free) */
    cluster_reconcile_leave_views(ctx->last_command);
    char err[1024] = "";
    bool created = false;
    ctx->st = take_kept(ctx->home);
    if (!ctx->st) ctx->st = store_open(ctx->home, &created, err, sizeof err);
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
    if (!ctx->st) {
        cluster_reconcile_done();   /* (the freeing of a reconcile's view: see cluster.h) */
        return rc;
    }
    /* A failing command still commits what it did to the objects that
     * succeeded (kubectl applies the valid documents of a stream); commands
     * that must be all-or-nothing call store_rollback() themselves first. */
    if (store_commit(ctx->st)) {
        fprintf(ctx->err, "error: cannot save the cluster state: %s\n", store_errmsg(ctx->st));
        rc = rc ? rc : 1;
        store_close(ctx->st);
    } else if (!keep(ctx->st)) {
        store_close(ctx->st);
    }
    ctx->st = NULL;
    cluster_reconcile_done();
    return rc;
}

const char *cmd_default_namespace(cmd_ctx *ctx)
{
    static char ns[256];
    snprintf(ns, sizeof ns, "default");
    struct stat sb;
    bool opened = !ctx->st;
    /* a command that needs no cluster (validate -f) does not create one */
    if (opened && !state_file(ctx->home, &sb)) return ns;
    FILE *err = ctx->err;
    FILE *null = opened ? fopen("/dev/null", "w") : NULL;
    if (null) ctx->err = null;
    store *st = cmd_store(ctx);
    char *v = st ? store_meta_get(st, "namespace") : NULL;
    if (v && *v) snprintf(ns, sizeof ns, "%s", v);
    free(v);
    if (opened && ctx->st) cmd_finish(ctx, 0);
    ctx->err = err;
    if (null) fclose(null);
    return ns;
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

void cmd_klog_command_failed(FILE *err, const char *why)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    fprintf(err, "E%02d%02d %02d:%02d:%02d.%06ld %7d run.go:72] \"command failed\" err=\"", tm.tm_mon + 1, tm.tm_mday,
            tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec, (int)getpid());
    for (const char *p = why; *p; p++) {   /* Go's %q of the message */
        if (*p == '"' || *p == '\\') fputc('\\', err);
        fputc(*p, err);
    }
    fputs("\"\n", err);
}

