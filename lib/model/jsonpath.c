/* kubectl's JSONPath dialect.  The template is parsed into a list of nodes
 * (text, expression, range, end); an expression is a list of steps applied
 * to a set of current values, as client-go's evaluator does. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "model/jsonpath.h"

typedef struct vals { json_t **v; size_t n, cap; } vals;

static void vals_push(vals *s, json_t *v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = v;
}

typedef struct jp {
    const char *p;       /* cursor inside the current action */
    const char *end;     /* end of the current action */
    char *err;
    size_t errlen;
} jp;

static void recurse_all(json_t *v, vals *out)
{
    size_t i;
    const char *k;
    json_t *c;
    vals_push(out, v);
    if (json_is_object(v)) json_object_foreach(v, k, c) recurse_all(c, out);
    else if (json_is_array(v)) json_array_foreach(v, i, c) recurse_all(c, out);
}

/* Read an identifier: letters, digits, '_', '-', '/', and backslash-escaped characters. */
static size_t read_ident(jp *j, char *buf, size_t len)
{
    size_t n = 0;
    while (j->p < j->end) {
        char c = *j->p;
        if (c == '\\' && j->p + 1 < j->end) { c = j->p[1]; j->p += 2; }
        else if (isalnum((unsigned char)c) || c == '_' || c == '-' || c == '/' || c == ':') j->p++;
        else break;
        if (n + 1 < len) buf[n++] = c;
    }
    buf[n] = 0;
    return n;
}

static int compare_scalar(json_t *a, const char *op, const char *lit, bool lit_is_num)
{
    if (!a) return 0;
    int cmp;
    if (lit_is_num && json_is_number(a)) {
        double x = json_number_value(a), y = strtod(lit, NULL);
        cmp = x < y ? -1 : x > y;
    } else if (json_is_string(a)) {
        cmp = strcmp(json_string_value(a), lit);
    } else if (json_is_boolean(a)) {
        cmp = strcmp(json_is_true(a) ? "true" : "false", lit);
    } else {
        return 0;
    }
    if (!strcmp(op, "==")) return cmp == 0;
    if (!strcmp(op, "!=")) return cmp != 0;
    if (!strcmp(op, "<")) return cmp < 0;
    if (!strcmp(op, ">")) return cmp > 0;
    if (!strcmp(op, "<=")) return cmp <= 0;
    if (!strcmp(op, ">=")) return cmp >= 0;
    return 0;
}

static json_t *follow_fields(json_t *v, const char *path)
{
    /* "@.a.b" relative path inside a filter */
    char key[256];
    const char *p = path;
    if (*p == '@') p++;
    while (v && *p == '.') {
        p++;
        size_t n = 0;
        while (*p && *p != '.' && n + 1 < sizeof key) {
            if (*p == '\\' && p[1]) p++;
            key[n++] = *p++;
        }
        key[n] = 0;
        v = json_is_object(v) ? json_object_get(v, key) : NULL;
    }
    return v;
}

