/* The default table of each kind for `kubectl get` (server-side printer
 * columns of the real API server and of Istio's CRDs). */
#ifndef MESHSIM_COLUMNS_H
#define MESHSIM_COLUMNS_H

#include <jansson.h>
#include <stdbool.h>
#include "model/kinds.h"

#define COLUMNS_MAX 12

typedef struct columns {
    int n;
    const char *header[COLUMNS_MAX];
} columns;

/* Headers for a kind (wide adds the -o wide columns). */
void columns_for(const kind_info *k, bool wide, columns *c);
/* Cells of one object's row, in the order of columns_for; cells are malloc'd. */
void columns_row(const kind_info *k, bool wide, json_t *obj, char **cells);

#endif
