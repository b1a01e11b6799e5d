/* JSON merge patch, JSON patch and strategic merge patch (see patch.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/obj.h"
#include "model/patch.h"

int patch_type_parse(const char *name)
{
    if (!strcmp(name, "strategic")) return PATCH_STRATEGIC;
    if (!strcmp(name, "merge")) return PATCH_MERGE;
    if (!strcmp(name, "json")) return PATCH_JSON;
    return -1;
}

bool patch_strategic_supported(const kind_info *k)
{
    /* the built-in API groups; everything else here is a CRD */
    static const char *const builtin[] = {"", "apps", "batch", "networking.k8s.io", "rbac.authorization.k8s.io",
                                          "policy", "autoscaling", NULL};
    for (const char *const *g = builtin; *g; g++)
        if (!strcmp(k->group, *g)) return true;
    return false;
}

/* ---- JSON merge patch (RFC 7386) ---- */

static void drop_nulls(json_t *v);

static json_t *merge_patch(json_t *target, json_t *patch)
{
    if (!json_is_object(patch)) {
        /* a value taken from the patch loses its maps' nulls (the json-patch
         * library kubectl and the API server use prunes them) */
        json_t *v = json_deep_copy(patch);
        drop_nulls(v);
        return v;
    }
    json_t *res = json_is_object(target) ? json_deep_copy(target) : json_object();
    const char *key;
    json_t *v;
    json_object_foreach(patch, key, v) {
        if (json_is_null(v)) {
            json_object_del(res, key);
        } else {
            json_t *merged = merge_patch(json_object_get(res, key), v);
            json_object_set_new(res, key, merged);
        }
    }
    return res;
}

/* ---- JSON patch (RFC 6902) ---- */

/* Unescape one reference token (~1 -> /, ~0 -> ~). */
static char *token_dup(const char *s, size_t n)
{
    char *t = malloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
            t[j++] = s[i + 1] == '0' ? '~' : '/';
            i++;
        } else {
            t[j++] = s[i];
        }
    }
    t[j] = 0;
    return t;
}

/* The container a pointer's last token lives in, and that token; NULL when
 * the parent path does not exist (or the pointer is "" / malformed). */
static json_t *pointer_parent(json_t *doc, const char *ptr, char **last)
{
    *last = NULL;
    if (ptr[0] != '/') return NULL;
    json_t *cur = doc;
    const char *p = ptr + 1;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        char *tok = token_dup(p, n);
        if (!slash) { *last = tok; return cur; }
        json_t *next = NULL;
        if (json_is_object(cur)) {
            next = json_object_get(cur, tok);
        } else if (json_is_array(cur)) {
            char *end;
            errno = 0;
            long idx = strtol(tok, &end, 10);
            if (*tok && !*end && !errno && idx >= 0 && (size_t)idx < json_array_size(cur)) next = json_array_get(cur, (size_t)idx);
        }
        free(tok);
        if (!next || (!json_is_object(next) && !json_is_array(next))) return NULL;
        cur = next;
        p = slash + 1;
    }
}

/* Array index of tok for an array of size n; extra = 1 for add (one past
 * the end allowed).  Writes the library's message and returns -1 on error. */
static long array_index(const char *tok, size_t n, int extra, const char *op, const char *path, char *err, size_t len)
{
    char *end;
    errno = 0;
    long idx = strtol(tok, &end, 10);
    if (!*tok || *end || errno) {
        if (extra) snprintf(err, len, "error in %s for path: '%s': value was not a proper array index: '%s': strconv.Atoi: parsing \"%s\": invalid syntax", op, path, tok, tok);
        else snprintf(err, len, "error in %s for path: '%s': strconv.Atoi: parsing \"%s\": invalid syntax", op, path, tok);
        return -1;
    }
    long size = (long)n + extra;
    if (idx < 0) {
        if (idx < -size) goto bad;
        idx += size;
    }
    if (idx >= size || idx < 0) goto bad;
    return idx;
bad:
    snprintf(err, len, "error in %s for path: '%s': Unable to access invalid index: %ld: invalid index referenced", op, path, idx);
    return -1;
}

