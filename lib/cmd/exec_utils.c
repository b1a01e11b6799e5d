/* Small utilities inside containers (busybox-like): cat, env, hostname,
 * sleep, time, echo, grep, head, tail, wc, and sh -c with pipes, ;, && and
 * ||, so the one-liners of the docs run.  They work on the pod's simulated
 * files and on in-memory pipes. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/exec_programs.h"
#include "cluster/cluster.h"
#include "model/obj.h"
#include "pki/pki.h"

/* A whole input stream into memory. */
static char *slurp(FILE *in, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (in && (r = fread(buf + n, 1, cap - n - 1, in)) > 0) {
        n += r;
        if (cap - n < 2) buf = realloc(buf, cap *= 2);
    }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

static int read_pod_file(exec_ctx *x, const char *path, char **content)
{
    int rc = cluster_pod_file(x->st, x->pod, x->container, path, content);
    if (rc != 1) return rc;
    return pki_pod_file(x->st, x->pod, x->container, x->rel, path, content);
}

int exec_cat_main(exec_ctx *x, int argc, char **argv)
{
    int rc = 0;
    if (argc < 2) {
        size_t n;
        char *all = slurp(x->in, &n);
        fwrite(all, 1, n, x->out);
        free(all);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-")) {
            size_t n;
            char *all = slurp(x->in, &n);
            fwrite(all, 1, n, x->out);
            free(all);
            continue;
        }
        char *content = NULL;
        if (read_pod_file(x, argv[i], &content) == 0 && content) {
            fputs(content, x->out);
            free(content);
        } else {
            fprintf(x->err, "cat: can't open '%s': No such file or directory\n", argv[i]);
            rc = 1;
        }
    }
    return rc;
}

static const char *field_value(exec_ctx *x, const char *path)
{
    if (!strcmp(path, "metadata.name")) return x->pod_name;
    if (!strcmp(path, "metadata.namespace")) return x->ns;
    return obj_str_or(x->pod, path, "");
}

int exec_env_main(exec_ctx *x, int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(x->out, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=%s\n", x->pod_name);
    size_t i;
    json_t *c, *e;
    json_array_foreach(obj_at(x->pod, "spec.containers"), i, c) {
        if (strcmp(obj_str_or(c, "name", ""), x->container)) continue;
        size_t j;
        json_array_foreach(json_object_get(c, "env"), j, e) {
            const char *v = obj_str(e, "value");
            if (!v && obj_str(e, "valueFrom.fieldRef.fieldPath")) v = field_value(x, obj_str(e, "valueFrom.fieldRef.fieldPath"));
            fprintf(x->out, "%s=%s\n", obj_str_or(e, "name", ""), v ? v : "");
        }
    }
    fprintf(x->out, "KUBERNETES_SERVICE_HOST=10.96.0.1\nKUBERNETES_SERVICE_PORT=443\nKUBERNETES_SERVICE_PORT_HTTPS=443\n"
                    "KUBERNETES_PORT=tcp://10.96.0.1:443\nHOME=/root\n");
    return 0;
}

int exec_hostname_main(exec_ctx *x, int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(x->out, "%s\n", x->pod_name);
    return 0;
}

/* Sleeping advances the virtual clock; nothing waits for real. */
int exec_sleep_main(exec_ctx *x, int argc, char **argv)
{
    if (argc < 2) {
        fprintf(x->err, "sleep: missing operand\n");
        return 1;
    }
    if (!strcmp(argv[1], "infinity")) return 0;
    char *end;
    double s = strtod(argv[1], &end);
    if (end == argv[1] || (*end && strchr("smhd", *end) == NULL) || s < 0) {
        fprintf(x->err, "sleep: invalid number '%s'\n", argv[1]);
        return 1;
    }
    double mult = *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 1;
    double ms = s * mult * 1000;
    /* a year of virtual time is as good as forever, and keeps the clock in range */
    if (!(ms < 365.0 * 86400 * 1000)) ms = 365.0 * 86400 * 1000;
    x->vclock_ms += (long long)ms;
    return 0;
}

static int run_argv(exec_ctx *x, int argc, char **argv);

/* busybox ash's `time` */
int exec_time_main(exec_ctx *x, int argc, char **argv)
{
    long long start = x->vclock_ms;
    int rc = argc > 1 ? run_argv(x, argc - 1, argv + 1) : 0;
    long long ms = x->vclock_ms - start;
    fprintf(x->err, "real\t%lldm %lld.%02llds\nuser\t0m 0.00s\nsys\t0m 0.00s\n", ms / 60000, (ms / 1000) % 60, (ms % 1000) / 10);
    return rc;
}

int exec_echo_main(exec_ctx *x, int argc, char **argv)
{
    int i = 1;
    bool nl = true;
    if (argc > 1 && !strcmp(argv[1], "-n")) { nl = false; i++; }
    for (int f = i; f < argc; f++) fprintf(x->out, "%s%s", f > i ? " " : "", argv[f]);
    if (nl) fputc('\n', x->out);
    return 0;
}

int exec_true_main(exec_ctx *x, int argc, char **argv)
{
    (void)x; (void)argc; (void)argv;
    return 0;
}

/* Lines of the input (stdin, or the pod file named by the last argument). */
static char *input_text(exec_ctx *x, const char *file)
{
    if (!file || !strcmp(file, "-")) return slurp(x->in, NULL);
    char *c = NULL;
    if (read_pod_file(x, file, &c) == 0 && c) return c;
    return NULL;
}

static bool contains(const char *line, size_t n, const char *pat, bool icase)
{
    size_t pl = strlen(pat);
    for (size_t i = 0; i + pl <= n; i++)
        if (icase ? !strncasecmp(line + i, pat, pl) : !strncmp(line + i, pat, pl)) return true;
    return false;
}

/* grep with fixed strings (the patterns in the docs are plain words). */
int exec_grep_main(exec_ctx *x, int argc, char **argv)
{
    bool invert = false, icase = false, count = false, quiet = false;
    const char *pat = NULL, *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] && !pat) {
            for (const char *f = argv[i] + 1; *f; f++) {
                if (*f == 'v') invert = true;
                else if (*f == 'i') icase = true;
                else if (*f == 'c') count = true;
                else if (*f == 'q') quiet = true;
                else if (*f == 'e' && i + 1 < argc) { pat = argv[++i]; break; }
            }
        } else if (!pat) pat = argv[i];
        else file = argv[i];
    }
    if (!pat) {
        fprintf(x->err, "Usage: grep [-vic] PATTERN [FILE]\n");
        return 2;
    }
    char *text = input_text(x, file);
    if (!text) {
        fprintf(x->err, "grep: %s: No such file or directory\n", file);
        return 2;
    }
    int matched = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        if (contains(line, n, pat, icase) != invert) {
            matched++;
            if (!count && !quiet) fprintf(x->out, "%.*s\n", (int)n, line);
        }
        line += n + (nl ? 1 : 0);
    }
    if (count) fprintf(x->out, "%d\n", matched);
    free(text);
    return matched ? 0 : 1;
}

