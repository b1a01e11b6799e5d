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

/* A row kept next to the stored object (store_put_ex), so `kubectl get`
 * lists a kind without parsing its objects: the creationTimestamp and every
 * -o wide cell, AGE cells to be filled in when printed.  NULL when a cell
 * cannot be kept this way (it holds the separator bytes \x1e or \x1f). */
char *columns_encode(const kind_info *k, json_t *obj);
/* The same for obj as created at `created` (an RFC 3339 time) while obj
 * has no creationTimestamp yet. */
char *columns_encode_created(const kind_info *k, json_t *obj, const char *created);
/* The cells of columns_for(k, wide) from an encoded row (malloc'd); false
 * when the row does not fit the table or was written for another layout
 * of the rows (then nothing is allocated). */
bool columns_decode(const kind_info *k, bool wide, const char *enc, char **cells);

#endif