static json_t *pointer_get(json_t *doc, const char *ptr)
{
    if (!*ptr) return doc;
    char *last;
    json_t *parent = pointer_parent(doc, ptr, &last);
    json_t *v = NULL;
    if (parent && json_is_object(parent)) {
        v = json_object_get(parent, last);
    } else if (parent && json_is_array(parent)) {
        char *end;
        long idx = strtol(last, &end, 10);
        if (*last && !*end && idx >= 0 && (size_t)idx < json_array_size(parent)) v = json_array_get(parent, (size_t)idx);
    }
    free(last);
    return v;
}

/* add value (stolen) at path; op names the operation for messages. */
static int jp_add(json_t *doc, const char *path, json_t *value, const char *op, const char *what, char *err, size_t len)
{
    char *last;
    json_t *parent = pointer_parent(doc, path, &last);
    int rc = 0;
    if (!parent) {
        if (!strcmp(op, "add")) snprintf(err, len, "add operation does not apply: doc is missing path: \"%s\": missing value", path);
        else snprintf(err, len, "%s operation does not apply: doc is missing %s path: %s: missing value", op, what, path);
        rc = -1;
    } else if (json_is_object(parent)) {
        json_object_set(parent, last, value);
    } else if (!strcmp(last, "-")) {
        json_array_append(parent, value);
    } else {
        long idx = array_index(last, json_array_size(parent), 1, op, path, err, len);
        if (idx < 0) rc = -1;
        else json_array_insert(parent, (size_t)idx, value);
    }
    free(last);
    json_decref(value);
    return rc;
}

static int jp_remove(json_t *doc, const char *path, const char *op, char *err, size_t len)
{
    char *last;
    json_t *parent = pointer_parent(doc, path, &last);
    int rc = 0;
    if (!parent) {
        if (!strcmp(op, "remove")) snprintf(err, len, "remove operation does not apply: doc is missing path: \"%s\": missing value", path);
        else snprintf(err, len, "%s operation does not apply: doc is missing from path: %s: missing value", op, path);
        rc = -1;
    } else if (json_is_object(parent)) {
        if (json_object_del(parent, last)) {
            /* the library names the key where it names the path for move */
            snprintf(err, len, "error in %s for path: '%s': Unable to remove nonexistent key: %s: missing value",
                     op, !strcmp(op, "move") ? last : path, last);
            rc = -1;
        }
    } else {
        long idx = array_index(last, json_array_size(parent), 0, op, !strcmp(op, "move") ? last : path, err, len);
        if (idx < 0) rc = -1;
        else json_array_remove(parent, (size_t)idx);
    }
    free(last);
    return rc;
}

static int jp_replace(json_t *doc, const char *path, json_t *value, char *err, size_t len)
{
    char *last;
    json_t *parent = pointer_parent(doc, path, &last);
    int rc = 0;
    if (!parent) {
        snprintf(err, len, "replace operation does not apply: doc is missing path: %s: missing value", path);
        rc = -1;
    } else if (json_is_object(parent)) {
        json_object_set(parent, last, value);    /* a missing key is added, as the library does */
    } else {
        char *end;
        long idx = strtol(last, &end, 10);
        long n = (long)json_array_size(parent);
        if (*last && !*end && idx < 0 && idx >= -n) idx += n;
        if (!*last || *end || idx < 0 || idx >= n) {
            snprintf(err, len, "Object to be patched is missing field (%s: missing value)", path);
            rc = -1;
        } else {
            json_array_set(parent, (size_t)idx, value);
        }
    }
    free(last);
    json_decref(value);
    return rc;
}

static const char *go_type(json_t *v)
{
    if (json_is_string(v)) return "string";
    if (json_is_number(v)) return "number";
    if (json_is_boolean(v)) return "bool";
    if (json_is_array(v)) return "array";
    return "object";
}

