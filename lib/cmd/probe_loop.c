/* meshsim __probe-loop (hidden, for bench/): run the same `kubectl exec`
 * N times in one process and print how long they took, so the cost of a
 * probe can be told apart from the cost of starting a process.
 *
 *   meshsim __probe-loop N POD [-n NS] [-c C] -- curl ...
 *
 * Each run is a whole `kubectl exec` (store opened, pod resolved, program
 * run, transaction committed); their output is discarded.  Like any process
 * that runs several commands (the shell), the runs share the store handle
 * (lib/cmd/common.c), the engine's threads, and while the store's objects
 * stay the same the pod found and the network model.  Prints the
 * total, the time per probe, the failures and the peak resident memory
 * after the first run and after the last (it must not grow with N). */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "cmd/commands.h"
#include "model/heap.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long peak_kib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static void usage(FILE *out)
{
    fprintf(out, "Run `kubectl exec` N times in one process and print the time taken (for benchmarks).\n\n"
                 "Usage:\n  meshsim __probe-loop N POD [-n NAMESPACE] [-c CONTAINER] -- COMMAND [args...]\n");
}

int cmd_probe_loop(cmd_ctx *ctx, int argc, char **argv)
{
    if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        usage(ctx->out);
        return 0;
    }
    char *end = NULL;
    long n = argc >= 3 ? strtol(argv[0], &end, 10) : 0;
    if (argc < 3 || !end || *end || n < 1 || n > 10000000) {
        usage(ctx->err);
        return 2;
    }
    FILE *null_out = fopen("/dev/null", "w"), *null_err = fopen("/dev/null", "w");
    if (!null_out || !null_err) {
        fprintf(ctx->err, "error: cannot open /dev/null\n");
        if (null_out) fclose(null_out);
        if (null_err) fclose(null_err);
        return 1;
    }
    /* flag parsing may permute its argv: every run gets a fresh copy */
    int xargc = argc - 1;
    char **xargv = malloc((size_t)(xargc + 1) * sizeof *xargv);
    if (!xargv) {
        fclose(null_out);
        fclose(null_err);
        return 1;
    }
    heap_use_small_pages();   /* its memory is judged in 4 KB pages, as the shell's */
    cmd_ctx run = *ctx;
    run.out = null_out;
    run.err = null_err;
    run.st = NULL;
    run.in_is_tty = 0;
    run.last_command = false;   /* n commands in this process */
    long failed = 0, first_peak = 0;
    int last_rc = 0;
    double t0 = now_s(), first = 0;
    for (long i = 0; i < n; i++) {
        memcpy(xargv, argv + 1, (size_t)xargc * sizeof *xargv);
        xargv[xargc] = NULL;
        double s = now_s();
        int rc = cmd_exec(&run, xargc, xargv);
        if (i == 0) {
            first = now_s() - s;
            first_peak = peak_kib();
        }
        if (rc) {
            failed++;
            last_rc = rc;
        }
    }
    double total = now_s() - t0;
    free(xargv);
    fclose(null_out);
    fclose(null_err);
    fprintf(ctx->out, "probes: %ld\ntotal_s: %.6f\nper_probe_ms: %.4f\nfirst_probe_ms: %.4f\nfailed: %ld\n"
                      "peak_rss_kib_after_first: %ld\npeak_rss_kib_after_last: %ld\n",
            n, total, total * 1000 / n, first * 1000, failed, first_peak, peak_kib());
    if (failed) fprintf(ctx->err, "error: %ld of %ld probes failed (last exit code %d)\n", failed, n, last_rc);
    return failed ? 1 : 0;
}
