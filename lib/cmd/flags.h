/* kubectl-style flag parsing: --name=value, --name value, -n value, -nvalue,
 * boolean flags (--all, -A, --flag=false), repeatable list flags (-f a -f b),
 * positional arguments in any order, and "--" ending the flags. */
#ifndef MESHSIM_FLAGS_H
#define MESHSIM_FLAGS_H

#include <stdbool.h>
#include <stdio.h>

typedef enum { FLAG_BOOL, FLAG_STR, FLAG_LIST, FLAG_INT } flag_type;

typedef struct flag_list {
    const char **v;
    int n;
} flag_list;

typedef struct flag_spec {
    const char *name;     /* long name without dashes */
    char shorthand;       /* 0 when none */
    flag_type type;
    void *target;         /* bool*, const char**, flag_list*, long* */
    bool *seen;           /* optional: set when the flag was given */
} flag_spec;

typedef struct flag_result {
    const char **pos;     /* positional arguments (before "--") */
    int npos;
    const char **rest;    /* arguments after "--" */
    int nrest;
    bool dashdash;
} flag_result;

/* Parse argv[0..argc); prints kubectl's error for an unknown flag to err
 * ("error: unknown flag: --x\nSee '<cmdpath> --help' for usage.") and
 * returns -1.  Returns 1 when --help/-h was given (after printing nothing). */
int flags_parse(const flag_spec *specs, int argc, char **argv, flag_result *res,
                const char *cmdpath, FILE *err);
void flags_free(flag_result *res);
void flag_list_free(flag_list *l);

#endif
