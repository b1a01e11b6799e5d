/* One binary, three personalities: argv[0] decides whether we are kubectl,
 * istioctl or meshsim (as busybox does). */
#include <libgen.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cmd/commands.h"
#include "model/heap.h"

int main(int argc, char **argv)
{
    /* No fastbins: commands build and free tens of thousands of small JSON
     * nodes, and glibc's consolidation of fastbins on every large free was
     * a fifth of a probe's CPU time on a 10 000-resource store (bench/). */
    mallopt(M_MXFAST, 0);
    /* The heap grows 16 MB at a time and is not given back while the
     * command runs: a big apply grew it in many small steps, and gave
     * back memory it then faulted in again (10k apply: -5 ms). */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    /* ... in huge pages (model/heap.c): 128 MB of address space now,
     * more 16 MB at a time */
    heap_use_huge_pages(128 << 20, 16 << 20);
    char self[4096];
    snprintf(self, sizeof self, "%s", argc > 0 ? argv[0] : "meshsim");
    const char *name = basename(self);
    cmd_ctx ctx = {
        .in = stdin, .out = stdout, .err = stderr,
        .home = store_default_dir(),
        .rel = release_default(),
        .in_is_tty = isatty(0),
        .last_command = true,
    };
    /* personality_main also answers the hidden `__complete` of the completion scripts */
    int rc = personality_main(&ctx, !strcmp(name, "kubectl") || !strcmp(name, "istioctl") ? name : "meshsim",
                              argc - 1, argv + 1);
    fflush(stdout);
    return rc;
}
