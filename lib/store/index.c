/* The lookup-key table (see index.h).  Rows (key, resource, namespace,
 * name), one B-tree read by key in object order.  An object's own row keeps
 * the keys it was filed under (objects.keys), so replacing or deleting it
 * finds its rows by key too: a second B-tree ordered by object (index
 * version 1) was half of what the write-behind thread did for a
 * 10 000-object apply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "model/routing_keys.h"
#include "store/index.h"
#include "store/shared.h"
#include "store/store_internal.h"

/* Bump when routing_keys() changes what it emits: the table is refilled. */
#define INDEX_VERSION "2"

static const char *INDEX_SCHEMA =
    "CREATE TABLE IF NOT EXISTS object_keys(key TEXT NOT NULL, resource TEXT NOT NULL, namespace TEXT NOT NULL,"
    " name TEXT NOT NULL, PRIMARY KEY(key, resource, namespace, name)) WITHOUT ROWID;";

/* Statements are the store's cached ones: a probe asks for many keys. */
static sqlite3_stmt *prep(store *st, const char *sql) { return store_stmt(st, sql); }

static void bind(sqlite3_stmt *s, int i, const char *v) { sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_TRANSIENT); }
static void bind_static(sqlite3_stmt *s, int i, const char *v) { sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_STATIC); }

const char index_insert_key_sql[] = "INSERT OR IGNORE INTO object_keys(key,resource,namespace,name) VALUES(?4,?1,?2,?3)";
const char index_delete_key_sql[] = "DELETE FROM object_keys WHERE key=?4 AND resource=?1 AND namespace=?2 AND name=?3";

/* The generation changes once per transaction that writes objects. */
static int bump_generation(store *st)
{
    if (store_generation_bumped(st)) return 0;
    sqlite3_stmt *s = prep(st, "INSERT INTO meta(key,value) VALUES('objects_generation','1')"
                               " ON CONFLICT(key) DO UPDATE SET value=CAST(value AS INTEGER)+1");
    int rc = s && sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
    if (s) store_stmt_done(st, s);
    if (!rc) store_set_generation_bumped(st);
    return rc;
}

static int fail(store *st)
{
    store_note_write_failure(st);
    return -1;
}

int store_index_drop(store *st, const char *resource, const char *ns, const char *name, const char *old,
                     size_t old_len)
{
    if (store_write_failed(st)) return -1;
    if (bump_generation(st)) return fail(st);
    if (!old_len) return 0;
    sqlite3_stmt *del = prep(st, index_delete_key_sql);
    int rc = del ? index_replace_keys(del, NULL, resource, ns, name, old, old_len, NULL, 0) : -1;
    if (del) store_stmt_done(st, del);
    return rc ? fail(st) : 0;
}

int store_index_note_write(store *st)
{
    return bump_generation(st) ? fail(st) : 0;
}

typedef struct key_blob {
    char *v;
    size_t len, cap;
    int failed;
} key_blob;

static void append_key(void *ctx, const char *key)
{
    key_blob *b = ctx;
    size_t n = strlen(key) + 1;
    if (b->failed) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n) cap *= 2;
        char *v = realloc(b->v, cap);
        if (!v) { b->failed = 1; return; }
        b->v = v;
        b->cap = cap;
    }
    memcpy(b->v + b->len, key, n);
    b->len += n;
}

int index_object_keys(const char *resource, const char *ns, json_t *obj, const char *body, char **keys,
                      size_t *keys_len)
{
    *keys = NULL;
    *keys_len = 0;
    if (!routing_keyed_resource(resource)) return 0;
    json_t *parsed = !obj && body ? json_loads(body, 0, NULL) : NULL;
    key_blob b = {0};
    routing_keys(resource, ns, obj ? obj : parsed, append_key, &b);
    json_decref(parsed);
    if (b.failed) {
        free(b.v);
        return -1;
    }
    *keys = b.v;
    *keys_len = b.len;
    return 0;
}

