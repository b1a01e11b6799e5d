/* Label selector evaluation, as k8s.io/apimachinery/pkg/labels defines it. */
#include <string.h>
#include "mesh/selector.h"

static const char *label(json_t *labels, const char *key)
{
    json_t *v = json_is_object(labels) ? json_object_get(labels, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

bool sel_match_map(json_t *labels, json_t *map)
{
    if (!json_is_object(map)) return true;
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v) {
        const char *have = label(labels, k);
        if (!have || !json_is_string(v) || strcmp(have, json_string_value(v))) return false;
    }
    return true;
}

static bool in_values(json_t *values, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v)
        if (json_is_string(v) && !strcmp(json_string_value(v), s)) return true;
    return false;
}

static bool expr_match(json_t *labels, json_t *e)
{
    const char *key = json_string_value(json_object_get(e, "key"));
    const char *op = json_string_value(json_object_get(e, "operator"));
    json_t *values = json_object_get(e, "values");
    if (!key || !op) return false;
    const char *have = label(labels, key);
    if (!strcmp(op, "In")) return have && in_values(values, have);
    if (!strcmp(op, "NotIn")) return !have || !in_values(values, have);
    if (!strcmp(op, "Exists")) return have != NULL;
    if (!strcmp(op, "DoesNotExist")) return have == NULL;
    return false;   /* unknown operator: the API server would have rejected it */
}

bool sel_match(json_t *labels, json_t *selector)
{
    if (!json_is_object(selector)) return false;
    if (!sel_match_map(labels, json_object_get(selector, "matchLabels"))) return false;
    json_t *exprs = json_object_get(selector, "matchExpressions");
    size_t i;
    json_t *e;
    json_array_foreach(exprs, i, e)
        if (!expr_match(labels, e)) return false;
    return true;
}