static long count_arg(int argc, char **argv, const char **file)
{
    long n = 10;
    *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) n = atol(argv[++i]);
        else if (argv[i][0] == '-' && isdigit((unsigned char)argv[i][1])) n = atol(argv[i] + 1);
        else if (!strncmp(argv[i], "-n", 2)) n = atol(argv[i] + 2);
        else *file = argv[i];
    }
    return n;
}

int exec_head_main(exec_ctx *x, int argc, char **argv)
{
    const char *file;
    long n = count_arg(argc, argv, &file);
    char *text = input_text(x, file);
    if (!text) { fprintf(x->err, "head: %s: No such file or directory\n", file); return 1; }
    char *p = text;
    for (long i = 0; i < n && *p; i++) {
        char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
        fwrite(p, 1, len, x->out);
        p += len;
    }
    free(text);
    return 0;
}

int exec_tail_main(exec_ctx *x, int argc, char **argv)
{
    const char *file;
    long n = count_arg(argc, argv, &file);
    char *text = input_text(x, file);
    if (!text) { fprintf(x->err, "tail: %s: No such file or directory\n", file); return 1; }
    size_t len = strlen(text);
    size_t i = len;
    if (i && text[i - 1] == '\n') i--;
    long lines = 0;
    while (i > 0) {
        if (text[i - 1] == '\n' && ++lines == n) break;
        i--;
    }
    fputs(text + i, x->out);
    free(text);
    return 0;
}

int exec_wc_main(exec_ctx *x, int argc, char **argv)
{
    const char *file = NULL;
    bool lines_only = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-l")) lines_only = true;
        else file = argv[i];
    }
    char *text = input_text(x, file);
    if (!text) { fprintf(x->err, "wc: %s: No such file or directory\n", file); return 1; }
    long l = 0, w = 0, c = (long)strlen(text);
    bool inword = false;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') l++;
        if (isspace((unsigned char)*p)) inword = false;
        else if (!inword) { inword = true; w++; }
    }
    if (lines_only) fprintf(x->out, "%ld\n", l);
    else fprintf(x->out, "%7ld %7ld %7ld\n", l, w, c);
    free(text);
    return 0;
}

