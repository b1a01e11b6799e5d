/* The API server's write path.  See api.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/api.h"
#include "model/columns.h"
#include "model/json_text.h"
#include "model/obj.h"

static const char *ns_of(const kind_info *k, json_t *obj)
{
    return k->namespaced ? obj_namespace(obj) : "";
}

json_t *api_get(store *st, const kind_info *k, const char *ns, const char *name)
{
    return store_get(st, k->resource, k->namespaced ? ns : "", name);
}

json_t *api_list(store *st, const kind_info *k, const char *ns)
{
    return store_list(st, k->resource, k->namespaced ? ns : NULL);
}

bool api_namespace_exists(store *st, const char *ns)
{
    return store_exists(st, "namespaces", "", ns);
}

void api_not_found(api_error *e, const kind_info *k, const char *name)
{
    e->status = API_ERR_NOTFOUND;
    snprintf(e->msg, sizeof e->msg, "%s \"%s\" not found", k->resource, name);
}

/* A string of our own making (digits, a UUID, a timestamp): ASCII, so
 * jansson's UTF-8 check can be skipped (it was a share of stamping 10 000
 * objects). */
static json_t *ascii_string(const char *s) { return json_stringn_nocheck(s, strlen(s)); }

static void stamp_rv(store *st, json_t *obj)
{
    char buf[DECIMAL_MAX];
    json_object_set_new(obj_metadata(obj), "resourceVersion", ascii_string(decimal(buf, store_counter_next(st, "resourceVersion"))));
}

/* now as creationTimestamp spells it, formatted again only when the
 * second changes */
static void now_rfc3339(char ts[32])
{
    static _Thread_local long long last = -1;
    static _Thread_local char text[32];
    long long s = time_now_ms() / 1000;
    if (s != last) {
        time_rfc3339(text, sizeof text, s);
        last = s;
    }
    memcpy(ts, text, sizeof text);
}

/* The store refused a write: e says why. */
static api_status storage_error(store *st, api_error *e)
{
    e->status = API_ERR_STORE;
    snprintf(e->msg, sizeof e->msg, "storage error: %s", store_errmsg(st));
    return e->status;
}

/* The text of obj's labels, NULL when it has none. */
static char *labels_text(json_t *obj)
{
    json_t *l = obj_labels(obj);
    return l && json_object_size(l) ? json_text_compact(l, false) : NULL;
}

void api_object_texts(const kind_info *k, json_t *obj, char **body, char **row, char **labels)
{
    *row = columns_encode(k, obj);
    *labels = labels_text(obj);
    *body = json_text_compact(obj, false);
}

/* Write obj with what listings read instead of the body. */
static int put(store *st, const kind_info *k, const char *ns, json_t *obj, const char *applied, bool is_new)
{
    char *row, *labels, *body;
    api_object_texts(k, obj, &body, &row, &labels);
    store_extras x = {.row = row, .labels = labels, .applied = applied, .body = body, .is_new = is_new};
    int rc = store_put_ex(st, k->resource, ns, obj_name(obj), obj, &x);
    free(row);
    free(labels);
    free(body);
    return rc;
}

/* Kinds whose objects carry a spec get a generation, as the API server does. */
static bool has_generation(json_t *obj) { return json_object_get(obj, "spec") != NULL; }

void api_stamp_draw(store *st, api_stamp *s)
{
    uuid_v4(s->uid);
    now_rfc3339(s->created);
    char buf[DECIMAL_MAX];
    snprintf(s->rv, sizeof s->rv, "%s", decimal(buf, store_counter_next(st, "resourceVersion")));
}

void api_stamp_set(json_t *obj, const api_stamp *s)
{
    json_t *md = obj_metadata(obj);
    json_object_set_new(md, "uid", ascii_string(s->uid));
    json_object_set_new(md, "creationTimestamp", ascii_string(s->created));
    if (has_generation(obj)) json_object_set_new(md, "generation", json_integer(1));
    json_object_set_new(md, "resourceVersion", ascii_string(s->rv));
}

void api_stamp_new(store *st, json_t *obj)
{
    api_stamp s;
    api_stamp_draw(st, &s);
    api_stamp_set(obj, &s);
}

