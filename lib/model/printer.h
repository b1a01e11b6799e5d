/* Output formats shared by every command: YAML and JSON as kubectl prints
 * them, and kubectl's tables (column width = longest cell, 3 spaces apart). */
#ifndef MESHSIM_PRINTER_H
#define MESHSIM_PRINTER_H

#include <jansson.h>
#include <stdio.h>

/* kubectl -o yaml: keys sorted, block style, sequences not indented under
 * their key, strings quoted only where YAML would read them otherwise. */
int print_yaml(FILE *out, json_t *v);
/* The same, with long scalars folded at 80 columns as kubectl -o yaml
 * (go-yaml) prints them. */
int print_yaml_kubectl(FILE *out, json_t *v);
/* print_yaml into a malloc'd string. */
char *yaml_dumps(json_t *v);
/* kubectl -o json: 4-space indent, keys sorted. */
int print_json(FILE *out, json_t *v);
/* The same in the object's own key order (a typed Go object prints its
 * fields in struct order: kind, apiVersion, metadata, ...). */
int print_json_ordered(FILE *out, json_t *v);

/* A table: add a header row, then rows; print pads every column. */
typedef struct table {
    char **cells;
    size_t ncols, nrows, cap;
} table;

void table_init(table *t, size_t ncols);
/* Add one row of ncols strings (copied). */
void table_add(table *t, const char *const *row);
void table_print(table *t, FILE *out, int padding);
void table_free(table *t);

/* Print text through Go's text/tabwriter rules (what kubectl describe uses:
 * minwidth 0, padding 2): tab-ended cells of consecutive lines align. */
void tabwriter_print(FILE *out, const char *text, int minwidth, int padding);

/* kubectl's AGE column (apimachinery HumanDuration) for a creationTimestamp. */
void human_age(char *buf, size_t len, const char *creation_timestamp);
void human_duration(char *buf, size_t len, long long seconds);

#endif
