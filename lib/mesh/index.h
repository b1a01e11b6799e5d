/* Small hash tables and an arena for the mesh model.
 *
 * The mesh is rebuilt from the store for every command, and one routing
 * decision must not cost time proportional to the number of resources, so
 * everything a decision looks up (hosts, addresses, ports, names) goes
 * through these string-keyed tables.  Values are kept in insertion order per
 * key, because Istio resolves conflicts by "first one wins". */
#ifndef MESHSIM_MESH_INDEX_H
#define MESHSIM_MESH_INDEX_H

#include <stddef.h>

typedef struct mindex mindex;

mindex *mindex_new(size_t hint);
void mindex_free(mindex *ix);
/* Add val under key (the key is copied).  Returns 0, -1 on allocation failure. */
int mindex_add(mindex *ix, const char *key, void *val);
/* Add val under key at its place in the order of ord (strcmp; ties keep
 * insertion order).  ord must live as long as the table.  A key's values
 * are either all added this way or all by mindex_add. */
int mindex_add_ordered(mindex *ix, const char *key, void *val, const char *ord);
/* Every value under key, in insertion order; *n gets the count (0: NULL). */
void *const *mindex_get(const mindex *ix, const char *key, size_t *n);
/* The first value under key, or NULL. */
void *mindex_first(const mindex *ix, const char *key);

/* An arena: everything the mesh computes lives until mesh_free. */
typedef struct arena arena;
arena *arena_new(void);
void arena_free(arena *a);
void *arena_alloc(arena *a, size_t size);          /* zeroed, aligned */
char *arena_strdup(arena *a, const char *s);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
