/* The manifest loader: YAML or JSON streams into jansson objects.
 *
 * Sources are files, directories (their .yaml/.yml/.json files, optionally
 * recursive), "-" for standard input, and /dev/fd/N.  Multi-document streams,
 * `kind: List`, anchors and aliases are handled; empty documents are skipped.
 * Each document remembers where it came from, so errors can name the source
 * ("STDIN" for standard input) and line. */
#ifndef MESHSIM_LOADER_H
#define MESHSIM_LOADER_H

#include <jansson.h>
#include <stdio.h>
#include <stddef.h>

typedef struct loaded_doc {
    json_t *obj;         /* owned */
    char *source;        /* "STDIN" or the path, owned */
    int line;            /* 1-based line of the document's first node */
} loaded_doc;

typedef struct loaded_docs {
    loaded_doc *docs;
    size_t n, cap;
} loaded_docs;

/* Limits that keep hostile input bounded in time and memory (about 1 GB
 * and a few seconds at worst); each refusal names the source and, where
 * there is one, the line.  Kept in step with tests/fuzz/README.md.
 *  - LOADER_MAX_BYTES: one source (file or stdin); libyaml's document tree
 *    takes ~25 bytes of memory per input byte.
 *  - LOADER_MAX_DEPTH: nesting of maps and lists (as Go's YAML decoder).
 *  - LOADER_MAX_FLOW_DEPTH: [ and { nesting in the raw text, checked before
 *    libyaml sees it (its parser is quadratic in that nesting).
 *  - LOADER_MAX_NODES: values in one source after alias expansion (alias
 *    "billion laughs" bombs stop here).
 *  - LOADER_MAX_SCALAR: one string; the API server refuses bigger requests.
 *  - LOADER_MAX_DOCS: documents in one stream, empty ones included.
 * Input with NUL bytes or invalid UTF-8 is refused by the parsers, and
 * numbers JSON cannot hold (YAML .inf/.nan, JSON 1e400) as kubectl does. */
#define LOADER_MAX_BYTES      (16u * 1024u * 1024u)
#define LOADER_MAX_DEPTH      128
#define LOADER_MAX_FLOW_DEPTH 1000
#define LOADER_MAX_NODES      (1024u * 1024u)
#define LOADER_MAX_SCALAR     (3u * 1024u * 1024u)
#define LOADER_MAX_DOCS       20000u

/* Load one source (path, directory or "-").  Appends to docs.  On error
 * writes kubectl's message into err (without the "error: " prefix) and
 * returns -1; documents loaded before the error stay in docs. */
int loader_load_path(loaded_docs *docs, const char *path, int recursive, FILE *in,
                     char *err, size_t errlen);
/* Load from memory, naming the source for messages. */
int loader_load_buffer(loaded_docs *docs, const char *buf, size_t len, const char *source,
                       char *err, size_t errlen);
void loaded_docs_free(loaded_docs *docs);

/* One YAML (or JSON) value of any type, as kubectl reads a --patch: NULL
 * with "yaml: line N: problem" in err on a syntax error.  An empty text is
 * JSON null. */
json_t *loader_parse_value(const char *buf, size_t len, char *err, size_t errlen);

/* Read a whole stream / file into a malloc'd NUL-terminated buffer. */
char *read_stream(FILE *f, size_t *len, size_t max);
char *read_file(const char *path, size_t *len, size_t max);

#endif
