/* The pods of one template as texts (see cluster.h).  A ReplicaSet's pods
 * differ in a few values only: one pod built with placeholders for them,
 * serialised and encoded as any pod, gives every pod's stored texts by
 * filling the values in.  Building, serialising and encoding the objects
 * of 3 000 pods was two thirds of applying 1 000 Deployments. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/columns.h"
#include "model/json_text.h"
#include "model/obj.h"

/* A text cut at its placeholders: literal pieces, each followed by the
 * code of a placeholder (0 after the last piece). */
typedef struct seg { size_t off, len; char code; } seg;
typedef struct form {
    char *text;
    seg *segs;
    size_t nsegs;
    size_t spec_at;   /* the segment the spec's placeholder ends (nsegs: none) */
} form;

/* The forms of a template's pods, shared by the ReplicaSets made from it
 * (cluster_template_forms_new). */
struct cluster_template_forms {
    form body, row;
    _Atomic int refs;         /* (dropped on either of the controller's threads) */
};

struct cluster_pod_forms {
    const kind_info *k;
    char *ns, *base;          /* the pods' namespace, their names' part before the suffix */
    form own_body, own_row;   /* (from_texts) */
    const form *body, *row;   /* those, or the template's */
    cluster_template_forms *tmpl;
    char *tvals[3];           /* the template's values: Deployment, hash, owner uid */
    char *spec_text;          /* what fills the spec's placeholder (the view's objects get "null") */
    char *labels;             /* the labels' text (NULL: none) */
    json_t *spec;             /* the spec the pods share (NULL: parsed from spec_text when needed) */
    size_t nids;
    long long sec;            /* the second started names */
    char started[32];
    int refs;
};

/* Each pod's values (a lazy object of the view holds them). */
typedef struct pod_values {
    cluster_pod_forms *f;
    char suffix[CLUSTER_POD_SUFFIX_LEN + 1], started[32], ip[32];
    api_stamp stamp;
    char ids[][33];
} pod_values;

