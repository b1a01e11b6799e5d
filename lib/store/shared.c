/* Shared texts (see shared.h).  A pod's body is split around its spec when
 * that spec is long: the text of the spec goes into `shared` once, keyed
 * by a hash of it, and every pod of the template keeps a reference.  The
 * split point is found in the text (the first "spec": key); any text
 * there that equals a shared row's would do, since the reader only glues
 * the three pieces back together. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "store/shared.h"
#include "store/store_internal.h"

/* Shorter specs are not worth a row of their own. */
#define MIN_SHARED 512
#define CACHE 8

/* The texts put or found lately, so the pods of one template cost a
 * comparison each, not a lookup. */
struct shared_recent {
    struct { long long sid; char *text; size_t len; } cache[CACHE];
    int n, next;
};

/* What this handle learned of the table in the current transaction. */
typedef struct shared_state {
    shared_recent recent;
    int dirty;   /* an object that may have used a shared row was replaced or deleted */
} shared_state;

/* The statements of the command's thread (see store_shared_lay_out). */
static sqlite3_stmt *command_stmt(void *ctx, const char *sql) { return store_stmt(ctx, sql); }
static void command_done(void *ctx, sqlite3_stmt *s) { store_stmt_done(ctx, s); }
static bool command_failed(void *ctx) { return store_write_failed(ctx); }
static void command_failure(void *ctx) { store_note_write_failure(ctx); }

static shared_state *state(store *st, int make)
{
    void **slot = store_shared_slot(st);
    if (!*slot && make) *slot = calloc(1, sizeof(shared_state));
    return *slot;
}

/* Only the pods of one template repeat a spec this long: other resources
 * would pay a lookup for nothing. */
static int encoded_resource(const char *resource) { return !strcmp(resource, "pods"); }

bool store_shared_encodes(const char *resource) { return encoded_resource(resource); }

int store_shared_open(store *st)
{
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *probe = NULL;
    /* a store from before the encoding: the columns start empty (plain bodies) */
    if (sqlite3_prepare_v2(db, "SELECT sid, tail FROM objects LIMIT 0", -1, &probe, NULL) != SQLITE_OK) {
        if (sqlite3_exec(db, "ALTER TABLE objects ADD COLUMN sid INTEGER;"
                             "ALTER TABLE objects ADD COLUMN tail TEXT;", NULL, NULL, NULL) != SQLITE_OK)
            return -1;
    }
    sqlite3_finalize(probe);
    return sqlite3_exec(db,
        "CREATE TABLE IF NOT EXISTS shared(id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, text TEXT NOT NULL);"
        "CREATE INDEX IF NOT EXISTS shared_by_hash ON shared(hash);"
        "CREATE INDEX IF NOT EXISTS objects_by_sid ON objects(sid) WHERE sid IS NOT NULL;",
        NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* The end of the JSON value at p (text the store was given, so valid
 * JSON; NULL when it is not after all). */
static const char *skip_value(const char *p)
{
    int depth = 0;
    for (;;) {
        switch (*p) {
        case 0: return NULL;
        case '"':
            for (p++; *p != '"'; p++) {
                if (!*p) return NULL;
                if (*p == '\\' && !*++p) return NULL;
            }
            p++;
            break;
        case '{': case '[': depth++; p++; break;
        case '}': case ']':
            if (depth == 0) return p;
            depth--; p++;
            break;
        case ',':
            if (depth == 0) return p;
            p++;
            break;
        default: p++; break;
        }
        if (depth == 0 && (*p == ',' || *p == '}' || *p == ']' || !*p)) return p;
    }
}

/* A 64-bit hash of n bytes, word by word. */
static long long hash_text(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    for (; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    h ^= h >> 29;
    return (long long)(h & 0x7fffffffffffffffULL);
}

const char shared_select_sql[] = "SELECT id, text FROM shared WHERE hash=?1";
const char shared_insert_sql[] = "INSERT INTO shared(hash, text) VALUES(?1, ?2)";

/* The row holding text (found or added): its id, 0 when the text cannot be
 * shared (another text has its hash), -1 on a failed write. */
static long long row_for(const shared_db *db, const char *text, size_t len)
{
    long long h = hash_text(text, len), id = 0;
    sqlite3_stmt *s = db->stmt(db->ctx, shared_select_sql);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, h);
    int taken = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        taken = 1;
        if ((size_t)sqlite3_column_bytes(s, 1) == len && !memcmp(sqlite3_column_text(s, 1), text, len)) {
            id = sqlite3_column_int64(s, 0);
            break;
        }
    }
    db->done(db->ctx, s);
    if (id || taken) return id;
    if (db->failed(db->ctx)) return -1;
    s = db->stmt(db->ctx, shared_insert_sql);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, h);
    sqlite3_bind_text(s, 2, text, (int)len, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_DONE) id = sqlite3_last_insert_rowid(sqlite3_db_handle(s));
    else { db->failure(db->ctx); id = -1; }
    db->done(db->ctx, s);
    return id;
}

