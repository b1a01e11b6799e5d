/* kubectl get. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "model/columns.h"
#include "cmd/flags.h"
#include "cmd/kubectl_help.h"
#include "cmd/output.h"
#include "cmd/targets.h"
#include "model/json_text.h"
#include "model/jsonpath.h"
#include "model/loader.h"
#include "model/obj.h"
#include "model/printer.h"

typedef struct get_opts {
    const char *output;
    flag_list label_cols;
    bool show_labels, no_headers, all_ns, watch, ignore_not_found;
    const char *ns;
} get_opts;

static char *labels_text(json_t *o)
{
    json_t *l = obj_labels(o);
    if (!l || !json_object_size(l)) return strdup("<none>");
    size_t len = 0, n = 0;
    const char *k;
    json_t *v;
    char **parts = malloc(json_object_size(l) * sizeof *parts);
    json_object_foreach(l, k, v) {
        if (asprintf(&parts[n], "%s=%s", k, json_string_value(v) ? json_string_value(v) : "") < 0) parts[n] = strdup("");
        len += strlen(parts[n]) + 1;
        n++;
    }
    /* kubectl prints labels sorted by key */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(parts[j - 1], parts[j]) > 0; j--) {
            char *t = parts[j]; parts[j] = parts[j - 1]; parts[j - 1] = t;
        }
    char *s = calloc(1, len + 1);
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(s, ",");
        strcat(s, parts[i]);
        free(parts[i]);
    }
    free(parts);
    return s;
}

/* One table per kind, separated by a blank line, as kubectl prints them. */
static void print_tables(cmd_ctx *ctx, const get_opts *o, targets *t)
{
    bool wide = o->output && !strcmp(o->output, "wide");
    bool prefix_kind = t->kinds_requested > 1;
    size_t i = 0;
    int printed = 0;
    while (i < t->n) {
        const kind_info *k = t->v[i].k;
        size_t j = i;
        while (j < t->n && t->v[j].k == k) j++;
        columns cols;
        columns_for(k, wide, &cols);
        int extra = (o->all_ns && k->namespaced ? 1 : 0), nc = cols.n + extra + o->label_cols.n + (o->show_labels ? 1 : 0);
        table tb;
        table_init(&tb, (size_t)nc);
        const char *hdr[COLUMNS_MAX + 2];
        int c = 0;
        if (extra) hdr[c++] = "NAMESPACE";
        for (int x = 0; x < cols.n; x++) hdr[c++] = cols.header[x];
        char *lhdr[COLUMNS_MAX];
        for (int x = 0; x < o->label_cols.n && x < COLUMNS_MAX; x++) {
            const char *slash = strrchr(o->label_cols.v[x], '/');
            lhdr[x] = strdup(slash ? slash + 1 : o->label_cols.v[x]);
            for (char *p = lhdr[x]; *p; p++) *p = (char)toupper((unsigned char)*p);
            hdr[c++] = lhdr[x];
        }
        if (o->show_labels) hdr[c++] = "LABELS";
        if (!o->no_headers) table_add(&tb, hdr);
        for (size_t r = i; r < j; r++) {
            char *cells[COLUMNS_MAX + 2] = {0};
            char *row[COLUMNS_MAX];
            if (!t->v[r].row || !columns_decode(k, wide, t->v[r].row, row)) columns_row(k, wide, t->v[r].obj, row);
            c = 0;
            if (extra) cells[c++] = strdup(obj_namespace(t->v[r].obj));
            for (int x = 0; x < cols.n; x++) {
                if (x == 0 && prefix_kind) {
                    char disp[256];
                    kind_display(k, disp, sizeof disp);
                    if (asprintf(&cells[c], "%s/%s", disp, row[0]) < 0) cells[c] = strdup(row[0]);
                    c++;
                    free(row[0]);
                } else {
                    cells[c++] = row[x];
                }
            }
            for (int x = 0; x < o->label_cols.n && x < COLUMNS_MAX; x++)
                cells[c++] = strdup(obj_label(t->v[r].obj, o->label_cols.v[x]) ? obj_label(t->v[r].obj, o->label_cols.v[x]) : "");
            if (o->show_labels) cells[c++] = labels_text(t->v[r].obj);
            /* a server-side table shows a string cell up to its first newline, then "..." */
            for (int x = 0; x < c; x++) {
                char *nl = cells[x] ? strchr(cells[x], '\n') : NULL;
                if (nl) { *nl = 0; char *t = NULL; if (asprintf(&t, "%s...", cells[x]) >= 0) { free(cells[x]); cells[x] = t; } }
            }
            table_add(&tb, (const char *const *)cells);
            for (int x = 0; x < c; x++) free(cells[x]);
        }
        for (int x = 0; x < o->label_cols.n && x < COLUMNS_MAX; x++) free(lhdr[x]);
        if (printed++) fputc('\n', ctx->out);
        table_print(&tb, ctx->out, 3);
        table_free(&tb);
        i = j;
    }
}