/* What the API server sets on a new object (uid, creationTimestamp,
 * generation, resourceVersion), after checking it is new unless the caller
 * has (checked). */
static api_status stamp_new(store *st, const kind_info *k, json_t *obj, bool checked, api_error *e)
{
    if (!checked && store_exists(st, k->resource, ns_of(k, obj), obj_name(obj))) {
        e->status = API_ERR_EXISTS;
        snprintf(e->msg, sizeof e->msg, "%s \"%s\" already exists", k->resource, obj_name(obj));
        return e->status;
    }
    api_stamp_new(st, obj);
    return API_OK;
}

static api_status create(store *st, const kind_info *k, json_t *obj, bool checked, const char *applied,
                         api_error *e)
{
    const char *ns = ns_of(k, obj);
    if (stamp_new(st, k, obj, checked, e) != API_OK) return e->status;
    return put(st, k, ns, obj, applied, true) ? storage_error(st, e) : API_OK;
}

void api_stamp_update(store *st, json_t *obj, json_t *old)
{
    json_t *md = obj_metadata(obj);
    json_t *omd = obj_metadata(old);
    json_object_set(md, "uid", json_object_get(omd, "uid"));
    json_object_set(md, "creationTimestamp", json_object_get(omd, "creationTimestamp"));
    long long gen = obj_int_or(old, "metadata.generation", 0);
    if (has_generation(obj)) {
        if (!json_equal(json_object_get(old, "spec"), json_object_get(obj, "spec"))) gen++;
        json_object_set_new(md, "generation", json_integer(gen ? gen : 1));
    }
    stamp_rv(st, obj);
}

static api_status update(store *st, const kind_info *k, json_t *obj, json_t *old, const char *applied,
                         api_error *e)
{
    const char *ns = ns_of(k, obj);
    api_stamp_update(st, obj, old);
    return put(st, k, ns, obj, applied, false) ? storage_error(st, e) : API_OK;
}

api_status api_create(store *st, const kind_info *k, json_t *obj, api_error *e)
{
    return create(st, k, obj, false, NULL, e);
}

api_status api_update(store *st, const kind_info *k, json_t *obj, api_error *e)
{
    json_t *old = store_get(st, k->resource, ns_of(k, obj), obj_name(obj));
    if (!old) {
        api_not_found(e, k, obj_name(obj));
        return e->status;
    }
    api_status rc = update(st, k, obj, old, NULL, e);
    json_decref(old);
    return rc;
}

api_status api_create_applied(store *st, const kind_info *k, json_t *obj, const char *applied, api_error *e)
{
    return create(st, k, obj, true, applied, e);
}

api_status api_update_applied(store *st, const kind_info *k, json_t *obj, json_t *old, const char *applied,
                              api_error *e)
{
    return update(st, k, obj, old, applied, e);
}

api_status api_delete(store *st, const kind_info *k, const char *ns, const char *name, api_error *e)
{
    if (!k->namespaced) ns = "";
    int rc = store_delete(st, k->resource, ns, name);
    if (rc == 1) {
        api_not_found(e, k, name);
        return e->status;
    }
    if (rc < 0) return storage_error(st, e);
    if (!strcmp(k->kind, "Namespace")) {
        /* The namespace controller empties a deleted namespace. */
        for (const kind_info *c = kinds_table; c->kind; c++) {
            if (!c->namespaced) continue;
            json_t *all = store_list(st, c->resource, name);
            size_t i;
            json_t *o;
            json_array_foreach(all, i, o) {
                store_delete(st, c->resource, name, obj_name(o));
                if (!strcmp(c->kind, "Pod")) store_log_delete_pod(st, name, obj_name(o));
            }
            json_decref(all);
        }
    } else if (!strcmp(k->kind, "Pod")) {
        store_log_delete_pod(st, ns, name);
    }
    return API_OK;
}

/* api_update for a caller that holds the stored object already (the
 * controllers' view of the store): spares reading and parsing it again.
 * Added for the cluster controllers. */
api_status api_update_known(store *st, const kind_info *k, json_t *obj, json_t *stored, api_error *e)
{
    return update(st, k, obj, stored, NULL, e);
}

