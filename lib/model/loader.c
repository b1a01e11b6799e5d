/* The manifest loader: libyaml documents into jansson values.
 *
 * YAML scalars are typed as Kubernetes' YAML-to-JSON conversion types them
 * (YAML 1.1 rules: yes/no/on/off are booleans, leading-zero octal, ...);
 * quoted scalars are always strings.  Alias expansion and nesting are bounded
 * so a hostile document cannot exhaust memory. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>
#include "model/loader.h"

typedef struct conv {
    yaml_document_t *doc;
    size_t nodes;        /* values converted so far in this stream */
    size_t start;        /* ... when this document began */
    char *err;
    size_t errlen;
    int base_line;
} conv;

static bool is_one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (!strcmp(s, *words)) return true;
    return false;
}

static const char *const TRUE_WORDS[] = {"true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES",
                                         "on", "On", "ON", NULL};
static const char *const FALSE_WORDS[] = {"false", "False", "FALSE", "n", "N", "no", "No", "NO",
                                          "off", "Off", "OFF", NULL};
static const char *const NULL_WORDS[] = {"", "~", "null", "Null", "NULL", NULL};

/* The common case, decided without building a value: a plain scalar that
 * YAML 1.1 reads as a string for sure (no null or boolean word, nothing
 * that starts like a number, .inf or .nan). */
static bool plain_is_string(const char *s)
{
    switch (s[0]) {
    case 0: case '~': case '+': case '-': case '.':
        return false;
    case 'n': case 'N': case 't': case 'T': case 'y': case 'Y': case 'f': case 'F': case 'o': case 'O':
        return !is_one_of(s, NULL_WORDS) && !is_one_of(s, TRUE_WORDS) && !is_one_of(s, FALSE_WORDS);
    default:
        return !(s[0] >= '0' && s[0] <= '9');
    }
}

/* Type a plain scalar the way YAML 1.1 resolves it. */
static json_t *plain_scalar(const char *s)
{
    if (is_one_of(s, NULL_WORDS)) return json_null();
    if (is_one_of(s, TRUE_WORDS)) return json_true();
    if (is_one_of(s, FALSE_WORDS)) return json_false();
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (*p >= '0' && *p <= '9') {
        char *end;
        errno = 0;
        long long v;
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) v = strtoll(s, &end, 16);
        else if (p[0] == '0' && p[1] && strspn(p, "01234567_") == strlen(p)) v = strtoll(s, &end, 8);
        else v = strtoll(s, &end, 10);
        if (*end == 0 && errno == 0) return json_integer(v);
        double d = strtod(s, &end);
        /* out of double's range (1e400): not a float to YAML, so a string */
        if (*end == 0 && strspn(p, "0123456789.eE+-") == strlen(p) && isfinite(d)) return json_real(d);
    } else if (*p == '.' && p[1] >= '0' && p[1] <= '9') {
        char *end;
        double d = strtod(s, &end);
        if (*end == 0 && isfinite(d)) return json_real(d);
    }
    if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF") ||
        !strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
        return json_string(s);   /* JSON has no infinities: keep the text */
    return json_string(s);
}

/* A plain key is typed like any plain scalar and then printed back, as
 * Kubernetes' YAML-to-JSON conversion does: `y:` becomes "true", `0x1F:`
 * becomes "31"; a null key (`~:`) is refused (NULL). */
static const char *key_text(yaml_node_t *k, char *buf, size_t len)
{
    const char *text = (const char *)k->data.scalar.value;
    if (k->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || plain_is_string(text)) return text;
    json_t *v = plain_scalar(text);
    const char *r = text;
    if (json_is_true(v)) r = "true";
    else if (json_is_false(v)) r = "false";
    else if (json_is_null(v)) r = NULL;
    else if (json_is_integer(v)) { snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); r = buf; }
    else if (json_is_real(v)) { snprintf(buf, len, "%g", json_real_value(v)); r = buf; }
    json_decref(v);
    return r;
}

