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

#endif