/* row_for, the text kept among the recent ones when it is shared. */
static long long remembered_row(const shared_db *db, shared_recent *recent, const char *text, size_t len)
{
    long long id = row_for(db, text, len);
    if (id <= 0) return id;
    char *copy = malloc(len);
    if (copy) {
        memcpy(copy, text, len);
        int at = recent->n < CACHE ? recent->n++ : recent->next++ % CACHE;
        free(recent->cache[at].text);
        recent->cache[at].sid = id;
        recent->cache[at].text = copy;
        recent->cache[at].len = len;
    }
    return id;
}

/* Split a whole body around its spec (the value of its first "spec" key). */
static int split_around_spec(const shared_db *db, shared_recent *recent, const char *body, size_t *head,
                             long long *sid, const char **tail)
{
    *sid = 0;
    size_t n = strlen(body);
    const char *key = memmem(body, n, "\"spec\":", 7);
    if (!key) return 0;
    const char *start = key + 7;
    size_t left = n - (size_t)(start - body);
    for (int i = 0; i < recent->n; i++) {
        if (recent->cache[i].len > left || memcmp(start, recent->cache[i].text, recent->cache[i].len)) continue;
        *head = (size_t)(start - body);
        *sid = recent->cache[i].sid;
        *tail = start + recent->cache[i].len;
        return 0;
    }
    const char *end = skip_value(start);
    if (!end || end - start < MIN_SHARED) return 0;
    long long id = remembered_row(db, recent, start, (size_t)(end - start));
    if (id <= 0) return id < 0 ? -1 : 0;
    *head = (size_t)(start - body);
    *sid = id;
    *tail = end;
    return 0;
}

/* The shared row of a piece given apart: 0 when it is not kept shared. */
static long long piece_row(const shared_db *db, shared_recent *recent, const char *piece, size_t len)
{
    if (len < MIN_SHARED) return 0;
    for (int i = 0; i < recent->n; i++)
        if (recent->cache[i].len == len && !memcmp(piece, recent->cache[i].text, len)) return recent->cache[i].sid;
    return remembered_row(db, recent, piece, len);
}

/* r's body in parts joined whole (r->body then points to *whole). */
static int join_whole(object_row *r, const char *piece, size_t piece_len, char **whole)
{
    size_t head = r->body_len ? r->body_len : strlen(r->body), tail = strlen(r->tail);
    if (!(*whole = malloc(head + piece_len + tail + 1))) return -2;
    memcpy(*whole, r->body, head);
    memcpy(*whole + head, piece, piece_len);
    memcpy(*whole + head + piece_len, r->tail, tail + 1);
    r->body = *whole;
    r->body_len = head + piece_len + tail;
    r->tail = NULL;
    return 0;
}

int shared_lay_out(const shared_db *db, shared_recent *recent, object_row *r, const char *piece, size_t piece_len,
                   char **whole)
{
    *whole = NULL;
    if (!piece) return split_around_spec(db, recent, r->body, &r->body_len, &r->sid, &r->tail);
    long long sid = piece_row(db, recent, piece, piece_len);
    if (sid < 0) return -1;
    if (!sid) return join_whole(r, piece, piece_len, whole);
    r->sid = sid;
    if (!r->body_len) r->body_len = strlen(r->body);
    return 0;
}

shared_recent *shared_recent_new(void) { return calloc(1, sizeof(shared_recent)); }

static void recent_clear(shared_recent *r)
{
    for (int i = 0; i < r->n; i++) free(r->cache[i].text);
    r->n = r->next = 0;
}

void shared_recent_free(shared_recent *r)
{
    if (!r) return;
    recent_clear(r);
    free(r);
}

int store_shared_lay_out(store *st, object_row *r, const char *piece, size_t piece_len, char **whole)
{
    *whole = NULL;
    shared_state *ss = encoded_resource(r->resource) && store_in_transaction(st) ? state(st, 1) : NULL;
    if (!ss) return piece ? join_whole(r, piece, piece_len, whole) : 0;
    shared_db db = {st, command_stmt, command_done, command_failed, command_failure};
    return shared_lay_out(&db, &ss->recent, r, piece, piece_len, whole);
}

void store_shared_note_write(store *st, const char *resource)
{
    if (!encoded_resource(resource)) return;
    shared_state *ss = state(st, 1);
    if (ss) ss->dirty = 1;
}

int store_shared_commit(store *st)
{
    shared_state *ss = state(st, 0);
    if (!ss || !ss->dirty) return 0;
    ss->dirty = 0;
    if (store_write_failed(st)) return -1;
    sqlite3_stmt *s = store_stmt(st, "DELETE FROM shared WHERE NOT EXISTS"
                                     " (SELECT 1 FROM objects WHERE objects.sid=shared.id)");
    if (!s) return -1;
    int rc = 0;
    if (sqlite3_step(s) != SQLITE_DONE) { store_note_write_failure(st); rc = -1; }
    store_stmt_done(st, s);
    return rc;
}

void store_shared_forget(store *st)
{
    shared_state *ss = state(st, 0);
    if (!ss) return;
    recent_clear(&ss->recent);
    free(ss);
    *store_shared_slot(st) = NULL;
}
