/* Fuzz target: kubectl flag parsing (flags_parse).
 * Input: arguments separated by NUL bytes, parsed against a table with every
 * flag type, as kubectl get/apply/label declare them.  Promises checked: the
 * result is -1 (with kubectl's message), 0 or 1; positional and "--"
 * arguments are the caller's own strings, in order, and no argument is both. */
#include <stdbool.h>
#include "fuzz.h"
#include "cmd/flags.h"

#define FLAGS_MAX_ARGS 64

FUZZ_TARGET(flags)
{
    char *buf = fuzz_cstr(data, size);
    char *argv[FLAGS_MAX_ARGS + 1];
    int argc = 0;
    for (size_t i = 0; i <= size && argc < FLAGS_MAX_ARGS;) {
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    argv[argc] = NULL;

    bool all = false, all_ns = false, overwrite = false, seen_ns = false;
    const char *ns = NULL, *output = NULL, *selector = NULL;
    long replicas = 0;
    flag_list files = {0};
    const flag_spec specs[] = {
        {"all", 0, FLAG_BOOL, &all, NULL},
        {"all-namespaces", 'A', FLAG_BOOL, &all_ns, NULL},
        {"overwrite", 0, FLAG_BOOL, &overwrite, NULL},
        {"namespace", 'n', FLAG_STR, &ns, &seen_ns},
        {"output", 'o', FLAG_STR, &output, NULL},
        {"selector", 'l', FLAG_STR, &selector, NULL},
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {"replicas", 0, FLAG_INT, &replicas, NULL},
        {0},
    };
    char *msg = NULL;
    size_t msglen = 0;
    FILE *err = open_memstream(&msg, &msglen);
    FUZZ_CHECK(err != NULL);
    flag_result fr;
    int rc = flags_parse(specs, argc, argv, &fr, "kubectl fuzz", err);
    fclose(err);
    FUZZ_CHECK(rc == -1 || rc == 0 || rc == 1);
    if (rc == -1) {
        FUZZ_CHECK(msglen > 0 && !strncmp(msg, "Error: ", 7));   /* cobra's word */
        FUZZ_CHECK(strstr(msg, "See 'kubectl fuzz --help' for usage.") != NULL);
    } else {
        FUZZ_CHECK(msglen == 0);
        FUZZ_CHECK(fr.npos >= 0 && fr.nrest >= 0 && fr.npos + fr.nrest <= argc);
        FUZZ_CHECK(fr.nrest == 0 || fr.dashdash);
        /* positional arguments keep their order and are argv's own strings */
        int last = -1;
        for (int i = 0; i < fr.npos; i++) {
            int at = -1;
            for (int k = last + 1; k < argc && at < 0; k++)
                if (argv[k] == fr.pos[i]) at = k;
            FUZZ_CHECK(at > last);
            last = at;
        }
        for (int i = 0; i < fr.nrest; i++) FUZZ_CHECK(fr.rest[i] == argv[argc - fr.nrest + i]);
        for (int i = 0; i < files.n; i++) FUZZ_CHECK(files.v[i] >= buf && files.v[i] <= buf + size);
        if (ns) FUZZ_CHECK(seen_ns);
    }
    flags_free(&fr);
    flag_list_free(&files);
    free(msg);
    free(buf);
    return 0;
}
