/* kubectl get. */
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "cmd/columns.h"
#include "cmd/flags.h"
#include "cmd/output.h"
#include "cmd/targets.h"
#include "model/obj.h"
#include "model/printer.h"

typedef struct get_opts {
    const char *output;
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
        int extra = (o->all_ns && k->namespaced ? 1 : 0), nc = cols.n + extra + (o->show_labels ? 1 : 0);
        table tb;
        table_init(&tb, (size_t)nc);
        const char *hdr[COLUMNS_MAX + 2];
        int c = 0;
        if (extra) hdr[c++] = "NAMESPACE";
        for (int x = 0; x < cols.n; x++) hdr[c++] = cols.header[x];
        if (o->show_labels) hdr[c++] = "LABELS";
        if (!o->no_headers) table_add(&tb, hdr);
        for (size_t r = i; r < j; r++) {
            char *cells[COLUMNS_MAX + 2] = {0};
            char *row[COLUMNS_MAX];
            columns_row(k, wide, t->v[r].obj, row);
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
            if (o->show_labels) cells[c++] = labels_text(t->v[r].obj);
            table_add(&tb, (const char *const *)cells);
            for (int x = 0; x < c; x++) free(cells[x]);
        }
        if (printed++) fputc('\n', ctx->out);
        table_print(&tb, ctx->out, 3);
        table_free(&tb);
        i = j;
    }
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
        if (prc > 0) fprintf(ctx->out, "Display one or many resources.\n\nUsage:\n  kubectl get [(-o|--output=)json|yaml|name|go-template|go-template-file|template|templatefile|jsonpath|jsonpath-as-json|jsonpath-file|custom-columns|custom-columns-file|wide] (TYPE[.VERSION][.GROUP] [NAME | -l label] | TYPE[.VERSION][.GROUP]/NAME ...) [flags] [options]\n");
        flags_free(&fr);
        flag_list_free(&files);
        return prc > 0 ? 0 : 1;
    }
    if (o.watch || watch_only) {
        fprintf(ctx->err, "error: --watch is not supported: meshsim answers from its store at once and has no events to stream\n");
        flags_free(&fr);
        flag_list_free(&files);
        return 1;
    }
    if (fr.npos == 0 && files.n == 0) {
        fprintf(ctx->err, "You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\n"
                "error: Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed description of that resource (e.g. kubectl explain pods).\n"
                "See 'kubectl get -h' for help and examples\n");
        flags_free(&fr);
        flag_list_free(&files);
        return 1;
    }
    store *st = cmd_store(ctx);
    if (!st) { flags_free(&fr); flag_list_free(&files); return 1; }
    target_query q = {fr.pos, fr.npos, files.v, files.n, recursive, o.ns ? o.ns : "default", o.all_ns,
                      selector, field_selector, ctx->in};
    targets t = {0};
    FILE *quiet = o.ignore_not_found ? fopen("/dev/null", "w") : NULL;
    int errors = targets_resolve(st, &q, quiet ? quiet : ctx->err, &t);
    int rc = errors ? 1 : 0;
    if (o.ignore_not_found) rc = 0;
    bool named = fr.npos > 1 || (fr.npos == 1 && strchr(fr.pos[0], '/')) || files.n;
    if (o.output && output_is_structured(o.output)) {
        if (!strcmp(o.output, "name")) {
            for (size_t i = 0; i < t.n; i++) {
                char disp[256];
                fprintf(ctx->out, "%s/%s\n", kind_display(t.v[i].k, disp, sizeof disp), obj_name(t.v[i].obj));
            }
        } else if (t.n == 1 && named && !errors) {
            rc |= output_object(ctx->out, ctx->err, o.output, t.v[0].obj);
        } else if (t.n || !named) {
            json_t *items = json_array();
            for (size_t i = 0; i < t.n; i++) json_array_append(items, t.v[i].obj);
            json_t *list = output_list(items);
            rc |= output_object(ctx->out, ctx->err, o.output, list);
            json_decref(list);
            json_decref(items);
        }
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
    targets_free(&t);
    flags_free(&fr);
    flag_list_free(&files);
    return cmd_finish(ctx, rc);
}