static json_t *json_patch(json_t *doc, json_t *ops, char *err, size_t len)
{
    if (!json_is_array(ops)) {
        snprintf(err, len, "json: cannot unmarshal %s into Go value of type jsonpatch.Patch", go_type(ops));
        return NULL;
    }
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        if (!json_is_object(op) && !json_is_null(op)) {
            snprintf(err, len, "json: cannot unmarshal %s into Go value of type jsonpatch.Operation", go_type(op));
            return NULL;
        }
    }
    json_t *res = json_deep_copy(doc);
    json_array_foreach(ops, i, op) {
        const char *kind = json_string_value(json_object_get(op, "op"));
        const char *path = json_string_value(json_object_get(op, "path"));
        const char *from = json_string_value(json_object_get(op, "from"));
        json_t *value = json_object_get(op, "value");
        if (!value) value = json_null();
        else json_incref(value);
        int rc = 0;
        if (!kind || (!path && strcmp(kind, "add") && strcmp(kind, "remove") && strcmp(kind, "replace") &&
                      strcmp(kind, "move") && strcmp(kind, "copy") && strcmp(kind, "test"))) {
            snprintf(err, len, "Unexpected kind: %s", kind ? kind : "unknown");
            rc = -1;
        } else if (!path) {
            snprintf(err, len, "%s operation does not apply: doc is missing path: \"\": missing value", kind);
            rc = -1;
        } else if (!strcmp(kind, "add")) {
            rc = jp_add(res, path, json_deep_copy(value), "add", NULL, err, len);
        } else if (!strcmp(kind, "remove")) {
            rc = jp_remove(res, path, "remove", err, len);
        } else if (!strcmp(kind, "replace")) {
            rc = jp_replace(res, path, json_deep_copy(value), err, len);
        } else if (!strcmp(kind, "move") || !strcmp(kind, "copy")) {
            if (!from) from = "";
            char *last;
            json_t *fparent = pointer_parent(res, from, &last);
            free(last);
            if (!fparent) {
                snprintf(err, len, "%s operation does not apply: doc is missing from path: %s: missing value", kind, from);
                rc = -1;
            } else {
                json_t *v = pointer_get(res, from);
                json_t *copy = v ? json_deep_copy(v) : json_null();   /* copy of a missing key copies null */
                if (!strcmp(kind, "move") && jp_remove(res, from, "move", err, len)) {
                    json_decref(copy);
                    rc = -1;
                } else {
                    rc = jp_add(res, path, copy, kind, "destination", err, len);
                }
            }
        } else if (!strcmp(kind, "test")) {
            char *last;
            json_t *parent = pointer_parent(res, path, &last);
            json_t *cur = pointer_get(res, path);
            if (parent && json_is_array(parent)) {
                /* an array element: the index must parse and exist (negative counts from the end) */
                char *end;
                long idx = strtol(last, &end, 10), n = (long)json_array_size(parent);
                if (!*last || *end) {
                    snprintf(err, len, "error in test for path: '%s': strconv.Atoi: parsing \"%s\": invalid syntax", path, last);
                    rc = -1;
                } else if (idx >= n || idx < -n) {
                    snprintf(err, len, "error in test for path: '%s': Unable to access invalid index: %ld: invalid index referenced", path, idx);
                    rc = -1;
                } else {
                    cur = json_array_get(parent, (size_t)(idx < 0 ? idx + n : idx));
                }
            }
            free(last);
            if (rc) {
                /* reported above */
            } else if (!parent && *path) {
                snprintf(err, len, "test operation does not apply: is missing path: %s: missing value", path);
                rc = -1;
            } else if (!json_equal(cur ? cur : json_null(), value) && !(cur == NULL && json_is_null(value))) {
                snprintf(err, len, "testing value %s failed: test failed", path);
                rc = -1;
            }
        } else {
            snprintf(err, len, "Unexpected kind: %s", kind);
            rc = -1;
        }
        json_decref(value);
        if (rc) { json_decref(res); return NULL; }
    }
    return res;
}

/* ---- strategic merge patch ---- */

/* Where in an object of a built-in kind a map sits: decides which of its
 * lists merge by key (the patchMergeKey tags of Kubernetes' API types). */
