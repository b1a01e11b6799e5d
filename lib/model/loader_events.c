/* libyaml events into jansson values, one document at a time.
 *
 * YAML scalars are typed as Kubernetes' YAML-to-JSON conversion types them
 * (YAML 1.1 rules: yes/no/on/off are booleans, leading-zero octal, ...);
 * quoted scalars are always strings, tags are ignored.  Alias expansion and
 * nesting are bounded so a hostile document cannot exhaust memory.
 *
 * The results (values, errors and their lines) are those of composing the
 * document with yaml_parser_load and walking the tree in document order,
 * without the tree: an alias becomes a copy of its anchor's finished value,
 * and while an anchored collection is open, the nodes inside it are logged
 * (line and depth, or "alias of anchor k") so that the node and depth
 * limits can be checked for an expansion exactly where the tree walk would
 * have stopped, also for an alias of a collection that is still open (a
 * cycle, which the tree walk follows until a limit stops it). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/loader.h"
#include "model/loader_events.h"

typedef struct frame {      /* a collection being built */
    json_t *val;
    char *key;              /* a mapping's key waiting for its value (owned) */
    bool map, have_key, null_key;
    int depth, maxd;        /* its depth; the deepest value inside, aliases expanded */
    int anchor;             /* index into anchors, -1 for none */
} frame;

typedef struct anchor {
    char *name;
    int line, depth;
    bool scalar, open;
    char *text;             /* scalar: its text, length and style */
    size_t len;
    bool plain;
    json_t *val;            /* collection: the finished value */
    size_t nodes0, size;    /* budget before it; values it expands to */
    int height;             /* deepest value inside, relative to it */
    size_t item0, item1;    /* its range in the node log */
} anchor;

typedef struct item {       /* the node log kept while an anchored collection is open */
    int line, depth;
    int anchor;             /* -1: a node; else an alias of that anchor */
} item;

struct yaml_json_state {
    frame *fr;
    size_t nfr, capfr;
    anchor *an;
    size_t nan, capan;
    item *it;
    size_t nit, capit;
    int open_anchors;       /* anchored collections not finished yet */
    json_t *root;
    bool seen_root, failed, limit_hit;
    int base;               /* line that messages count from */
    size_t start;           /* budget used before this document */
    size_t distinct;        /* nodes of the document (the tree's size) */
    int limit_line;         /* where the node budget ran out ... */
    size_t limit_conv;      /* ... after how many values of this document */
    char *err;
    size_t errlen;
};

typedef struct yaml_json_state state;

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
/* the null and boolean words that start with a letter (all three lists) */
static const char *const LETTER_WORDS[] = {"null", "Null", "NULL", "true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES",
                                           "on", "On", "ON", "false", "False", "FALSE", "n", "N", "no", "No", "NO",
                                           "off", "Off", "OFF", NULL};

/* The common case, decided without building a value: a plain scalar that
 * YAML 1.1 reads as a string for sure (no null or boolean word, nothing
 * that starts like a number, .inf or .nan). */
static bool plain_is_string(const char *s)
{
    switch (s[0]) {
    case 0: case '~': case '+': case '-': case '.':
        return false;
    case 'n': case 'N': case 't': case 'T': case 'y': case 'Y': case 'f': case 'F': case 'o': case 'O':
        /* the words are at most 5 letters: most keys ("name") are longer */
        if (s[1] && s[2] && s[3] && s[4] && s[5]) return true;
        for (const char *const *w = LETTER_WORDS; *w; w++)
            if ((*w)[0] == s[0] && !strcmp(*w, s)) return false;
        return true;
    default:
        return !(s[0] >= '0' && s[0] <= '9');
    }
}

/* Type a plain scalar the way YAML 1.1 resolves it. */
static json_t *plain_scalar(const char *s)
{
    /* no null or boolean word starts with a digit: numbers skip the lists */
    if (!(s[0] >= '0' && s[0] <= '9')) {
        if (is_one_of(s, NULL_WORDS)) return json_null();
        if (is_one_of(s, TRUE_WORDS)) return json_true();
        if (is_one_of(s, FALSE_WORDS)) return json_false();
    }
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
    return json_string(s);   /* .inf and .nan too: JSON has no infinities, keep the text */
}