static json_t *convert(conv *c, yaml_node_t *node, int depth)
{
    if (!node) return json_null();
    if (depth > LOADER_MAX_DEPTH) {
        snprintf(c->err, c->errlen, "yaml: line %d: exceeded max depth of %d",
                 (int)node->start_mark.line + 1 - c->base_line, LOADER_MAX_DEPTH);
        return NULL;
    }
    if (++c->nodes > LOADER_MAX_NODES) {
        /* more values than the document has nodes: aliases did it (go-yaml's words) */
        size_t distinct = (size_t)(c->doc->nodes.top - c->doc->nodes.start);
        if (c->nodes - c->start > distinct)
            snprintf(c->err, c->errlen, "yaml: document contains excessive aliasing");
        else
            snprintf(c->err, c->errlen, "yaml: line %d: more than %u values in one stream",
                     (int)node->start_mark.line + 1 - c->base_line, LOADER_MAX_NODES);
        return NULL;
    }
    switch (node->type) {
    case YAML_SCALAR_NODE: {
        const char *v = (const char *)node->data.scalar.value;
        if (node->data.scalar.length > LOADER_MAX_SCALAR) {
            snprintf(c->err, c->errlen, "yaml: line %d: a value of %zu bytes is larger than the limit of %u bytes",
                     (int)node->start_mark.line + 1 - c->base_line, node->data.scalar.length, LOADER_MAX_SCALAR);
            return NULL;
        }
        if (strlen(v) != node->data.scalar.length) {
            snprintf(c->err, c->errlen, "yaml: line %d: control characters are not allowed",
                     (int)node->start_mark.line + 1 - c->base_line);
            return NULL;
        }
        /* libyaml's document API tags every untagged scalar !!str, so only
         * the style tells a quoted string from a plain one. */
        if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || plain_is_string(v)) return json_string(v);
        /* YAML's infinities and NaN have no JSON form: kubectl refuses them */
        const char *inf = v + (*v == '+' || *v == '-');
        if (!strcmp(inf, ".inf") || !strcmp(inf, ".Inf") || !strcmp(inf, ".INF") ||
            !strcmp(v, ".nan") || !strcmp(v, ".NaN") || !strcmp(v, ".NAN")) {
            snprintf(c->err, c->errlen, "json: unsupported value: %s",
                     inf == v + 1 && *v == '-' ? "-Inf" : inf[1] == 'n' || inf[1] == 'N' ? "NaN" : "+Inf");
            return NULL;
        }
        return plain_scalar(v);
    }
    case YAML_SEQUENCE_NODE: {
        json_t *arr = json_array();
        for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
            json_t *v = convert(c, yaml_document_get_node(c->doc, *it), depth + 1);
            if (!v) { json_decref(arr); return NULL; }
            json_array_append_new(arr, v);
        }
        return arr;
    }
    case YAML_MAPPING_NODE: {
        json_t *obj = json_object();
        for (yaml_node_pair_t *pr = node->data.mapping.pairs.start; pr < node->data.mapping.pairs.top; pr++) {
            yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
            if (!k || k->type != YAML_SCALAR_NODE) {
                snprintf(c->err, c->errlen, "yaml: line %d: invalid map key",
                         k ? (int)k->start_mark.line + 1 - c->base_line : 0);
                json_decref(obj);
                return NULL;
            }
            json_t *v = convert(c, yaml_document_get_node(c->doc, pr->value), depth + 1);
            if (!v) { json_decref(obj); return NULL; }
            char keybuf[64];
            const char *key = key_text(k, keybuf, sizeof keybuf);
            if (!key) {
                /* a null key has no JSON spelling: kubectl refuses it */
                char *vt = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                snprintf(c->err, c->errlen, "unsupported map key of type: %%!s(<nil>), key: <nil>, value: %s%s%s",
                         vt ? "" : "\"", vt ? vt : json_string_value(v), vt ? "" : "\"");
                free(vt);
                json_decref(v);
                json_decref(obj);
                return NULL;
            }
            json_object_set_new(obj, key, v);
        }
        return obj;
    }
    default:
        return json_null();
    }
}

static void push_doc(loaded_docs *docs, json_t *obj, const char *source, int line)
{
    if (docs->n == docs->cap) {
        docs->cap = docs->cap ? docs->cap * 2 : 16;
        docs->docs = realloc(docs->docs, docs->cap * sizeof *docs->docs);
    }
    docs->docs[docs->n++] = (loaded_doc){obj, strdup(source), line};
}

/* `kind: List` (and *List) contributes its items, which must be objects
 * (a null item is an empty object, as kubectl's decoder makes it). */
static int push_object(loaded_docs *docs, json_t *obj, const char *source, int line, char *err, size_t errlen)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    json_t *items = json_object_get(obj, "items");
    if (kind && strlen(kind) >= 4 && !strcmp(kind + strlen(kind) - 4, "List") && json_is_array(items)) {
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it) {
            if (json_is_object(it) || json_is_null(it)) continue;
            snprintf(err, errlen, "unable to decode \"%s\": json: cannot unmarshal %s into Go value of type map[string]interface {}",
                     source, json_is_string(it) ? "string" : json_is_array(it) ? "array" : json_is_boolean(it) ? "bool" : "number");
            json_decref(obj);
            return -1;
        }
        json_array_foreach(items, i, it)
            push_doc(docs, json_is_null(it) ? json_object() : json_incref(it), source, line);
        json_decref(obj);
        return 0;
    }
    push_doc(docs, obj, source, line);
    return 0;
}

