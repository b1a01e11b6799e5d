/* The manifest loader: sources (files, directories, standard input) read
 * into memory, YAML or JSON streams turned into loaded documents.
 *
 * The YAML to JSON conversion itself is in loader_events.c, from libyaml's
 * events; loader_fast.c reads the documents written in plain block YAML
 * (nearly all of a manifest) without libyaml, several times cheaper, and
 * leaves it the rest (see load_range_fast).  A large YAML stream is cut in
 * two at a document boundary and the halves are parsed at the same time;
 * the result is always the one parsing it whole with libyaml gives (when
 * the halves or the fast path cannot vouch for that, after an error or at
 * a limit, the text or its second half is parsed again with libyaml). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include "model/loader.h"
#include "model/loader_events.h"
#include "model/loader_fast.h"
#include "model/heap.h"

static void push_doc_owned(loaded_docs *docs, loaded_doc d)
{
    if (docs->n == docs->cap) {
        docs->cap = docs->cap ? docs->cap * 2 : 16;
        docs->docs = realloc(docs->docs, docs->cap * sizeof *docs->docs);
    }
    docs->docs[docs->n++] = d;
}

static void push_doc(loaded_docs *docs, json_t *obj, const char *source, int line)
{
    push_doc_owned(docs, (loaded_doc){obj, strdup(source), line});
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

static size_t count_newlines(const char *buf, size_t len)
{
    size_t n = 0;
    for (const char *p = buf, *end = buf + len; (p = memchr(p, '\n', (size_t)(end - p))); p++) n++;
    return n;
}

/* libyaml's parser slows down quadratically with the nesting of flow
 * collections ([[[[...), so refuse absurd nesting before it starts.  The
 * scan skips quoted scalars and comments; brackets inside plain or block
 * scalars may be counted too, which is why the bound is far above
 * LOADER_MAX_DEPTH (which the conversion enforces exactly).
 * It runs before anything else, so it jumps from one character that matters
 * to the next; the line is counted only for the message: every "\n" before
 * the bracket except those right after a backslash in a double-quoted
 * scalar (which the scan steps over with the backslash). */
static const unsigned char FLOW_SCAN_STOP[256] = {
    ['#'] = 1, ['"'] = 1, ['\''] = 1, ['['] = 1, ['{'] = 1, [']'] = 1, ['}'] = 1,
};

