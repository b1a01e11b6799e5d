/* The controllers' view of the store during one reconcile.  Each resource
 * is listed (parsed) once, the first time a controller asks for it; what
 * the controllers write goes through here to the API write path and into
 * the view, so the next round reads memory instead of parsing the whole
 * store again (1 000 Deployments made every round parse 3 000 pods). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/json_text.h"
#include "model/obj.h"

#define MAX_RESOURCES 64   /* more than kinds_table has */

/* An object of the view not made yet (see ccache_create_prepared): in
 * by_key as an integer holding its address (stored objects are JSON
 * objects, so the two never mix). */
typedef struct lazy_obj {
    ccache_lazy how;
    bool dropped;
    struct lazy_obj *next;
} lazy_obj;

typedef struct {
    const kind_info *k;
    json_t *by_key;    /* "ns\x1fname" -> stored object (the view's reference), or a lazy_obj */
    json_t *sorted;    /* the same objects ordered as store_list orders them; NULL = stale */
    json_t *pending;   /* "ns\x1fname" -> an object written in this reconcile, not stored yet */
    json_t *created;   /* the keys of pending objects the store does not hold: "ns\x1fname" -> true */
} resource_view;

struct cluster_cache {
    store *st;
    const istio_release *rel;
    resource_view res[MAX_RESOURCES];
    int nres;
    json_t *memo;
    json_t *written;   /* resource -> key -> object as the command stored it (cluster_written_add) */
    /* write bookkeeping: a sequence number per write, the last write of
     * each kind and the last delete of any kind */
    long long seq, last_delete;
    /* seq: any write of the kind; spec_seq: any but those of ccache_write_status_if_changed */
    struct { const kind_info *k; long long seq, spec_seq; } last_write[MAX_RESOURCES];
    int nlast;
    bool again;
    bool behind;        /* the store writes behind: ccache_write_behind turned it on */
    bool status_only;   /* the write being made changes the status only */
    lazy_obj *lazies;   /* every one made, dropped when the view goes */
    int npending;       /* views with pending objects (see ccache_flush) */
};

static void wrote(cluster_cache *c, const kind_info *k, bool deleted)
{
    c->seq++;
    if (deleted) c->last_delete = c->seq;
    int i = 0;
    while (i < c->nlast && c->last_write[i].k != k) i++;
    if (i == c->nlast) {
        if (c->nlast == MAX_RESOURCES) return;
        c->last_write[c->nlast].k = k;
        c->last_write[c->nlast++].spec_seq = 0;
    }
    c->last_write[i].seq = c->seq;
    if (!c->status_only) c->last_write[i].spec_seq = c->seq;
}

long long ccache_seq(cluster_cache *c) { return c->seq; }
long long ccache_last_delete(cluster_cache *c) { return c->last_delete; }
long long ccache_last_write(cluster_cache *c, const kind_info *k)
{
    for (int i = 0; i < c->nlast; i++)
        if (c->last_write[i].k == k) return c->last_write[i].seq;
    return 0;
}
long long ccache_last_spec_write(cluster_cache *c, const kind_info *k)
{
    for (int i = 0; i < c->nlast; i++)
        if (c->last_write[i].k == k) return c->last_write[i].spec_seq;
    return 0;
}
void ccache_again(cluster_cache *c) { c->again = true; }
bool ccache_take_again(cluster_cache *c)
{
    bool a = c->again;
    c->again = false;
    return a;
}

cluster_cache *ccache_new(store *st, const istio_release *rel)
{
    cluster_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->st = st;
    c->rel = rel;
    c->memo = json_object();
    return c;
}

static void drop_views(cluster_cache *c)
{
    for (int i = 0; i < c->nres; i++) {
        json_decref(c->res[i].by_key);
        json_decref(c->res[i].sorted);
        json_decref(c->res[i].pending);
        json_decref(c->res[i].created);
    }
    c->nres = 0;
}

