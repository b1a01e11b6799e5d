/* String-keyed multimap (separate chaining, FNV-1a) and a bump arena. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mesh/index.h"

typedef struct mslot {
    struct mslot *next;
    uint32_t hash;
    void **vals;
    const char **ords;         /* mindex_add_ordered: each value's order string */
    size_t n, cap;
    char key[];
} mslot;

struct mindex {
    mslot **buckets;
    size_t nbuckets, nkeys;
};

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 16777619u; }
    return h;
}

mindex *mindex_new(size_t hint)
{
    mindex *ix = calloc(1, sizeof *ix);
    if (!ix) return NULL;
    size_t n = 64;
    while (n < hint * 2) n <<= 1;
    ix->buckets = calloc(n, sizeof *ix->buckets);
    if (!ix->buckets) { free(ix); return NULL; }
    ix->nbuckets = n;
    return ix;
}

void mindex_free(mindex *ix)
{
    if (!ix) return;
    for (size_t i = 0; i < ix->nbuckets; i++) {
        mslot *s = ix->buckets[i];
        while (s) { mslot *nx = s->next; free(s->vals); free(s->ords); free(s); s = nx; }
    }
    free(ix->buckets);
    free(ix);
}

static void grow(mindex *ix)
{
    size_t n = ix->nbuckets * 2;
    mslot **b = calloc(n, sizeof *b);
    if (!b) return;   /* keep working with longer chains */
    for (size_t i = 0; i < ix->nbuckets; i++) {
        mslot *s = ix->buckets[i];
        while (s) {
            mslot *nx = s->next;
            size_t j = s->hash & (n - 1);
            s->next = b[j]; b[j] = s;
            s = nx;
        }
    }
    free(ix->buckets);
    ix->buckets = b;
    ix->nbuckets = n;
}

static mslot *find(const mindex *ix, const char *key, uint32_t h)
{
    for (mslot *s = ix->buckets[h & (ix->nbuckets - 1)]; s; s = s->next)
        if (s->hash == h && !strcmp(s->key, key)) return s;
    return NULL;
}

static mslot *slot_for(mindex *ix, const char *key)
{
    uint32_t h = fnv1a(key);
    mslot *s = find(ix, key, h);
    if (!s) {
        size_t kl = strlen(key);
        s = calloc(1, sizeof *s + kl + 1);
        if (!s) return NULL;
        memcpy(s->key, key, kl + 1);
        s->hash = h;
        size_t j = h & (ix->nbuckets - 1);
        s->next = ix->buckets[j]; ix->buckets[j] = s;
        if (++ix->nkeys > ix->nbuckets) grow(ix);
    }
    return s;
}

static int reserve(mslot *s, bool ordered)
{
    if (s->n < s->cap) return 0;
    size_t nc = s->cap ? s->cap * 2 : 2;
    void **nv = realloc(s->vals, nc * sizeof *nv);
    if (!nv) return -1;
    s->vals = nv;
    if (ordered) {
        const char **no = realloc(s->ords, nc * sizeof *no);
        if (!no) return -1;
        s->ords = no;
    }
    s->cap = nc;
    return 0;
}

int mindex_add(mindex *ix, const char *key, void *val)
{
    if (!ix || !key) return -1;
    mslot *s = slot_for(ix, key);
    if (!s || reserve(s, false)) return -1;
    s->vals[s->n++] = val;
    return 0;
}

int mindex_add_ordered(mindex *ix, const char *key, void *val, const char *ord)
{
    if (!ix || !key || !ord) return -1;
    mslot *s = slot_for(ix, key);
    if (!s) return -1;
    if (s->n && !s->ords) return -1;   /* never mixed with mindex_add */
    if (reserve(s, true)) return -1;
    if (!s->ords) {
        s->ords = malloc(s->cap * sizeof *s->ords);
        if (!s->ords) return -1;
    }
    size_t at = s->n;
    while (at > 0 && strcmp(s->ords[at - 1], ord) > 0) at--;
    memmove(s->vals + at + 1, s->vals + at, (s->n - at) * sizeof *s->vals);
    memmove(s->ords + at + 1, s->ords + at, (s->n - at) * sizeof *s->ords);
    s->vals[at] = val;
    s->ords[at] = ord;
    s->n++;
    return 0;
}

void *const *mindex_get(const mindex *ix, const char *key, size_t *n)
{
    *n = 0;
    if (!ix || !key) return NULL;
    mslot *s = find(ix, key, fnv1a(key));
    if (!s) return NULL;
    *n = s->n;
    return s->vals;
}

void *mindex_first(const mindex *ix, const char *key)
{
    size_t n;
    void *const *v = mindex_get(ix, key, &n);
    return n ? v[0] : NULL;
}

/* ---- arena ---- */

typedef struct chunk { struct chunk *next; size_t used, cap; max_align_t data[]; } chunk;
struct arena { chunk *head; };

arena *arena_new(void) { return calloc(1, sizeof(arena)); }

void arena_free(arena *a)
{
    if (!a) return;
    chunk *c = a->head;
    while (c) { chunk *nx = c->next; free(c); c = nx; }
    free(a);
}

void *arena_alloc(arena *a, size_t size)
{
    const size_t al = sizeof(max_align_t);
    size = (size + al - 1) / al * al;
    if (!size) size = al;
    chunk *c = a->head;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > 65536 ? size : 65536;
        c = malloc(sizeof *c + cap);
        if (!c) return NULL;
        c->used = 0; c->cap = cap;
        c->next = a->head; a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *arena_strdup(arena *a, const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *p = arena_alloc(a, n);
    if (p) memcpy(p, s, n);
    return p;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
