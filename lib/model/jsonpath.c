/* kubectl's JSONPath dialect.  The template is parsed into a list of nodes
 * (text, expression, range, end); an expression is a list of steps applied
 * to a set of current values, as client-go's evaluator does. */
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "model/jsonpath.h"

typedef struct vals { json_t **v; size_t n, cap; } vals;

/* Templates like {range ..*}{range ..*}... multiply the values they visit;
 * past this many per template, evaluation stops with an error rather than
 * running for hours (kubectl would; a user is better served by a message). */
#define JSONPATH_MAX_VALUES (2u * 1024u * 1024u)
static _Thread_local size_t values_seen;

static void vals_push(vals *s, json_t *v)
{
    if (++values_seen > JSONPATH_MAX_VALUES) return;   /* eval_steps reports it */
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
    if (values_seen > JSONPATH_MAX_VALUES) return;   /* over budget: stop walking too */
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


static int eval_steps(jp *j, vals *cur);

/* The value a filter's left side names inside one element ("@.ports[0].x");
 * NULL when absent or when walking it fails. */
static json_t *filter_value(jp *outer, json_t *el, const char *lhs)
{
    char err[128];
    jp j = {lhs, lhs + strlen(lhs), err, sizeof err};
    vals cur = {0};
    vals_push(&cur, el);
    json_t *r = NULL;
    if (!eval_steps(&j, &cur) && cur.n) r = cur.v[0];
    free(cur.v);
    (void)outer;
    return r;
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
            json_t *f = filter_value(j, el, l);
            if (o ? compare_scalar(f, op, r, num) : f != NULL) vals_push(next, el);
        }
    }
    return 0;
}


/* Go's name for a decoded JSON value's type, for "... is not array or slice". */
static const char *go_kind(json_t *v)
{
    if (json_is_object(v)) return "map[string]interface {}";
    if (json_is_string(v)) return "string";
    if (json_is_integer(v)) return "int64";
    if (json_is_real(v)) return "float64";
    if (json_is_boolean(v)) return "bool";
    return "interface {}";
}

typedef struct slice_param { long v; bool known, derived; } slice_param;

static int parse_long(const char *s, long *out)
{
    while (*s == ' ') s++;
    char *end;
    *out = strtol(s, &end, 10);
    while (*end == ' ') end++;
    return end != s && *end == 0 ? 0 : -1;
}

/* One [..] step: an index, a slice a:b:c, '*', or a union "0,2" (client-go's
 * evalArray semantics: negative indices count from the end; indices out of
 * range are errors unless the slice asks for nothing). */
static int eval_index(jp *j, char *sub, vals *cur, vals *next)
{
    if (strchr(sub, ',')) {
        char *save = NULL;
        for (char *t = strtok_r(sub, ",", &save); t; t = strtok_r(NULL, ",", &save))
            if (eval_index(j, t, cur, next)) return -1;
        return 0;
    }
    slice_param p[3] = {{0, false, false}, {0, false, false}, {0, false, false}};
    if (strcmp(sub, "*")) {
        char *parts[3] = {sub, NULL, NULL};
        int np = 1;
        for (char *c = sub; *c && np < 3; c++)
            if (*c == ':') { *c = 0; parts[np++] = c + 1; }
        for (int i = 0; i < np; i++) {
            char *t = parts[i];
            while (*t == ' ') t++;
            if (!*t) continue;
            if (parse_long(t, &p[i].v)) {
                snprintf(j->err, j->errlen, "invalid array index %s", t);
                return -1;
            }
            p[i].known = true;
        }
        if (np == 1) {
            if (!p[0].known) { snprintf(j->err, j->errlen, "invalid array index %s", sub); return -1; }
            p[1].v = p[0].v == LONG_MAX ? LONG_MAX : p[0].v + 1;   /* no overflow */
            p[1].known = p[1].derived = true;
        }
    }
    for (size_t i = 0; i < cur->n; i++) {
        json_t *arr = cur->v[i];
        if (json_is_null(arr)) continue;
        if (!json_is_array(arr)) {
            snprintf(j->err, j->errlen, "%s is not array or slice", go_kind(arr));
            return -1;
        }
        long len = (long)json_array_size(arr);
        long a = p[0].known ? p[0].v : 0, b = p[1].known ? p[1].v : len;
        if (a < 0) a += len;
        if (p[1].known && (b < 0 || (b == 0 && p[1].derived))) b += len;
        if (a == b) continue;
        if (a >= len || a < 0) {
            snprintf(j->err, j->errlen, "array index out of bounds: index %ld, length %ld", a, len);
            return -1;
        }
        if (b > len || b < 0) {
            snprintf(j->err, j->errlen, "array index out of bounds: index %ld, length %ld", b == LONG_MIN ? b : b - 1, len);
            return -1;
        }
        if (a > b) {
            snprintf(j->err, j->errlen, "starting index %ld is greater than ending index %ld", a, b);
            return -1;
        }
        long step = 1;
        if (p[2].known) {
            if (p[2].v <= 0) { snprintf(j->err, j->errlen, "step must be > 0"); return -1; }
            step = p[2].v;
        }
        /* k + step must not overflow for huge steps */
        for (long k = a; k < b; k = step > b - k ? b : k + step) vals_push(next, json_array_get(arr, (size_t)k));
    }
    return 0;
}