/* A plain key is typed like any plain scalar and then printed back, as
 * Kubernetes' YAML-to-JSON conversion does: `y:` becomes "true", `0x1F:`
 * becomes "31"; a null key (`~:`) is refused (NULL).  Keys are not values:
 * they use no budget and text after a NUL escape is dropped. */
const char *yaml_json_key(const char *text, bool plain, char *buf, size_t len)
{
    if (!plain || plain_is_string(text)) return text;
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

/* The depth and budget checks every value passes, aliased ones included. */
static int node_check(yaml_json *yj, state *st, int depth, int line)
{
    if (depth > LOADER_MAX_DEPTH) {
        snprintf(st->err, st->errlen, "yaml: line %d: exceeded max depth of %d", line + 1 - st->base,
                 LOADER_MAX_DEPTH);
        return -1;
    }
    if (++yj->nodes > LOADER_MAX_NODES) {
        /* the message needs the document's size, known at its end */
        st->limit_hit = true;
        st->limit_line = line;
        st->limit_conv = yj->nodes - st->start;
        return -1;
    }
    return 0;
}

json_t *yaml_json_scalar(const char *v, size_t len, bool plain, int line, char *err, size_t errlen)
{
    if (len > LOADER_MAX_SCALAR) {
        snprintf(err, errlen, "yaml: line %d: a value of %zu bytes is larger than the limit of %u bytes",
                 line, len, LOADER_MAX_SCALAR);
        return NULL;
    }
    /* libyaml checked the UTF-8 (and its escapes make only valid UTF-8) */
    if (!plain || plain_is_string(v)) return json_stringn_nocheck(v, len);
    /* YAML's infinities and NaN have no JSON form: kubectl refuses them */
    const char *inf = v + (*v == '+' || *v == '-');
    if (!strcmp(inf, ".inf") || !strcmp(inf, ".Inf") || !strcmp(inf, ".INF") ||
        !strcmp(v, ".nan") || !strcmp(v, ".NaN") || !strcmp(v, ".NAN")) {
        snprintf(err, errlen, "json: unsupported value: %s",
                 inf == v + 1 && *v == '-' ? "-Inf" : inf[1] == 'n' || inf[1] == 'N' ? "NaN" : "+Inf");
        return NULL;
    }
    return plain_scalar(v);
}

static json_t *scalar_value(state *st, const char *v, size_t len, bool plain, int line)
{
    /* an escape can make a NUL (the size limit is checked first) */
    if (len <= LOADER_MAX_SCALAR && memchr(v, 0, len)) {
        snprintf(st->err, st->errlen, "yaml: line %d: control characters are not allowed", line + 1 - st->base);
        return NULL;
    }
    return yaml_json_scalar(v, len, plain, line + 1 - st->base, st->err, st->errlen);
}

/* The checks of expanding anchor `ai` at `depth`, value by value in
 * document order, as the tree walk would visit its copy.  An anchor that is
 * finished and fits is settled at once; otherwise its log is replayed (for
 * an open one up to now: the walk never gets past the alias inside it). */
static int expand_check(yaml_json *yj, state *st, int ai, int depth)
{
    anchor *a = &st->an[ai];
    if (a->scalar) return node_check(yj, st, depth, a->line);
    if (!a->open && depth + a->height <= LOADER_MAX_DEPTH && a->size <= LOADER_MAX_NODES - yj->nodes) {
        yj->nodes += a->size;
        return 0;
    }
    int adepth = a->depth;
    size_t end = a->open ? st->nit : a->item1;
    for (size_t i = a->item0; i < end; i++) {
        item it = st->it[i];
        int d = depth + it.depth - adepth;
        if (it.anchor < 0 ? node_check(yj, st, d, it.line) : expand_check(yj, st, it.anchor, d)) return -1;
    }
    return 0;
}

static void log_item(state *st, int line, int depth, int anchor_index)
{
    if (st->nit == st->capit) {
        st->capit = st->capit ? st->capit * 2 : 256;
        st->it = realloc(st->it, st->capit * sizeof *st->it);
        if (!st->it) abort();
    }
    st->it[st->nit++] = (item){line, depth, anchor_index};
}

/* A conversion error is recorded; the rest of the document is still read
 * (a syntax error later in it wins, as it does for yaml_parser_load). */
static void fail(state *st)
{
    for (size_t i = 0; i < st->nfr; i++) {
        json_decref(st->fr[i].val);
        free(st->fr[i].key);
    }
    st->nfr = 0;
    st->failed = true;
}

static void reset_document(state *st)
{
    if (!st) return;
    fail(st);
    for (size_t i = 0; i < st->nan; i++) {
        free(st->an[i].name);
        free(st->an[i].text);
        json_decref(st->an[i].val);
    }
    st->nan = 0;
    st->nit = 0;
    st->open_anchors = 0;
    json_decref(st->root);
    st->root = NULL;
}

static int composer_error(yaml_parser_t *parser, const char *context, const char *problem, yaml_mark_t mark)
{
    parser->error = YAML_COMPOSER_ERROR;
    parser->context = context;
    parser->problem = problem;
    parser->problem_mark = mark;
    return -1;
}

/* A node's anchor, as libyaml's composer registers it: a name used twice
 * in one document is an error.  Returns the index, -1 for none, -2 on error. */
static int add_anchor(state *st, yaml_parser_t *parser, yaml_char_t **name, yaml_mark_t mark)
{
    if (!*name) return -1;
    for (size_t i = 0; i < st->nan; i++)
        if (!strcmp(st->an[i].name, (char *)*name)) {
            composer_error(parser, "found duplicate anchor; first occurrence", "second occurrence", mark);
            return -2;
        }
    if (st->nan == st->capan) {
        st->capan = st->capan ? st->capan * 2 : 8;
        st->an = realloc(st->an, st->capan * sizeof *st->an);
        if (!st->an) abort();
    }
    st->an[st->nan] = (anchor){.name = (char *)*name, .line = (int)mark.line};
    *name = NULL;   /* taken from the event */
    return (int)st->nan++;
}

static void keep_scalar(state *st, int ai, const yaml_event_t *ev)
{
    anchor *a = &st->an[ai];
    a->scalar = true;
    a->len = ev->data.scalar.length;
    a->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    a->text = malloc(a->len + 1);
    if (!a->text) abort();
    memcpy(a->text, ev->data.scalar.value, a->len + 1);
}

/* A finished value goes into its collection (or becomes the root). */
static void attach(state *st, json_t *v)
{
    if (!st->nfr) {
        st->root = v;
        return;
    }
    frame *top = &st->fr[st->nfr - 1];
    if (!top->map) {
        json_array_append_new(top->val, v);
        return;
    }
    top->have_key = false;
    if (top->null_key) {
        /* a null key has no JSON spelling: kubectl refuses it */
        char *vt = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(st->err, st->errlen, "unsupported map key of type: %%!s(<nil>), key: <nil>, value: %s%s%s",
                 vt ? "" : "\"", vt ? vt : json_string_value(v), vt ? "" : "\"");
        free(vt);
        json_decref(v);
        fail(st);
        return;
    }
    json_object_set_new_nocheck(top->val, top->key, v);
    free(top->key);
    top->key = NULL;
}

static void set_key(frame *top, const char *text, bool plain, char *owned)
{
    char buf[64];
    const char *k = yaml_json_key(text, plain, buf, sizeof buf);
    top->have_key = true;
    top->null_key = !k;
    if (k && k == owned) {
        top->key = owned;
        return;
    }
    top->key = k ? strdup(k) : NULL;
    free(owned);
}

static void invalid_key(state *st, int line)
{
    snprintf(st->err, st->errlen, "yaml: line %d: invalid map key", line + 1 - st->base);
    fail(st);
}

static int find_anchor(state *st, const char *name)
{
    for (size_t i = st->nan; i-- > 0;)
        if (!strcmp(st->an[i].name, name)) return (int)i;
    return -1;
}

/* One event inside a document.  -1: a composer error (in parser). */
static int on_event(yaml_json *yj, state *st, yaml_parser_t *parser, yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line, ai = -1;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        st->distinct++;
        ai = add_anchor(st, parser, &ev->data.scalar.anchor, ev->start_mark);
        break;
    case YAML_SEQUENCE_START_EVENT:
        st->distinct++;
        ai = add_anchor(st, parser, &ev->data.sequence_start.anchor, ev->start_mark);
        break;
    case YAML_MAPPING_START_EVENT:
        st->distinct++;
        ai = add_anchor(st, parser, &ev->data.mapping_start.anchor, ev->start_mark);
        break;
    case YAML_ALIAS_EVENT:
        ai = find_anchor(st, (char *)ev->data.alias.anchor);
        if (ai < 0) return composer_error(parser, NULL, "found undefined alias", ev->start_mark);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        break;
    default:
        return 0;
    }
    if (ai == -2) return -1;
    if (!st->seen_root) {
        st->seen_root = true;
        st->base = yj->base_line ? yj->base_line(yj->base_ctx, line) : 0;
    }
    if (st->failed) return 0;

    if (ev->type == YAML_SEQUENCE_END_EVENT || ev->type == YAML_MAPPING_END_EVENT) {
        frame f = st->fr[--st->nfr];
        if (f.anchor >= 0) {
            anchor *a = &st->an[f.anchor];
            a->open = false;
            a->size = yj->nodes - a->nodes0;
            a->height = f.maxd - f.depth;
            a->item1 = st->nit;
            a->val = json_incref(f.val);
            st->open_anchors--;
        }
        if (st->nfr && st->fr[st->nfr - 1].maxd < f.maxd) st->fr[st->nfr - 1].maxd = f.maxd;
        attach(st, f.val);
        return 0;
    }

    frame *top = st->nfr ? &st->fr[st->nfr - 1] : NULL;
    if (top && top->map && !top->have_key) {
        /* a key: only scalars (or aliases of scalars) can be JSON keys */
        if (ev->type == YAML_SCALAR_EVENT) {
            if (ai >= 0) keep_scalar(st, ai, ev);
            char *text = (char *)ev->data.scalar.value;
            ev->data.scalar.value = NULL;   /* taken from the event */
            set_key(top, text, ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE, text);
        } else if (ev->type == YAML_ALIAS_EVENT && st->an[ai].scalar) {
            set_key(top, st->an[ai].text, st->an[ai].plain, NULL);
        } else {
            invalid_key(st, ev->type == YAML_ALIAS_EVENT ? st->an[ai].line : line);
        }
        return 0;
    }

    int depth = top ? top->depth + 1 : 0;
    json_t *v;
    if (ev->type == YAML_SCALAR_EVENT) {
        if (ai >= 0) keep_scalar(st, ai, ev);
        if (st->open_anchors) log_item(st, line, depth, -1);
        if (node_check(yj, st, depth, line)) { fail(st); return 0; }
        v = scalar_value(st, (const char *)ev->data.scalar.value, ev->data.scalar.length,
                         ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE, line);
        if (!v) { fail(st); return 0; }
        if (top && top->maxd < depth) top->maxd = depth;
        attach(st, v);
        return 0;
    }
    if (ev->type == YAML_ALIAS_EVENT) {
        anchor *a = &st->an[ai];
        if (st->open_anchors) log_item(st, line, depth, ai);
        if (a->scalar) {
            if (node_check(yj, st, depth, a->line)) { fail(st); return 0; }
            v = scalar_value(st, a->text, a->len, a->plain, a->line);
            if (!v) { fail(st); return 0; }
            if (top && top->maxd < depth) top->maxd = depth;
        } else {
            bool open = a->open;
            if (expand_check(yj, st, ai, depth)) { fail(st); return 0; }
            if (open) {
                /* an alias inside its own anchor never ends, so the replay
                 * above always stops at a limit; this is a safety net */
                snprintf(st->err, st->errlen, "yaml: line %d: exceeded max depth of %d",
                         line + 1 - st->base, LOADER_MAX_DEPTH);
                fail(st);
                return 0;
            }
            a = &st->an[ai];
            v = json_deep_copy(a->val);
            if (top && top->maxd < depth + a->height) top->maxd = depth + a->height;
        }
        attach(st, v);
        return 0;
    }
    /* a collection starts */
    if (ai >= 0) {
        anchor *a = &st->an[ai];
        a->open = true;
        a->depth = depth;
        a->item0 = st->nit;
        a->nodes0 = yj->nodes;
        st->open_anchors++;
    }
    if (st->open_anchors) log_item(st, line, depth, -1);
    if (node_check(yj, st, depth, line)) { fail(st); return 0; }
    if (st->nfr == st->capfr) {
        st->capfr = st->capfr ? st->capfr * 2 : 16;
        st->fr = realloc(st->fr, st->capfr * sizeof *st->fr);
        if (!st->fr) abort();
    }
    bool map = ev->type == YAML_MAPPING_START_EVENT;
    st->fr[st->nfr++] = (frame){.val = map ? json_object() : json_array(), .map = map,
                                .depth = depth, .maxd = depth, .anchor = ai};
    return 0;
}

