/* Write-behind for long runs of object writes (store_write_behind).
 *
 * Inserting a row and its lookup keys is most of what SQLite does when a
 * stream of 10 000 objects is applied.  While the command's thread works
 * out the next object, a writer thread inserts the ones before it, on the
 * same connection and in the same transaction, in the order they came.
 *
 * The rule that keeps this invisible: the connection is the writer's while
 * rows are queued.  The command's thread may still look one object up by
 * its key (writer_lock around the lookup) unless that object is queued;
 * anything else it does with the connection waits until the queue is empty
 * (writer_drain).  Internal to lib/store. */
#ifndef MESHSIM_STORE_WRITER_H
#define MESHSIM_STORE_WRITER_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "store/store_internal.h"

typedef struct store_writer store_writer;

/* One object row.  The writer copies its texts and keys. */
typedef struct writer_row {
    object_row obj;
    bool is_new;    /* no such object before: no row to replace, no old keys */
    bool split;     /* the writer lays obj's body out (store_shared_lay_out) */
    /* when obj.body and obj.tail are the text around this piece; the
     * caller keeps it as it is until the writer stops */
    const char *piece;
    size_t piece_len;
    uint64_t hash;  /* keyset_hash of its resource, namespace and name */
} writer_row;

/* A writer on db with statements of its own.  NULL when it cannot start
 * (the caller then writes as usual). */
store_writer *writer_start(sqlite3 *db);
/* Queue r (its texts copied, but for the piece).  0, or -1 when an earlier
 * row failed (r is dropped). */
int writer_enqueue(store_writer *w, const writer_row *r);
/* Is an object with this key queued and maybe not yet written? */
bool writer_pending(store_writer *w, const char *resource, const char *ns, const char *name);
/* Hold the connection for one lookup between the writer's rows. */
void writer_lock(store_writer *w);
void writer_unlock(store_writer *w);
/* Wait until every queued row is written.  0, or -1 with SQLite's message
 * of the first row that failed in failure. */
int writer_drain(store_writer *w, char *failure, size_t len);
/* Drain, stop the thread and free w (NULL is fine); as writer_drain. */
int writer_stop(store_writer *w, char *failure, size_t len);

#endif
