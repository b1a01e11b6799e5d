/* What lib/store's other files need of the store handle (not public). */
#ifndef MESHSIM_STORE_INTERNAL_H
#define MESHSIM_STORE_INTERNAL_H

#include <sqlite3.h>
#include "store/store.h"

sqlite3 *store_sqlite(store *st);
/* A write of this transaction failed: store_commit will refuse it. */
void store_note_write_failure(store *st);
/* Has a write of this transaction failed already (then write nothing more)? */
int store_write_failed(store *st);
/* Has this transaction bumped the objects generation yet (index.c)? */
int store_generation_bumped(store *st);
void store_set_generation_bumped(store *st);

/* A prepared statement for sql (a string literal: its address names it),
 * kept for the life of the handle; give it back with store_stmt_done. */
sqlite3_stmt *store_stmt(store *st, const char *sql);
void store_stmt_done(store *st, sqlite3_stmt *s);
/* shared.c's state for this handle (NULL until it makes one), and whether
 * a transaction is open. */
void **store_shared_slot(store *st);
int store_in_transaction(const store *st);

/* The objects whose texts s's rows hold in their first column, parsed; s
 * is then given back (store_stmt_done). */
json_t *store_collect(store *st, sqlite3_stmt *s);

/* One row of the objects table as it is written. */
typedef struct object_row {
    const char *resource, *ns, *name, *row, *labels, *applied;
    const char *body;        /* the text, or (sid > 0) its first body_len bytes */
    size_t body_len;         /* (sid 0: the text's length when known, else 0) */
    long long sid;           /* > 0: then the shared text sid, then tail (shared.h) */
    const char *tail;
    const char *keys;        /* its lookup keys (index_object_keys), keys_len bytes; NULL: none */
    size_t keys_len;
} object_row;
/* The statement that writes an object row, and its parameters (store.c);
 * the write-behind thread (writer.c) runs its own copy. */
extern const char store_put_object_sql[];
extern const char store_delete_object_sql[];
void store_bind_object(sqlite3_stmt *s, const object_row *r);
/* Run del (store_delete_object_sql) for one object: 1 when a row went, 0
 * when there was none, -1 on error; *old: a copy of the keys that row held
 * (malloc'd, *old_len bytes; NULL: none). */
int store_delete_row(sqlite3_stmt *del, const char *resource, const char *ns, const char *name, char **old,
                     size_t *old_len);
/* Write r in place of the object's row (none to replace when is_new) and
 * refile its lookup keys, with the statements of store_delete_object_sql,
 * store_put_object_sql, index_delete_key_sql and index_insert_key_sql: the
 * command's own (store_put_ex) or the write-behind thread's.  0, or -1. */
int store_write_row(sqlite3_stmt *del_obj, sqlite3_stmt *put, sqlite3_stmt *del_key, sqlite3_stmt *ins_key,
                    const object_row *r, bool is_new);

/* An object's lookup keys (index.c), as its row keeps them: each key
 * followed by a NUL, *keys_len bytes in all, malloc'd; NULL when it has
 * none (or its resource is not looked up by key).  From obj, or when obj
 * is NULL from its text, body.  0, or -1 when out of memory. */
int index_object_keys(const char *resource, const char *ns, json_t *obj, const char *body, char **keys,
                      size_t *keys_len);
/* Refile one object with these statements (SQL below): delete its rows
 * of the old keys, insert those of the new (nothing when they are the
 * same).  0, or -1. */
extern const char index_delete_key_sql[], index_insert_key_sql[];
int index_replace_keys(sqlite3_stmt *del, sqlite3_stmt *ins, const char *resource, const char *ns, const char *name,
                       const char *old, size_t old_len, const char *keys, size_t keys_len);
/* An object of this transaction is written (the objects generation moves
 * once per transaction).  0, or -1 with the failure noted. */
int store_index_note_write(store *st);

#endif