/* Go's %v of a decoded JSON value: map[k:v], [a b], <nil>. */
static void go_value(json_t *v, char **s, size_t *n, FILE *f)
{
    (void)s; (void)n;
    if (json_is_object(v)) {
        const char *keys[256];
        size_t nk = 0;
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c) if (nk < 256) keys[nk++] = k;
        for (size_t i = 1; i < nk; i++)
            for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) { const char *t = keys[j]; keys[j] = keys[j - 1]; keys[j - 1] = t; }
        fputs("map[", f);
        for (size_t i = 0; i < nk; i++) {
            fprintf(f, "%s%s:", i ? " " : "", keys[i]);
            go_value(json_object_get(v, keys[i]), s, n, f);
        }
        fputc(']', f);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        fputc('[', f);
        json_array_foreach(v, i, c) {
            if (i) fputc(' ', f);
            go_value(c, s, n, f);
        }
        fputc(']', f);
    } else if (json_is_string(v)) fputs(json_string_value(v), f);
    else if (json_is_integer(v)) fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v)) fprintf(f, "%g", json_real_value(v));
    else if (json_is_boolean(v)) fputs(json_is_true(v) ? "true" : "false", f);
    else fputs("<nil>", f);
}

static char *custom_cell(const char *expr, json_t *obj)
{
    json_t **res = NULL;
    size_t n = 0;
    char err[256];
    if (jsonpath_find(expr, obj, &res, &n, err, sizeof err) || n == 0) { free(res); return strdup("<none>"); }
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    for (size_t i = 0; i < n; i++) {
        if (i) fputc(',', f);
        go_value(res[i], &s, &len, f);
    }
    fclose(f);
    free(res);
    return s;
}

/* -o custom-columns=H1:EXPR1,H2:EXPR2 and -o custom-columns-file=FILE. */
static int print_custom(cmd_ctx *ctx, const get_opts *o, targets *t)
{
    const char *f = o->output;
    char *spec = NULL;
    const char *heads[COLUMNS_MAX * 2], *exprs[COLUMNS_MAX * 2];
    int nc = 0;
    if (!strncmp(f, "custom-columns-file=", 20)) {
        spec = read_file(f + 20, NULL, 1 << 20);
        if (!spec) {
            fprintf(ctx->err, "error: open %s: no such file or directory\n", f + 20);
            return 1;
        }
        char *nl = strchr(spec, '\n');
        if (!nl) {
            fprintf(ctx->err, "error: custom-columns-file %s: expected a header line and an expression line\n", f + 20);
            free(spec);
            return 1;
        }
        *nl = 0;
        char *save = NULL, *save2 = NULL;
        for (char *h = strtok_r(spec, " \t", &save); h && nc < COLUMNS_MAX * 2; h = strtok_r(NULL, " \t", &save)) heads[nc++] = h;
        int ne = 0;
        for (char *e = strtok_r(nl + 1, " \t\n", &save2); e && ne < COLUMNS_MAX * 2; e = strtok_r(NULL, " \t\n", &save2)) exprs[ne++] = e;
        if (ne != nc) {
            fprintf(ctx->err, "error: expected %d columns, got %d\n", nc, ne);
            free(spec);
            return 1;
        }
    } else {
        const char *body = strchr(f, '=') ? strchr(f, '=') + 1 : "";
        if (!*body) {
            fprintf(ctx->err, "error: custom-columns format specified but no custom columns given\n");
            return 1;
        }
        spec = strdup(body);
        char *save = NULL;
        for (char *p = strtok_r(spec, ",", &save); p && nc < COLUMNS_MAX * 2; p = strtok_r(NULL, ",", &save)) {
            char *colon = strchr(p, ':');
            if (!colon) {
                fprintf(ctx->err, "error: unexpected custom-columns spec: %s, expected <header>:<json-path-expr>\n", p);
                free(spec);
                return 1;
            }
            *colon = 0;
            heads[nc] = p;
            exprs[nc++] = colon + 1;
        }
    }
    table tb;
    table_init(&tb, (size_t)nc);
    if (!o->no_headers) table_add(&tb, heads);
    for (size_t i = 0; i < t->n; i++) {
        char *cells[COLUMNS_MAX * 2];
        for (int c = 0; c < nc; c++) cells[c] = custom_cell(exprs[c], t->v[i].obj);
        table_add(&tb, (const char *const *)cells);
        for (int c = 0; c < nc; c++) free(cells[c]);
    }
    table_print(&tb, ctx->out, 3);
    table_free(&tb);
    free(spec);
    return 0;
}

