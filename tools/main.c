/* One binary, three personalities: argv[0] decides whether we are kubectl,
 * istioctl or meshsim (as busybox does). */
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cmd/commands.h"

int main(int argc, char **argv)
{
    char self[4096];
    snprintf(self, sizeof self, "%s", argc > 0 ? argv[0] : "meshsim");
    const char *name = basename(self);
    cmd_ctx ctx = {
        .in = stdin, .out = stdout, .err = stderr,
        .home = store_default_dir(),
        .rel = release_default(),
        .in_is_tty = isatty(0),
    };
    /* personality_main also answers the hidden `__complete` of the completion scripts */
    int rc = personality_main(&ctx, !strcmp(name, "kubectl") || !strcmp(name, "istioctl") ? name : "meshsim",
                              argc - 1, argv + 1);
    fflush(stdout);
    return rc;
}
