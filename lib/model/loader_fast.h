/* The loader's fast path: a scanner for the block YAML that manifests are
 * almost always written in, one document at a time, giving exactly what
 * libyaml and loader_events.c give for it, and declining everything else.
 * Private to the loader (lib/model/loader*.c; the fuzz target checks it). */
#ifndef MESHSIM_LOADER_FAST_H
#define MESHSIM_LOADER_FAST_H

#include <jansson.h>
#include <stddef.h>

/* Scratch kept between documents (zero-initialised; loader_fast_free). */
typedef struct loader_fast {
    char *key, *val;
    size_t keycap, valcap;
} loader_fast;

typedef struct fast_doc {
    json_t *value;   /* the document (a mapping, owned by the caller); NULL: empty or none */
    int docs;        /* documents libyaml reads in the chunk: 0 or 1 */
    int line;        /* line (0-based, from the chunk's first) of the root's first key */
    size_t nodes;    /* values, as loader_events.c counts them against LOADER_MAX_NODES */
    size_t end;      /* where the chunk ends: the next "---" line or the end of the text */
    int lines;       /* lines libyaml counts in the chunk: its line breaks, and a last
                        line without one at the end of the text */
} fast_doc;

/* Read the chunk at the start of buf[0..len): the text up to the next
 * "---" line (a line of its own at buf, if there is one, starts it).
 * 0: out says what libyaml would read from the chunk parsed alone, a
 * mapping or no document at all, without errors.  -1: declined (something
 * the fast path does not take, or an error); only out->end and out->lines
 * are set, the chunk is libyaml's. */
int loader_fast_doc(loader_fast *lf, const char *buf, size_t len, fast_doc *out);
void loader_fast_free(loader_fast *lf);

#endif
