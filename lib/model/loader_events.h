/* YAML documents built straight from libyaml's event stream into jansson
 * values (no libyaml document tree), with the loader's typing rules and
 * limits.  Private to the loader (lib/model/loader*.c). */
#ifndef MESHSIM_LOADER_EVENTS_H
#define MESHSIM_LOADER_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

/* Line (0-based) that error messages count from for a document whose root
 * is on `line` (kubectl numbers lines from the document's "---"). */
typedef int (*yaml_json_base_fn)(void *ctx, int line);

struct yaml_json_state;

typedef struct yaml_json {
    size_t nodes;                /* values built in this stream (LOADER_MAX_NODES budget) */
    yaml_json_base_fn base_line; /* NULL: lines count from the start of the text */
    void *base_ctx;
    struct yaml_json_state *st;  /* scratch kept between documents */
} yaml_json;

enum yaml_json_result {
    YAML_JSON_DOC,          /* *value is the document (owned by the caller), *line its root's line */
    YAML_JSON_END,          /* end of the stream */
    YAML_JSON_PARSE_ERROR,  /* parser->problem / problem_mark / problem_offset say what */
    YAML_JSON_VALUE_ERROR   /* the document parsed but cannot be a value: err says why ("yaml: line N: ...") */
};

/* Read the next document of the stream.  The same errors, in the same
 * order of precedence, as libyaml's yaml_parser_load followed by a walk of
 * its tree: a syntax or composer error anywhere in the document first, then
 * the first conversion error in document order. */
int yaml_json_next(yaml_json *yj, yaml_parser_t *parser, json_t **value, int *line,
                   char *err, size_t errlen);
void yaml_json_free(yaml_json *yj);

/* The conversion's typing of one scalar, shared with the fast path
 * (loader_fast.c).  A value (text NUL-terminated at len, with no NUL
 * before; plain: unquoted) becomes its JSON value, or NULL with err set
 * ("yaml: line <line>: ..." or "json: unsupported value: ...") when the
 * conversion refuses it. */
json_t *yaml_json_scalar(const char *text, size_t len, bool plain, int line, char *err, size_t errlen);
/* A mapping key as JSON spells it (a plain `y` is "true", `0x1F` is "31"):
 * text itself, buf, or a constant; NULL for a null key, which JSON cannot
 * have. */
const char *yaml_json_key(const char *text, bool plain, char *buf, size_t buflen);

#endif