static void lazy_drop(lazy_obj *l)
{
    if (l->dropped) return;
    l->dropped = true;
    if (l->how.drop) l->how.drop(l->how.ctx);
}

void ccache_free(cluster_cache *c)
{
    if (!c) return;
    drop_views(c);
    while (c->lazies) {
        lazy_obj *l = c->lazies;
        c->lazies = l->next;
        lazy_drop(l);
        free(l);
    }
    json_decref(c->memo);
    json_decref(c->written);
    free(c);
}

void ccache_written(cluster_cache *c, json_t *written)
{
    json_decref(c->written);
    c->written = json_incref(written);
}

void ccache_write_behind(cluster_cache *c)
{
    if (c->behind || store_writing_behind(c->st)) return;
    store_write_behind(c->st, true);
    c->behind = store_writing_behind(c->st);
}

int ccache_write_behind_done(cluster_cache *c)
{
    if (!c->behind) return 0;
    c->behind = false;
    return store_write_behind(c->st, false);
}

store *ccache_store(cluster_cache *c) { return c->st; }
json_t *ccache_memo(cluster_cache *c) { return c->memo; }
const istio_release *ccache_release(cluster_cache *c) { return c->rel; }

static void key_of(char *buf, size_t len, const char *ns, const char *name)
{
    size_t n = strlen(ns);
    if (n + 2 > len) n = len - 2;
    memcpy(buf, ns, n);
    buf[n] = '\x1f';
    size_t m = strlen(name);
    if (n + 1 + m + 1 > len) m = len - n - 2;
    memcpy(buf + n + 1, name, m);
    buf[n + 1 + m] = 0;
}

void cluster_written_add(json_t *written, const kind_info *k, json_t *obj)
{
    json_t *of = json_object_get(written, k->resource);
    if (!of && json_object_set_new(written, k->resource, of = json_object())) return;
    char key[1024];
    key_of(key, sizeof key, k->namespaced ? obj_namespace(obj) : "", obj_name(obj));
    json_object_set(of, key, obj);
}

/* Whether body is the text of obj as stored: the same resourceVersion
 * (each write draws a new one). */
static bool stored_as(json_t *obj, const char *body)
{
    const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    if (!rv) return false;
    char field[64];
    int n = snprintf(field, sizeof field, "\"resourceVersion\":\"%s\"", rv);
    return n > 0 && n < (int)sizeof field && strstr(body, field);
}

static resource_view *find_view(cluster_cache *c, const kind_info *k)
{
    for (int i = 0; i < c->nres; i++)
        if (c->res[i].k == k) return &c->res[i];
    return NULL;
}

/* The object of the view at key, made now when it was lazy (val is what
 * by_key holds there); NULL when absent or when it cannot be made. */
static json_t *made(resource_view *v, const char *key, json_t *val)
{
    if (!json_is_integer(val)) return val;
    lazy_obj *l = (lazy_obj *)(intptr_t)json_integer_value(val);
    json_t *o = l->how.make(l->how.ctx);
    lazy_drop(l);
    if (!o) {
        json_object_del(v->by_key, key);
        return NULL;
    }
    json_object_set_new(v->by_key, key, o);
    return o;
}

/* Make every lazy object of v whose key starts with prefix. */
static void make_all(resource_view *v, const char *prefix)
{
    size_t plen = strlen(prefix), n = 0, i = 0;
    const char *key;
    json_t *o;
    json_object_foreach(v->by_key, key, o)
        if (json_is_integer(o) && !strncmp(key, prefix, plen)) n++;
    if (!n) return;
    char **keys = malloc(n * sizeof *keys);
    if (!keys) return;
    json_object_foreach(v->by_key, key, o)
        if (json_is_integer(o) && !strncmp(key, prefix, plen) && i < n) keys[i++] = strdup(key);
    for (i = 0; i < n; i++) {
        if (keys[i]) made(v, keys[i], json_object_get(v->by_key, keys[i]));
        free(keys[i]);
    }
    free(keys);
}