/* ---- sh -c ------------------------------------------------------------- */

static int run_argv(exec_ctx *x, int argc, char **argv)
{
    probe_main_fn fn = exec_program(x->image, argv[0]);
    if (!fn) {
        fprintf(x->err, "sh: %s: not found\n", argv[0]);
        return 127;
    }
    return fn(x, argc, argv);
}


/* $? and $NAME / ${NAME} become placeholders (\x02NAME\x03) that are
 * expanded when the command runs, so $? sees the previous command's status. */
static bool var_start(const char *s)
{
    return s[1] == '?' || s[1] == '{' || s[1] == '_' || isalpha((unsigned char)s[1]);
}

static const char *copy_var(const char *s, char *w, size_t *n)
{
    s++;
    w[(*n)++] = 2;
    if (*s == '?') {
        w[(*n)++] = *s++;
    } else if (*s == '{') {
        s++;
        while (*s && *s != '}') w[(*n)++] = *s++;
        if (*s == '}') s++;
    } else {
        while (*s == '_' || isalnum((unsigned char)*s)) w[(*n)++] = *s++;
    }
    w[(*n)++] = 3;
    return s;
}

static const char *env_value(exec_ctx *x, const char *name, char *buf, size_t len, int last_rc)
{
    if (!strcmp(name, "?")) { snprintf(buf, len, "%d", last_rc); return buf; }
    if (!strcmp(name, "HOSTNAME")) return x->pod_name;
    if (!strcmp(name, "HOME")) return "/root";
    if (!strcmp(name, "PATH")) return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    size_t i, j;
    json_t *c, *e;
    json_array_foreach(obj_at(x->pod, "spec.containers"), i, c) {
        if (strcmp(obj_str_or(c, "name", ""), x->container)) continue;
        json_array_foreach(json_object_get(c, "env"), j, e) {
            if (strcmp(obj_str_or(e, "name", ""), name)) continue;
            const char *v = obj_str(e, "value");
            if (!v && obj_str(e, "valueFrom.fieldRef.fieldPath")) v = field_value(x, obj_str(e, "valueFrom.fieldRef.fieldPath"));
            return v ? v : "";
        }
    }
    return "";
}

/* A word with its placeholders replaced; malloc'd. */
static char *expand(exec_ctx *x, const char *w, int last_rc)
{
    size_t cap = strlen(w) + 64, n = 0;
    char *out = malloc(cap);
    for (const char *p = w; *p;) {
        if (*p != 2) { out[n++] = *p++; if (n + 1 >= cap) out = realloc(out, cap *= 2); continue; }
        const char *end = strchr(p, 3);
        if (!end) break;
        char name[128], buf[32];
        snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
        const char *v = env_value(x, name, buf, sizeof buf, last_rc);
        size_t vl = strlen(v);
        while (n + vl + 1 >= cap) out = realloc(out, cap *= 2);
        memcpy(out + n, v, vl);
        n += vl;
        p = end + 1;
    }
    out[n] = 0;
    return out;
}

typedef struct words {
    char **v;
    int n, cap;
} words;

static void push(words *w, char *s)
{
    if (w->n + 1 >= w->cap) w->v = realloc(w->v, (size_t)(w->cap = w->cap ? w->cap * 2 : 16) * sizeof *w->v);
    w->v[w->n++] = s;
    w->v[w->n] = NULL;
}

/* Split a command line into words and operators ("|", "||", "&&", ";"),
 * honouring quotes and backslashes; operators come back as "\x01|" etc. */
static int tokenize(const char *s, words *out, exec_ctx *x)
{
    while (*s) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        if (*s == '|' || *s == '&' || *s == ';' || *s == '\n') {
            char op[4] = {1, *s == '\n' ? ';' : *s, 0, 0};
            if ((s[0] == '|' || s[0] == '&') && s[1] == s[0]) { op[2] = s[0]; s++; }
            else if (s[0] == '&') { fprintf(x->err, "sh: background jobs are not supported\n"); return -1; }
            s++;
            push(out, strdup(op));
            continue;
        }
        size_t cap = 2 * strlen(s) + 2, n = 0;
        char *w = malloc(cap);
        while (*s && !strchr(" \t\n|&;", *s)) {
            if (*s == '\'') {
                const char *e = strchr(s + 1, '\'');
                if (!e) { free(w); fprintf(x->err, "sh: syntax error: unterminated quoted string\n"); return -1; }
                memcpy(w + n, s + 1, (size_t)(e - s - 1));
                n += (size_t)(e - s - 1);
                s = e + 1;
            } else if (*s == '"') {
                s++;
                while (*s && *s != '"') {
                    if (*s == '$' && var_start(s)) { s = copy_var(s, w, &n); continue; }
                    if (*s == '\\' && s[1] && strchr("\"\\$`", s[1])) s++;
                    w[n++] = *s++;
                }
                if (*s != '"') { free(w); fprintf(x->err, "sh: syntax error: unterminated quoted string\n"); return -1; }
                s++;
            } else if (*s == '\\' && s[1]) {
                w[n++] = s[1];
                s += 2;
            } else if (*s == '$' && var_start(s)) {
                s = copy_var(s, w, &n);
            } else {
                w[n++] = *s++;
            }
        }
        w[n] = 0;
        push(out, w);
    }
    return 0;
}