typedef enum {
    S_PLAIN, S_POD, S_WORKLOAD, S_SERVICE, S_META, S_STATUS, S_WORKLOAD_SPEC, S_TEMPLATE, S_PODSPEC,
    S_CONTAINER, S_SERVICE_SPEC
} sctx;

typedef struct sfield {
    sctx child;              /* context of the value (or of the list's items) */
    const char *merge_key;   /* NULL: the list is replaced; "" primitive list merged */
} sfield;

static sfield field_of(sctx c, const char *key)
{
    sfield f = {S_PLAIN, NULL};
    switch (c) {
    case S_POD: case S_WORKLOAD: case S_SERVICE:
        if (!strcmp(key, "metadata")) f.child = S_META;
        else if (!strcmp(key, "status")) f.child = S_STATUS;
        else if (!strcmp(key, "spec")) f.child = c == S_POD ? S_PODSPEC : c == S_SERVICE ? S_SERVICE_SPEC : S_WORKLOAD_SPEC;
        break;
    case S_META:
        if (!strcmp(key, "finalizers")) f.merge_key = "";
        else if (!strcmp(key, "ownerReferences")) f.merge_key = "uid";
        break;
    case S_STATUS:
        if (!strcmp(key, "conditions")) f.merge_key = "type";
        break;
    case S_WORKLOAD_SPEC:
        if (!strcmp(key, "template")) f.child = S_TEMPLATE;
        break;
    case S_TEMPLATE:
        if (!strcmp(key, "metadata")) f.child = S_META;
        else if (!strcmp(key, "spec")) f.child = S_PODSPEC;
        break;
    case S_PODSPEC:
        if (!strcmp(key, "containers") || !strcmp(key, "initContainers") || !strcmp(key, "ephemeralContainers")) {
            f.child = S_CONTAINER;
            f.merge_key = "name";
        } else if (!strcmp(key, "volumes") || !strcmp(key, "imagePullSecrets") || !strcmp(key, "resourceClaims") ||
                   !strcmp(key, "schedulingGates")) {
            f.merge_key = "name";
        } else if (!strcmp(key, "hostAliases")) {
            f.merge_key = "ip";
        }
        break;
    case S_CONTAINER:
        if (!strcmp(key, "ports")) f.merge_key = "containerPort";
        else if (!strcmp(key, "env")) f.merge_key = "name";
        else if (!strcmp(key, "volumeMounts")) f.merge_key = "mountPath";
        else if (!strcmp(key, "volumeDevices")) f.merge_key = "devicePath";
        break;
    case S_SERVICE_SPEC:
        if (!strcmp(key, "ports")) f.merge_key = "port";
        break;
    default:
        break;
    }
    return f;
}

static sctx root_ctx(const kind_info *k)
{
    if (!strcmp(k->kind, "Pod")) return S_POD;
    if (!strcmp(k->kind, "Service")) return S_SERVICE;
    if (!strcmp(k->kind, "Deployment") || !strcmp(k->kind, "ReplicaSet") || !strcmp(k->kind, "StatefulSet") ||
        !strcmp(k->kind, "DaemonSet") || !strcmp(k->kind, "Job"))
        return S_WORKLOAD;
    return S_PLAIN;
}

/* Go's %v of a decoded JSON value (maps with sorted keys, numbers as
 * float64), for the API server's messages; appends to buf at *o. */
