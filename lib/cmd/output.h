/* -o for commands that print objects: yaml, json, name, jsonpath=...,
 * jsonpath-file=..., custom-columns=...; shared by get, apply, create, label. */
#ifndef MESHSIM_OUTPUT_H
#define MESHSIM_OUTPUT_H

#include <jansson.h>
#include <stdio.h>

/* Print one object (or a List) in the given -o format.  Returns 0, or 1
 * after printing kubectl's error for an unknown format or a bad template. */
int output_object(FILE *out, FILE *err, const char *format, json_t *obj);
/* Is this -o value one output_object handles (as opposed to wide / a table)? */
int output_is_structured(const char *format);
/* Wrap objects as kubectl's List. items is borrowed. */
json_t *output_list(json_t *items);

#endif