/* [?(@.a.b == "x")] or [?(@.a)]: keep elements for which the test holds. */
static int apply_filter(jp *j, vals *cur, vals *next)
{
    const char *close = strstr(j->p, ")]");
    if (!close || close > j->end) {
        snprintf(j->err, j->errlen, "unterminated filter");
        return -1;
    }
    char expr[512];
    size_t n = (size_t)(close - j->p);
    if (n >= sizeof expr) n = sizeof expr - 1;
    memcpy(expr, j->p, n);
    expr[n] = 0;
    j->p = close + 2;
    char lhs[512] = "", op[3] = "", rhs[512] = "";
    char *o = NULL;
    const char *ops[] = {"==", "!=", "<=", ">=", "<", ">", NULL};
    for (const char **x = ops; *x && !o; x++)
        if ((o = strstr(expr, *x))) snprintf(op, sizeof op, "%s", *x);
    if (o) {
        snprintf(lhs, sizeof lhs, "%.*s", (int)(o - expr), expr);
        snprintf(rhs, sizeof rhs, "%s", o + strlen(op));
    } else {
        snprintf(lhs, sizeof lhs, "%s", expr);
    }
    /* trim */
    for (char *s = lhs + strlen(lhs); s > lhs && isspace((unsigned char)s[-1]); ) *--s = 0;
    char *r = rhs;
    while (isspace((unsigned char)*r)) r++;
    for (char *s = r + strlen(r); s > r && isspace((unsigned char)s[-1]); ) *--s = 0;
    char *l = lhs;
    while (isspace((unsigned char)*l)) l++;
    bool num = false;
    if (*r == '"' || *r == '\'') {
        size_t rl = strlen(r);
        if (rl >= 2) { r[rl - 1] = 0; r++; }
    } else if (*r) {
        num = strspn(r, "-0123456789.") == strlen(r);
    }
    for (size_t i = 0; i < cur->n; i++) {
        json_t *v = cur->v[i];
        size_t k;
        json_t *el;
        if (!json_is_array(v)) continue;
        json_array_foreach(v, k, el) {
            json_t *f = follow_fields(el, l);
            if (o ? compare_scalar(f, op, r, num) : f != NULL) vals_push(next, el);
        }
    }
    return 0;
}