/* --sort-by: order objects by one JSONPath value (numbers numerically). */
static const char *sort_expr;
static int sort_cmp(const void *a, const void *b)
{
    const target *x = a, *y = b;
    json_t **rx = NULL, **ry = NULL;
    size_t nx = 0, ny = 0;
    char err[128];
    jsonpath_find(sort_expr, x->obj, &rx, &nx, err, sizeof err);
    jsonpath_find(sort_expr, y->obj, &ry, &ny, err, sizeof err);
    json_t *vx = nx ? rx[0] : NULL, *vy = ny ? ry[0] : NULL;
    int c;
    if (!vx || !vy) c = (vx != NULL) - (vy != NULL);
    else if (json_is_number(vx) && json_is_number(vy))
        c = json_number_value(vx) < json_number_value(vy) ? -1 : json_number_value(vx) > json_number_value(vy);
    else if (json_is_string(vx) && json_is_string(vy)) c = strcmp(json_string_value(vx), json_string_value(vy));
    else c = 0;
    free(rx);
    free(ry);
    if (!c) c = x->k == y->k ? 0 : (x->k < y->k ? -1 : 1);
    return c;
}

/* Sort within each run of one kind (tables stay grouped by kind); qsort is
 * not stable, so ties fall back on the original position. */
static void sort_targets(targets *t, const char *expr)
{
    sort_expr = expr;
    size_t i = 0;
    while (i < t->n) {
        size_t j = i;
        while (j < t->n && t->v[j].k == t->v[i].k) j++;
        /* insertion sort keeps equal elements in order */
        for (size_t a = i + 1; a < j; a++)
            for (size_t b = a; b > i && sort_cmp(&t->v[b - 1], &t->v[b]) > 0; b--) {
                target tmp = t->v[b]; t->v[b] = t->v[b - 1]; t->v[b - 1] = tmp;
            }
        i = j;
    }
}

/* -o json of a listing: each object's stored text re-printed in place
 * (json_text.h) inside kubectl's List, as print_json prints the List;
 * streamed object by object (an object without text, or one whose text
 * json_text_pretty leaves alone, goes through jansson). */
static int print_json_texts(FILE *out, const targets *t)
{
    json_text_buf b = {0};
    fputs("{\n    \"apiVersion\": \"v1\",\n    \"items\": [", out);
    int rc = 0;
    for (size_t i = 0; i < t->n; i++) {
        b.n = 0;
        json_text_put(&b, i ? ",\n        " : "\n        ");
        if (!t->v[i].body || json_text_pretty(&b, t->v[i].body, 2)) {
            json_t *full = t->v[i].body ? json_loads(t->v[i].body, 0, NULL) : json_incref(t->v[i].obj);
            if (!full || json_text_pretty_value(&b, full, 2)) rc = 1;
            json_decref(full);
        }
        if (b.failed) rc = 1;
        if (b.p) fwrite(b.p, 1, b.n, out);
    }
    fputs(t->n ? "\n    ],\n" : "],\n", out);
    fputs("    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n", out);
    free(b.p);
    return rc;
}

