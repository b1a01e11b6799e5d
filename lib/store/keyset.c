/* Hash sets of object keys.  See keyset.h. */
#include <stdlib.h>
#include <string.h>
#include "store/keyset.h"

uint64_t keyset_hash(const char *resource, const char *ns, const char *name)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a over the three, each ended by 0x1f */
    const char *parts[3] = {resource, ns, name};
    for (int i = 0; i < 3; i++) {
        for (const char *p = parts[i] ? parts[i] : ""; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
        h = (h ^ 0x1f) * 1099511628211ull;
    }
    return h ? h : 1;
}

/* open addressing, at most half full */
static void insert(uint64_t *slot, size_t cap, uint64_t h)
{
    size_t j = h & (cap - 1);
    while (slot[j] && slot[j] != h) j = (j + 1) & (cap - 1);
    slot[j] = h;
}

void keyset_add(keyset *s, uint64_t h)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *t = calloc(cap, sizeof *t);
        if (!t) { s->lost = true; return; }
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i]) insert(t, cap, s->slot[i]);
        free(s->slot);
        s->slot = t;
        s->cap = cap;
    }
    if (!keyset_has(s, h)) s->n++;
    insert(s->slot, s->cap, h);
}

bool keyset_has(const keyset *s, uint64_t h)
{
    if (s->lost) return true;
    if (!s->cap) return false;
    for (size_t j = h & (s->cap - 1); s->slot[j]; j = (j + 1) & (s->cap - 1))
        if (s->slot[j] == h) return true;
    return false;
}

void keyset_clear(keyset *s)
{
    if (s->cap) memset(s->slot, 0, s->cap * sizeof *s->slot);
    s->n = 0;
    s->lost = false;
}

void keyset_free(keyset *s)
{
    free(s->slot);
    memset(s, 0, sizeof *s);
}
