/* -o yaml|json|name|jsonpath=...|jsonpath-file=... for one object or a List. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/output.h"
#include "model/jsonpath.h"
#include "model/loader.h"
#include "model/obj.h"
#include "model/printer.h"

int output_is_structured(const char *f)
{
    return f && (!strcmp(f, "yaml") || !strcmp(f, "json") || !strcmp(f, "name") ||
                 !strncmp(f, "jsonpath", 8) || !strncmp(f, "go-template", 11));
}

json_t *output_list(json_t *items)
{
    return json_pack("{s:s,s:O,s:s,s:{s:s}}", "apiVersion", "v1", "items", items, "kind", "List",
                     "metadata", "resourceVersion", "");
}

/* Go's strconv.Quote, for %q and %#v of strings. */
static void go_quote(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default:
            if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\x%02x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

/* Go's %#v of a decoded JSON value (what kubectl shows when a template fails). */
static void go_sharp_v(FILE *f, json_t *v)
{
    if (json_is_object(v)) {
        const char **keys = malloc((json_object_size(v) + 1) * sizeof *keys);
        size_t n = 0;
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c) keys[n++] = k;
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) { const char *t = keys[j]; keys[j] = keys[j - 1]; keys[j - 1] = t; }
        fputs("map[string]interface {}{", f);
        for (size_t i = 0; i < n; i++) {
            if (i) fputs(", ", f);
            go_quote(f, keys[i]);
            fputc(':', f);
            go_sharp_v(f, json_object_get(v, keys[i]));
        }
        fputc('}', f);
        free(keys);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        fputs("[]interface {}{", f);
        json_array_foreach(v, i, c) {
            if (i) fputs(", ", f);
            go_sharp_v(f, c);
        }
        fputc('}', f);
    } else if (json_is_string(v)) go_quote(f, json_string_value(v));
    else if (json_is_integer(v)) fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v)) fprintf(f, "%g", json_real_value(v));
    else if (json_is_boolean(v)) fputs(json_is_true(v) ? "true" : "false", f);
    else fputs("interface {}(nil)", f);
}

static int run_jsonpath(FILE *out, FILE *errf, const char *tmpl, json_t *obj, bool as_json)
{
    char err[512];
    if (!*tmpl) {
        fprintf(errf, "error: template format specified but no template given\n");
        return 1;
    }
    /* kubectl finds every result before printing any, so a failing template prints nothing */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int rc = as_json ? jsonpath_execute_json(tmpl, obj, mem, err, sizeof err) : jsonpath_execute(tmpl, obj, mem, err, sizeof err);
    fclose(mem);
    if (rc == 0) fwrite(buf, 1, len, out);
    free(buf);
    if (rc == -1) {
        fprintf(errf, "error: error parsing jsonpath %s, %s\n", tmpl, err);
        return 1;
    }
    if (rc == -2) {
        fputs("error: error executing jsonpath ", errf);
        go_quote(errf, tmpl);
        fprintf(errf, ": Error executing template: %s. Printing more information for debugging the template:\n"
                "\ttemplate was:\n\t\t%s\n\tobject given to jsonpath engine was:\n\t\t", err, tmpl);
        go_sharp_v(errf, obj);
        fputs("\n", errf);
        return 1;
    }
    return 0;
}

int output_object(FILE *out, FILE *errf, const char *f, json_t *obj)
{
    if (!strcmp(f, "yaml")) return print_yaml_kubectl(out, obj) ? 1 : 0;
    if (!strcmp(f, "json")) return print_json(out, obj) ? 1 : 0;
    if (!strncmp(f, "jsonpath=", 9)) return run_jsonpath(out, errf, f + 9, obj, false);
    if (!strcmp(f, "jsonpath") || !strcmp(f, "jsonpath-as-json")) return run_jsonpath(out, errf, "", obj, false);
    if (!strncmp(f, "jsonpath-as-json=", 17)) return run_jsonpath(out, errf, f + 17, obj, true);
    if (!strncmp(f, "jsonpath-file=", 14)) {
        char *tmpl = read_file(f + 14, NULL, 1 << 20);
        if (!tmpl) {
            fprintf(errf, "error: error reading --template %s, %s\n", f + 14, "no such file or directory");
            return 1;
        }
        size_t n = strlen(tmpl);
        while (n && (tmpl[n - 1] == '\n')) tmpl[--n] = 0;
        int rc = run_jsonpath(out, errf, tmpl, obj, false);
        free(tmpl);
        return rc;
    }
    fprintf(errf, "error: unable to match a printer suitable for the output format \"%s\", allowed formats are: "
            "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,"
            "jsonpath-file,name,template,templatefile,wide,yaml\n", f);
    return 1;
}
