/* Helpers over Kubernetes objects held as jansson values.
 * Objects are json_t end to end; these functions only read and write fields. */
#ifndef MESHSIM_OBJ_H
#define MESHSIM_OBJ_H

#include <jansson.h>
#include <stdbool.h>

/* Field by dotted path ("metadata.name", "spec.ports"); NULL when absent.
 * Borrowed reference. */
json_t *obj_at(json_t *o, const char *path);
/* String field by dotted path, or NULL when absent or not a string. */
const char *obj_str(json_t *o, const char *path);
/* String field or a default. */
const char *obj_str_or(json_t *o, const char *path, const char *dflt);
long long obj_int_or(json_t *o, const char *path, long long dflt);

const char *obj_kind(json_t *o);
const char *obj_api_version(json_t *o);
const char *obj_name(json_t *o);
const char *obj_namespace(json_t *o); /* "" when unset */
json_t *obj_labels(json_t *o);        /* object or NULL */
json_t *obj_annotations(json_t *o);   /* object or NULL */
const char *obj_label(json_t *o, const char *key);
const char *obj_annotation(json_t *o, const char *key);

/* Ensure metadata (and metadata.labels / .annotations) exist; borrowed. */
json_t *obj_metadata(json_t *o);
json_t *obj_labels_mut(json_t *o);
json_t *obj_annotations_mut(json_t *o);
void obj_set_str(json_t *o, const char *path, const char *value); /* creates objects on the way */

/* Does every key=value of the map `sel` (matchLabels form) appear in labels? */
bool labels_match_map(json_t *labels, json_t *sel);

/* RFC 3339 UTC timestamp of now / of the given epoch seconds into buf. */
void time_rfc3339(char *buf, size_t len, long long epoch_s);
long long time_parse_rfc3339(const char *s); /* -1 on error */
long long time_now_ms(void);

/* A v4 UUID (random), into buf of at least 37 bytes. */
void uuid_v4(char *buf);
/* s with every what replaced by with (malloc'd; what "" replaces nothing). */
char *text_replace_all(const char *s, const char *what, const char *with);
/* v in decimal, as %lld spells it, without printf's cost: the text is at
 * the returned place inside buf. */
#define DECIMAL_MAX 24
const char *decimal(char buf[DECIMAL_MAX], long long v);
/* n random bytes (OpenSSL's, drawn ahead per thread; a forked child draws
 * its own). */
void random_bytes(unsigned char *out, size_t n);

/* The keys of an object (at most max of them) in byte order, as Go prints
 * a map; returns how many.  The strings are obj's. */
size_t obj_sorted_keys(json_t *obj, const char **keys, size_t max);

#endif