/* api_list of every namespace, the texts parsed on two threads (a listing
 * of 1 000 Deployments was a tenth of reconciling them); objects the
 * command stored are taken as they are. */
typedef struct texts {
    char **v;           /* a text to parse, or NULL: the object is known */
    json_t **parsed;    /* the known objects, then the parsed ones */
    size_t n, cap;
    json_t *known;      /* key -> object as stored (cluster_written_add), or NULL */
    bool namespaced;
} texts;

static int collect_text(void *ctx, const store_row *r)
{
    texts *t = ctx;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **v = realloc(t->v, cap * sizeof *v);
        json_t **parsed = v ? realloc(t->parsed, (cap + 1) * sizeof *parsed) : NULL;
        if (v) t->v = v;
        if (!parsed) return -1;
        t->parsed = parsed;
        t->cap = cap;
    }
    if (!r->body) return -1;
    json_t *obj = NULL;
    if (t->known) {
        char key[1024];
        key_of(key, sizeof key, t->namespaced ? r->ns : "", r->name);
        obj = json_object_get(t->known, key);
    }
    if (obj && stored_as(obj, r->body)) {
        t->v[t->n] = NULL;
        t->parsed[t->n] = json_incref(obj);
    } else {
        t->parsed[t->n] = NULL;
        if (!(t->v[t->n] = strdup(r->body))) return -1;
    }
    t->n++;
    return 0;
}

static void parse_text(void *ctx, size_t i)
{
    texts *t = ctx;
    if (!t->v[i]) return;
    t->parsed[i] = json_loads(t->v[i], 0, NULL);
    free(t->v[i]);
}

#define PARSE_APART 64   /* fewer objects are parsed on this thread only */

static json_t *listing(cluster_cache *c, const kind_info *k)
{
    store *st = c->st;
    texts t = {.known = json_object_get(c->written, k->resource), .namespaced = k->namespaced};
    json_t *list = json_array();
    if (store_each_row(st, k->resource, NULL, true, collect_text, &t)) {
        for (size_t i = 0; i < t.n; i++) {
            free(t.v[i]);
            json_decref(t.parsed[i]);
        }
        free(t.v);
        free(t.parsed);
        json_decref(list);
        return api_list(st, k, NULL);
    }
    cluster_parallel(t.n, PARSE_APART, parse_text, &t);
    for (size_t i = 0; i < t.n; i++)
        if (t.parsed[i]) json_array_append_new(list, t.parsed[i]);
    free(t.parsed);
    free(t.v);
    return list;
}

/* The view of k, listing the store the first time; NULL when full. */
static resource_view *view(cluster_cache *c, const kind_info *k)
{
    resource_view *v = find_view(c, k);
    if (v || c->nres == MAX_RESOURCES) return v;
    v = &c->res[c->nres++];
    v->k = k;
    v->by_key = json_object();
    v->sorted = listing(c, k);
    size_t i;
    json_t *o;
    char key[1024];
    json_array_foreach(v->sorted, i, o) {
        key_of(key, sizeof key, k->namespaced ? obj_namespace(o) : "", obj_name(o));
        json_object_set(v->by_key, key, o);
    }
    return v;
}

/* Keys are "namespace\x1fname" and names never hold a character below
 * 0x20, so ordering the keys orders by namespace, then name, as the store
 * lists (comparing keys is much cheaper than looking both fields up). */
typedef struct { const char *key; json_t *obj; } keyed;

static int by_key(const void *a, const void *b)
{
    return strcmp(((const keyed *)a)->key, ((const keyed *)b)->key);
}