/* Run s (bound to the object) for each key of a blob (the strings outlive
 * each step: bound without a copy). */
static int step_keys(sqlite3_stmt *s, const char *resource, const char *ns, const char *name, const char *keys,
                     size_t len)
{
    int rc = 0;
    for (const char *k = keys, *end = keys + len; k < end && !rc; k += strlen(k) + 1) {
        bind_static(s, 1, resource); bind_static(s, 2, ns); bind_static(s, 3, name); bind_static(s, 4, k);
        rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
        sqlite3_reset(s);
    }
    return rc;
}

int index_replace_keys(sqlite3_stmt *del, sqlite3_stmt *ins, const char *resource, const char *ns, const char *name,
                       const char *old, size_t old_len, const char *keys, size_t keys_len)
{
    /* the same keys (most updates: a route changed, not a host) */
    if (old_len == keys_len && (!keys_len || !memcmp(old, keys, keys_len))) return 0;
    if (step_keys(del, resource, ns, name, old, old_len)) return -1;
    return step_keys(ins, resource, ns, name, keys, keys_len);
}

/* A store from before this index version: every keyed object filed
 * again, its keys kept in its row (version 1 had no such column, and a
 * second table ordered by object). */
typedef struct refiled {
    char *resource, *ns, *name, *keys;
    size_t len;
} refiled;