/* Evaluate the steps of one expression (".a[*].b", "..name", "['x']") on cur. */
static int eval_steps(jp *j, vals *cur)
{
    while (j->p < j->end) {
        if (values_seen > JSONPATH_MAX_VALUES) {
            snprintf(j->err, j->errlen, "template visits more than %u values", JSONPATH_MAX_VALUES);
            return -1;
        }
        vals next = {0};
        const char *p = j->p;
        if (*p == '@' || *p == '$') { j->p++; continue; }
        if (p[0] == '.' && p[1] == '.') {
            if (p[2] == '.' && p[3] == '.') { snprintf(j->err, j->errlen, "invalid multiple recursive descent"); free(next.v); return -1; }
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
            } else if (*j->p == '\'') {
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
                if (eval_index(j, sub, cur, &next)) { free(next.v); return -1; }
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
    if (values_seen > JSONPATH_MAX_VALUES) {
        snprintf(j->err, j->errlen, "template visits more than %u values", JSONPATH_MAX_VALUES);
        return -1;
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
/* -o jsonpath-as-json: every node's results print as one indented JSON array. */
static bool json_mode;

static void print_json_array(FILE *out, json_t *arr)
{
    char *text = json_dumps(arr, JSON_INDENT(4) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (text) fprintf(out, "%s\n", text);
    free(text);
}

static void print_text(FILE *out, const char *s, size_t n)
{
    if (!json_mode) { fwrite(s, 1, n, out); return; }
    json_t *arr = json_pack("[s%]", s, n);
    print_json_array(out, arr);
    json_decref(arr);
}

static void print_quoted(FILE *out, const char *s, size_t n)
{
    if (json_mode) {
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        json_mode = false;
        print_quoted(m, s, n);
        json_mode = true;
        fclose(m);
        print_text(out, buf, len);
        free(buf);
        return;
    }
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
static const char *action_end(const char *s, bool *quote_open)
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
    *quote_open = q != 0;
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
        if (*t != '{') {
            size_t n = strcspn(t, "{");
            print_text(out, t, n);
            t += n;
            continue;
        }
        bool quote_open = false;
        const char *e = action_end(t + 1, &quote_open);
        if (!e) { snprintf(err, errlen, quote_open ? "unterminated quoted string" : "unclosed action"); return -1; }
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
            /* a range left open runs to the end of the template */
            t = after ? after : body + strlen(body);
            continue;
        }
        if (json_mode) {
            json_t *arr = json_array();
            for (size_t i = 0; i < cur.n; i++) json_array_append(arr, cur.v[i]);
            print_json_array(out, arr);
            json_decref(arr);
            cur.n = 0;
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

int jsonpath_execute_json(const char *tmpl, json_t *data, FILE *out, char *err, size_t errlen)
{
    json_mode = true;
    int rc = jsonpath_execute(tmpl, data, out, err, errlen);
    json_mode = false;
    return rc;
}

int jsonpath_execute(const char *tmpl, json_t *data, FILE *out, char *err, size_t errlen)
{
    const char *resume = NULL;
    values_seen = 0;
    int r = run(tmpl, NULL, data, data, out, err, errlen, &resume);
    if (r == 1) { snprintf(err, errlen, "not in range, nothing to end"); return -2; }
    if (r < 0) {
        /* errors found while walking the data, not while parsing the template */
        static const char *const runtime[] = {"array index out of bounds", "step must be", "starting index",
                                              "not in range", "can only compare", NULL};
        for (const char *const *m = runtime; *m; m++)
            if (!strncmp(err, *m, strlen(*m)) || strstr(err, "is not array or slice")) return -2;
        return -1;
    }
    return 0;
}

int jsonpath_find(const char *expr, json_t *data, json_t ***results, size_t *n, char *err, size_t errlen)
{
    /* "{.a.b}" or ".a.b" or "a.b" (kubectl's relaxed form for custom columns and --sort-by) */
    size_t len = strlen(expr);
    const char *s = expr;
    if (len >= 2 && s[0] == '{' && s[len - 1] == '}') { s++; len -= 2; }
    char *copy = malloc(len + 2);
    size_t o = 0;
    if (len && s[0] != '.' && s[0] != '$' && s[0] != '@' && s[0] != '[') copy[o++] = '.';
    memcpy(copy + o, s, len);
    copy[o + len] = 0;
    jp j = {copy, copy + o + len, err, errlen};
    vals cur = {0};
    values_seen = 0;
    vals_push(&cur, data);
    int rc = eval_steps(&j, &cur);
    free(copy);
    if (rc) { free(cur.v); *results = NULL; *n = 0; return -1; }
    *results = cur.v;
    *n = cur.n;
    return 0;
}