/* Evaluate the steps of one expression (".a[*].b", "..name", "['x']") on cur. */
static int eval_steps(jp *j, vals *cur)
{
    while (j->p < j->end) {
        vals next = {0};
        const char *p = j->p;
        if (*p == '@' || *p == '$') { j->p++; continue; }
        if (p[0] == '.' && p[1] == '.') {
            if (p[2] == '.') { snprintf(j->err, j->errlen, "invalid multiple recursive descent"); free(next.v); return -1; }
            j->p += 2;
            for (size_t i = 0; i < cur->n; i++) recurse_all(cur->v[i], &next);
            /* ..name means "name" at any depth: the descent is followed by a field step */
            vals deep = {0};
            char key[256];
            if (j->p < j->end && *j->p == '*') {
                j->p++;
                free(cur->v);
                *cur = next;
                continue;
            }
            read_ident(j, key, sizeof key);
            for (size_t i = 0; i < next.n; i++) {
                json_t *c = json_is_object(next.v[i]) ? json_object_get(next.v[i], key) : NULL;
                if (c) vals_push(&deep, c);
            }
            free(next.v);
            free(cur->v);
            *cur = deep;
            continue;
        }
        if (*p == '.') {
            j->p++;
            if (j->p < j->end && *j->p == '*') {
                j->p++;
                for (size_t i = 0; i < cur->n; i++) {
                    const char *k;
                    json_t *c;
                    size_t ai;
                    if (json_is_object(cur->v[i])) json_object_foreach(cur->v[i], k, c) vals_push(&next, c);
                    else if (json_is_array(cur->v[i])) json_array_foreach(cur->v[i], ai, c) vals_push(&next, c);
                }
            } else {
                char key[256];
                if (!read_ident(j, key, sizeof key)) {
                    if (j->p < j->end && *j->p != '[' && *j->p != '.') {
                        snprintf(j->err, j->errlen, "unrecognized character in action: U+%04X '%c'",
                                 (unsigned char)*j->p, *j->p);
                        free(next.v);
                        return -1;
                    }
                    free(next.v);
                    continue;   /* lone "." is the root */
                }
                for (size_t i = 0; i < cur->n; i++) {
                    json_t *c = json_is_object(cur->v[i]) ? json_object_get(cur->v[i], key) : NULL;
                    if (c) vals_push(&next, c);
                }
            }
        } else if (*p == '[') {
            j->p++;
            if (j->p < j->end && *j->p == '?') {
                j->p++;
                if (j->p < j->end && *j->p == '(') j->p++;
                if (apply_filter(j, cur, &next)) { free(next.v); return -1; }
            } else if (*j->p == '\'' || *j->p == '"') {
                char q = *j->p++;
                const char *e = memchr(j->p, q, (size_t)(j->end - j->p));
                if (!e) { snprintf(j->err, j->errlen, "unterminated quoted string"); free(next.v); return -1; }
                char key[256];
                snprintf(key, sizeof key, "%.*s", (int)(e - j->p), j->p);
                j->p = e + 1;
                if (j->p < j->end && *j->p == ']') j->p++;
                for (size_t i = 0; i < cur->n; i++) {
                    json_t *c = json_is_object(cur->v[i]) ? json_object_get(cur->v[i], key) : NULL;
                    if (c) vals_push(&next, c);
                }
            } else {
                const char *e = memchr(j->p, ']', (size_t)(j->end - j->p));
                if (!e) { snprintf(j->err, j->errlen, "unterminated array"); free(next.v); return -1; }
                char sub[128];
                snprintf(sub, sizeof sub, "%.*s", (int)(e - j->p), j->p);
                j->p = e + 1;
                for (size_t i = 0; i < cur->n; i++) {
                    json_t *arr = cur->v[i];
                    if (!json_is_array(arr)) continue;
                    long n = (long)json_array_size(arr);
                    if (!strcmp(sub, "*")) {
                        for (long k = 0; k < n; k++) vals_push(&next, json_array_get(arr, (size_t)k));
                    } else if (strchr(sub, ',')) {
                        for (char *t = strtok(sub, ","); t; t = strtok(NULL, ",")) {
                            long k = strtol(t, NULL, 10);
                            if (k < 0) k += n;
                            if (k >= 0 && k < n) vals_push(&next, json_array_get(arr, (size_t)k));
                        }
                    } else if (strchr(sub, ':')) {
                        char *colon = strchr(sub, ':');
                        long a = colon == sub ? 0 : strtol(sub, NULL, 10);
                        long b = colon[1] && colon[1] != ':' ? strtol(colon + 1, NULL, 10) : n;
                        char *c2 = strchr(colon + 1, ':');
                        long step = c2 && c2[1] ? strtol(c2 + 1, NULL, 10) : 1;
                        if (a < 0) a += n;
                        if (b < 0) b += n;
                        if (a < 0) a = 0;
                        if (b > n) b = n;
                        if (step < 1) step = 1;
                        /* k + step must not overflow for huge steps */
                        for (long k = a; k < b; k = step > b - k ? b : k + step)
                            vals_push(&next, json_array_get(arr, (size_t)k));
                    } else {
                        long k = strtol(sub, NULL, 10);
                        if (k < 0) k += n;
                        if (k >= 0 && k < n) vals_push(&next, json_array_get(arr, (size_t)k));
                        else if (cur->n == 1) {
                            snprintf(j->err, j->errlen, "array index out of bounds: index %s, length %ld", sub, n);
                            free(next.v);
                            return -1;
                        }
                    }
                }
            }
        } else if (isspace((unsigned char)*p)) {
            j->p++;
            continue;
        } else {
            snprintf(j->err, j->errlen, "unrecognized character in action: U+%04X '%c'", (unsigned char)*p, *p);
            free(next.v);
            return -1;
        }
        free(cur->v);
        *cur = next;
    }
    return 0;
}

static void print_value(FILE *out, json_t *v)
{
    if (json_is_string(v)) fputs(json_string_value(v), out);
    else if (json_is_integer(v)) fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v)) fprintf(out, "%g", json_real_value(v));
    else if (json_is_true(v)) fputs("true", out);
    else if (json_is_false(v)) fputs("false", out);
    else if (json_is_null(v)) fputs("null", out);
    else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
        if (s) fputs(s, out);
        free(s);
    }
}

/* Quoted text inside an action: "\n", '\t' ... */
static void print_quoted(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            char c = s[++i];
            fputc(c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c, out);
        } else {
            fputc(s[i], out);
        }
    }
}

/* Find the '}' closing the action that starts at s (quotes may hold '}'). */
static const char *action_end(const char *s)
{
    char q = 0;
    for (; *s; s++) {
        if (q) {
            if (*s == '\\' && s[1]) s++;
            else if (*s == q) q = 0;
        } else if (*s == '"' || *s == '\'') {
            q = *s;
        } else if (*s == '}') {
            return s;
        }
    }
    return NULL;
}

