/* The lookup-key table (see index.h).  Rows (resource, namespace, name, key);
 * read by key in object order, deleted by object. */
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
#define INDEX_VERSION "1"

static const char *INDEX_SCHEMA =
    "CREATE TABLE IF NOT EXISTS obj_keys(resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,"
    " key TEXT NOT NULL, PRIMARY KEY(resource, namespace, name, key)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS obj_keys_by_key ON obj_keys(key, resource, namespace, name);";

/* Statements are the store's cached ones: a probe asks for many keys. */
static sqlite3_stmt *prep(store *st, const char *sql) { return store_stmt(st, sql); }

static void bind(sqlite3_stmt *s, int i, const char *v) { sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_TRANSIENT); }

typedef struct adder {
    store *st;
    sqlite3_stmt *ins;
    const char *resource, *ns, *name;
    int rc;
} adder;

static void add_key(void *ctx, const char *key)
{
    adder *a = ctx;
    if (a->rc) return;
    sqlite3_reset(a->ins);
    sqlite3_clear_bindings(a->ins);
    bind(a->ins, 1, a->resource); bind(a->ins, 2, a->ns); bind(a->ins, 3, a->name); bind(a->ins, 4, key);
    if (sqlite3_step(a->ins) != SQLITE_DONE) a->rc = -1;
}

const char index_insert_key_sql[] = "INSERT OR IGNORE INTO obj_keys(resource,namespace,name,key) VALUES(?1,?2,?3,?4)";
const char index_delete_keys_sql[] = "DELETE FROM obj_keys WHERE resource=?1 AND namespace=?2 AND name=?3";

static int insert_keys(store *st, const char *resource, const char *ns, const char *name, json_t *obj)
{
    adder a = {st, prep(st, index_insert_key_sql), resource, ns, name, 0};
    if (!a.ins) return -1;
    routing_keys(resource, ns, obj, add_key, &a);
    store_stmt_done(st, a.ins);
    return a.rc;
}

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

int store_index_delete(store *st, const char *resource, const char *ns, const char *name)
{
    if (store_write_failed(st)) return -1;
    if (bump_generation(st)) return fail(st);
    if (!routing_keyed_resource(resource)) return 0;
    sqlite3_stmt *s = prep(st, index_delete_keys_sql);
    if (!s) return fail(st);
    bind(s, 1, resource); bind(s, 2, ns); bind(s, 3, name);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
    store_stmt_done(st, s);
    return rc ? fail(st) : 0;
}

int store_index_put(store *st, const char *resource, const char *ns, const char *name, json_t *obj,
                    const char *body, bool is_new)
{
    /* a new object has no keys to replace (deleting them was a fifth of
     * filing a 10 000-object apply's keys), but the generation moves */
    if (is_new) {
        if (bump_generation(st)) return fail(st);
    } else if (store_index_delete(st, resource, ns, name)) {
        return -1;
    }
    if (!routing_keyed_resource(resource)) return 0;
    json_t *parsed = !obj && body ? json_loads(body, 0, NULL) : NULL;
    int rc = insert_keys(st, resource, ns, name, obj ? obj : parsed);
    json_decref(parsed);
    return rc ? fail(st) : 0;
}

int store_index_note_write(store *st)
{
    return bump_generation(st) ? fail(st) : 0;
}

typedef struct key_list {
    char **v;
    size_t n, cap;
    int failed;
} key_list;

static void collect_key(void *ctx, const char *key)
{
    key_list *l = ctx;
    if (l->failed) return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) { l->failed = 1; return; }
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(key))) { l->failed = 1; return; }
    l->n++;
}

int index_collect_keys(const char *resource, const char *ns, json_t *obj, const char *body, char ***keys,
                       size_t *nkeys, bool *keyed)
{
    *keys = NULL;
    *nkeys = 0;
    *keyed = routing_keyed_resource(resource);
    if (!*keyed) return 0;
    json_t *parsed = !obj && body ? json_loads(body, 0, NULL) : NULL;
    key_list l = {0};
    routing_keys(resource, ns, obj ? obj : parsed, collect_key, &l);
    json_decref(parsed);
    if (l.failed) {
        for (size_t i = 0; i < l.n; i++) free(l.v[i]);
        free(l.v);
        return -1;
    }
    *keys = l.v;
    *nkeys = l.n;
    return 0;
}

int index_write_keys(sqlite3_stmt *del, sqlite3_stmt *ins, const char *resource, const char *ns, const char *name,
                     char *const *keys, size_t nkeys, bool is_new)
{
    int rc = 0;
    if (!is_new) {
        bind(del, 1, resource); bind(del, 2, ns); bind(del, 3, name);
        rc = sqlite3_step(del) == SQLITE_DONE ? 0 : -1;
        sqlite3_reset(del);
    }
    for (size_t i = 0; i < nkeys && !rc; i++) {
        bind(ins, 1, resource); bind(ins, 2, ns); bind(ins, 3, name); bind(ins, 4, keys[i]);
        rc = sqlite3_step(ins) == SQLITE_DONE ? 0 : -1;
        sqlite3_reset(ins);
    }
    return rc;
}

/* A store from before the table: file every keyed object once. */
static int refill(store *st)
{
    sqlite3 *db = store_sqlite(st);
    if (sqlite3_exec(db, "DELETE FROM obj_keys", NULL, NULL, NULL) != SQLITE_OK) return -1;
    sqlite3_stmt *s = prep(st, "SELECT resource, namespace, name, " STORE_BODY " FROM objects");
    if (!s) return -1;
    int rc = 0;
    while (!rc && sqlite3_step(s) == SQLITE_ROW) {
        const char *res = (const char *)sqlite3_column_text(s, 0);
        if (!routing_keyed_resource(res)) continue;
        json_t *o = json_loads((const char *)sqlite3_column_text(s, 3), 0, NULL);
        if (o) rc = insert_keys(st, res, (const char *)sqlite3_column_text(s, 1),
                                (const char *)sqlite3_column_text(s, 2), o);
        json_decref(o);
    }
    store_stmt_done(st, s);
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
    sqlite3_stmt *s = prep(st, "SELECT " STORE_BODY_OF("o.") " FROM obj_keys k JOIN objects o ON o.resource=k.resource"
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
    sqlite3_stmt *s = prep(st, "SELECT 1 FROM obj_keys k JOIN objects o ON o.resource=k.resource"
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