/* Line (0-based) where the document that contains `line` starts, the way
 * kubectl's splitter counts: lines are numbered from the line after "---".
 * Documents come in order, so the scan resumes where the last one stopped
 * (a stream of many documents stays linear). */
typedef struct line_scan {
    const char *p;   /* start of line `cur` */
    int cur, base;
} line_scan;

static int doc_base_line(line_scan *ls, const char *buf, size_t len, int line)
{
    const char *end = buf + len;
    if (!ls->p || line < ls->cur) *ls = (line_scan){buf, 0, 0};
    while (ls->p < end && ls->cur < line) {
        const char *p = ls->p, *nl = memchr(p, '\n', (size_t)(end - p));
        if (end - p >= 3 && !memcmp(p, "---", 3) && (p + 3 == end || p[3] == '\n' || p[3] == ' ' || p[3] == '\r'))
            ls->base = ls->cur + 1;
        if (!nl) break;
        ls->p = nl + 1;
        ls->cur++;
    }
    return ls->base;
}

/* libyaml's parser slows down quadratically with the nesting of flow
 * collections ([[[[...), so refuse absurd nesting before it starts.  The
 * scan skips quoted scalars and comments; brackets inside plain or block
 * scalars may be counted too, which is why the bound is far above
 * LOADER_MAX_DEPTH (which the conversion enforces exactly). */
static int flow_depth_ok(const char *buf, size_t len, char *err, size_t errlen, const char *source)
{
    int depth = 0, line = 1;
    char quote = 0, prev = '\n';
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (c == '\n') line++;
        if (quote) {
            if (quote == '"' && c == '\\') i++;
            else if (c == quote) quote = 0;
        } else if (c == '#' && (prev == ' ' || prev == '\t' || prev == '\n')) {
            while (i + 1 < len && buf[i + 1] != '\n') i++;
        } else if ((c == '"' || c == '\'') && strchr(" \t\n[{,:", prev)) {
            quote = c;
        } else if (c == '[' || c == '{') {
            if (++depth > LOADER_MAX_FLOW_DEPTH) {
                snprintf(err, errlen, "error parsing %s: error converting YAML to JSON: yaml: line %d: exceeded max depth of %d",
                         source, line, LOADER_MAX_DEPTH);
                return 0;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
        prev = c;
    }
    return 1;
}

/* Leading white space of buf[0..len) (buf need not be NUL-terminated). */
static size_t space_len(const char *buf, size_t len)
{
    size_t n = 0;
    while (n < len && (buf[n] == ' ' || buf[n] == '\t' || buf[n] == '\r' || buf[n] == '\n')) n++;
    return n;
}

int loader_load_buffer(loaded_docs *docs, const char *buf, size_t len, const char *source,
                       char *err, size_t errlen)
{
    if (len > LOADER_MAX_BYTES) {
        snprintf(err, errlen, "error parsing %s: input is larger than %u bytes", source, LOADER_MAX_BYTES);
        return -1;
    }
    if (!flow_depth_ok(buf, len, err, errlen, source)) return -1;
    if (memchr(buf, 0, len)) {
        snprintf(err, errlen, "error parsing %s: error converting YAML to JSON: yaml: control characters are not allowed",
                 source);
        return -1;
    }
    /* JSON documents are YAML too, but jansson gives exact numbers and messages. */
    size_t skip = space_len(buf, len);
    if (skip < len && buf[skip] == '{') {
        json_error_t je;
        json_t *o = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK, &je);
        if (o && space_len(buf + je.position, len - (size_t)je.position) == len - (size_t)je.position) {
            return push_object(docs, o, source, 1, err, errlen);
        }
        json_decref(o);
        /* a JSON number beyond double's range: kubectl's JSON decoder refuses it */
        const char *near = strstr(je.text, "real number overflow near '");
        if (!o && near) {
            near += strlen("real number overflow near '");
            snprintf(err, errlen, "unable to decode \"%s\": json: cannot unmarshal number %.*s into Go value of type float64",
                     source, (int)strcspn(near, "'"), near);
            return -1;
        }
    }
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    int rc = 0;
    size_t ndocs = 0, nodes = 0;
    line_scan ls = {0};
    for (;;) {
        yaml_document_t doc;
        if (!yaml_parser_load(&parser, &doc)) {
            int line = (int)parser.problem_mark.line;
            if (parser.error == YAML_READER_ERROR) {
                /* reader errors (bad UTF-8, control bytes) carry a byte offset, not a mark */
                line = 0;
                for (size_t i = 0; i < parser.problem_offset && i < len; i++) line += buf[i] == '\n';
            }
            int base = doc_base_line(&ls, buf, len, line);
            snprintf(err, errlen, "error parsing %s: error converting YAML to JSON: yaml: line %d: %s",
                     source, line - base + 1, parser.problem ? parser.problem : "syntax error");
            rc = -1;
            break;
        }
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (!root) { yaml_document_delete(&doc); break; }   /* end of stream */
        int line = (int)root->start_mark.line;
        if (++ndocs > LOADER_MAX_DOCS) {
            snprintf(err, errlen, "error parsing %s: more than %u documents in one stream", source, LOADER_MAX_DOCS);
            yaml_document_delete(&doc);
            rc = -1;
            break;
        }
        char cerr[512] = "";
        /* the node budget is shared by every document of the stream */
        conv c = {&doc, nodes, nodes, cerr, sizeof cerr, doc_base_line(&ls, buf, len, line)};
        json_t *v = convert(&c, root, 0);
        nodes = c.nodes;
        yaml_document_delete(&doc);
        if (!v) {
            snprintf(err, errlen, "error parsing %s: error converting YAML to JSON: %s", source, cerr);
            rc = -1;
            break;
        }
        if (json_is_null(v) || (json_is_object(v) && json_object_size(v) == 0)) {
            json_decref(v);     /* empty documents are skipped */
            continue;
        }
        if (!json_is_object(v)) {
            char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            snprintf(err, errlen, "error validating data: invalid object %s in %s", text ? text : "?", source);
            free(text);
            json_decref(v);
            rc = -1;
            break;
        }
        if (push_object(docs, v, source, line + 1, err, errlen)) {
            rc = -1;
            break;
        }
    }
    yaml_parser_delete(&parser);
    return rc;
}

