/* `meshsim doctest PAGE.md`: run the `$ ` commands of a Markdown page's
 * fenced blocks, in order, against a fresh cluster of its own, and compare
 * what each prints with the output the page shows under it. */
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/commands.h"
#include "cmd/shell.h"

static const char doctest_usage[] =
    "Run the commands of a Markdown page and check their output.\n\n"
    "Usage:\n"
    "  meshsim doctest [flags] PAGE.md...\n\n"
    "Every line of a fenced block that starts with \"$ \" is a command (here-documents and\n"
    "`\\` continuations included); the lines after it, up to the next command or the end\n"
    "of the block, are its expected output.  A line \"...\" stands for any lines; IPs,\n"
    "ages, dates, times, versions, ids and generated name suffixes compare loosely.  A\n"
    "command shown without output must exit 0.  Each page runs against a fresh cluster.\n\n"
    "Flags:\n"
    "  -C, --dir DIR   run the commands in DIR (default: the current directory)\n"
    "  -k, --keep      keep each page's cluster and print where it is\n"
    "  -v, --verbose   print the output of passing steps too\n"
    "  -h, --help      print this help\n";

typedef struct step {
    char *cmd;        /* the command text, heredocs included */
    char *want;       /* the shown output ("" when none) */
    int line;         /* line of the page where the command starts */
} step;

typedef struct steps {
    step *v;
    int n, cap;
} steps;

static void steps_free(steps *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->v[i].cmd);
        free(s->v[i].want);
    }
    free(s->v);
}

/* `@samples/sleep/sleep.yaml@`: the Istio pages' marker for a file of the
 * release; the file itself is what the command needs. */
static void strip_at_markers(char *s)
{
    char *w = s;
    for (char *p = s; *p; p++) {
        if (*p == '@') {
            char *e = p + 1;
            while (*e && *e != '@' && *e != ' ' && *e != '\n' && *e != '"' && *e != '\'') e++;
            if (*e == '@' && e > p + 1) {
                memmove(w, p + 1, (size_t)(e - p - 1));
                w += e - p - 1;
                p = e;
                continue;
            }
        }
        *w++ = *p;
    }
    *w = 0;
}

static bool is_fence(const char *l, const char **indent_end)
{
    const char *p = l;
    while (*p == ' ') p++;
    *indent_end = p;
    return !strncmp(p, "```", 3) || !strncmp(p, "~~~", 3);
}

static void append(char **buf, const char *line)
{
    size_t a = *buf ? strlen(*buf) : 0, b = strlen(line);
    *buf = realloc(*buf, a + b + 2);
    memcpy(*buf + a, line, b);
    (*buf)[a + b] = '\n';
    (*buf)[a + b + 1] = 0;
}

static int parse_page(const char *path, steps *out, FILE *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(err, "meshsim doctest: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    strlist lines = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        strlist_add(&lines, line);
    }
    free(line);
    fclose(f);
    bool in_block = false;
    size_t indent = 0;
    step *cur = NULL;          /* the step whose output lines we are reading */
    for (int i = 0; i < lines.n; i++) {
        const char *ie;
        if (is_fence(lines.v[i], &ie)) {
            in_block = !in_block;
            indent = (size_t)(ie - lines.v[i]);
            cur = NULL;
            continue;
        }
        if (!in_block) continue;
        const char *l = lines.v[i];
        for (size_t k = 0; k < indent && *l == ' '; k++) l++;
        if (l[0] == '$' && (l[1] == ' ' || !l[1])) {
            if (out->n + 1 > out->cap) {
                out->cap = out->cap ? out->cap * 2 : 16;
                out->v = realloc(out->v, (size_t)out->cap * sizeof *out->v);
            }
            cur = &out->v[out->n++];
            memset(cur, 0, sizeof *cur);
            cur->line = i + 1;
            sh_reader r = {0};
            sh_cmd c = {0};
            sh_feed_rc rc = sh_reader_feed(&r, l[1] ? l + 2 : "", &c);
            while (rc == SH_MORE && i + 1 < lines.n && !is_fence(lines.v[i + 1], &ie)) {
                const char *next = lines.v[++i];
                for (size_t k = 0; k < indent && *next == ' '; k++) next++;
                rc = sh_reader_feed(&r, next, &c);
            }
            if (rc == SH_DONE) {
                cur->cmd = c.text;
            } else {
                /* an unfinished command at the end of the block: run what is there */
                char *text = NULL;
                for (int k = 0; k < r.lines.n; k++) append(&text, r.lines.v[k]);
                cur->cmd = text ? text : strdup("");
            }
            sh_reader_reset(&r);
            strip_at_markers(cur->cmd);
            cur->want = strdup("");
            continue;
        }
        if (cur) append(&cur->want, l);
    }
    strlist_free(&lines);
    return 0;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

static void print_indented(FILE *out, const char *text)
{
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        int n = e ? (int)(e - p) : (int)strlen(p);
        fprintf(out, "    %.*s\n", n, p);
        if (!e) break;
        p = e + 1;
    }
}