static bool is_op(const char *w, const char *op) { return w[0] == 1 && !strcmp(w + 1, op); }

/* One simple command with its redirections (>/dev/null, 2>/dev/null, 2>&1). */
static int run_simple(exec_ctx *x, char **raw, int argc, int last_rc)
{
    char *argv[argc + 1];
    for (int i = 0; i < argc; i++) argv[i] = expand(x, raw[i], last_rc);
    FILE *devnull = NULL;
    exec_ctx sub = *x;
    char *args[argc + 1];
    int n = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "2>&1")) sub.err = sub.out;
        else if (!strcmp(a, ">/dev/null") || !strcmp(a, "1>/dev/null") || !strcmp(a, "2>/dev/null") ||
                 ((!strcmp(a, ">") || !strcmp(a, "2>")) && i + 1 < argc && !strcmp(argv[i + 1], "/dev/null"))) {
            if (!devnull) devnull = fopen("/dev/null", "w");
            if (a[0] == '2') sub.err = devnull;
            else sub.out = devnull;
            if (!strcmp(a, ">") || !strcmp(a, "2>")) i++;
        } else args[n++] = argv[i];
    }
    args[n] = NULL;
    int rc = n ? run_argv(&sub, n, args) : 0;
    x->vclock_ms = sub.vclock_ms;
    if (devnull) fclose(devnull);
    for (int i = 0; i < argc; i++) free(argv[i]);
    return rc;
}

/* A pipeline: each stage's output is the next one's input. */
static int run_pipeline(exec_ctx *x, char **w, int n, int last_rc)
{
    int start = 0, rc = 0;
    char *buf = NULL;
    size_t len = 0;
    for (int i = 0; i <= n; i++) {
        if (i < n && !is_op(w[i], "|")) continue;
        bool last = i == n;
        exec_ctx st = *x;
        FILE *in = buf ? fmemopen(buf, len ? len : 1, "r") : NULL;
        if (in && !len) { fclose(in); in = fopen("/dev/null", "r"); }
        if (in) st.in = in;
        char *obuf = NULL;
        size_t olen = 0;
        FILE *out = last ? NULL : open_memstream(&obuf, &olen);
        if (out) st.out = out;
        rc = run_simple(&st, w + start, i - start, last_rc);
        x->vclock_ms = st.vclock_ms;
        if (in) fclose(in);
        if (out) fclose(out);
        free(buf);
        buf = obuf;
        len = olen;
        start = i + 1;
    }
    free(buf);
    return rc;
}

static int run_list(exec_ctx *x, const char *line)
{
    words w = {0};
    int rc = 0;
    if (tokenize(line, &w, x)) rc = 2;
    else {
        int start = 0;
        const char *pending = NULL;  /* the operator before this segment */
        for (int i = 0; i <= w.n; i++) {
            if (i < w.n && !is_op(w.v[i], ";") && !is_op(w.v[i], "&&") && !is_op(w.v[i], "||")) continue;
            bool skip = pending && ((!strcmp(pending, "&&") && rc != 0) || (!strcmp(pending, "||") && rc == 0));
            if (!skip && i > start) rc = run_pipeline(x, w.v + start, i - start, rc);
            pending = i < w.n ? w.v[i] + 1 : NULL;
            start = i + 1;
        }
    }
    for (int i = 0; i < w.n; i++) free(w.v[i]);
    free(w.v);
    return rc;
}

int exec_sh_main(exec_ctx *x, int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "-c")) return run_list(x, argv[2]);
    if (argc == 1) {   /* a script on stdin (kubectl exec -i POD -- sh < script) */
        char *script = slurp(x->in, NULL);
        exec_ctx sub = *x;
        FILE *none = fopen("/dev/null", "r");
        sub.in = none;
        int rc = run_list(&sub, script);
        x->vclock_ms = sub.vclock_ms;
        if (none) fclose(none);
        free(script);
        return rc;
    }
    fprintf(x->err, "sh: can't open '%s': No such file or directory\n", argv[1]);
    return 2;
}