/* The objects of v whose keys start with prefix, ordered as the store lists them. */
static json_t *sorted_with(resource_view *v, const char *prefix)
{
    make_all(v, prefix);
    size_t n = json_object_size(v->by_key), i = 0, plen = strlen(prefix);
    keyed *objs = malloc((n ? n : 1) * sizeof *objs);
    json_t *list = json_array();
    if (!objs) return list;
    const char *key;
    json_t *o;
    json_object_foreach(v->by_key, key, o) {
        if (strncmp(key, prefix, plen)) continue;
        objs[i].key = key;
        objs[i++].obj = o;
    }
    n = i;
    qsort(objs, n, sizeof *objs, by_key);
    for (i = 0; i < n; i++) json_array_append(list, objs[i].obj);
    free(objs);
    return list;
}

json_t *ccache_list(cluster_cache *c, const kind_info *k)
{
    resource_view *v = view(c, k);
    if (!v) return json_array();
    if (!v->sorted) v->sorted = sorted_with(v, "");
    return json_incref(v->sorted);
}

json_t *ccache_list_in(cluster_cache *c, const kind_info *k, const char *ns)
{
    if (!k->namespaced) return ccache_list(c, k);
    resource_view *v = view(c, k);
    if (!v) return json_array();
    char prefix[1024];
    key_of(prefix, sizeof prefix, ns, "");
    return sorted_with(v, prefix);
}

json_t *ccache_get(cluster_cache *c, const kind_info *k, const char *ns, const char *name)
{
    resource_view *v = view(c, k);
    if (!v) return NULL;
    char key[1024];
    key_of(key, sizeof key, k->namespaced ? ns : "", name);
    return made(v, key, json_object_get(v->by_key, key));
}

bool ccache_contains(cluster_cache *c, const kind_info *k, const char *ns, const char *name)
{
    resource_view *v = view(c, k);
    if (!v) return false;
    char key[1024];
    key_of(key, sizeof key, k->namespaced ? ns : "", name);
    return json_object_get(v->by_key, key) != NULL;
}

bool ccache_has_view(cluster_cache *c, const kind_info *k) { return find_view(c, k) != NULL; }

/* obj as now stored goes into the view (a new reference). */
static void remember(cluster_cache *c, const kind_info *k, json_t *obj)
{
    resource_view *v = find_view(c, k);
    if (!v) return;     /* never listed: nothing to keep up to date */
    char key[1024];
    key_of(key, sizeof key, k->namespaced ? obj_namespace(obj) : "", obj_name(obj));
    json_object_set(v->by_key, key, obj);
    json_decref(v->sorted);   /* callers iterating it hold their own reference */
    v->sorted = NULL;
}

/* What controllers write to an object of a view is stored when the
 * reconcile ends (ccache_flush), as it is then: a ReplicaSet created and
 * given its status in one reconcile is written once, and the texts of what
 * is written are made on two threads.  Objects are stamped when written,
 * as the API would, so what is stored is the same. */
static void hold(cluster_cache *c, resource_view *v, const char *key, json_t *obj, bool is_new)
{
    if (!v->pending) {
        v->pending = json_object();
        v->created = json_object();
        c->npending++;
    }
    json_object_set(v->pending, key, obj);
    if (is_new) json_object_set_new(v->created, key, json_true());
}

int ccache_create(cluster_cache *c, const kind_info *k, json_t *obj)
{
    api_error e;
    resource_view *v = find_view(c, k);
    char key[1024];
    key_of(key, sizeof key, k->namespaced ? obj_namespace(obj) : "", obj_name(obj));
    /* the view follows every write of the reconcile: absent from it is
     * absent from the store, no need to ask */
    if (v && !json_object_get(v->by_key, key)) {
        api_stamp_new(c->st, obj);
        hold(c, v, key, obj, true);
    } else if (api_create(c->st, k, obj, &e) != API_OK) {
        return -1;
    }
    wrote(c, k, false);
    remember(c, k, obj);
    return 0;
}

