/* The write-behind thread.  See writer.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/keyset.h"
#include "store/shared.h"
#include "store/store_internal.h"
#include "store/writer.h"
#include "model/heap.h"

typedef struct entry {
    struct entry *next;
    object_row obj;   /* its texts (and keys) in text */
    bool is_new, split;
    const char *piece;   /* (writer_row's, not copied) */
    size_t piece_len;
    char text[];
} entry;

struct store_writer {
    sqlite3 *db;
    sqlite3_stmt *put, *del_obj, *del_key, *ins_key;
    sqlite3_stmt *shared_sel, *shared_ins;   /* for bodies it splits (shared.h) */
    shared_recent *recent;
    pthread_t thread;
    /* mu guards the queue and the flags; conn is the connection, held by
     * the writer for one row at a time and by the command's lookups */
    pthread_mutex_t mu, conn;
    pthread_cond_t work, idle;
    entry *head, *tail;
    /* rows written, freed by the command's thread: a free here of memory
     * that thread allocated waited on its allocator's lock */
    entry *written;
    bool busy, stopping, waiting;
    int unsignalled;   /* rows queued since the writer was last woken */
    /* set once, under mu, after failure is written; read by both threads */
    atomic_int failed;
    char failure[512];
    /* the keys queued since the queue was last empty (a false positive
     * only makes a lookup wait) */
    keyset pending;
};

/* Note the first failure (either thread). */
static void fail(store_writer *w, const char *why)
{
    pthread_mutex_lock(&w->mu);
    if (!atomic_load(&w->failed)) {
        snprintf(w->failure, sizeof w->failure, "%s", why);
        atomic_store(&w->failed, 1);
    }
    pthread_mutex_unlock(&w->mu);
}

/* The shared texts' statements, for shared_lay_out. */
static sqlite3_stmt *shared_stmt(void *ctx, const char *sql)
{
    store_writer *w = ctx;
    return sql == shared_select_sql ? w->shared_sel : w->shared_ins;
}
static void shared_done(void *ctx, sqlite3_stmt *s)
{
    (void)ctx;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}
static bool shared_failed(void *ctx) { return atomic_load(&((store_writer *)ctx)->failed); }
static void shared_failure(void *ctx)
{
    store_writer *w = ctx;
    fail(w, sqlite3_errmsg(w->db));
}

static void write_entry(store_writer *w, entry *e)
{
    if (atomic_load(&w->failed)) return;
    char *whole = NULL;
    if (e->split) {
        shared_db db = {w, shared_stmt, shared_done, shared_failed, shared_failure};
        int laid = shared_lay_out(&db, w->recent, &e->obj, e->piece, e->piece_len, &whole);
        if (laid == -2) fail(w, "out of memory");
        if (laid) return;
    }
    if (store_write_row(w->del_obj, w->put, w->del_key, w->ins_key, &e->obj, e->is_new))
        fail(w, sqlite3_errmsg(w->db));
    free(whole);
}

static void free_entries(entry *e)
{
    while (e) {
        entry *next = e->next;
        free(e);
        e = next;
    }
}

static void finalize_statements(store_writer *w)
{
    sqlite3_finalize(w->put);
    sqlite3_finalize(w->del_obj);
    sqlite3_finalize(w->del_key);
    sqlite3_finalize(w->ins_key);
    sqlite3_finalize(w->shared_sel);
    sqlite3_finalize(w->shared_ins);
    shared_recent_free(w->recent);
}

/* rows queued before the writer is woken */
#define WAKE_BATCH 64

static void *writer_run(void *arg)
{
    store_writer *w = arg;
    heap_thread_use_huge_pages();
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stopping) {
            w->waiting = true;
            pthread_cond_wait(&w->work, &w->mu);
            w->waiting = false;
        }
        if (!w->head) break;
        entry *batch = w->head, *last = w->tail;
        w->head = w->tail = NULL;
        w->busy = true;
        pthread_mutex_unlock(&w->mu);
        for (entry *e = batch; e; e = e->next) {
            pthread_mutex_lock(&w->conn);
            write_entry(w, e);
            pthread_mutex_unlock(&w->conn);
        }
        pthread_mutex_lock(&w->mu);
        last->next = w->written;
        w->written = batch;
        w->busy = false;
        if (!w->head) pthread_cond_broadcast(&w->idle);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