static int run(const char *tmpl, const char *stop_at, json_t *root, json_t *dot, FILE *out,
               char *err, size_t errlen, const char **resume);

/* Nested {range} blocks recurse; a template nesting thousands of them must
 * get an error, not overflow the stack. */
#define JSONPATH_MAX_RANGE_DEPTH 1000
static _Thread_local int range_depth;

static int run_nested(const char *t, json_t *root, json_t *dot, FILE *out, char *err, size_t errlen,
                      const char **resume)
{
    if (range_depth >= JSONPATH_MAX_RANGE_DEPTH) {
        snprintf(err, errlen, "more than %d nested range blocks", JSONPATH_MAX_RANGE_DEPTH);
        return -1;
    }
    range_depth++;
    int r = run(t, NULL, root, dot, out, err, errlen, resume);
    range_depth--;
    return r;
}

/* Execute from tmpl until the matching {end} (or string end); *resume gets
 * the position after it. */
static int run(const char *t, const char *limit, json_t *root, json_t *dot, FILE *out,
               char *err, size_t errlen, const char **resume)
{
    (void)limit;
    while (*t) {
        if (*t != '{') { fputc(*t++, out); continue; }
        const char *e = action_end(t + 1);
        if (!e) { snprintf(err, errlen, "unclosed action"); return -1; }
        const char *a = t + 1;
        while (a < e && isspace((unsigned char)*a)) a++;
        size_t alen = (size_t)(e - a);
        while (alen && isspace((unsigned char)a[alen - 1])) alen--;
        if (alen == 3 && !strncmp(a, "end", 3)) {
            if (resume) *resume = e + 1;
            return 1;
        }
        if (alen && (*a == '"' || *a == '\'')) {
            if (alen < 2 || a[alen - 1] != *a) { snprintf(err, errlen, "unterminated quoted string"); return -1; }
            print_quoted(out, a + 1, alen - 2);
            t = e + 1;
            continue;
        }
        bool is_range = alen > 6 && !strncmp(a, "range ", 6);
        const char *expr = is_range ? a + 6 : a;
        jp j = {expr, a + alen, err, errlen};
        vals cur = {0};
        /* a leading '.' or '$' starts at the root; '@' at the current element */
        vals_push(&cur, *expr == '$' ? root : dot);
        if (eval_steps(&j, &cur)) { free(cur.v); return -1; }
        if (is_range) {
            const char *body = e + 1, *after = NULL;
            /* items of a single array value are iterated, as kubectl does */
            vals items = {0};
            for (size_t i = 0; i < cur.n; i++) {
                if (json_is_array(cur.v[i]) && cur.n == 1) {
                    size_t k;
                    json_t *c;
                    json_array_foreach(cur.v[i], k, c) vals_push(&items, c);
                } else {
                    vals_push(&items, cur.v[i]);
                }
            }
            if (items.n == 0) {
                /* skip the body: run it into a null sink to find its end */
                FILE *null = fopen("/dev/null", "w");
                int r = run_nested(body, root, json_null(), null ? null : out, err, errlen, &after);
                if (null) fclose(null);
                if (r < 0) { free(items.v); free(cur.v); return -1; }
            }
            for (size_t i = 0; i < items.n; i++) {
                int r = run_nested(body, root, items.v[i], out, err, errlen, &after);
                if (r < 0) { free(items.v); free(cur.v); return -1; }
            }
            free(items.v);
            free(cur.v);
            if (!after) { snprintf(err, errlen, "not in range, nothing to end"); return -1; }
            t = after;
            continue;
        }
        for (size_t i = 0; i < cur.n; i++) {
            if (i) fputc(' ', out);
            print_value(out, cur.v[i]);
        }
        free(cur.v);
        t = e + 1;
    }
    return 0;
}

int jsonpath_execute(const char *tmpl, json_t *data, FILE *out, char *err, size_t errlen)
{
    const char *resume = NULL;
    int r = run(tmpl, NULL, data, data, out, err, errlen, &resume);
    if (r == 1) { snprintf(err, errlen, "not in range, nothing to end"); return -1; }
    return r < 0 ? -1 : 0;
}