int ccache_held(cluster_cache *c, json_t *held)
{
    const char *resource, *key;
    json_t *of, *obj;
    int rc = 0;
    json_object_foreach(held, resource, of) {
        const kind_info *k = kind_lookup(resource);
        resource_view *v = k ? view(c, k) : NULL;
        json_object_foreach(of, key, obj) {
            api_error e;
            if (v) {
                json_object_set(v->by_key, key, obj);
                hold(c, v, key, obj, true);
            } else if (!k || api_create(c->st, k, obj, &e) != API_OK) {   /* (no view: stored now) */
                rc = -1;
            }
        }
        if (v) {
            json_decref(v->sorted);
            v->sorted = NULL;
        }
        if (k) wrote(c, k, false);
    }
    return rc;
}

bool ccache_resource_written(cluster_cache *c, const char *resource)
{
    const kind_info *k = kind_lookup(resource);
    return store_resource_written(c->st, resource) || (k && ccache_last_write(c, k) > 0);
}

/* One object to store, its texts made on either thread. */
typedef struct held {
    const kind_info *k;
    json_t *obj;
    bool is_new;
    char *body, *row, *labels;
} held;

static void held_texts(void *ctx, size_t i)
{
    held *h = (held *)ctx + i;
    api_object_texts(h->k, h->obj, &h->body, &h->row, &h->labels);
}

#define TEXTS_APART 64   /* fewer objects' texts are made on this thread only */
#define FLUSH_CHUNK 256

/* Store what is pending in the views of k (NULL: all of them). */
static int flush_views(cluster_cache *c, const kind_info *k)
{
    if (!c->npending) return 0;
    size_t n = 0, at = 0;
    for (int i = 0; i < c->nres; i++)
        if (c->res[i].pending && (!k || c->res[i].k == k)) n += json_object_size(c->res[i].pending);
    held *all = calloc(n + 1, sizeof *all);
    if (!all) return -1;
    for (int i = 0; i < c->nres; i++) {
        resource_view *v = &c->res[i];
        if (!v->pending || (k && v->k != k)) continue;
        const char *key;
        json_t *o;
        json_object_foreach(v->pending, key, o) {
            all[at].k = v->k;
            all[at].obj = json_incref(o);
            all[at++].is_new = json_object_get(v->created, key) != NULL;
        }
        json_decref(v->pending);
        json_decref(v->created);
        v->pending = v->created = NULL;
        c->npending--;
    }
    int rc = 0;
    api_error e;
    /* a chunk at a time, so the next chunk's texts reuse the memory of this
     * one's (2 000 objects' texts at once were 8 MB of fresh memory) */
    for (size_t from = 0; from < n; from += FLUSH_CHUNK) {
        size_t upto = n - from < FLUSH_CHUNK ? n : from + FLUSH_CHUNK;
        if (!rc) cluster_parallel(upto - from, TEXTS_APART, held_texts, all + from);
        for (size_t i = from; i < upto; i++) {
            held *h = &all[i];
            if (!rc && api_store_prepared(c->st, h->k, obj_namespace(h->obj), obj_name(h->obj), h->body, NULL, NULL,
                                          h->row, h->labels, h->is_new, &e) != API_OK)
                rc = -1;
            json_decref(h->obj);
            free(h->body);
            free(h->row);
            free(h->labels);
        }
    }
    free(all);
    return rc;
}

int ccache_flush(cluster_cache *c) { return flush_views(c, NULL); }

int ccache_flush_written_behind(cluster_cache *c, const kind_info *k)
{
    return c->behind ? flush_views(c, k) : 0;
}