store_writer *writer_start(sqlite3 *db)
{
    store_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->db = db;
    if (sqlite3_prepare_v2(db, store_put_object_sql, -1, &w->put, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, store_delete_object_sql, -1, &w->del_obj, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, index_delete_key_sql, -1, &w->del_key, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, index_insert_key_sql, -1, &w->ins_key, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, shared_select_sql, -1, &w->shared_sel, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, shared_insert_sql, -1, &w->shared_ins, NULL) != SQLITE_OK ||
        !(w->recent = shared_recent_new()))
        goto fail;
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_init(&w->conn, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->idle, NULL);
    if (pthread_create(&w->thread, NULL, writer_run, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_mutex_destroy(&w->conn);
        pthread_cond_destroy(&w->work);
        pthread_cond_destroy(&w->idle);
        goto fail;
    }
    return w;
fail:
    finalize_statements(w);
    free(w);
    return NULL;
}

/* Copy s (n bytes; NULL stays NULL) into *at, NUL-ended, and advance. */
static const char *place(char **at, const char *s, size_t n)
{
    if (!s) return NULL;
    memcpy(*at, s, n);
    (*at)[n] = 0;
    const char *r = *at;
    *at += n + 1;
    return r;
}

int writer_enqueue(store_writer *w, const writer_row *r)
{
    const object_row *o = &r->obj;
    /* each text's length measured once (a body is most of a row) */
    const char *texts[] = {o->resource, o->ns, o->name, o->row, o->labels, o->applied, o->body, o->tail};
    size_t lens[8], n = o->keys_len;
    for (int i = 0; i < 8; i++) {
        lens[i] = !texts[i] ? 0 : i == 6 && o->sid ? o->body_len : strlen(texts[i]);
        n += texts[i] ? lens[i] + 1 : 0;
    }
    entry *e = malloc(sizeof *e + n + 1);
    if (!e) {
        fail(w, "out of memory");
        return -1;
    }
    char *at = e->text;
    e->next = NULL;
    e->obj = *o;
    e->obj.resource = place(&at, o->resource, lens[0]);
    e->obj.ns = place(&at, o->ns, lens[1]);
    e->obj.name = place(&at, o->name, lens[2]);
    e->obj.row = place(&at, o->row, lens[3]);
    e->obj.labels = place(&at, o->labels, lens[4]);
    e->obj.applied = place(&at, o->applied, lens[5]);
    e->obj.body = place(&at, o->body, lens[6]);
    e->obj.tail = place(&at, o->tail, lens[7]);
    e->obj.body_len = lens[6];   /* (known now: SQLite need not measure it again) */
    if (o->keys_len) {
        memcpy(at, o->keys, o->keys_len);
        e->obj.keys = at;
    }
    e->is_new = r->is_new;
    e->split = r->split;
    e->piece = r->piece;
    e->piece_len = r->piece_len;
    pthread_mutex_lock(&w->mu);
    int rc = atomic_load(&w->failed) ? -1 : 0;
    if (rc) {
        pthread_mutex_unlock(&w->mu);
        free(e);
        return rc;
    }
    keyset_add(&w->pending, r->hash);
    if (w->tail) w->tail->next = e;
    else w->head = e;
    w->tail = e;
    /* wake the writer for a batch, not for every row (each wake is a
     * system call on both sides) */
    if (++w->unsignalled >= WAKE_BATCH && w->waiting) {
        w->unsignalled = 0;
        pthread_cond_signal(&w->work);
    }
    entry *done = w->written;
    w->written = NULL;
    pthread_mutex_unlock(&w->mu);
    free_entries(done);
    return 0;
}

bool writer_pending(store_writer *w, const char *resource, const char *ns, const char *name)
{
    pthread_mutex_lock(&w->mu);
    bool queued = (w->head || w->busy) && keyset_has(&w->pending, keyset_hash(resource, ns, name));
    pthread_mutex_unlock(&w->mu);
    return queued;
}

void writer_lock(store_writer *w) { pthread_mutex_lock(&w->conn); }
void writer_unlock(store_writer *w) { pthread_mutex_unlock(&w->conn); }

int writer_drain(store_writer *w, char *failure, size_t len)
{
    pthread_mutex_lock(&w->mu);
    if (w->head) {
        w->unsignalled = 0;
        pthread_cond_signal(&w->work);
    }
    while (w->head || w->busy) pthread_cond_wait(&w->idle, &w->mu);
    entry *done = w->written;
    w->written = NULL;
    keyset_clear(&w->pending);
    int rc = atomic_load(&w->failed) ? -1 : 0;
    if (rc && failure) snprintf(failure, len, "%s", w->failure);
    pthread_mutex_unlock(&w->mu);
    free_entries(done);
    return rc;
}

int writer_stop(store_writer *w, char *failure, size_t len)
{
    if (!w) return 0;
    int rc = writer_drain(w, failure, len);
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    finalize_statements(w);
    pthread_mutex_destroy(&w->mu);
    pthread_mutex_destroy(&w->conn);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->idle);
    keyset_free(&w->pending);
    free(w);
    return rc;
}