static int flow_depth_ok(const char *buf, size_t len, char *err, size_t errlen, const char *source)
{
    int depth = 0;
    size_t escaped_newlines = 0, i = 0;
    while (i < len) {
        while (i < len && !FLOW_SCAN_STOP[(unsigned char)buf[i]]) i++;
        if (i == len) break;
        char c = buf[i], prev = i ? buf[i - 1] : '\n';
        if (c == '#') {
            if (prev == ' ' || prev == '\t' || prev == '\n') {
                const char *nl = memchr(buf + i, '\n', len - i);
                i = nl ? (size_t)(nl - buf) : len;
            } else {
                i++;
            }
        } else if (c == '"' || c == '\'') {
            /* a quote opens a scalar after these (or a NUL: strchr finds the terminator) */
            if (!strchr(" \t\n[{,:", prev)) {
                i++;
                continue;
            }
            i++;
            if (c == '\'') {
                const char *q = memchr(buf + i, '\'', len - i);
                i = q ? (size_t)(q - buf) + 1 : len;
                continue;
            }
            while (i < len && buf[i] != '"') {
                if (buf[i] == '\\') {
                    if (i + 1 < len && buf[i + 1] == '\n') escaped_newlines++;
                    i++;
                }
                i++;
            }
            if (i < len) i++;
        } else if (c == '[' || c == '{') {
            if (++depth > LOADER_MAX_FLOW_DEPTH) {
                size_t line = 1 + count_newlines(buf, i) - escaped_newlines;
                snprintf(err, errlen, "error parsing %s: error converting YAML to JSON: yaml: line %zu: exceeded max depth of %d",
                         source, line, LOADER_MAX_DEPTH);
                return 0;
            }
            i++;
        } else {
            if (depth > 0) depth--;
            i++;
        }
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

/* One stretch of a YAML stream, parsed as a stream of its own: all of it,
 * or a part that starts at a document boundary.  Lines of the documents are
 * offset by line_off; the counts carry over from the parts before it. */
typedef struct range_load {
    const char *buf;
    size_t len;
    const char *source;
    int line_off;
    size_t nodes, ndocs;     /* in: used before this part; out: after it */
    int end_line;            /* libyaml's line at the end of the part */
    loaded_docs *docs;
    char *err;
    size_t errlen;
    int rc;
    atomic_int *failed;      /* shared by the halves of a split: set by the first to fail */
} range_load;

typedef struct base_ctx {
    const char *buf;
    size_t len;
    line_scan ls;
} base_ctx;

static int base_of(void *ctx, int line)
{
    base_ctx *b = ctx;
    return doc_base_line(&b->ls, b->buf, b->len, line);
}

/* A document read (owned): empty ones are skipped, one that is not an
 * object refused, the rest pushed (a List's items). */
static int take_doc(range_load *r, json_t *v, int line)
{
    if (json_is_null(v) || (json_is_object(v) && json_object_size(v) == 0)) {
        json_decref(v);     /* empty documents are skipped */
        return 0;
    }
    if (!json_is_object(v)) {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(r->err, r->errlen, "error validating data: invalid object %s in %s", text ? text : "?", r->source);
        free(text);
        json_decref(v);
        return -1;
    }
    return push_object(r->docs, v, r->source, line, r->err, r->errlen);
}

/* The part of a YAML stream libyaml reads, through loader_events.c. */
static int load_range(range_load *r)
{
    const char *buf = r->buf, *source = r->source;
    size_t len = r->len;
    char *err = r->err;
    size_t errlen = r->errlen;
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    base_ctx bc = {buf, len, {0}};
    yaml_json yj = {.nodes = r->nodes, .base_line = base_of, .base_ctx = &bc};
    int rc = 0;
    for (;;) {
        json_t *v;
        int line;
        char cerr[512] = "";
        if (r->failed && atomic_load(r->failed)) {
            rc = -1;   /* the other half failed: all is parsed again anyway */
            break;
        }
        int got = yaml_json_next(&yj, &parser, &v, &line, cerr, sizeof cerr);
        if (got == YAML_JSON_END) {
            r->end_line = (int)parser.mark.line;
            break;
        }
        if (got == YAML_JSON_PARSE_ERROR) {
            line = (int)parser.problem_mark.line;
            if (parser.error == YAML_READER_ERROR) {
                /* reader errors (bad UTF-8, control bytes) carry a byte offset, not a mark */
                line = 0;
                for (size_t i = 0; i < parser.problem_offset && i < len; i++) line += buf[i] == '\n';
            }
            int base = doc_base_line(&bc.ls, buf, len, line);
            snprintf(err, errlen, "error parsing %s: error converting YAML to JSON: yaml: line %d: %s",
                     source, line - base + 1, parser.problem ? parser.problem : "syntax error");
            rc = -1;
            break;
        }
        if (++r->ndocs > LOADER_MAX_DOCS) {
            snprintf(err, errlen, "error parsing %s: more than %u documents in one stream", source, LOADER_MAX_DOCS);
            json_decref(v);
            rc = -1;
            break;
        }
        if (got == YAML_JSON_VALUE_ERROR) {
            snprintf(err, errlen, "error parsing %s: error converting YAML to JSON: %s", source, cerr);
            rc = -1;
            break;
        }
        if (take_doc(r, v, line + 1 + r->line_off)) {
            rc = -1;
            break;
        }
    }
    if (rc && r->failed) atomic_store(r->failed, 1);
    r->nodes = yj.nodes;
    yaml_json_free(&yj);
    yaml_parser_delete(&parser);
    return r->rc = rc;
}

/* The same with the fast path (loader_fast.c) reading the documents it
 * takes, chunk by chunk, and libyaml the runs of chunks it declines (a
 * run starts at a "---" line, where libyaml starts afresh, see load_split).
 * Only a success is its answer: after any error the caller reads the text
 * again with load_range alone, so errors, their lines and the documents
 * kept before them are libyaml's. */
static int load_range_fast(range_load *r)
{
    const char *buf = r->buf;
    size_t len = r->len, pos = 0;
    size_t held = SIZE_MAX;   /* where the declined chunks not yet read start */
    int line = 0, held_line = 0;   /* lines before pos (before held), as libyaml counts them */
    loader_fast lf = {0};
    int rc = 0;
    for (;;) {
        if (r->failed && atomic_load(r->failed)) {
            rc = -1;
            break;
        }
        fast_doc fd;
        bool took = pos < len && loader_fast_doc(&lf, buf + pos, len - pos, &fd) == 0;
        if (pos < len && !took) {
            if (held == SIZE_MAX) {
                held = pos;
                held_line = line;
            }
            pos += fd.end;
            continue;
        }
        if (held != SIZE_MAX) {
            range_load part = {.buf = buf + held, .len = pos - held, .source = r->source, .line_off = r->line_off + held_line,
                               .nodes = r->nodes, .ndocs = r->ndocs, .docs = r->docs, .err = r->err, .errlen = r->errlen,
                               .failed = r->failed};
            if (load_range(&part)) {
                if (took) json_decref(fd.value);
                rc = -1;
                break;
            }
            r->nodes = part.nodes;
            r->ndocs = part.ndocs;
            line = held_line + part.end_line;
            held = SIZE_MAX;
        }
        if (!took) break;
        r->nodes += fd.nodes;
        r->ndocs += fd.docs;
        if (r->nodes > LOADER_MAX_NODES || r->ndocs > LOADER_MAX_DOCS) {
            json_decref(fd.value);   /* libyaml says how, on the next read */
            rc = -1;
            break;
        }
        if (fd.value && take_doc(r, fd.value, r->line_off + line + fd.line + 1)) {
            rc = -1;
            break;
        }
        line += fd.lines;
        pos += fd.end;
    }
    loader_fast_free(&lf);
    r->end_line = line;
    if (rc && r->failed) atomic_store(r->failed, 1);
    return r->rc = rc;
}

/* MESHSIM_LOADER_FAST=0 leaves everything to libyaml (the tests compare). */
static bool fast_enabled(void)
{
    const char *env = getenv("MESHSIM_LOADER_FAST");
    return !(env && !strcmp(env, "0"));
}

/* The part of a split stream (load_split): with the fast path unless it is off. */
static int load_part(range_load *r) { return fast_enabled() ? load_range_fast(r) : load_range(r); }

static void *load_range_thread(void *arg)
{
    heap_thread_use_huge_pages();
    load_part(arg);
    return NULL;
}

/* Streams at least this long are parsed in two halves at once, when the
 * process may run on two CPUs (tests set MESHSIM_LOADER_SPLIT_MIN, which
 * also skips the CPU check, to exercise the split on small input). */
#define SPLIT_MIN_DEFAULT (256u * 1024u)

static size_t split_min(void)
{
    const char *env = getenv("MESHSIM_LOADER_SPLIT_MIN");
    if (env && *env) {
        char *end;
        unsigned long long v = strtoull(env, &end, 10);
        if (*end == 0) return (size_t)v;
    }
    cpu_set_t cpus;
    if (sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) < 2) return SIZE_MAX;
    return SPLIT_MIN_DEFAULT;
}

/* Is a "---" line at p?  Only the spellings kubectl's splitter (see
 * doc_base_line) and libyaml both take as a document start. */
static bool doc_start_at(const char *p, const char *end)
{
    return end - p > 3 && !memcmp(p, "---", 3) && (p[3] == '\n' || p[3] == ' ' || p[3] == '\r');
}

/* Where to cut: the start of a "---" line near the middle, 0 for nowhere.
 * "---" at the start of a line starts a document wherever it is (inside a
 * block scalar too: those are indented), or is a syntax error (inside a
 * quoted scalar or a flow collection), which load_split deals with. */
static size_t split_point(const char *buf, size_t len)
{
    const char *end = buf + len, *mid = buf + len / 2;
    for (const char *p = mid; p && p < end; ) {
        p = memchr(p, '\n', (size_t)(end - p));
        if (!p) break;
        p++;
        if (doc_start_at(p, end)) return (size_t)(p - buf);
    }
    for (const char *p = mid; p > buf; p--)
        if (p[-1] == '\n' && doc_start_at(p, end)) return (size_t)(p - buf);
    return 0;
}

static void drop_docs(loaded_docs *docs, size_t keep)
{
    while (docs->n > keep) {
        docs->n--;
        json_decref(docs->docs[docs->n].obj);
        free(docs->docs[docs->n].source);
    }
}

/* Parse buf[0..cut) here and buf[cut..len) in a second thread, then make
 * sure the halves give what one parse would have.  A document boundary
 * resets libyaml's parser and scanner to what a new stream starts with, so
 * a second half that starts at a "---" line parses to the same events, and
 * only the way the halves end or fail can differ:
 *  - either half failed: parse the whole text again, as one.  The first
 *    half may fail only because it ends early (in a quoted scalar, say),
 *    and libyaml's reader checks characters up to 16 KB ahead of the
 *    parser, so which documents come before a bad byte depends on where
 *    the text starts;
 *  - the halves count lines differently from "\n" (CR or Unicode line
 *    breaks): the same, since kubectl's lines count from "---" lines;
 *  - the halves together pass a per-stream limit: parse the second half
 *    again, continuing the first's counts (both halves read clean, so the
 *    reader cannot tell the difference). */
static int load_split(loaded_docs *docs, const char *buf, size_t len, size_t cut, const char *source,
                      char *err, size_t errlen)
{
    json_decref(json_object());   /* jansson seeds its hash on the first object: not in two threads */
    /* a half's error is never the answer (see above), so it goes to scratch,
     * and the first to fail tells the other to stop */
    char scratch[2][256];
    atomic_int failed = 0;
    loaded_docs second_docs = {0};
    range_load second = {.buf = buf + cut, .len = len - cut, .source = source, .docs = &second_docs,
                         .err = scratch[1], .errlen = sizeof scratch[1], .failed = &failed};
    range_load whole = {.buf = buf, .len = len, .source = source, .docs = docs, .err = err, .errlen = errlen};
    pthread_t thread;
    if (pthread_create(&thread, NULL, load_range_thread, &second)) return load_range(&whole);
    size_t keep = docs->n;
    range_load first = {.buf = buf, .len = cut, .source = source, .docs = docs,
                        .err = scratch[0], .errlen = sizeof scratch[0], .failed = &failed};
    int rc = load_part(&first);
    size_t lines = rc ? 0 : count_newlines(buf, cut);
    pthread_join(thread, NULL);
    if (rc || second.rc || (size_t)first.end_line != lines) {
        drop_docs(docs, keep);
        loaded_docs_free(&second_docs);
        return load_range(&whole);
    }
    if (first.nodes + second.nodes <= LOADER_MAX_NODES && first.ndocs + second.ndocs <= LOADER_MAX_DOCS) {
        for (size_t i = 0; i < second_docs.n; i++) {
            loaded_doc d = second_docs.docs[i];
            d.line += first.end_line;
            push_doc_owned(docs, d);
        }
        free(second_docs.docs);
        return 0;
    }
    loaded_docs_free(&second_docs);
    range_load rest = {.buf = buf + cut, .len = len - cut, .source = source, .line_off = first.end_line,
                       .nodes = first.nodes, .ndocs = first.ndocs, .docs = docs, .err = err, .errlen = errlen};
    return load_range(&rest);
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
    /* only YAML is split (JSON that jansson refused is YAML's to judge, whole) */
    size_t cut = len >= split_min() && !(skip < len && buf[skip] == '{') ? split_point(buf, len) : 0;
    if (len >= SPLIT_MIN_DEFAULT) heap_main_begin_region();   /* a stream this long makes megabytes of objects */
    if (cut) return load_split(docs, buf, len, cut, source, err, errlen);
    if (fast_enabled()) {
        /* its errors are never the answer (see load_range_fast) */
        char scratch[256];
        size_t keep = docs->n;
        range_load fast = {.buf = buf, .len = len, .source = source, .docs = docs, .err = scratch, .errlen = sizeof scratch};
        if (load_range_fast(&fast) == 0) return 0;
        drop_docs(docs, keep);
    }
    range_load whole = {.buf = buf, .len = len, .source = source, .docs = docs, .err = err, .errlen = errlen};
    return load_range(&whole);
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
    yaml_json yj = {0};
    char cerr[512] = "";
    int line;
    int got = yaml_json_next(&yj, &parser, &v, &line, cerr, sizeof cerr);
    if (got == YAML_JSON_PARSE_ERROR) {
        /* an error at the end of the text is reported on its last line (as Go's yaml does) */
        int eline = (int)parser.problem_mark.line + 1, lines = 1;
        for (size_t i = 0; i + 1 < len; i++) lines += buf[i] == '\n';
        snprintf(err, errlen, "yaml: line %d: %s", eline > lines ? lines : eline,
                 parser.problem ? parser.problem : "syntax error");
    } else if (got == YAML_JSON_VALUE_ERROR) {
        snprintf(err, errlen, "%s", cerr);
    } else if (got == YAML_JSON_END) {
        v = json_null();
    }
    yaml_json_free(&yj);
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

/* A large manifest is mapped rather than read: its pages are the page
 * cache's own, where reading copies them into as many fresh pages of memory
 * (a 2 MB file: ~500 page faults, each one cleared, a tenth of a
 * 10 000-object apply).  Only a file that does not end on a page boundary:
 * the rest of its last page reads as zeros, as the NUL after a read buffer. */
#define MAP_AT_LEAST (64 * 1024)

static const char *map_manifest(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat sb;
    long page = sysconf(_SC_PAGESIZE);
    const char *text = NULL;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size >= MAP_AT_LEAST && sb.st_size <= LOADER_MAX_BYTES &&
        page > 0 && sb.st_size % page) {
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m != MAP_FAILED) {
            text = m;
            *len = (size_t)sb.st_size;
        }
    }
    close(fd);
    return text;
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
        const char *mapped = map_manifest(path, &len);
        if (mapped) {
            int rc = loader_load_buffer(docs, mapped, len, source, err, errlen);
            munmap((void *)mapped, len);
            return rc;
        }
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