int ccache_create_prepared(cluster_cache *c, const kind_info *k, const char *ns, const char *name, const char *body,
                           const char *piece, const char *tail, const char *row, const char *labels,
                           const ccache_lazy *lazy)
{
    api_error e;
    if (!k->namespaced) ns = "";
    resource_view *v = find_view(c, k);
    char key[1024];
    key_of(key, sizeof key, ns, name);
    /* the view follows every write of the reconcile; without one, ask */
    if (v ? json_object_get(v->by_key, key) != NULL : store_exists(c->st, k->resource, ns, name)) {
        if (lazy->drop) lazy->drop(lazy->ctx);
        return -1;
    }
    lazy_obj *l = v ? malloc(sizeof *l) : NULL;
    if (api_store_prepared(c->st, k, ns, name, body, piece, tail, row, labels, true, &e) != API_OK || (v && !l)) {
        free(l);
        if (lazy->drop) lazy->drop(lazy->ctx);
        return -1;
    }
    wrote(c, k, false);
    if (!v) {
        if (lazy->drop) lazy->drop(lazy->ctx);
        return 0;
    }
    l->how = *lazy;
    l->dropped = false;
    l->next = c->lazies;
    c->lazies = l;
    json_object_set_new(v->by_key, key, json_integer((json_int_t)(intptr_t)l));
    json_decref(v->sorted);
    v->sorted = NULL;
    return 0;
}

int ccache_create_text(cluster_cache *c, const kind_info *k, json_t *obj, char *(*serialize)(json_t *, void *), void *ctx)
{
    api_error e;
    if (api_create_text(c->st, k, obj, serialize, ctx, &e) != API_OK) return -1;
    wrote(c, k, false);
    remember(c, k, obj);
    return 0;
}

/* growing text buffer for cluster_dumps_sharing */
typedef struct text { char *s; size_t n, cap; bool failed; } text;

static void append(text *t, const char *s, size_t n)
{
    if (t->failed) return;
    if (t->n + n + 1 > t->cap) {
        size_t cap = (t->n + n + 1) * 2;
        char *p = realloc(t->s, cap);
        if (!p) { t->failed = true; return; }
        t->s = p;
        t->cap = cap;
    }
    memcpy(t->s + t->n, s, n);
    t->n += n;
    t->s[t->n] = 0;
}

static int append_cb(const char *buf, size_t size, void *data)
{
    append(data, buf, size);
    return 0;
}

/* A string as jansson's compact dumper writes it: quotes and backslashes
 * escaped (JSON in annotations and env values), other characters as they
 * are; a string with a control character is left to jansson.  One pass,
 * the bytes told apart by a table (0: as is, 1: escaped, 2: control). */
static const unsigned char byte_class[256] = {
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    ['"'] = 1, ['\\'] = 1,
};

static void dump_string(text *t, const char *s, size_t n)
{
    size_t start = t->n;
    append(t, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = byte_class[(unsigned char)s[i]];
        if (!c) continue;
        if (c == 2) {   /* back to where it began, for jansson */
            if (!t->failed) t->n = start;
            json_t *v = json_stringn_nocheck(s, n);
            json_dump_callback(v, append_cb, t, JSON_COMPACT | JSON_ENCODE_ANY);
            json_decref(v);
            return;
        }
        append(t, s + run, i - run);
        append(t, "\\", 1);
        run = i;   /* the character itself starts the next run */
    }
    append(t, s + run, n - run);
    append(t, "\"", 1);
}

/* json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) into t, with the text
 * of a shared value (by identity, at any depth) copied instead. */
static void dump_sharing(text *t, json_t *v, json_t *const *shared, const char *const *texts, int n)
{
    for (int i = 0; i < n; i++)
        if (v == shared[i] && texts[i]) { append(t, texts[i], strlen(texts[i])); return; }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        append(t, "{", 1);
        const char *key;
        size_t klen;
        json_t *m;
        bool first = true;
        json_object_keylen_foreach(v, key, klen, m) {
            if (!first) append(t, ",", 1);
            first = false;
            dump_string(t, key, klen);
            append(t, ":", 1);
            dump_sharing(t, m, shared, texts, n);
        }
        append(t, "}", 1);
        return;
    }
    case JSON_ARRAY: {
        append(t, "[", 1);
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) {
            if (i) append(t, ",", 1);
            dump_sharing(t, m, shared, texts, n);
        }
        append(t, "]", 1);
        return;
    }
    case JSON_STRING: dump_string(t, json_string_value(v), json_string_length(v)); return;
    case JSON_INTEGER: {
        char num[DECIMAL_MAX];
        const char *p = decimal(num, json_integer_value(v));
        append(t, p, strlen(p));
        return;
    }
    case JSON_TRUE: append(t, "true", 4); return;
    case JSON_FALSE: append(t, "false", 5); return;
    case JSON_NULL: append(t, "null", 4); return;
    default: json_dump_callback(v, append_cb, t, JSON_COMPACT | JSON_ENCODE_ANY); return;
    }
}