static const char id_codes[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static bool known_code(char c, size_t nids, bool tmpl)
{
    if (c && strchr("NUCRSIP", c)) return true;
    if (tmpl && c && strchr(CLUSTER_TEMPLATE_CODES, c)) return true;
    const char *p = c ? strchr(id_codes, c) : NULL;
    return p && (size_t)(p - id_codes) < nids;
}

/* 0 with text (malloc'd) taken, or -1 when text has a placeholder that is
 * none of ours (or memory ran out); tmpl: the template's are ours. */
static int form_compile(form *f, char *text, size_t nids, bool tmpl)
{
    memset(f, 0, sizeof *f);
    size_t n = 1;
    for (const char *p = strchr(text, CLUSTER_POD_TOKEN); p; p = strchr(p + 1, CLUSTER_POD_TOKEN)) {
        if (!known_code(p[1], nids, tmpl)) return -1;
        n++;
    }
    f->spec_at = n;
    f->segs = malloc(n * sizeof *f->segs);
    if (!f->segs) return -1;
    f->text = text;
    const char *start = text;
    for (const char *p = strchr(text, CLUSTER_POD_TOKEN);; p = strchr(start, CLUSTER_POD_TOKEN)) {
        seg *s = &f->segs[f->nsegs++];
        s->off = (size_t)(start - text);
        s->len = p ? (size_t)(p - start) : strlen(start);
        s->code = p ? p[1] : 0;
        if (s->code == 'P' && f->spec_at == n) f->spec_at = f->nsegs - 1;
        if (!p) break;
        start = p + 2;
    }
    return 0;
}

static void form_free(form *f)
{
    free(f->text);
    free(f->segs);
}

static const char *value_of(const pod_values *v, char code, bool bare)
{
    switch (code) {
    case 'P': return bare ? "null" : v->f->spec_text;
    case 'N': return v->suffix;
    case 'U': return v->stamp.uid;
    case 'C': return v->stamp.created;
    case 'R': return v->stamp.rv;
    case 'S': return v->started;
    case 'I': return v->ip;
    case 'D': return v->f->tvals[0];
    case 'H': return v->f->tvals[1];
    case 'O': return v->f->tvals[2];
    default: return v->ids[strchr(id_codes, code) - id_codes];
    }
}

/* The text of f's segments [from, to) with v's values in (malloc'd);
 * bare: the spec as null; stop: the code whose value is left out at the
 * end (0: none). */
static char *form_fill_range(const form *f, size_t from, size_t to, const pod_values *v, bool bare, char stop)
{
    size_t lens[f->nsegs], total = 0;
    for (size_t i = from; i < to; i++) {
        lens[i] = f->segs[i].code && f->segs[i].code != stop ? strlen(value_of(v, f->segs[i].code, bare)) : 0;
        total += f->segs[i].len + lens[i];
    }
    char *out = malloc(total + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = from; i < to; i++) {
        memcpy(o, f->text + f->segs[i].off, f->segs[i].len);
        o += f->segs[i].len;
        memcpy(o, lens[i] ? value_of(v, f->segs[i].code, bare) : "", lens[i]);
        o += lens[i];
    }
    *o = 0;
    return out;
}

/* The text of f with v's values in (malloc'd); bare: the spec as null. */
static char *form_fill(const form *f, const pod_values *v, bool bare)
{
    return form_fill_range(f, 0, f->nsegs, v, bare, 0);
}

/* The pod's body around its spec: *head up to it, *tail after it (NULL
 * tail: no spec placeholder, head is the whole body).  false when out of
 * memory. */
static bool body_parts(const form *f, const pod_values *v, char **head, char **tail)
{
    if (f->spec_at == f->nsegs) {
        *tail = NULL;
        return (*head = form_fill(f, v, false)) != NULL;
    }
    *head = form_fill_range(f, 0, f->spec_at + 1, v, false, 'P');
    *tail = form_fill_range(f, f->spec_at + 1, f->nsegs, v, false, 0);
    return *head && *tail;
}

/* body's and row's forms: body_text (malloc'd) and a copy of row_text
 * taken; 0, or -1 with nothing kept (tmpl as form_compile). */
static int forms_compile(form *body, form *row, char *body_text, const char *row_text, size_t nids, bool tmpl)
{
    char *copy = nids <= sizeof id_codes - 1 ? strdup(row_text) : NULL;
    if (!copy || form_compile(row, copy, nids, tmpl)) {
        free(copy);
        return -1;
    }
    if (form_compile(body, body_text, nids, tmpl)) {
        form_free(row);
        memset(row, 0, sizeof *row);
        return -1;
    }
    return 0;
}

/* Forms with what every pod of one ReplicaSet shares: their namespace,
 * their names' base, the labels' text (NULL: none); NULL when out of memory. */
static cluster_pod_forms *forms_alloc(const kind_info *k, const char *ns, const char *base, const char *labels,
                                      size_t nids)
{
    cluster_pod_forms *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->refs = 1;
    f->k = k;
    f->nids = nids;
    f->ns = strdup(ns);
    f->base = strdup(base);
    f->labels = labels ? strdup(labels) : NULL;
    if (!f->ns || !f->base || (labels && !f->labels)) {
        cluster_pod_forms_free(f);
        return NULL;
    }
    return f;
}

/* The forms from the texts alone: the pods' namespace, their names' base,
 * body (malloc'd, taken on success), listing row and labels' text (NULL:
 * none), spec_text (taken on success). */
static cluster_pod_forms *forms_from_texts(const kind_info *k, const char *ns, const char *base, char *body,
                                           const char *row, const char *labels, char *spec_text, size_t nids)
{
    if (!spec_text) return NULL;
    cluster_pod_forms *f = forms_alloc(k, ns, base, labels, nids);
    if (!f) return NULL;
    if (forms_compile(&f->own_body, &f->own_row, body, row, nids, false)) {
        cluster_pod_forms_free(f);
        return NULL;
    }
    f->body = &f->own_body;
    f->row = &f->own_row;
    f->spec_text = spec_text;
    return f;
}

cluster_template_forms *cluster_template_forms_new(char *body, const char *row, size_t nids)
{
    cluster_template_forms *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    if (forms_compile(&t->body, &t->row, body, row, nids, true)) {
        free(t);
        return NULL;
    }
    atomic_init(&t->refs, 1);
    return t;
}

void cluster_template_forms_free(cluster_template_forms *t)
{
    if (!t || atomic_fetch_sub(&t->refs, 1) > 1) return;
    form_free(&t->body);
    form_free(&t->row);
    free(t);
}

cluster_pod_forms *cluster_pod_forms_from_template(const kind_info *k, const char *ns, const char *base,
                                                   cluster_template_forms *t, const char *const vals[3],
                                                   const char *labels, char *spec_text, size_t nids)
{
    if (!spec_text) return NULL;
    cluster_pod_forms *f = forms_alloc(k, ns, base, labels, nids);
    if (!f) return NULL;
    for (int i = 0; i < 3; i++) f->tvals[i] = strdup(vals[i]);
    if (!f->tvals[0] || !f->tvals[1] || !f->tvals[2]) {
        cluster_pod_forms_free(f);
        return NULL;
    }
    atomic_fetch_add(&t->refs, 1);
    f->tmpl = t;
    f->body = &t->body;
    f->row = &t->row;
    f->spec_text = spec_text;
    return f;
}

cluster_pod_forms *cluster_pod_forms_new(const kind_info *k, json_t *pod, char *body, json_t *spec,
                                         char *spec_text, size_t nids)
{
    const char *name = obj_name(pod);
    size_t nlen = strlen(name);
    if (nlen < 2 || strcmp(name + nlen - 2, CLUSTER_POD_TOKEN_SUFFIX)) return NULL;
    char *base = strndup(name, nlen - 2), *row = columns_encode(k, pod), *labels_text = NULL;
    json_t *labels = obj_labels(pod);
    bool has_labels = labels && json_object_size(labels);
    if (has_labels) labels_text = json_text_compact(labels, false);
    cluster_pod_forms *f = base && row && (!has_labels || labels_text)
        ? forms_from_texts(k, obj_namespace(pod), base, body, row, labels_text, spec_text, nids) : NULL;
    if (f) f->spec = json_incref(spec);
    free(base);
    free(row);
    free(labels_text);
    return f;
}

void cluster_pod_forms_free(cluster_pod_forms *f)
{
    if (!f || --f->refs > 0) return;
    form_free(&f->own_body);
    form_free(&f->own_row);
    cluster_template_forms_free(f->tmpl);
    for (int i = 0; i < 3; i++) free(f->tvals[i]);
    free(f->spec_text);
    free(f->labels);
    free(f->ns);
    free(f->base);
    json_decref(f->spec);
    free(f);
}

/* The view's object of a pod: its text parsed, with the shared spec. */
static json_t *make_pod(void *ctx)
{
    pod_values *v = ctx;
    cluster_pod_forms *f = v->f;
    char *text = form_fill(f->body, v, true);
    json_t *pod = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (pod && !f->spec) f->spec = json_loads(f->spec_text, 0, NULL);
    if (pod) json_object_set(pod, "spec", f->spec ? f->spec : json_null());
    return pod;
}

static void drop_values(void *ctx)
{
    pod_values *v = ctx;
    cluster_pod_forms_free(v->f);
    free(v);
}

int cluster_pod_forms_create(cluster_cache *c, cluster_pod_forms *f, const char *ip)
{
    pod_values *v = calloc(1, sizeof *v + f->nids * sizeof v->ids[0]);
    if (!v) return -1;
    char name[600];
    if (cluster_pod_name(c, f->k, f->ns, f->base, v->suffix, name, sizeof name)) {
        free(v);
        return -1;
    }
    /* the kubelet starts it (cluster_pod_status_kit), then the API server stamps it */
    long long now = time_now_ms() / 1000;
    if (now != f->sec) {
        time_rfc3339(f->started, sizeof f->started, now);
        f->sec = now;
    }
    memcpy(v->started, f->started, sizeof v->started);
    for (size_t i = 0; i < f->nids; i++) cluster_random_suffix(v->ids[i], 32);
    api_stamp_draw(ccache_store(c), &v->stamp);
    snprintf(v->ip, sizeof v->ip, "%s", ip);
    v->f = f;
    f->refs++;
    /* the spec (the pods' longest part) is given apart, for the store to keep once */
    char *head, *tail, *row = form_fill(f->row, v, false);
    bool parts = body_parts(f->body, v, &head, &tail);
    ccache_lazy lazy = {make_pod, drop_values, v};
    int rc = parts && row ? ccache_create_prepared(c, f->k, f->ns, name, head, tail ? f->spec_text : NULL, tail, row,
                                                   f->labels, &lazy)
                          : (drop_values(v), -1);
    free(head);
    free(tail);
    free(row);
    return rc;
}

void cluster_pod_token_id(size_t i, char out[33])
{
    out[0] = CLUSTER_POD_TOKEN;
    out[1] = i < sizeof id_codes - 1 ? id_codes[i] : '?';
    out[2] = 0;
}