static void go_fmt(json_t *v, char *buf, size_t len, size_t *o)
{
#define PUT(...) do { if (*o < len) *o += (size_t)snprintf(buf + *o, len - *o, __VA_ARGS__); } while (0)
    if (json_is_object(v)) {
        const char *keys[256];
        size_t n = obj_sorted_keys(v, keys, 256);
        PUT("map[");
        for (size_t i = 0; i < n; i++) {
            PUT("%s%s:", i ? " " : "", keys[i]);
            go_fmt(json_object_get(v, keys[i]), buf, len, o);
        }
        PUT("]");
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        PUT("[");
        json_array_foreach(v, i, m) {
            if (i) PUT(" ");
            go_fmt(m, buf, len, o);
        }
        PUT("]");
    } else if (json_is_string(v)) {
        PUT("%s", json_string_value(v));
    } else if (json_is_integer(v)) {
        PUT("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        PUT("%g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        PUT("%s", json_is_true(v) ? "true" : "false");
    } else {
        PUT("<nil>");
    }
#undef PUT
}

static void go_map(json_t *m, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    go_fmt(m, buf, len, &o);
}

/* The API server's check that a merged list holds one type of element. */
static bool same_element_types(json_t *orig, json_t *patch)
{
    int kind = -1;
    json_t *lists[2] = {orig, patch};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *v;
        json_array_foreach(lists[l], i, v) {
            int k = json_is_object(v) ? 0 : json_is_array(v) ? 1 : json_is_string(v) ? 2 : json_is_number(v) ? 3
                  : json_is_boolean(v) ? 4 : 5;
            if (kind >= 0 && k != kind) return false;
            kind = k;
        }
    }
    return true;
}

static json_t *smp_map(json_t *orig, json_t *patch, sctx c, char *err, size_t len, bool *deleted);

/* Remove null members of maps, at any depth (lists' maps too). */
static void drop_nulls(json_t *v)
{
    if (json_is_object(v)) {
        const char *key;
        json_t *m;
        void *tmp;
        json_object_foreach_safe(v, tmp, key, m) {
            if (json_is_null(m)) json_object_del(v, key);
            else drop_nulls(m);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) drop_nulls(m);
    }
}

/* Item of list whose merge key equals that of want; index or -1. */
static long find_by_key(json_t *list, const char *mk, json_t *want)
{
    json_t *wv = json_object_get(want, mk);
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it)
        if (json_is_object(it) && json_equal(json_object_get(it, mk), wv)) return (long)i;
    return -1;
}

/* Where item sits in list: by merge key mk (maps), or by value (mk NULL). */
static long index_of(json_t *list, json_t *item, const char *mk)
{
    if (!json_is_array(list)) return -1;
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it) {
        if (mk ? (json_is_object(it) && json_is_object(item) && json_equal(json_object_get(it, mk), json_object_get(item, mk)))
               : json_equal(it, item))
            return (long)i;
    }
    return -1;
}

/* The API server's order for a merged list: the items the patch names (or
 * its $setElementOrder names), in that order, interleaved with the items
 * only the server had, in server order (a server item goes first when both
 * are known to the server and it came first there). */
static json_t *order_items(json_t *merged, json_t *orig, json_t *patch_order, const char *mk)
{
    json_t *pitems = json_array(), *sitems = json_array();
    size_t i, k;
    json_t *it, *key;
    json_array_foreach(patch_order, k, key) {
        long at = index_of(merged, key, mk);
        if (at >= 0 && index_of(pitems, key, mk) < 0) json_array_append(pitems, json_array_get(merged, (size_t)at));
    }
    json_array_foreach(merged, i, it)
        if (index_of(patch_order, it, mk) < 0) json_array_append(sitems, it);
    json_t *out = json_array();
    size_t li = 0, ri = 0, nl = json_array_size(sitems), nr = json_array_size(pitems);
    while (li < nl || ri < nr) {
        if (li < nl && ri < nr) {
            long a = index_of(orig, json_array_get(sitems, li), mk);
            long b = index_of(orig, json_array_get(pitems, ri), mk);
            if (a >= 0 && b >= 0 && a < b) json_array_append(out, json_array_get(sitems, li++));
            else json_array_append(out, json_array_get(pitems, ri++));
        } else if (li < nl) {
            json_array_append(out, json_array_get(sitems, li++));
        } else {
            json_array_append(out, json_array_get(pitems, ri++));
        }
    }
    json_decref(pitems);
    json_decref(sitems);
    return out;
}