char *cluster_dumps_sharing(json_t *obj, json_t *const *shared, const char *const *texts, int n)
{
    /* room for what is shared and a little: most texts made so are a few
     * hundred bytes (labels, owners, statuses); a spec grows it a few times */
    size_t cap = 512;
    for (int i = 0; i < n; i++) cap += texts[i] ? strlen(texts[i]) : 0;
    text t = {malloc(cap), 0, cap, false};
    if (!t.s) return NULL;
    t.s[0] = 0;
    dump_sharing(&t, obj, shared, texts, n);
    if (t.failed) { free(t.s); return NULL; }
    return t.s;
}

int ccache_update(cluster_cache *c, const kind_info *k, json_t *obj)
{
    api_error e;
    resource_view *v = find_view(c, k);
    char key[1024];
    key_of(key, sizeof key, k->namespaced ? obj_namespace(obj) : "", obj_name(obj));
    json_t *stored = v ? made(v, key, json_object_get(v->by_key, key)) : NULL;
    if (stored) {   /* stored when the reconcile ends, as it is then */
        api_stamp_update(c->st, obj, stored);
        hold(c, v, key, obj, false);
    } else {
        api_status s = stored ? api_update_known(c->st, k, obj, stored, &e) : api_update(c->st, k, obj, &e);
        if (s != API_OK) return -1;
    }
    wrote(c, k, false);
    remember(c, k, obj);
    return 0;
}

int ccache_delete(cluster_cache *c, const kind_info *k, const char *ns, const char *name)
{
    api_error e;
    if (ccache_flush(c)) return -1;   /* (deleting a namespace deletes what the store holds) */
    if (api_delete(c->st, k, ns, name, &e) != API_OK) return -1;
    wrote(c, k, true);
    if (!strcmp(k->kind, "Namespace")) {   /* the namespace took what it held with it */
        drop_views(c);
        for (int i = 0; i < c->nlast; i++) c->last_write[i].seq = c->last_write[i].spec_seq = c->seq;
        for (const kind_info *x = kinds_table; x->kind; x++) if (x->namespaced) wrote(c, x, true);
        return 0;
    }
    resource_view *v = find_view(c, k);
    if (v) {
        char key[1024];
        key_of(key, sizeof key, k->namespaced ? ns : "", name);
        json_object_del(v->by_key, key);
        json_decref(v->sorted);
        v->sorted = NULL;
    }
    return 0;
}

int ccache_write_if_changed(cluster_cache *c, const kind_info *k, json_t *obj, json_t *stored)
{
    if (stored && json_equal(obj, stored)) return 0;
    int rc = stored ? ccache_update(c, k, obj) : ccache_create(c, k, obj);
    return rc < 0 ? -1 : 1;
}

json_t *ccache_writable(json_t *stored, bool annotations)
{
    json_t *copy = json_copy(stored);
    json_t *md = json_object_get(copy, "metadata");
    if (!copy || !json_is_object(md)) return copy;
    md = json_copy(md);
    json_object_set_new(copy, "metadata", md);
    json_t *ann = json_object_get(md, "annotations");
    if (annotations && json_is_object(ann)) json_object_set_new(md, "annotations", json_copy(ann));
    return copy;
}

int ccache_write_status_if_changed(cluster_cache *c, const kind_info *k, json_t *obj, json_t *stored)
{
    c->status_only = stored != NULL;
    int rc = ccache_write_if_changed(c, k, obj, stored);
    c->status_only = false;
    return rc;
}
