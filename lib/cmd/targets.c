/* Resolving what a kubectl command names into stored objects. */
#include <stdlib.h>
#include <string.h>
#include "cmd/targets.h"
#include "model/api.h"
#include "model/loader.h"
#include "model/obj.h"
#include "model/selector.h"

static void add(targets *t, const kind_info *k, json_t *obj)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->v = realloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n++] = (target){k, obj, NULL, NULL};
}

static bool field_selector_matches(const char *fs, json_t *obj);

typedef enum { WANT_OBJECTS, WANT_ROWS, WANT_ROWS_LABELS, WANT_BODIES } want;

typedef struct row_ctx {
    want w;
    const target_query *q;
    const kind_info *k;
    selector *sel;
    targets *out;
} row_ctx;

static int add_row(void *data, const store_row *r)
{
    row_ctx *c = data;
    json_t *o;
    if (c->w == WANT_BODIES && r->body && !c->sel && !c->q->field_selector) {
        /* -o json re-prints the text: no object is made (a listing of
         * thousands spent a third of its time making and freeing them) */
        add(c->out, c->k, NULL);
        c->out->v[c->out->n - 1].body = strdup(r->body);
        return 0;
    }
    if (!r->row) {
        /* written without its row (and labels): the object itself */
        o = r->body ? json_loads(r->body, 0, NULL) : NULL;
        if (!o) return 0;
    } else {
        json_t *md = json_object();
        json_object_set_new(md, "name", json_string(r->name));
        if (*r->ns) json_object_set_new(md, "namespace", json_string(r->ns));
        if (r->labels && (c->w == WANT_ROWS_LABELS || c->sel)) {
            json_t *l = json_loads(r->labels, 0, NULL);
            if (l) json_object_set_new(md, "labels", l);
        }
        o = json_object();
        json_object_set_new(o, "metadata", md);
    }
    if ((c->sel && !selector_matches(c->sel, obj_labels(o))) || !field_selector_matches(c->q->field_selector, o)) {
        json_decref(o);
        return 0;
    }
    add(c->out, c->k, o);
    if (c->w == WANT_BODIES) c->out->v[c->out->n - 1].body = strdup(r->body);
    else if (r->row) c->out->v[c->out->n - 1].row = strdup(r->row);
    return 0;
}

/* metadata.name=x, metadata.namespace=y, status.phase=Running (==, != too). */
static bool field_selector_matches(const char *fs, json_t *obj)
{
    if (!fs || !*fs) return true;
    char *copy = strdup(fs), *save = NULL;
    bool ok = true;
    for (char *term = strtok_r(copy, ",", &save); term && ok; term = strtok_r(NULL, ",", &save)) {
        bool neg = false;
        char *op = strstr(term, "!=");
        if (op) { neg = true; *op = 0; op += 2; }
        else if ((op = strstr(term, "=="))) { *op = 0; op += 2; }
        else if ((op = strchr(term, '='))) { *op = 0; op += 1; }
        else { ok = false; break; }
        const char *have = obj_str_or(obj, term, "");
        bool eq = !strcmp(have, op);
        ok = neg ? !eq : eq;
    }
    free(copy);
    return ok;
}

static int list_kind(store *st, const target_query *q, want w, const kind_info *k, selector *sel, targets *out)
{
    if (w != WANT_OBJECTS) {
        row_ctx c = {w, q, k, sel, out};
        return store_each_row(st, k->resource, (q->all_ns || !k->namespaced) ? NULL : q->ns, w == WANT_BODIES,
                              add_row, &c);
    }
    json_t *all = api_list(st, k, (q->all_ns || !k->namespaced) ? NULL : q->ns);
    size_t i;
    json_t *o;
    json_array_foreach(all, i, o) {
        if (sel && !selector_matches(sel, obj_labels(o))) continue;
        if (!field_selector_matches(q->field_selector, o)) continue;
        add(out, k, json_incref(o));
    }
    json_decref(all);
    return 0;
}

static int get_named(store *st, const target_query *q, const kind_info *k, const char *name, FILE *err,
                     targets *out)
{
    json_t *o = api_get(st, k, q->ns, name);
    if (!o) {
        fprintf(err, "Error from server (NotFound): %s \"%s\" not found\n", k->resource, name);
        return 1;
    }
    add(out, k, o);
    return 0;
}

static const kind_info *lookup_or_complain(const char *name, FILE *err)
{
    const kind_info *k = kind_lookup(name);
    if (!k) fprintf(err, "error: the server doesn't have a resource type \"%s\"\n", name);
    return k;
}

/* "all" expands to the kinds in the "all" category. */
static int expand_kinds(const char *spec, const kind_info **kinds, int max, FILE *err)
{
    int n = 0;
    char *copy = strdup(spec), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "all")) {
            for (const kind_info *k = kinds_table; k->kind && n < max; k++)
                if (strstr(k->categories, "all")) kinds[n++] = k;
            continue;
        }
        const kind_info *k = lookup_or_complain(t, err);
        if (!k) { free(copy); return -1; }
        if (n < max) kinds[n++] = k;
    }
    free(copy);
    return n;
}

