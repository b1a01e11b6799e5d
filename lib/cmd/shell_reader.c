/* Cutting typed, pasted or documented text into whole commands, and simple
 * commands into words.  Only as much of sh's grammar as decides "is this
 * command finished?" and "can it run without sh?"; everything else is left to
 * /bin/sh itself. */
#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cmd/shell.h"

void strlist_addn(strlist *l, const char *s, size_t n)
{
    if (l->n + 2 > l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = strndup(s, n);
    l->v[l->n] = NULL;
}

void strlist_add(strlist *l, const char *s) { strlist_addn(l, s, strlen(s)); }

bool strlist_has(const strlist *l, const char *s)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s)) return true;
    return false;
}

void strlist_free(strlist *l)
{
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

void sh_cmd_free(sh_cmd *c)
{
    free(c->text);
    c->text = NULL;
}

void sh_reader_reset(sh_reader *r)
{
    strlist_free(&r->lines);
    strlist_free(&r->delims);
    r->quote = 0;
    r->continued = false;
}

bool sh_reader_pending(const sh_reader *r) { return r->lines.n > 0; }

static char *join_lines(const strlist *l)
{
    size_t len = 1;
    for (int i = 0; i < l->n; i++) len += strlen(l->v[i]) + 1;
    char *s = malloc(len), *p = s;
    for (int i = 0; i < l->n; i++) {
        size_t k = strlen(l->v[i]);
        memcpy(p, l->v[i], k);
        p += k;
        if (i + 1 < l->n) *p++ = '\n';
    }
    *p = 0;
    return s;
}

/* Read a heredoc delimiter word at *pp (quotes removed). */
static void read_delim(const char **pp, strlist *delims)
{
    const char *p = *pp;
    char buf[256];
    size_t n = 0;
    while (*p == ' ' || *p == '\t') p++;
    while (*p && !strchr(" \t;|&<>()", *p) && n < sizeof buf - 1) {
        if (*p == '\'' || *p == '"') {
            char q = *p++;
            while (*p && *p != q && n < sizeof buf - 1) buf[n++] = *p++;
            if (*p) p++;
        } else if (*p == '\\' && p[1]) {
            buf[n++] = p[1];
            p += 2;
        } else {
            buf[n++] = *p++;
        }
    }
    strlist_addn(delims, buf, n);
    *pp = p;
}

static bool word_start(const char *line, const char *p)
{
    return p == line || strchr(" \t;|&(", p[-1]);
}

/* Scan one line outside heredoc bodies: carry quotes, note a final
 * backslash, collect heredoc delimiters. */
static void scan_line(sh_reader *r, const char *line)
{
    r->continued = false;
    for (const char *p = line; *p; p++) {
        if (r->quote == '\'') {
            if (*p == '\'') r->quote = 0;
            continue;
        }
        if (*p == '\\') {
            if (!p[1]) { r->continued = true; break; }
            p++;
            continue;
        }
        if (r->quote == '"') {
            if (*p == '"') r->quote = 0;
            continue;
        }
        if (*p == '\'' || *p == '"') r->quote = *p;
        else if (*p == '#' && word_start(line, p)) break;
        else if (p[0] == '<' && p[1] == '<' && p[2] != '<') {
            p += 2;
            bool strip = *p == '-';
            if (strip) p++;
            if (r->delims.n < 16) r->strip_tabs[r->delims.n] = strip;
            read_delim(&p, &r->delims);
            p--;
        }
    }
}

static const char *const inproc_names[] = {"kubectl", "istioctl", "meshsim", NULL};

/* Is the command an sh compound command that is not finished yet ("for i in
 * 1 2; do" with no "done")?  Asks sh itself, only when a keyword appears. */
static bool sh_incomplete(const char *text)
{
    static const char *const kw[] = {"for", "while", "until", "if", "case", "do", "then", "{", "(", NULL};
    strlist w = {0};
    bool openw = false, maybe = false;
    sh_split_partial(text, &w, &openw);
    for (int i = 0; i < w.n && !maybe; i++)
        for (const char *const *k = kw; *k; k++)
            if (!strcmp(w.v[i], *k) || (w.v[i][0] == '(' && !strcmp(*k, "("))) maybe = true;
    if (w.n > 0)
        for (const char *const *k = inproc_names; *k; k++)
            if (!strcmp(w.v[0], *k)) maybe = false;
    strlist_free(&w);
    if (!maybe) return false;
    int pfd[2];
    if (pipe(pfd)) return false;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) { dup2(nul, 0); dup2(nul, 1); }
        execl("/bin/sh", "sh", "-n", "-c", text, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    char buf[1024];
    size_t n = 0;
    ssize_t k;
    while ((k = read(pfd[0], buf + n, sizeof buf - 1 - n)) > 0) n += (size_t)k;
    buf[n] = 0;
    close(pfd[0]);
    int st = 0;
    if (pid > 0) waitpid(pid, &st, 0);
    if (pid <= 0 || (WIFEXITED(st) && WEXITSTATUS(st) == 0)) return false;
    for (char *c = buf; *c; c++) *c = (char)tolower((unsigned char)*c);
    return strstr(buf, "end of file") != NULL;
}

sh_feed_rc sh_reader_feed(sh_reader *r, const char *line, sh_cmd *cmd)
{
    r->line_no++;
    size_t len = strlen(line);
    while (len && line[len - 1] == '\r') len--;
    char *ln = strndup(line, len);
    if (!sh_reader_pending(r)) {
        const char *p = ln;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '#') { free(ln); return SH_EMPTY; }
        r->first_line = r->line_no;
    }
    strlist_add(&r->lines, ln);
    if (r->delims.n > 0) {
        const char *body = ln;
        if (r->strip_tabs[0])
            while (*body == '\t') body++;
        if (!strcmp(body, r->delims.v[0])) {
            free(r->delims.v[0]);
            memmove(r->delims.v, r->delims.v + 1, r->delims.n * sizeof *r->delims.v);
            memmove(r->strip_tabs, r->strip_tabs + 1, sizeof r->strip_tabs - 1);
            r->delims.n--;
        }
        free(ln);
        if (r->delims.n > 0) return SH_MORE;
    } else {
        scan_line(r, ln);
        free(ln);
        if (r->quote || r->continued || r->delims.n > 0) return SH_MORE;
    }
    char *text = join_lines(&r->lines);
    if (sh_incomplete(text)) {
        free(text);
        return SH_MORE;
    }
    cmd->text = text;
    cmd->first_line = r->first_line;
    strlist_free(&r->lines);
    strlist_free(&r->delims);
    return SH_DONE;
}

