/* Offline configuration analysis: what `istioctl analyze` reports, plus
 * meshsim's own egress checks (MSH codes, see egress.c).
 *
 * The caller collects resources (from the store, from files, or both) into
 * an az_input, runs the analyzers, and prints the sorted, filtered messages
 * in one of the formats below.  Pure computation over jansson objects. */
#ifndef MESHSIM_ANALYZE_H
#define MESHSIM_ANALYZE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Levels in Istio's sort order (more severe first). */
typedef enum { AZ_ERROR = 0, AZ_WARNING = 1, AZ_INFO = 2 } az_level;

typedef struct az_code {
    const char *code;       /* "IST0101" */
    const char *name;       /* "ReferencedResourceNotFound" */
    az_level level;
    const char *tmpl;       /* printf template producing Istio's text */
} az_code;

extern const az_code az_codes[];          /* terminated by code NULL */
const az_code *az_code_lookup(const char *code);
const char *az_level_name(az_level l);    /* "Error", "Warning", "Info" */
/* "error"/"warning"/"info" (any case) -> level; -1 when unknown. */
int az_level_parse(const char *s);

/* One resource under analysis. */
typedef struct az_res {
    json_t *obj;            /* owned reference */
    const char *kind, *ns, *name;   /* ns "" for cluster-scoped kinds */
    char *source;           /* file path, or NULL for store objects */
    int line;
    bool synthetic;         /* added by analyze itself (files-only defaults) */
} az_res;

typedef struct az_msg {
    const az_code *code;
    const az_res *res;      /* may be NULL */
    char *text;             /* the formatted message */
} az_msg;

typedef struct az_msgs {
    az_msg *v;
    size_t n, cap;
} az_msgs;

typedef struct az_input {
    az_res *v;
    size_t n, cap;
    json_t *mesh_config;    /* parsed mesh config (owned) or NULL for defaults */
    void *index;            /* private: kind/ns/name -> position */
} az_input;

/* Add one object (a new reference is taken).  Objects of the ignored system
 * namespaces are skipped, as istioctl skips them.  An object with the same
 * kind/ns/name as one added before replaces it (files override the store). */
void az_input_add(az_input *in, json_t *obj, const char *source, int line, bool synthetic);
void az_input_free(az_input *in);
/* The mesh config from the `istio` ConfigMap of istio-system, if present. */
void az_input_find_mesh_config(az_input *in);

/* An analyzer of the table (for -L). */
typedef struct az_analyzer_info {
    const char *name, *description;
} az_analyzer_info;
const az_analyzer_info *az_analyzers(size_t *n);

typedef struct az_suppression {
    const char *code;       /* "IST0102" */
    const char *resource;   /* glob over "Kind ns/name" */
} az_suppression;

typedef struct az_options {
    const char *ns;                       /* NULL = all namespaces */
    const az_suppression *suppress;
    size_t nsuppress;
    const char *const *only;              /* --analyzer names, NULL = all */
    size_t nonly;
} az_options;

/* Run every analyzer; out gets the filtered (namespace, annotations,
 * suppressions), sorted and de-duplicated messages. */
void az_run(az_input *in, const az_options *opt, az_msgs *out);
void az_msgs_free(az_msgs *m);

/* "Kind ns/name" or "Kind name" (Istio's FriendlyName). */
void az_friendly_name(const az_res *r, char *buf, size_t len);
/* One message as istioctl's log format prints it (colour optional). */
char *az_msg_line(const az_msg *m, bool color);

/* Output formats.  minor = "1.4": documentation URLs of that release. */
void az_print_log(FILE *out, const az_msgs *m, bool color);
void az_print_json(FILE *out, const az_msgs *m, const char *minor);
void az_print_yaml(FILE *out, const az_msgs *m, const char *minor);
void az_print_sarif(FILE *out, const az_msgs *m, const char *minor, const char *tool_version);
/* https://istio.io/v<minor>/docs/reference/config/analysis */
void az_doc_base(char *buf, size_t len, const char *minor);

#endif