int yaml_json_next(yaml_json *yj, yaml_parser_t *parser, json_t **value, int *line,
                   char *err, size_t errlen)
{
    *value = NULL;
    *line = 0;
    if (!yj->st) {
        yj->st = calloc(1, sizeof *yj->st);
        if (!yj->st) abort();
    }
    state *st = yj->st;
    reset_document(st);
    st->failed = st->limit_hit = st->seen_root = false;
    st->base = 0;
    st->start = yj->nodes;
    st->distinct = 0;
    st->err = err;
    st->errlen = errlen;

    yaml_event_t ev;
    if (!parser->stream_start_produced) {
        if (!yaml_parser_parse(parser, &ev)) return YAML_JSON_PARSE_ERROR;
        yaml_event_delete(&ev);
    }
    if (parser->stream_end_produced) return YAML_JSON_END;
    if (!yaml_parser_parse(parser, &ev)) return YAML_JSON_PARSE_ERROR;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        return YAML_JSON_END;
    }
    yaml_event_delete(&ev);   /* DOCUMENT-START */
    int root_line = -1;
    for (;;) {
        if (!yaml_parser_parse(parser, &ev)) {
            reset_document(st);
            return YAML_JSON_PARSE_ERROR;
        }
        if (ev.type == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (root_line < 0) root_line = (int)ev.start_mark.line;
        int rc = on_event(yj, st, parser, &ev);
        yaml_event_delete(&ev);
        if (rc < 0) {
            reset_document(st);
            return YAML_JSON_PARSE_ERROR;
        }
    }
    *line = root_line;
    if (st->failed) {
        if (st->limit_hit) {
            /* more values than the document has nodes: aliases did it (go-yaml's words) */
            if (st->limit_conv > st->distinct)
                snprintf(err, errlen, "yaml: document contains excessive aliasing");
            else
                snprintf(err, errlen, "yaml: line %d: more than %u values in one stream",
                         st->limit_line + 1 - st->base, LOADER_MAX_NODES);
        }
        reset_document(st);
        return YAML_JSON_VALUE_ERROR;
    }
    *value = st->root;
    st->root = NULL;
    reset_document(st);
    return YAML_JSON_DOC;
}

void yaml_json_free(yaml_json *yj)
{
    state *st = yj->st;
    if (!st) return;
    reset_document(st);
    free(st->fr);
    free(st->an);
    free(st->it);
    free(st);
    yj->st = NULL;
}