static int resolve(store *st, const target_query *q, want w, FILE *err, targets *out)
{
    int errors = 0;
    selector *sel = NULL;
    if (q->selector) {
        char msg[512];
        sel = selector_parse(q->selector, msg, sizeof msg);
        if (!sel) {
            fprintf(err, "error: %s\n", msg);
            return 1;
        }
    }
    for (int f = 0; f < q->nfiles; f++) {
        loaded_docs docs = {0};
        char msg[2048];
        int lrc = loader_load_path(&docs, q->files[f], q->recursive, q->in, msg, sizeof msg);
        for (size_t i = 0; i < docs.n; i++) {
            json_t *d = docs.docs[i].obj;
            bool ok;
            const kind_info *k = kind_for_object(obj_api_version(d), obj_kind(d), &ok);
            if (!k) {
                fprintf(err, "error: resource mapping not found for name: \"%s\" namespace: \"%s\" from \"%s\": "
                        "no matches for kind \"%s\" in version \"%s\"\nensure CRDs are installed first\n",
                        obj_name(d), obj_namespace(d), docs.docs[i].source, obj_kind(d), obj_api_version(d));
                errors++;
                continue;
            }
            target_query one = *q;
            if (k->namespaced && *obj_namespace(d)) one.ns = obj_namespace(d);
            errors += get_named(st, &one, k, obj_name(d), err, out);
            out->kinds_requested++;
        }
        if (lrc) { fprintf(err, "error: %s\n", msg); errors++; }
        loaded_docs_free(&docs);
    }
    if (q->nfiles) { selector_free(sel); return errors; }

    if (q->nargs == 0) {
        selector_free(sel);
        return 0;
    }
    /* KIND/NAME form: every argument has a slash */
    if (strchr(q->args[0], '/')) {
        for (int i = 0; i < q->nargs; i++) {
            const char *slash = strchr(q->args[i], '/');
            if (!slash) {
                fprintf(err, "error: there is no need to specify a resource type as a separate argument when passing "
                        "arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of "
                        "'kubectl get resource resource/<resource_name>'\n");
                errors++;
                break;
            }
            char kind[256];
            snprintf(kind, sizeof kind, "%.*s", (int)(slash - q->args[i]), q->args[i]);
            const kind_info *k = lookup_or_complain(kind, err);
            if (!k) { errors++; continue; }
            errors += get_named(st, q, k, slash + 1, err, out);
        }
        out->kinds_requested = 2;   /* resource/name output names the kind */
        selector_free(sel);
        return errors;
    }
    const kind_info *kinds[64];
    int nk = expand_kinds(q->args[0], kinds, 64, err);
    if (nk < 0) { selector_free(sel); return 1; }
    out->kinds_requested = nk;
    for (int i = 0; i < nk; i++) {
        if (q->nargs > 1) {
            for (int a = 1; a < q->nargs; a++) errors += get_named(st, q, kinds[i], q->args[a], err, out);
        } else {
            list_kind(st, q, w, kinds[i], sel, out);
        }
    }
    selector_free(sel);
    return errors;
}

int targets_resolve(store *st, const target_query *q, FILE *err, targets *out)
{
    return resolve(st, q, WANT_OBJECTS, err, out);
}

int targets_resolve_rows(store *st, const target_query *q, bool labels, FILE *err, targets *out)
{
    return resolve(st, q, labels ? WANT_ROWS_LABELS : WANT_ROWS, err, out);
}

int targets_resolve_bodies(store *st, const target_query *q, FILE *err, targets *out)
{
    return resolve(st, q, WANT_BODIES, err, out);
}

int targets_from_files(const target_query *q, FILE *err, targets *out)
{
    int errors = 0;
    for (int f = 0; f < q->nfiles; f++) {
        loaded_docs docs = {0};
        char msg[2048];
        int lrc = loader_load_path(&docs, q->files[f], q->recursive, q->in, msg, sizeof msg);
        for (size_t i = 0; i < docs.n; i++) {
            json_t *d = docs.docs[i].obj;
            bool ok;
            const kind_info *k = kind_for_object(obj_api_version(d), obj_kind(d), &ok);
            if (!k) {
                fprintf(err, "error: resource mapping not found for name: \"%s\" namespace: \"%s\" from \"%s\": "
                        "no matches for kind \"%s\" in version \"%s\"\nensure CRDs are installed first\n",
                        obj_name(d), obj_namespace(d), docs.docs[i].source, obj_kind(d), obj_api_version(d));
                errors++;
                continue;
            }
            add(out, k, json_incref(d));
            out->kinds_requested++;
        }
        if (lrc) { fprintf(err, "error: %s\n", msg); errors++; }
        loaded_docs_free(&docs);
    }
    return errors;
}

void targets_free(targets *t)
{
    for (size_t i = 0; i < t->n; i++) {
        json_decref(t->v[i].obj);
        free(t->v[i].row);
        free(t->v[i].body);
    }
    free(t->v);
    memset(t, 0, sizeof *t);
}
