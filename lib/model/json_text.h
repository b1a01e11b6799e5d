/* Stored objects are jansson's compact JSON text.  `kubectl get -o json`
 * of many objects re-prints that text the way print_json prints the parsed
 * value (4-space indent, keys sorted, Go's escapes of <, >, &), without
 * building the values: a listing of thousands of objects streams. */
#ifndef MESHSIM_JSON_TEXT_H
#define MESHSIM_JSON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

typedef struct json_text_buf {
    char *p;          /* malloc'd, NUL-terminated */
    size_t n, cap;
    int failed;
    const struct json_text_more *more;   /* json_text_compact_more's */
    size_t nmore;
} json_text_buf;

void json_text_put(json_text_buf *b, const char *s);
/* Append the value of `text` (jansson's JSON_COMPACT output of one value)
 * as print_json would print it nested `depth` levels deep:
 * its first line not indented, the following ones by 4 * depth more.
 * Returns 0, or -1 with nothing appended when the text is not such output
 * or holds what this does not re-print exactly (a key with an escape). */
int json_text_pretty(json_text_buf *b, const char *text, int depth);

/* The same for a value: print_json's text of v nested `depth` levels deep
 * (for what json_text_pretty leaves to jansson). */
int json_text_pretty_value(json_text_buf *b, json_t *v, int depth);

/* Members to write at the end of an object without adding them to it:
 * `members` is their text ("\"k\":v,\"k2\":v2", no braces). */
typedef struct json_text_more {
    const json_t *object;
    const char *members;
} json_text_more;

/* json_text_compact(v, false) of v as if each more[i].object ended with
 * more[i].members: the text kubectl apply stores for a new object, made
 * without setting the stamps on the document (json_text_string writes the
 * members' strings). */
char *json_text_compact_more(json_t *v, const json_text_more *more, size_t nmore);
/* s (len bytes) as a JSON string, quotes included, as the compact text
 * writes strings. */
void json_text_string(json_text_buf *b, const char *s, size_t len);

/* json_dumps(v, JSON_COMPACT | (sort_keys ? JSON_SORT_KEYS :
 * JSON_PRESERVE_ORDER)), byte for byte, for an object or array (NULL
 * otherwise): jansson's dumper decodes every string character by character
 * through a callback, and dumping was a sixth of a 10 000-object apply. */
char *json_text_compact(json_t *v, bool sort_keys);

#endif
