/* kubectl's JSONPath templates (client-go util/jsonpath dialect):
 * text outside {} is literal; inside: .field, ['field'], [N], [*], [a:b],
 * .. recursive descent, [?(@.x=="y")] filters, {range ...}{end}, quoted
 * text {"\n"}; the results of one expression are joined by one space. */
#ifndef MESHSIM_JSONPATH_H
#define MESHSIM_JSONPATH_H

#include <jansson.h>
#include <stdio.h>
#include <stddef.h>

/* Run template over data, printing to out.  Missing keys print nothing
 * (kubectl's --allow-missing-template-keys=true).  Returns 0, -1 for a
 * template that does not parse, -2 for an error met while walking the data
 * (index out of bounds ...), with kubectl's message in err. */
int jsonpath_execute(const char *tmpl, json_t *data, FILE *out, char *err, size_t errlen);

/* The same, printing each node's results as an indented JSON array
 * (kubectl's -o jsonpath-as-json). */
int jsonpath_execute_json(const char *tmpl, json_t *data, FILE *out, char *err, size_t errlen);

/* Evaluate one expression ("{.a[*].b}", ".a.b" or "a.b", as custom-columns
 * and --sort-by accept) and return its results (borrowed from data) in a
 * malloc'd array the caller frees.  -1 with a message on a parse error. */
int jsonpath_find(const char *expr, json_t *data, json_t ***results, size_t *n, char *err, size_t errlen);

#endif
