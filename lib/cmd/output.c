/* -o yaml|json|name|jsonpath=...|jsonpath-file=... for one object or a List. */
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

static int run_jsonpath(FILE *out, FILE *errf, const char *tmpl, json_t *obj)
{
    char err[512];
    if (!*tmpl) {
        fprintf(errf, "error: template format specified but no template given\n");
        return 1;
    }
    if (jsonpath_execute(tmpl, obj, out, err, sizeof err)) {
        fprintf(errf, "error: error parsing jsonpath %s, %s\n", tmpl, err);
        return 1;
    }
    return 0;
}

int output_object(FILE *out, FILE *errf, const char *f, json_t *obj)
{
    if (!strcmp(f, "yaml")) return print_yaml(out, obj) ? 1 : 0;
    if (!strcmp(f, "json")) return print_json(out, obj) ? 1 : 0;
    if (!strncmp(f, "jsonpath=", 9)) return run_jsonpath(out, errf, f + 9, obj);
    if (!strcmp(f, "jsonpath")) return run_jsonpath(out, errf, "", obj);
    if (!strncmp(f, "jsonpath-file=", 14)) {
        char *tmpl = read_file(f + 14, NULL, 1 << 20);
        if (!tmpl) {
            fprintf(errf, "error: error reading --template %s, %s\n", f + 14, "no such file or directory");
            return 1;
        }
        size_t n = strlen(tmpl);
        while (n && (tmpl[n - 1] == '\n')) tmpl[--n] = 0;
        int rc = run_jsonpath(out, errf, tmpl, obj);
        free(tmpl);
        return rc;
    }
    fprintf(errf, "error: unable to match a printer suitable for the output format \"%s\", allowed formats are: "
            "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,"
            "jsonpath-file,name,template,templatefile,wide,yaml\n", f);
    return 1;
}
