/* Shared texts: the store's compact encoding of objects whose bodies repeat
 * one large piece (the pods of one template share their whole spec, ~4 KB
 * of a ~6 KB pod once a sidecar is injected).  Such a body is kept as
 * body (the text before the piece), sid (the piece, a row of the `shared`
 * table, stored once) and tail (the text after it); readers get
 * body || shared.text || tail, the very text that was put.  The encoding
 * is textual only: nothing here parses or changes what the object means.
 * Internal to lib/store. */
#ifndef MESHSIM_STORE_SHARED_H
#define MESHSIM_STORE_SHARED_H

#include <stdbool.h>
#include <stddef.h>
#include <sqlite3.h>
#include "store/store.h"
#include "store/store_internal.h"

/* The object's text in a query over the objects table: an SQL expression,
 * for a table named (or aliased) t with the dot ("objects.", "o."). */
#define STORE_BODY_OF(t) \
    "(CASE WHEN " t "sid IS NULL THEN " t "body ELSE " t "body||(SELECT text FROM shared WHERE shared.id=" t "sid)||" t "tail END)"
#define STORE_BODY STORE_BODY_OF("objects.")

/* May bodies of this resource be split (then the write-behind thread
 * lays them out itself: writer.h)? */
bool store_shared_encodes(const char *resource);

/* The table, and the objects' sid/tail columns added to a store made
 * before them (inside the opening transaction).  0, or -1. */
int store_shared_open(store *st);

/* How r's body is kept.  Given whole (piece NULL): split around its spec
 * when that is long, r->body_len, r->sid and r->tail set; else as it is.
 * Given in parts (r->body the text before piece, r->body_len its length
 * or 0, r->tail the text after: a pod template's spec, which its writer
 * knows): r->sid set to piece's shared row, or, when piece is not kept
 * shared, the text joined whole into *whole (malloc'd; r->body points to
 * it).  0; -1 on a failed write (noted); -2 out of memory. */
int store_shared_lay_out(store *st, object_row *r, const char *piece, size_t piece_len, char **whole);

/* The same for a thread with statements of its own on the connection (the
 * write-behind thread, writer.h): how it runs the two statements
 * shared_select_sql and shared_insert_sql, and the texts it put or found
 * lately (shared_recent_new). */
typedef struct shared_recent shared_recent;
typedef struct shared_db {
    void *ctx;
    sqlite3_stmt *(*stmt)(void *ctx, const char *sql);   /* the statement of sql, ready to bind */
    void (*done)(void *ctx, sqlite3_stmt *s);
    bool (*failed)(void *ctx);                          /* has a write of the transaction failed? */
    void (*failure)(void *ctx);                         /* note this failed write */
} shared_db;
extern const char shared_select_sql[], shared_insert_sql[];
int shared_lay_out(const shared_db *db, shared_recent *recent, object_row *r, const char *piece, size_t piece_len,
                   char **whole);
shared_recent *shared_recent_new(void);
void shared_recent_free(shared_recent *r);

/* An object of resource was replaced or deleted: its shared row may be
 * left unused (dropped at commit by store_shared_commit). */
void store_shared_note_write(store *st, const char *resource);
/* Before COMMIT: drop the shared rows no object uses any more.  0, or -1. */
int store_shared_commit(store *st);
/* The transaction ended (committed or rolled back): forget what this
 * handle knew of the table, which other processes may change from now. */
void store_shared_forget(store *st);

#endif