static json_t *smp_list(json_t *orig, json_t *patch, json_t *order, const char *mk, sctx child, char *err, size_t len)
{
    if (!same_element_types(json_is_array(orig) ? orig : NULL, patch)) {
        json_t *both = json_pack("[OO]", json_is_array(orig) ? orig : json_array(), patch);
        char m[2048];
        go_map(both, m, sizeof m);
        snprintf(err, len, "list element types are not identical: %s", m);
        if (!json_is_array(orig)) json_decref(json_array_get(both, 0));
        json_decref(both);
        return NULL;
    }
    /* primitive list with strategy merge (or scalars where maps belong, as
     * the API server treats them): union, ordered like map lists */
    if (!*mk || (json_array_size(patch) && !json_is_object(json_array_get(patch, 0)))) {
        json_t *res = json_is_array(orig) ? json_deep_copy(orig) : json_array();
        size_t i, j;
        json_t *v, *w;
        json_array_foreach(patch, i, v) {
            bool dup = false;
            json_array_foreach(res, j, w) if (json_equal(v, w)) { dup = true; break; }
            if (!dup) json_array_append(res, v);
        }
        json_t *out = order_items(res, orig, order ? order : patch, NULL);
        json_decref(res);
        return out;
    }
    size_t i;
    json_t *it;
    json_t *res = json_is_array(orig) ? json_deep_copy(orig) : json_array();
    json_t *patched_keys = json_array();   /* the patch's items, in patch order */
    /* the directives first, in order, as the API server takes them out before
     * it merges the rest: delete removes the server's item, replace makes the
     * list the patch's plain items, merge and unknown ones are errors */
    bool replace = false;
    json_array_foreach(patch, i, it) {
        const char *d = json_string_value(json_object_get(it, "$patch"));
        if (!d) continue;
        if (!strcmp(d, "delete")) {
            if (!json_object_get(it, mk)) continue;   /* reported below */
            long at;
            while ((at = find_by_key(res, mk, it)) >= 0) json_array_remove(res, (size_t)at);
        } else if (!strcmp(d, "replace")) {
            replace = true;
        } else {
            char m[1024];
            go_map(it, m, sizeof m);
            if (!strcmp(d, "merge")) snprintf(err, len, "merging lists cannot yet be specified in the patch");
            else snprintf(err, len, "unknown patch type: %s in map: %s", d, m);
            json_decref(res);
            json_decref(patched_keys);
            return NULL;
        }
    }
    if (replace) {
        json_array_clear(res);
        json_array_foreach(patch, i, it)
            if (!json_object_get(it, "$patch")) json_array_append_new(res, json_deep_copy(it));   /* as written */
        json_decref(patched_keys);
        return res;
    }
    json_array_foreach(patch, i, it) {
        if (!json_is_object(it)) continue;
        if (!json_object_get(it, mk)) {
            char m[1024];
            go_map(it, m, sizeof m);
            snprintf(err, len, "map: %s does not contain declared merge key: %s", m, mk);
            json_decref(res);
            json_decref(patched_keys);
            return NULL;
        }
        if (json_object_get(it, "$patch")) continue;   /* a directive, done above */
        long at = find_by_key(res, mk, it);
        bool del = false;
        json_t *m;
        if (at >= 0) {
            m = smp_map(json_array_get(res, (size_t)at), it, child, err, len, &del);
        } else {
            m = json_deep_copy(it);   /* a new item is taken as written (nulls too) */
            json_object_del(m, "$patch");
        }
        if (!m) {
            json_decref(res);
            json_decref(patched_keys);
            return NULL;
        }
        json_array_append(patched_keys, it);
        if (at >= 0) json_array_set_new(res, (size_t)at, m);
        else json_array_append_new(res, m);
    }
    json_t *out = order_items(res, orig, order ? order : patched_keys, mk);
    json_decref(patched_keys);
    json_decref(res);
    return out;
}

/* Merge patch into (a copy of) orig.  NULL with *deleted set: the patch said
 * $patch: delete; NULL otherwise: error in err. */
