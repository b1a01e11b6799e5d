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

/* The object's text in a query over the objects table: an SQL expression,
 * for a table named (or aliased) t with the dot ("objects.", "o."). */
#define STORE_BODY_OF(t) \
    "(CASE WHEN " t "sid IS NULL THEN " t "body ELSE " t "body||(SELECT text FROM shared WHERE shared.id=" t "sid)||" t "tail END)"
#define STORE_BODY STORE_BODY_OF("objects.")

/* May bodies of this resource be split (then the write-behind thread
 * splits them itself: writer.h)? */
bool store_shared_encodes(const char *resource);

/* The table, and the objects' sid/tail columns added to a store made
 * before them (inside the opening transaction).  0, or -1. */
int store_shared_open(store *st);

/* How to keep body: when *sid > 0, as its first *head bytes, shared row
 * *sid, then the text from *tail on; else as it is.  -1 on a failed write. */
int store_shared_split(store *st, const char *resource, const char *body, size_t *head, long long *sid,
                       const char **tail);
/* The shared row for piece (len bytes), the very text a split would cut
 * out (a pod template's spec, which its writer knows): found or added; 0
 * when it is not kept shared (short, another text with its hash, not a
 * resource split so); -1 on a failed write. */
long long store_shared_piece(store *st, const char *resource, const char *piece, size_t len);

/* The same split for a thread with statements of its own on the
 * connection (the write-behind thread, writer.h): how it runs the two
 * statements shared_select_sql and shared_insert_sql, and the texts it
 * put or found lately (shared_recent_new). */
typedef struct shared_recent shared_recent;
typedef struct shared_db {
    void *ctx;
    sqlite3_stmt *(*stmt)(void *ctx, const char *sql);   /* the statement of sql, ready to bind */
    void (*done)(void *ctx, sqlite3_stmt *s);
    bool (*failed)(void *ctx);                          /* has a write of the transaction failed? */
    void (*failure)(void *ctx);                         /* note this failed write */
} shared_db;
extern const char shared_select_sql[], shared_insert_sql[];
int shared_split_with(const shared_db *db, shared_recent *recent, const char *body, size_t *head, long long *sid,
                      const char **tail);
long long shared_piece_with(const shared_db *db, shared_recent *recent, const char *piece, size_t len);
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
