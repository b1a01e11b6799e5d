/* Printing analysis messages: istioctl's log, JSON and YAML formats, and
 * SARIF 2.1.0 for code-scanning in CI. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "analyze/analyze.h"
#include "model/printer.h"

void az_doc_base(char *buf, size_t len, const char *minor)
{
    snprintf(buf, len, "https://istio.io/v%s/docs/reference/config/analysis", minor ? minor : "1.4");
}

static void doc_url(char *buf, size_t len, const az_code *code, const char *minor)
{
    char lower[16];
    size_t i = 0;
    for (; code->code[i] && i < sizeof lower - 1; i++) lower[i] = (char)tolower((unsigned char)code->code[i]);
    lower[i] = 0;
    if (!strncmp(code->code, "MSH", 3)) {
        snprintf(buf, len, "man:meshsim-analyze(7)#%s", code->code);
        return;
    }
    char base[256];
    az_doc_base(base, sizeof base, minor);
    snprintf(buf, len, "%s/%s/?ref=istioctl-analyze", base, lower);
}

void az_print_log(FILE *out, const az_msgs *m, bool color)
{
    for (size_t i = 0; i < m->n; i++) {
        char *line = az_msg_line(&m->v[i], color);
        if (i) fputc('\n', out);
        if (line) fputs(line, out);
        free(line);
    }
    fputc('\n', out);
}

/* The message as Go's Message.Unstructured(true) map. */
static json_t *msg_object(const az_msg *m, const char *minor)
{
    char url[512];
    doc_url(url, sizeof url, m->code, minor);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "code", m->code->code, "level", az_level_name(m->code->level),
                          "message", m->text, "documentationUrl", url);
    if (m->res) {
        char fn[700];
        az_friendly_name(m->res, fn, sizeof fn);
        json_object_set_new(o, "origin", json_string(fn));
        if (m->res->source) {
            char ref[1200];
            snprintf(ref, sizeof ref, "%s:%d", m->res->source, m->res->line);
            json_object_set_new(o, "reference", json_string(ref));
        }
    }
    return o;
}

/* A string as Go's encoding/json writes it (HTML characters escaped). */
static void go_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        case '<': fputs("\\u003c", out); break;
        case '>': fputs("\\u003e", out); break;
        case '&': fputs("\\u0026", out); break;
        default:
            if (*p < 0x20) fprintf(out, "\\u%04x", *p);
            else fputc(*p, out);
        }
    }
    fputc('"', out);
}

/* json.MarshalIndent(messages, "", "\t"): keys sorted, tab indentation. */
void az_print_json(FILE *out, const az_msgs *m, const char *minor)
{
    if (!m->n) {
        fputs("[]\n", out);
        return;
    }
    static const char *const keys[] = {"code", "documentationUrl", "level", "message", "origin", "reference"};
    fputs("[\n", out);
    for (size_t i = 0; i < m->n; i++) {
        json_t *o = msg_object(&m->v[i], minor);
        fputs("\t{\n", out);
        bool first = true;
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const char *v = json_string_value(json_object_get(o, keys[k]));
            if (!v) continue;
            if (!first) fputs(",\n", out);
            first = false;
            fprintf(out, "\t\t\"%s\": ", keys[k]);
            go_json_string(out, v);
        }
        fputs(i + 1 < m->n ? "\n\t},\n" : "\n\t}\n", out);
        json_decref(o);
    }
    fputs("]\n", out);
}

void az_print_yaml(FILE *out, const az_msgs *m, const char *minor)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < m->n; i++) json_array_append_new(arr, msg_object(&m->v[i], minor));
    if (!m->n)
        fputs("[]\n", out);
    else
        print_yaml(out, arr);
    fputc('\n', out);
    json_decref(arr);
}

static const char *sarif_level(az_level l) { return l == AZ_ERROR ? "error" : l == AZ_WARNING ? "warning" : "note"; }

void az_print_sarif(FILE *out, const az_msgs *m, const char *minor, const char *tool_version)
{
    json_t *rules = json_array(), *results = json_array();
    json_t *rule_index = json_object();
    for (size_t i = 0; i < m->n; i++) {
        const az_msg *msg = &m->v[i];
        char url[512];
        doc_url(url, sizeof url, msg->code, minor);
        json_t *idx = json_object_get(rule_index, msg->code->code);
        if (!idx) {
            idx = json_integer((json_int_t)json_array_size(rules));
            json_object_set_new(rule_index, msg->code->code, idx);
            json_array_append_new(
                rules, json_pack("{s:s,s:s,s:{s:s},s:s,s:{s:s}}", "id", msg->code->code, "name", msg->code->name,
                                 "shortDescription", "text", msg->code->name, "helpUri", url,
                                 "defaultConfiguration", "level", sarif_level(msg->code->level)));
        }
        json_t *res = json_pack("{s:s,s:I,s:s,s:{s:s}}", "ruleId", msg->code->code, "ruleIndex",
                                json_integer_value(idx), "level", sarif_level(msg->code->level), "message", "text",
                                msg->text);
        if (msg->res) {
            char fn[700];
            az_friendly_name(msg->res, fn, sizeof fn);
            json_t *loc = json_object();
            if (msg->res->source)
                json_object_set_new(loc, "physicalLocation",
                                    json_pack("{s:{s:s},s:{s:i}}", "artifactLocation", "uri", msg->res->source,
                                              "region", "startLine", msg->res->line > 0 ? msg->res->line : 1));
            json_object_set_new(loc, "logicalLocations",
                                json_pack("[{s:s,s:s}]", "fullyQualifiedName", fn, "kind", "resource"));
            json_object_set_new(res, "locations", json_pack("[o]", loc));
        }
        json_array_append_new(results, res);
    }
    json_t *doc = json_pack("{s:s,s:s,s:[{s:{s:{s:s,s:s,s:s,s:o}},s:o}]}", "$schema",
                            "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0", "runs", "tool",
                            "driver", "name", "istioctl analyze (meshsim)", "version",
                            tool_version ? tool_version : "", "informationUri", "man:meshsim-analyze(7)", "rules",
                            rules, "results", results);
    char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) {
        fputs(s, out);
        fputc('\n', out);
        free(s);
    }
    json_decref(doc);
    json_decref(rule_index);
}
