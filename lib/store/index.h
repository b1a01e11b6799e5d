/* Lookup keys of objects (lib/model/routing_keys.h), kept by the store in a
 * table of its own (object_keys) next to the objects: written in the same
 * transaction as the object, so a probe can load only the objects of the
 * hosts it involves.  store_put / store_delete keep it up to date; a store
 * made before the table existed gets it filled when first opened.
 *
 * The same table carries the objects generation: a number that changes
 * whenever a committed object write happened, so a process can keep what it
 * computed from the objects (the mesh) for as long as it stays the same. */
#ifndef MESHSIM_STORE_INDEX_H
#define MESHSIM_STORE_INDEX_H

#include <jansson.h>
#include "store/store.h"

/* Create the table (and fill it for an older store).  0, or -1. */
int store_index_open(store *st);
/* Unfile a deleted object (called by store_delete, inside the command's
 * transaction): old is the keys its row held, an objects.keys blob
 * (index_object_keys).  A written object is filed by store_write_row.
 * 0, or -1. */
int store_index_drop(store *st, const char *resource, const char *ns, const char *name, const char *old,
                     size_t old_len);

/* The objects with key, ordered by resource, namespace, name, from offset,
 * at most limit (limit < 0: all).  A new array. */
json_t *store_list_by_key(store *st, const char *key, int offset, int limit);
/* Is any object filed under key? */
bool store_key_exists(store *st, const char *key);
/* Every object of the resources routing does not look up by key, ordered by
 * resource, namespace, name, except those of the resources in skip
 * (NULL-terminated; NULL: none).  A new array. */
json_t *store_list_unkeyed(store *st, const char *const *skip);

/* The objects generation (see above): compare two values for equality only.
 * A new store starts from a random value, so two stores made one after the
 * other in one directory do not share values. */
long long store_objects_generation(store *st);
/* Has this handle written objects that the generation read now does not
 * describe yet (its transaction wrote objects)?  Then nothing computed now
 * may be kept under that generation. */
bool store_objects_dirty(store *st);

#endif
