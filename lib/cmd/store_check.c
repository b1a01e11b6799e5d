/* meshsim __store-check (hidden): is the store sound?  Runs SQLite's
 * integrity check and prints the number of objects per resource and
 * namespace.  The robustness tests use it after killing writers; it never
 * creates or seeds a store, and changes nothing.
 *
 *   integrity: ok
 *   objects: 42
 *   configmaps default 3
 *   ... */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "cmd/commands.h"

struct count_ctx { FILE *out; long long total; };

static int add_count(void *vctx, const char *resource, const char *ns, long long n)
{
    (void)resource; (void)ns;
    ((struct count_ctx *)vctx)->total += n;
    return 0;
}

static int print_count(void *vctx, const char *resource, const char *ns, long long n)
{
    fprintf(((struct count_ctx *)vctx)->out, "%s %s %lld\n", resource, *ns ? ns : "-", n);
    return 0;
}

int cmd_store_check(cmd_ctx *ctx, int argc, char **argv)
{
    if (argc > 0) {
        bool help = !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h");
        fprintf(help ? ctx->out : ctx->err,
                "Check the state store's integrity and count its objects (for tests).\n\n"
                "Usage:\n  meshsim __store-check\n");
        return help ? 0 : 2;
    }
    char path[4200];
    struct stat sb;
    snprintf(path, sizeof path, "%s/state.db", ctx->home);
    if (stat(path, &sb) != 0) {
        fprintf(ctx->err, "error: no state store in %s: %s\n", ctx->home, strerror(errno));
        return 1;
    }
    char err[1024];
    store *st = store_open(ctx->home, NULL, err, sizeof err);
    if (!st) {
        fprintf(ctx->err, "error: %s\n", err);
        return 1;
    }
    char msg[1024];
    int rc = store_integrity_check(st, msg, sizeof msg);
    fprintf(ctx->out, "integrity: %s\n", msg);
    if (rc == 0) {
        struct count_ctx c = {ctx->out, 0};
        store_count_each(st, add_count, &c);
        fprintf(ctx->out, "objects: %lld\n", c.total);
        store_count_each(st, print_count, &c);
    }
    store_close(st);   /* rolls back: the check writes nothing */
    return rc ? 1 : 0;
}