static int refill(store *st)
{
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *probe = NULL;
    if (sqlite3_prepare_v2(db, "SELECT keys FROM objects LIMIT 0", -1, &probe, NULL) != SQLITE_OK &&
        sqlite3_exec(db, "ALTER TABLE objects ADD COLUMN keys BLOB", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    sqlite3_finalize(probe);
    if (sqlite3_exec(db, "DROP INDEX IF EXISTS obj_keys_by_key; DROP TABLE IF EXISTS obj_keys;"
                         " DELETE FROM object_keys; UPDATE objects SET keys=NULL WHERE keys IS NOT NULL",
                     NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    sqlite3_stmt *s = prep(st, "SELECT resource, namespace, name, " STORE_BODY " FROM objects");
    if (!s) return -1;
    refiled *v = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    while (!rc && sqlite3_step(s) == SQLITE_ROW) {
        const char *res = (const char *)sqlite3_column_text(s, 0);
        if (!routing_keyed_resource(res)) continue;
        refiled r = {NULL, NULL, NULL, NULL, 0};
        rc = index_object_keys(res, (const char *)sqlite3_column_text(s, 1), NULL,
                               (const char *)sqlite3_column_text(s, 3), &r.keys, &r.len);
        if (rc || !r.len) { free(r.keys); continue; }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            refiled *nv = realloc(v, cap * sizeof *v);
            if (!nv) { free(r.keys); rc = -1; break; }
            v = nv;
        }
        r.resource = strdup(res);
        r.ns = strdup((const char *)sqlite3_column_text(s, 1));
        r.name = strdup((const char *)sqlite3_column_text(s, 2));
        v[n++] = r;
        if (!r.resource || !r.ns || !r.name) rc = -1;
    }
    store_stmt_done(st, s);
    sqlite3_stmt *upd = rc ? NULL : prep(st, "UPDATE objects SET keys=?4 WHERE resource=?1 AND namespace=?2 AND name=?3");
    sqlite3_stmt *ins = rc ? NULL : prep(st, index_insert_key_sql);
    if (!upd || !ins) rc = -1;
    for (size_t i = 0; i < n; i++) {
        if (!rc) {
            bind(upd, 1, v[i].resource); bind(upd, 2, v[i].ns); bind(upd, 3, v[i].name);
            sqlite3_bind_blob(upd, 4, v[i].keys, (int)v[i].len, SQLITE_STATIC);
            rc = sqlite3_step(upd) == SQLITE_DONE ? 0 : -1;
            sqlite3_reset(upd);
            if (!rc) rc = step_keys(ins, v[i].resource, v[i].ns, v[i].name, v[i].keys, v[i].len);
        }
        free(v[i].resource); free(v[i].ns); free(v[i].name); free(v[i].keys);
    }
    free(v);
    if (upd) store_stmt_done(st, upd);
    if (ins) store_stmt_done(st, ins);
    return rc;
}

/* A random start, so a store made anew in the same directory does not
 * repeat the generations of the one before. */
static int seed_generation(store *st)
{
    unsigned long long r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (unsigned long long)time(NULL) * 2654435761u ^ (unsigned long long)getpid() << 32;
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)(r >> 2));
    return store_meta_set(st, "objects_generation", buf);
}

int store_index_open(store *st)
{
    if (sqlite3_exec(store_sqlite(st), INDEX_SCHEMA, NULL, NULL, NULL) != SQLITE_OK) return -1;
    char *v = store_meta_get(st, "obj_keys_version");
    int rc = 0;
    if (!v || strcmp(v, INDEX_VERSION)) {
        rc = refill(st);
        if (!rc) rc = store_meta_set(st, "obj_keys_version", INDEX_VERSION);
        if (!rc) rc = seed_generation(st);
    }
    free(v);
    return rc;
}

json_t *store_list_by_key(store *st, const char *key, int offset, int limit)
{
    sqlite3_stmt *s = prep(st, "SELECT " STORE_BODY_OF("o.") " FROM object_keys k JOIN objects o ON o.resource=k.resource"
                               " AND o.namespace=k.namespace AND o.name=k.name WHERE k.key=?1"
                               " ORDER BY k.resource, k.namespace, k.name LIMIT ?2 OFFSET ?3");
    if (!s) return json_array();
    bind(s, 1, key);
    sqlite3_bind_int(s, 2, limit);
    sqlite3_bind_int(s, 3, offset < 0 ? 0 : offset);
    return store_collect(st, s);
}

bool store_key_exists(store *st, const char *key)
{
    /* joined, as store_list_by_key is: a key row left by a bulk delete
     * that bypassed store_delete means nothing */
    sqlite3_stmt *s = prep(st, "SELECT 1 FROM object_keys k JOIN objects o ON o.resource=k.resource"
                               " AND o.namespace=k.namespace AND o.name=k.name WHERE k.key=?1 LIMIT 1");
    if (!s) return false;
    bind(s, 1, key);
    bool found = sqlite3_step(s) == SQLITE_ROW;
    store_stmt_done(st, s);
    return found;
}

static bool listed(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (!strcmp(*list, s)) return true;
    return false;
}

json_t *store_list_unkeyed(store *st, const char *const *skip)
{
    /* three ranges of the primary key around the keyed resources, so their
     * (many) rows are never read */
    sqlite3_stmt *s = prep(st, "SELECT resource, namespace, name, " STORE_BODY " FROM objects WHERE resource < ?1"
                               " UNION ALL SELECT resource, namespace, name, " STORE_BODY " FROM objects"
                               " WHERE resource > ?1 AND resource < ?2"
                               " UNION ALL SELECT resource, namespace, name, " STORE_BODY " FROM objects WHERE resource > ?2"
                               " ORDER BY 1, 2, 3");
    if (!s) return json_array();
    bind(s, 1, ROUTING_SE_RESOURCE);
    bind(s, 2, ROUTING_VS_RESOURCE);
    json_t *arr = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (listed(skip, (const char *)sqlite3_column_text(s, 0))) continue;
        json_t *o = json_loads((const char *)sqlite3_column_text(s, 3), 0, NULL);
        if (o) json_array_append_new(arr, o);
    }
    store_stmt_done(st, s);
    return arr;
}

bool store_objects_dirty(store *st) { return store_generation_bumped(st) != 0; }

long long store_objects_generation(store *st)
{
    char *v = store_meta_get(st, "objects_generation");
    long long g = v ? atoll(v) : 0;
    free(v);
    return g;
}