/* Store a new obj from texts made for it (body and row taken and freed;
 * its labels' text made here). */
static api_status put_new(store *st, const kind_info *k, json_t *obj, char *body, char *row, const char *applied,
                          api_error *e)
{
    char *labels = labels_text(obj);
    store_extras x = {.row = row, .labels = labels, .applied = applied, .body = body, .is_new = true};
    int rc = body ? store_put_ex(st, k->resource, ns_of(k, obj), obj_name(obj), obj, &x) : -1;
    free(row);
    free(labels);
    free(body);
    return rc ? storage_error(st, e) : API_OK;
}

/* api_create for a caller that assembles the stored JSON text itself
 * (serialize gets obj once stamped; it returns malloc'd text equal to
 * json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)).  The cluster model
 * creates the pods of one template this way, sharing the text of their
 * spec.  Added for the cluster controllers; the stamping is create's. */
api_status api_create_text(store *st, const kind_info *k, json_t *obj, char *(*serialize)(json_t *obj, void *ctx),
                           void *ctx, api_error *e)
{
    if (stamp_new(st, k, obj, false, e) != API_OK) return e->status;
    return put_new(st, k, obj, serialize(obj, ctx), columns_encode(k, obj), NULL, e);
}

/* The write of api_create_text or api_update, for a caller that made every
 * text itself (see api.h).  Added for the cluster controllers. */
api_status api_store_prepared(store *st, const kind_info *k, const char *ns, const char *name, const char *body,
                              const char *piece, const char *tail, const char *row, const char *labels, bool is_new,
                              api_error *e)
{
    store_extras x = {.row = row, .labels = labels, .body = body, .is_new = is_new, .piece = piece, .tail = tail};
    bool stored = body && !store_put_ex(st, k->resource, k->namespaced ? ns : "", name, NULL, &x);
    return stored ? API_OK : storage_error(st, e);
}

char *api_created_text(json_t *obj, const char *ann_key, const char *ann_value, const api_stamp *s)
{
    json_t *md = json_object_get(obj, "metadata");
    json_t *ann = json_object_get(md, "annotations");
    if (!json_is_object(md) || (ann && !json_is_object(ann))) return NULL;
    /* what api_create_applied's path appends: the annotation (in the
     * annotations, made last in metadata when missing), then the stamps */
    json_text_buf a = {0}, m = {0};
    json_text_string(&a, ann_key, strlen(ann_key));
    json_text_put(&a, ":");
    json_text_string(&a, ann_value, strlen(ann_value));
    if (!ann) {
        json_text_put(&m, "\"annotations\":{");
        json_text_put(&m, a.p ? a.p : "");
        json_text_put(&m, "},");
    }
    json_text_put(&m, "\"uid\":\"");
    json_text_put(&m, s->uid);
    json_text_put(&m, "\",\"creationTimestamp\":\"");
    json_text_put(&m, s->created);
    json_text_put(&m, has_generation(obj) ? "\",\"generation\":1,\"resourceVersion\":\"" : "\",\"resourceVersion\":\"");
    json_text_put(&m, s->rv);
    json_text_put(&m, "\"");
    char *body = NULL;
    if (!a.failed && !m.failed) {
        json_text_more more[2] = {{md, m.p}, {ann, a.p}};
        body = json_text_compact_more(obj, more, ann ? 2 : 1);
    }
    free(a.p);
    free(m.p);
    return body;
}

api_status api_create_applied_as_is(store *st, const kind_info *k, json_t *obj, const char *ann_key,
                                    const char *ann_value, const char *applied, api_error *e)
{
    json_t *ann = obj_at(obj, "metadata.annotations");
    if (!json_is_object(obj_at(obj, "metadata")) || (ann && !json_is_object(ann))) {
        e->status = API_ERR_INVALID;
        snprintf(e->msg, sizeof e->msg, "not a document for this path");
        return e->status;
    }
    api_stamp s;
    api_stamp_draw(st, &s);
    return put_new(st, k, obj, api_created_text(obj, ann_key, ann_value, &s), columns_encode_created(k, obj, s.created),
                   applied, e);
}