static json_t *smp_map(json_t *orig, json_t *patch, sctx c, char *err, size_t len, bool *deleted)
{
    *deleted = false;
    const char *d = json_string_value(json_object_get(patch, "$patch"));
    if (d && !strcmp(d, "delete")) { *deleted = true; return NULL; }
    if (d && strcmp(d, "replace") && strcmp(d, "merge")) {
        char m[1024];
        go_map(patch, m, sizeof m);
        snprintf(err, len, "unknown patch type: %s in map: %s", d, m);
        return NULL;
    }
    json_t *res = (json_is_object(orig) && !(d && !strcmp(d, "replace"))) ? json_deep_copy(orig) : json_object();
    json_t *retain = json_object_get(patch, "$retainKeys");
    const char *key;
    json_t *v;
    /* $deleteFromPrimitiveList/<field> first: it names values to take out */
    json_object_foreach(patch, key, v) {
        if (strncmp(key, "$deleteFromPrimitiveList/", 25) || !json_is_array(v)) continue;
        json_t *list = json_object_get(res, key + 25);
        for (size_t i = 0; json_is_array(list) && i < json_array_size(list);) {
            bool drop = false;
            size_t j;
            json_t *w;
            json_array_foreach(v, j, w) if (json_equal(w, json_array_get(list, i))) { drop = true; break; }
            if (drop) json_array_remove(list, i);
            else i++;
        }
    }
    json_object_foreach(patch, key, v) {
        if (key[0] == '$') continue;   /* directives */
        if (json_is_null(v)) { json_object_del(res, key); continue; }
        sfield f = field_of(c, key);
        json_t *cur = json_object_get(res, key);
        json_t *nv = NULL;
        if (!cur) {
            /* a field the object lacks is taken as written, its maps' nulls
             * dropped (directives stay literal; a map with $patch is left out) */
            if (json_is_object(v) && json_object_get(v, "$patch")) continue;
            if (json_is_array(v)) {
                /* a new list keeps its plain items (directive items go) */
                nv = json_array();
                size_t j;
                json_t *item;
                json_array_foreach(v, j, item)
                    if (!json_object_get(item, "$patch")) json_array_append_new(nv, json_deep_copy(item));
            } else {
                nv = json_deep_copy(v);
            }
            drop_nulls(nv);
        } else if (json_is_object(v)) {
            bool del = false;
            nv = smp_map(json_is_object(cur) ? cur : NULL, v, f.child, err, len, &del);
            if (!nv && del) nv = json_object();   /* $patch: delete leaves an empty map */
        } else if (json_is_array(v) && f.merge_key) {
            char ok[300];
            snprintf(ok, sizeof ok, "$setElementOrder/%s", key);
            nv = smp_list(cur, v, json_object_get(patch, ok), f.merge_key, f.child, err, len);
        } else {
            nv = json_deep_copy(v);
        }
        if (!nv) { json_decref(res); return NULL; }
        json_object_set_new(res, key, nv);
    }
    if (json_is_array(retain)) {
        /* keys absent from $retainKeys are cleared (union types such as a
         * Deployment strategy switching from RollingUpdate to Recreate) */
        void *tmp;
        json_object_foreach_safe(res, tmp, key, v) {
            bool keep = false;
            size_t i;
            json_t *r;
            json_array_foreach(retain, i, r) if (json_is_string(r) && !strcmp(json_string_value(r), key)) { keep = true; break; }
            if (!keep) json_object_del(res, key);
        }
    }
    return res;
}

json_t *patch_apply(patch_type type, const kind_info *k, json_t *doc, json_t *patch, char *err, size_t errlen)
{
    err[0] = 0;
    if (type == PATCH_JSON) return json_patch(doc, patch, err, errlen);
    if (type == PATCH_MERGE) {
        if (!json_is_object(patch)) {
            snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type unstructured.detector", go_type(patch));
            return NULL;
        }
        return merge_patch(doc, patch);
    }
    if (!json_is_object(patch)) {
        snprintf(err, errlen, "invalid JSON document");
        return NULL;
    }
    bool del = false;
    json_t *res = smp_map(doc, patch, root_ctx(k), err, errlen, &del);
    if (!res && del) snprintf(err, errlen, "Object 'Kind' is missing in '{}'");   /* the whole object deleted */
    return res;
}