json_t *loader_parse_value(const char *buf, size_t len, char *err, size_t errlen)
{
    if (len > LOADER_MAX_BYTES || !flow_depth_ok(buf, len, err, errlen, "patch")) {
        if (len > LOADER_MAX_BYTES) snprintf(err, errlen, "input is larger than %u bytes", LOADER_MAX_BYTES);
        return NULL;
    }
    json_error_t je;
    json_t *v = json_loadb(buf, len, JSON_DECODE_ANY, &je);
    if (v) return v;
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    yaml_document_t doc;
    if (!yaml_parser_load(&parser, &doc)) {
        /* an error at the end of the text is reported on its last line (as Go's yaml does) */
        int line = (int)parser.problem_mark.line + 1, lines = 1;
        for (size_t i = 0; i + 1 < len; i++) lines += buf[i] == '\n';
        snprintf(err, errlen, "yaml: line %d: %s", line > lines ? lines : line,
                 parser.problem ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        return NULL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    char cerr[512] = "";
    conv c = {&doc, 0, 0, cerr, sizeof cerr, 0};
    v = root ? convert(&c, root, 0) : json_null();
    if (!v) snprintf(err, errlen, "%s", cerr);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return v;
}

char *read_stream(FILE *f, size_t *len, size_t max)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) return NULL;
    for (;;) {
        if (n == cap) {
            if (cap > max) break;
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) { free(buf); return NULL; }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

char *read_file(const char *path, size_t *len, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = read_stream(f, len, max);
    fclose(f);
    return b;
}

static bool has_manifest_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(loaded_docs *docs, const char *dir, int recursive, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "the path \"%s\" cannot be read: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) { cap = cap ? cap * 2 : 16; names = realloc(names, cap * sizeof *names); }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, name_cmp);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (rc == 0 && stat(path, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) {
                if (recursive) rc = load_dir(docs, path, recursive, err, errlen);
            } else if (has_manifest_ext(names[i])) {
                rc = loader_load_path(docs, path, 0, NULL, err, errlen);
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int loader_load_path(loaded_docs *docs, const char *path, int recursive, FILE *in,
                     char *err, size_t errlen)
{
    size_t len = 0;
    char *buf;
    const char *source = path;
    if (!strcmp(path, "-")) {
        buf = read_stream(in ? in : stdin, &len, LOADER_MAX_BYTES);
        source = "STDIN";
    } else {
        struct stat sb;
        if (stat(path, &sb) != 0) {
            snprintf(err, errlen, "the path \"%s\" does not exist", path);
            return -1;
        }
        if (S_ISDIR(sb.st_mode)) return load_dir(docs, path, recursive, err, errlen);
        buf = read_file(path, &len, LOADER_MAX_BYTES);
        if (!buf) {
            snprintf(err, errlen, "the path \"%s\" cannot be read: %s", path, strerror(errno));
            return -1;
        }
    }
    if (!buf) {
        snprintf(err, errlen, "error reading %s", source);
        return -1;
    }
    int rc = loader_load_buffer(docs, buf, len, source, err, errlen);
    free(buf);
    return rc;
}

void loaded_docs_free(loaded_docs *docs)
{
    for (size_t i = 0; i < docs->n; i++) {
        json_decref(docs->docs[i].obj);
        free(docs->docs[i].source);
    }
    free(docs->docs);
    docs->docs = NULL;
    docs->n = docs->cap = 0;
}
