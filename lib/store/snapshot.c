/* A resource's objects at the start of a run of writes.  See snapshot.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "store/keyset.h"
#include "store/snapshot.h"

/* Texts live in one growing arena, so an entry is a few offsets. */
typedef struct entry {
    uint64_t hash;       /* 0 = free slot */
    size_t ns, name;     /* offsets of NUL-terminated texts in arena */
    size_t applied;      /* offset, or SIZE_MAX for none */
} entry;

struct snapshot {
    entry *slot;
    size_t n, cap;
    char *arena;
    size_t used, size;
};

snapshot *snapshot_new(void) { return calloc(1, sizeof(snapshot)); }

/* Copy s into the arena: its offset, or SIZE_MAX when out of memory. */
static size_t keep(snapshot *s, const char *text)
{
    size_t n = strlen(text) + 1;
    if (s->used + n > s->size) {
        size_t size = (s->used + n) * 2 + 4096;
        char *a = realloc(s->arena, size);
        if (!a) return SIZE_MAX;
        s->arena = a;
        s->size = size;
    }
    memcpy(s->arena + s->used, text, n);
    s->used += n;
    return s->used - n;
}

static bool grow(snapshot *s)
{
    size_t cap = s->cap ? s->cap * 2 : 1024;
    entry *t = calloc(cap, sizeof *t);
    if (!t) return false;
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->slot[i].hash) continue;
        size_t j = s->slot[i].hash & (cap - 1);
        while (t[j].hash) j = (j + 1) & (cap - 1);
        t[j] = s->slot[i];
    }
    free(s->slot);
    s->slot = t;
    s->cap = cap;
    return true;
}

int snapshot_add(snapshot *s, const char *ns, const char *name, const char *applied)
{
    if ((s->n + 1) * 2 > s->cap && !grow(s)) return -1;
    entry e = {keyset_hash("", ns, name), keep(s, ns), keep(s, name), applied ? keep(s, applied) : SIZE_MAX};
    if (e.ns == SIZE_MAX || e.name == SIZE_MAX || (applied && e.applied == SIZE_MAX)) return -1;
    size_t j = e.hash & (s->cap - 1);
    while (s->slot[j].hash) j = (j + 1) & (s->cap - 1);
    s->slot[j] = e;
    s->n++;
    return 0;
}

bool snapshot_find(const snapshot *s, const char *ns, const char *name, const char **applied)
{
    if (!s->cap) return false;
    uint64_t h = keyset_hash("", ns, name);
    for (size_t j = h & (s->cap - 1); s->slot[j].hash; j = (j + 1) & (s->cap - 1)) {
        const entry *e = &s->slot[j];
        if (e->hash != h || strcmp(s->arena + e->ns, ns) || strcmp(s->arena + e->name, name)) continue;
        if (applied) *applied = e->applied == SIZE_MAX ? NULL : s->arena + e->applied;
        return true;
    }
    return false;
}

void snapshot_free(snapshot *s)
{
    if (!s) return;
    free(s->slot);
    free(s->arena);
    free(s);
}