int cmd_get(cmd_ctx *ctx, int argc, char **argv)
{
    get_opts o = {0};
    flag_list files = {0};
    const char *selector = NULL, *field_selector = NULL, *sort_by = NULL;
    bool recursive = false, watch_only = false, chunk = false;
    const flag_spec specs[] = {
        {"output", 'o', FLAG_STR, &o.output, NULL},
        {"namespace", 'n', FLAG_STR, &o.ns, NULL},
        {"all-namespaces", 'A', FLAG_BOOL, &o.all_ns, NULL},
        {"selector", 'l', FLAG_STR, &selector, NULL},
        {"field-selector", 0, FLAG_STR, &field_selector, NULL},
        {"show-labels", 0, FLAG_BOOL, &o.show_labels, NULL},
        {"label-columns", 'L', FLAG_LIST, &o.label_cols, NULL},
        {"no-headers", 0, FLAG_BOOL, &o.no_headers, NULL},
        {"sort-by", 0, FLAG_STR, &sort_by, NULL},
        {"watch", 'w', FLAG_BOOL, &o.watch, NULL},
        {"watch-only", 0, FLAG_BOOL, &watch_only, NULL},
        {"ignore-not-found", 0, FLAG_BOOL, &o.ignore_not_found, NULL},
        {"filename", 'f', FLAG_LIST, &files, NULL},
        {"recursive", 'R', FLAG_BOOL, &recursive, NULL},
        {"chunk-size", 0, FLAG_BOOL, &chunk, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "kubectl get", ctx->err);
    if (prc) {
        if (prc > 0) kubectl_help(ctx->out, "get");
        flags_free(&fr);
        flag_list_free(&files); flag_list_free(&o.label_cols);
        return prc > 0 ? 0 : 1;
    }
    if (o.watch || watch_only) {
        fprintf(ctx->err, "error: --watch is not supported: meshsim answers from its store at once and has no events to stream\n");
        flags_free(&fr);
        flag_list_free(&files); flag_list_free(&o.label_cols);
        return 1;
    }
    if (fr.npos == 0 && files.n == 0) {
        fprintf(ctx->err, "You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\n"
                "error: Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed description of that resource (e.g. kubectl explain pods).\n"
                "See 'kubectl get -h' for help and examples\n");
        flags_free(&fr);
        flag_list_free(&files); flag_list_free(&o.label_cols);
        return 1;
    }
    store *st = cmd_store(ctx);
    if (!st) { flags_free(&fr); flag_list_free(&files); flag_list_free(&o.label_cols); return 1; }
    target_query q = {fr.pos, fr.npos, files.v, files.n, recursive, o.ns ? o.ns : cmd_default_namespace(ctx), o.all_ns,
                      selector, field_selector, ctx->in};
    /* a table needs the stored rows only (and labels for -l, -L, --show-labels) */
    bool rows = (!o.output || !strcmp(o.output, "wide") || !strcmp(o.output, "name")) && !sort_by && !field_selector;
    /* -o json of a listing re-prints the stored texts */
    bool bodies = o.output && !strcmp(o.output, "json") && !sort_by && !field_selector;
    targets t = {0};
    FILE *quiet = o.ignore_not_found ? fopen("/dev/null", "w") : NULL;
    /* kubectl prints what it found first and the errors after it */
    char *ebuf = NULL;
    size_t elen = 0;
    FILE *emem = open_memstream(&ebuf, &elen);
    int errors = rows ? targets_resolve_rows(st, &q, o.show_labels || o.label_cols.n, quiet ? quiet : emem, &t)
               : bodies ? targets_resolve_bodies(st, &q, quiet ? quiet : emem, &t)
               : targets_resolve(st, &q, quiet ? quiet : emem, &t);
    int rc = errors ? 1 : 0;
    if (o.ignore_not_found) rc = 0;
    if (sort_by && t.n > 1) sort_targets(&t, sort_by);
    bool named = fr.npos > 1 || (fr.npos == 1 && strchr(fr.pos[0], '/')) || files.n;
    if (o.output && output_is_structured(o.output)) {
        if (!strcmp(o.output, "name")) {
            for (size_t i = 0; i < t.n; i++) {
                char disp[256];
                fprintf(ctx->out, "%s/%s\n", kind_display(t.v[i].k, disp, sizeof disp), obj_name(t.v[i].obj));
            }
        } else if (t.n == 1 && named && !errors) {
            rc |= output_object(ctx->out, ctx->err, o.output, t.v[0].obj);
        } else if (bodies && (t.n || !named)) {
            rc |= print_json_texts(ctx->out, &t);
        } else if (t.n || !named) {
            json_t *items = json_array();
            for (size_t i = 0; i < t.n; i++) json_array_append(items, t.v[i].obj);
            json_t *list = output_list(items);
            rc |= output_object(ctx->out, ctx->err, o.output, list);
            json_decref(list);
            json_decref(items);
        }
    } else if (o.output && !strncmp(o.output, "custom-columns", 14)) {
        if (t.n) rc |= print_custom(ctx, &o, &t);
        else if (!errors && !named) fprintf(ctx->err, "No resources found in %s namespace.\n", q.ns);
    } else if (o.output && strcmp(o.output, "wide")) {
        rc |= output_object(ctx->out, ctx->err, o.output, NULL);
    } else if (t.n) {
        print_tables(ctx, &o, &t);
    } else if (!errors && !named) {
        const kind_info *k = fr.npos ? kind_lookup(fr.pos[0]) : NULL;
        if ((k && !k->namespaced) || o.all_ns) fprintf(ctx->err, "No resources found\n");
        else fprintf(ctx->err, "No resources found in %s namespace.\n", q.ns);
    }
    if (quiet) fclose(quiet);
    fclose(emem);
    fflush(ctx->out);
    fwrite(ebuf, 1, elen, ctx->err);
    free(ebuf);
    targets_free(&t);
    flags_free(&fr);
    flag_list_free(&files); flag_list_free(&o.label_cols);
    flag_list_free(&o.label_cols);
    return cmd_finish(ctx, rc);
}
