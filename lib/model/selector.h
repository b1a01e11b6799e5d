/* Label selectors as kubectl -l writes them (a=b, a==b, a!=b, a in (x,y),
 * a notin (x), a, !a; comma = AND) and as objects hold them (matchLabels +
 * matchExpressions with In, NotIn, Exists, DoesNotExist). */
#ifndef MESHSIM_SELECTOR_H
#define MESHSIM_SELECTOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct selector selector;

/* Parse kubectl's -l text; NULL with a message in err on a syntax error. */
selector *selector_parse(const char *text, char *err, size_t errlen);
bool selector_matches(const selector *s, json_t *labels);
void selector_free(selector *s);

/* A LabelSelector object (matchLabels/matchExpressions).  An empty or
 * absent selector matches everything. */
bool label_selector_matches(json_t *label_selector, json_t *labels);

#endif
