/* Label selectors.  See selector.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/selector.h"

typedef enum { OP_EQ, OP_NE, OP_IN, OP_NOTIN, OP_EXISTS, OP_NOT_EXISTS } sel_op;

typedef struct requirement {
    char *key;
    sel_op op;
    char **values;
    size_t nvalues;
} requirement;

struct selector {
    requirement *req;
    size_t n;
};

static char *dup_trim(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) { s++; n--; }
    while (n && isspace((unsigned char)s[n - 1])) n--;
    char *r = malloc(n + 1);
    memcpy(r, s, n);
    r[n] = 0;
    return r;
}

static void add_value(requirement *r, char *v)
{
    r->values = realloc(r->values, (r->nvalues + 1) * sizeof *r->values);
    r->values[r->nvalues++] = v;
}

/* Split at commas that are not inside parentheses. */
static int parse_term(selector *s, const char *t, size_t n, char *err, size_t errlen)
{
    requirement r = {0};
    char *term = dup_trim(t, n);
    char *p;
    if (!*term) {
        free(term);
        return 0;
    }
    if (term[0] == '!') {
        r.key = dup_trim(term + 1, strlen(term + 1));
        r.op = OP_NOT_EXISTS;
    } else if ((p = strstr(term, "!="))) {
        r.key = dup_trim(term, (size_t)(p - term));
        r.op = OP_NE;
        add_value(&r, dup_trim(p + 2, strlen(p + 2)));
    } else if ((p = strstr(term, "=="))) {
        r.key = dup_trim(term, (size_t)(p - term));
        r.op = OP_EQ;
        add_value(&r, dup_trim(p + 2, strlen(p + 2)));
    } else if ((p = strchr(term, '='))) {
        r.key = dup_trim(term, (size_t)(p - term));
        r.op = OP_EQ;
        add_value(&r, dup_trim(p + 1, strlen(p + 1)));
    } else if ((p = strstr(term, " notin ")) || (p = strstr(term, " in "))) {
        bool notin = !strncmp(p, " notin ", 7);
        r.key = dup_trim(term, (size_t)(p - term));
        r.op = notin ? OP_NOTIN : OP_IN;
        char *open = strchr(p, '('), *close = strrchr(p, ')');
        if (!open || !close || close < open) {
            snprintf(err, errlen, "unable to parse requirement: found '%s', expected: '('", p + (notin ? 7 : 4));
            free(r.key);
            free(term);
            return -1;
        }
        for (char *v = open + 1; v < close;) {
            char *c = memchr(v, ',', (size_t)(close - v));
            char *e = c ? c : close;
            add_value(&r, dup_trim(v, (size_t)(e - v)));
            v = e + 1;
        }
    } else {
        r.key = dup_trim(term, strlen(term));
        r.op = OP_EXISTS;
    }
    free(term);
    if (!*r.key) {
        snprintf(err, errlen, "unable to parse requirement: found '', expected: identifier");
        free(r.key);
        for (size_t i = 0; i < r.nvalues; i++) free(r.values[i]);
        free(r.values);
        return -1;
    }
    s->req = realloc(s->req, (s->n + 1) * sizeof *s->req);
    s->req[s->n++] = r;
    return 0;
}

selector *selector_parse(const char *text, char *err, size_t errlen)
{
    selector *s = calloc(1, sizeof *s);
    int depth = 0;
    const char *start = text;
    for (const char *p = text;; p++) {
        if (*p == '(') depth++;
        else if (*p == ')') depth--;
        if ((*p == ',' && depth == 0) || !*p) {
            if (parse_term(s, start, (size_t)(p - start), err, errlen)) {
                selector_free(s);
                return NULL;
            }
            start = p + 1;
        }
        if (!*p) break;
    }
    return s;
}

static bool value_in(const requirement *r, const char *v)
{
    for (size_t i = 0; i < r->nvalues; i++)
        if (!strcmp(r->values[i], v)) return true;
    return false;
}

bool selector_matches(const selector *s, json_t *labels)
{
    for (size_t i = 0; i < s->n; i++) {
        const requirement *r = &s->req[i];
        json_t *v = json_object_get(labels, r->key);
        const char *val = json_is_string(v) ? json_string_value(v) : NULL;
        switch (r->op) {
        case OP_EQ: case OP_IN: if (!val || !value_in(r, val)) return false; break;
        case OP_NE: case OP_NOTIN: if (val && value_in(r, val)) return false; break;
        case OP_EXISTS: if (!val) return false; break;
        case OP_NOT_EXISTS: if (val) return false; break;
        }
    }
    return true;
}

void selector_free(selector *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->req[i].key);
        for (size_t j = 0; j < s->req[i].nvalues; j++) free(s->req[i].values[j]);
        free(s->req[i].values);
    }
    free(s->req);
    free(s);
}

static bool json_list_has(json_t *arr, const char *v)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
        if (json_is_string(x) && !strcmp(json_string_value(x), v)) return true;
    return false;
}

bool label_selector_matches(json_t *ls, json_t *labels)
{
    if (!json_is_object(ls)) return true;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(ls, "matchLabels"), k, v) {
        json_t *have = json_object_get(labels, k);
        if (!json_is_string(have) || !json_is_string(v) || strcmp(json_string_value(have), json_string_value(v)))
            return false;
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(ls, "matchExpressions"), i, e) {
        const char *key = json_string_value(json_object_get(e, "key"));
        const char *op = json_string_value(json_object_get(e, "operator"));
        json_t *vals = json_object_get(e, "values");
        json_t *have = key ? json_object_get(labels, key) : NULL;
        const char *hv = json_is_string(have) ? json_string_value(have) : NULL;
        if (!op) return false;
        if (!strcmp(op, "In") && !(hv && json_list_has(vals, hv))) return false;
        if (!strcmp(op, "NotIn") && hv && json_list_has(vals, hv)) return false;
        if (!strcmp(op, "Exists") && !hv) return false;
        if (!strcmp(op, "DoesNotExist") && hv) return false;
    }
    return true;
}