static int run_page(cmd_ctx *ctx, const char *path, const char *shown_as, bool keep, bool verbose, int *passed, int *failed)
{
    steps st = {0};
    if (parse_page(path, &st, ctx->err)) return -1;
    char home[] = "/tmp/meshsim-doctest.XXXXXX";
    if (!mkdtemp(home)) {
        fprintf(ctx->err, "meshsim doctest: cannot create a cluster directory: %s\n", strerror(errno));
        steps_free(&st);
        return -1;
    }
    sh_session s;
    sh_session_init(&s, home);
    s.child_stdin_null = true;
    for (int i = 0; i < st.n; i++) {
        step *sp = &st.v[i];
        char *got = NULL;
        size_t len = 0;
        FILE *m = tmpfile();
        int rc = 1;
        if (m) {
            sh_cmd c = {.text = sp->cmd, .first_line = sp->line};
            rc = sh_session_run(&s, &c, m, m);
            fflush(m);
            long sz = ftell(m);
            got = calloc(1, sz > 0 ? (size_t)sz + 1 : 1);
            rewind(m);
            len = sz > 0 ? fread(got, 1, (size_t)sz, m) : 0;
            got[len] = 0;
            fclose(m);
        }
        bool shown = sp->want[strspn(sp->want, " \n")] != 0;
        bool ok = got && (shown ? doctest_output_matches(got, sp->want) : rc == 0);
        const char *nl = strchr(sp->cmd, '\n');
        int first = nl ? (int)(nl - sp->cmd) : (int)strlen(sp->cmd);
        fprintf(ctx->out, "%s %s:%d: $ %.*s%s\n", ok ? "passed" : "FAILED", shown_as, sp->line, first, sp->cmd,
                nl ? " ..." : "");
        if (!ok || verbose) {
            if (!ok && !shown) fprintf(ctx->out, "  exit status %d (a step shown without output must exit 0)\n", rc);
            fprintf(ctx->out, "  --- got:\n");
            print_indented(ctx->out, got ? got : "");
            if (!ok && shown) {
                fprintf(ctx->out, "  --- wanted:\n");
                print_indented(ctx->out, sp->want);
            }
        }
        fflush(ctx->out);
        if (ok) (*passed)++;
        else (*failed)++;
        free(got);
    }
    sh_session_free(&s);
    if (keep) fprintf(ctx->out, "cluster of %s kept in %s\n", shown_as, home);
    else nftw(home, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    steps_free(&st);
    return 0;
}

int cmd_doctest(cmd_ctx *ctx, int argc, char **argv)
{
    bool keep = false, verbose = false;
    const char *dir = NULL;
    strlist pages = {0}, names = {0};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(doctest_usage, ctx->out);
            strlist_free(&pages);
            strlist_free(&names);
            return 0;
        } else if (!strcmp(a, "-k") || !strcmp(a, "--keep")) keep = true;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) verbose = true;
        else if ((!strcmp(a, "-C") || !strcmp(a, "--dir")) && i + 1 < argc) dir = argv[++i];
        else if (!strncmp(a, "--dir=", 6)) dir = a + 6;
        else if (a[0] == '-' && a[1]) {
            fprintf(ctx->err, "meshsim doctest: unknown flag %s\nSee 'meshsim doctest --help' for usage.\n", a);
            strlist_free(&pages);
            strlist_free(&names);
            return 2;
        } else {
            strlist_add(&pages, a);
            strlist_add(&names, a);
        }
    }
    if (pages.n == 0) {
        fprintf(ctx->err, "meshsim doctest: name a Markdown page\nSee 'meshsim doctest --help' for usage.\n");
        return 2;
    }
    /* pages are named relative to where we were started */
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) cwd[0] = 0;
    for (int i = 0; i < pages.n; i++)
        if (pages.v[i][0] != '/' && cwd[0]) {
            size_t len = strlen(cwd) + strlen(pages.v[i]) + 2;
            char *abs = malloc(len);
            snprintf(abs, len, "%s/%s", cwd, pages.v[i]);
            free(pages.v[i]);
            pages.v[i] = abs;
        }
    if (dir && chdir(dir)) {
        fprintf(ctx->err, "meshsim doctest: cannot enter %s: %s\n", dir, strerror(errno));
        strlist_free(&pages);
        strlist_free(&names);
        return 2;
    }
    int passed = 0, failed = 0, rc = 0;
    for (int i = 0; i < pages.n; i++)
        if (run_page(ctx, pages.v[i], names.v[i], keep, verbose, &passed, &failed)) rc = 2;
    if (cwd[0] && chdir(cwd)) { /* best effort: we are about to return anyway */ }
    fprintf(ctx->out, "%d passed, %d failed\n", passed, failed);
    strlist_free(&pages);
    strlist_free(&names);
    if (rc) return rc;
    return failed ? 1 : 0;
}
