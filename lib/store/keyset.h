/* A set of object keys (resource, namespace, name) kept as 64-bit hashes:
 * "not in the set" is certain, "in the set" may be a collision.  The store
 * uses it to answer "no such object" without a query (writer.h). */
#ifndef MESHSIM_STORE_KEYSET_H
#define MESHSIM_STORE_KEYSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct keyset {
    uint64_t *slot;     /* 0 = free */
    size_t n, cap;
    bool lost;          /* a key could not be added: keyset_has says yes to all */
} keyset;

uint64_t keyset_hash(const char *resource, const char *ns, const char *name);
void keyset_add(keyset *s, uint64_t h);
bool keyset_has(const keyset *s, uint64_t h);
void keyset_clear(keyset *s);
void keyset_free(keyset *s);

#endif
