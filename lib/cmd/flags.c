/* kubectl-style flag parsing.  See flags.h. */
#include <stdlib.h>
#include <string.h>
#include "cmd/flags.h"

static const flag_spec *find_long(const flag_spec *s, const char *name, size_t n)
{
    for (; s->name; s++)
        if (strlen(s->name) == n && !strncmp(s->name, name, n)) return s;
    return NULL;
}

static const flag_spec *find_short(const flag_spec *s, char c)
{
    for (; s->name; s++)
        if (s->shorthand == c) return s;
    return NULL;
}

/* pflag names a flag with its shorthand in messages: "-r, --replicas". */
static const char *flag_title(const flag_spec *s, char *buf, size_t len)
{
    if (s->shorthand) snprintf(buf, len, "-%c, --%s", s->shorthand, s->name);
    else snprintf(buf, len, "--%s", s->name);
    return buf;
}

static int set_value(const flag_spec *s, const char *v, const char *cmdpath, FILE *err)
{
    char title[128];
    if (s->seen) *s->seen = true;
    switch (s->type) {
    case FLAG_BOOL:
        if (!v || !strcmp(v, "true") || !strcmp(v, "1")) *(bool *)s->target = true;
        else if (!strcmp(v, "false") || !strcmp(v, "0")) *(bool *)s->target = false;
        else {
            fprintf(err, "Error: invalid argument \"%s\" for \"%s\" flag: strconv.ParseBool: parsing \"%s\": invalid syntax\n"
                    "See '%s --help' for usage.\n", v, flag_title(s, title, sizeof title), v, cmdpath);
            return -1;
        }
        return 0;
    case FLAG_STR:
        *(const char **)s->target = v;
        return 0;
    case FLAG_INT: {
        char *end;
        long n = strtol(v, &end, 10);
        if (*v == 0 || *end) {
            fprintf(err, "Error: invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: parsing \"%s\": invalid syntax\n"
                    "See '%s --help' for usage.\n", v, flag_title(s, title, sizeof title), v, cmdpath);
            return -1;
        }
        *(long *)s->target = n;
        return 0;
    }
    case FLAG_LIST: {
        flag_list *l = s->target;
        l->v = realloc(l->v, (size_t)(l->n + 1) * sizeof *l->v);
        l->v[l->n++] = v;
        return 0;
    }
    }
    return 0;
}

static int missing_arg(const char *flag, const char *cmdpath, FILE *err)
{
    fprintf(err, "Error: flag needs an argument: %s\nSee '%s --help' for usage.\n", flag, cmdpath);
    return -1;
}

int flags_parse(const flag_spec *specs, int argc, char **argv, flag_result *res,
                const char *cmdpath, FILE *err)
{
    memset(res, 0, sizeof *res);
    res->pos = calloc((size_t)argc + 1, sizeof *res->pos);
    res->rest = calloc((size_t)argc + 1, sizeof *res->rest);
    bool help = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            res->dashdash = true;
            for (int j = i + 1; j < argc; j++) res->rest[res->nrest++] = argv[j];
            break;
        }
        if (a[0] == '-' && a[1] == '-' && a[2]) {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t n = eq ? (size_t)(eq - name) : strlen(name);
            const flag_spec *s = find_long(specs, name, n);
            if (!s && n == 4 && !strncmp(name, "help", 4)) { help = true; continue; }
            if (!s) {
                fprintf(err, "Error: unknown flag: --%.*s\nSee '%s --help' for usage.\n", (int)n, name, cmdpath);
                return -1;
            }
            const char *v = eq ? eq + 1 : NULL;
            if (!v && s->type != FLAG_BOOL) {
                if (i + 1 >= argc) return missing_arg(a, cmdpath, err);
                v = argv[++i];
            }
            if (set_value(s, v, cmdpath, err)) return -1;
        } else if (a[0] == '-' && a[1] && a[1] != '-') {
            /* -abc: booleans may be combined; a value flag takes the rest or the next argument */
            for (const char *p = a + 1; *p; p++) {
                const flag_spec *s = find_short(specs, *p);
                if (!s && *p == 'h') { help = true; continue; }
                if (!s) {
                    fprintf(err, "Error: unknown shorthand flag: '%c' in %s\nSee '%s --help' for usage.\n", *p, a, cmdpath);
                    return -1;
                }
                if (s->type == FLAG_BOOL) {
                    const char *v = NULL;
                    if (p[1] == '=') { v = p + 2; p += strlen(p) - 1; }
                    if (set_value(s, v, cmdpath, err)) return -1;
                    continue;
                }
                const char *v = p[1] ? p + 1 + (p[1] == '=') : NULL;
                if (!v) {
                    if (i + 1 >= argc) {
                        char f[16];   /* cobra's words for a shorthand: 'o' in -o */
                        snprintf(f, sizeof f, "'%c' in -%c", *p, *p);
                        return missing_arg(f, cmdpath, err);
                    }
                    v = argv[++i];
                }
                if (set_value(s, v, cmdpath, err)) return -1;
                break;
            }
        } else {
            res->pos[res->npos++] = a;
        }
    }
    return help ? 1 : 0;
}

void flags_free(flag_result *res)
{
    free(res->pos);
    free(res->rest);
    memset(res, 0, sizeof *res);
}

void flag_list_free(flag_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
}