/* ---- words -------------------------------------------------------------- */

typedef struct wbuf {
    char *s;
    size_t n, cap;
} wbuf;

static void wput(wbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

/* $NAME, ${NAME}, $? at p (p points at '$').  Returns chars consumed, 0 when
 * '$' is literal, -1 when sh is needed. */
static int expand_var(const char *p, sh_lookup_fn lookup, void *lctx, wbuf *b, bool quoted)
{
    char name[256];
    int used;
    if (p[1] == '(' || p[1] == '$' || p[1] == '!' || p[1] == '#' || p[1] == '*' || p[1] == '@'
        || p[1] == '-' || isdigit((unsigned char)p[1]))
        return -1;
    if (p[1] == '?') {
        snprintf(name, sizeof name, "?");
        used = 2;
    } else if (p[1] == '{') {
        const char *e = p + 2;
        while (isalnum((unsigned char)*e) || *e == '_') e++;
        if (*e != '}' || e == p + 2 || e - p - 2 >= (long)sizeof name) return -1;
        snprintf(name, sizeof name, "%.*s", (int)(e - p - 2), p + 2);
        used = (int)(e - p) + 1;
    } else if (isalpha((unsigned char)p[1]) || p[1] == '_') {
        const char *e = p + 1;
        while (isalnum((unsigned char)*e) || *e == '_') e++;
        if (e - p - 1 >= (long)sizeof name) return -1;
        snprintf(name, sizeof name, "%.*s", (int)(e - p - 1), p + 1);
        used = (int)(e - p);
    } else {
        return 0;
    }
    const char *v = lookup ? lookup(lctx, name) : NULL;
    if (!v) v = "";
    /* Unquoted values that sh would split or glob are left to sh. */
    if (!quoted && (strpbrk(v, " \t\n*?[") || !*v)) return -1;
    wput(b, v, strlen(v));
    return used;
}

int sh_split_simple(const char *text, sh_lookup_fn lookup, void *lctx, strlist *words,
                    char **heredoc, bool *heredoc_quoted, const char **rest)
{
    const char *p = text;
    *heredoc = NULL;
    *heredoc_quoted = false;
    *rest = NULL;
    wbuf b = {0};
    int rc = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t' || (p[0] == '\\' && p[1] == '\n')) p += (*p == '\\') ? 2 : 1;
        if (!*p) break;
        if (*p == '\n') { *rest = p + 1; break; }
        if (*p == '#') {
            while (*p && *p != '\n') p++;
            continue;
        }
        if (p[0] == '<' && p[1] == '<' && p[2] != '<' && p[2] != '-' && !*heredoc) {
            p += 2;
            while (*p == ' ' || *p == '\t') p++;
            wbuf d = {0};
            wput(&d, "", 0);
            while (*p && !strchr(" \t\n;|&<>()", *p)) {
                if (*p == '\'' || *p == '"') {
                    char q = *p++;
                    const char *e = strchr(p, q);
                    if (!e) { free(d.s); goto needs_sh; }
                    wput(&d, p, (size_t)(e - p));
                    p = e + 1;
                    *heredoc_quoted = true;
                } else if (*p == '\\' && p[1]) {
                    wput(&d, p + 1, 1);
                    p += 2;
                    *heredoc_quoted = true;
                } else {
                    wput(&d, p++, 1);
                }
            }
            if (!d.n) { free(d.s); goto needs_sh; }
            *heredoc = d.s;
            continue;
        }
        if (strchr("|&;()<>`", *p)) goto needs_sh;
        if (*p == '~') goto needs_sh;
        b.n = 0;
        wput(&b, "", 0);
        bool had_quotes = false;
        while (*p && !strchr(" \t\n|&;()<>", *p)) {
            if (*p == '\\') {
                if (p[1] == '\n') { p += 2; continue; }
                if (!p[1]) { p++; continue; }
                wput(&b, p + 1, 1);
                p += 2;
            } else if (*p == '\'') {
                const char *e = strchr(p + 1, '\'');
                if (!e) goto needs_sh;
                wput(&b, p + 1, (size_t)(e - p - 1));
                p = e + 1;
                had_quotes = true;
            } else if (*p == '"') {
                p++;
                had_quotes = true;
                while (*p != '"') {
                    if (!*p || *p == '`') goto needs_sh;
                    if (*p == '\\' && p[1] && strchr("$`\"\\\n", p[1])) {
                        if (p[1] != '\n') wput(&b, p + 1, 1);
                        p += 2;
                    } else if (*p == '$') {
                        int k = expand_var(p, lookup, lctx, &b, true);
                        if (k < 0) goto needs_sh;
                        if (k == 0) wput(&b, p++, 1);
                        else p += k;
                    } else {
                        wput(&b, p++, 1);
                    }
                }
                p++;
            } else if (*p == '$') {
                int k = expand_var(p, lookup, lctx, &b, false);
                if (k < 0) goto needs_sh;
                if (k == 0) wput(&b, p++, 1);
                else p += k;
            } else if (strchr("*?[`", *p)) {
                goto needs_sh;
            } else {
                wput(&b, p++, 1);
            }
        }
        if (b.n || had_quotes) strlist_add(words, b.s);
    }
    free(b.s);
    return rc;
needs_sh:
    free(b.s);
    free(*heredoc);
    *heredoc = NULL;
    return -1;
}

void sh_split_partial(const char *text, strlist *words, bool *open_word)
{
    const char *p = text;
    wbuf b = {0};
    *open_word = false;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n') p++;
        if (!*p) break;
        if (strchr("|&;()", *p)) {
            /* a new command starts: completion looks at it alone */
            for (int i = 0; i < words->n; i++) free(words->v[i]);
            words->n = 0;
            p++;
            continue;
        }
        b.n = 0;
        wput(&b, "", 0);
        while (*p && !strchr(" \t\n|&;()", *p)) {
            if (*p == '\\' && p[1]) {
                wput(&b, p + 1, 1);
                p += 2;
            } else if (*p == '\'' || *p == '"') {
                char q = *p++;
                while (*p && *p != q) wput(&b, p++, 1);
                if (*p) p++;
            } else {
                wput(&b, p++, 1);
            }
        }
        strlist_add(words, b.s);
        *open_word = !*p;
    }
    free(b.s);
}
