/* YAML, JSON and table output as kubectl prints them. */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "model/printer.h"
#include "model/obj.h"

static size_t digits(const char *s)
{
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9') n++;
    return n;
}

/* YYYY-M-D, optionally followed by [Tt ] and a time: what go-yaml reads as a timestamp. */
static bool looks_like_timestamp(const char *s)
{
    if (digits(s) != 4 || s[4] != '-') return false;
    const char *p = s + 5;
    size_t n = digits(p);
    if (n < 1 || n > 2 || p[n] != '-') return false;
    p += n + 1;
    n = digits(p);
    if (n < 1 || n > 2) return false;
    p += n;
    if (!*p) return true;
    if (*p != 'T' && *p != 't' && *p != ' ') return false;
    p++;
    n = digits(p);
    return n >= 1 && n <= 2 && p[n] == ':';
}

/* Would a plain scalar with this text be read back as something other than
 * a string?  Then it must be double-quoted, as Kubernetes' YAML encoder does. */
static bool plain_reads_as_other(const char *s)
{
    static const char *const words[] = {"", "~", "null", "Null", "NULL", "true", "True", "TRUE",
        "false", "False", "FALSE", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "on", "On", "ON", "off", "Off", "OFF", ".inf", ".Inf", ".INF", "-.inf", "+.inf", ".nan",
        ".NaN", ".NAN", NULL};
    for (const char *const *w = words; *w; w++)
        if (!strcmp(s, *w)) return true;
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (!*p) return false;
    if (strspn(p, "0123456789_") == strlen(p)) return true;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) return true;
    char *end;
    strtod(s, &end);
    if (*end == 0 && strspn(p, "0123456789.eE+-_") == strlen(p)) return true;
    /* timestamps (2024-01-01, 2024-01-01T00:00:00Z) resolve to !!timestamp */
    if (looks_like_timestamp(s)) return true;
    /* base-60 numbers (1:20) are numbers in YAML 1.1 */
    if (strspn(p, "0123456789:_") == strlen(p) && strchr(p, ':')) return true;
    return false;
}

typedef struct ystate {
    yaml_emitter_t em;
    int failed;
} ystate;

static void emit(ystate *y, yaml_event_t *ev)
{
    if (!y->failed && !yaml_emitter_emit(&y->em, ev)) y->failed = 1;
}

static void emit_scalar(ystate *y, const char *s, yaml_scalar_style_t style)
{
    yaml_event_t ev;
    yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)YAML_STR_TAG, (yaml_char_t *)s, (int)strlen(s),
                                 1, 1, style);
    emit(y, &ev);
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void emit_value(ystate *y, json_t *v)
{
    yaml_event_t ev;
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                            json_object_size(v) ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE);
        emit(y, &ev);
        size_t n = json_object_size(v), i = 0;
        const char **keys = malloc((n ? n : 1) * sizeof *keys);
        const char *k;
        json_t *val;
        json_object_foreach(v, k, val) keys[i++] = k;
        qsort(keys, n, sizeof *keys, key_cmp);
        for (i = 0; i < n; i++) {
            emit_scalar(y, keys[i], plain_reads_as_other(keys[i]) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                                                  : YAML_ANY_SCALAR_STYLE);
            emit_value(y, json_object_get(v, keys[i]));
        }
        free(keys);
        yaml_mapping_end_event_initialize(&ev);
        emit(y, &ev);
        break;
    }
    case JSON_ARRAY: {
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                             json_array_size(v) ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE);
        emit(y, &ev);
        size_t i;
        json_t *it;
        json_array_foreach(v, i, it) emit_value(y, it);
        yaml_sequence_end_event_initialize(&ev);
        emit(y, &ev);
        break;
    }
    case JSON_STRING: {
        const char *s = json_string_value(v);
        yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
        if (strchr(s, '\n')) style = YAML_LITERAL_SCALAR_STYLE;
        else if (plain_reads_as_other(s)) style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        emit_scalar(y, s, style);
        break;
    }
    case JSON_INTEGER:
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        emit_scalar(y, buf, YAML_PLAIN_SCALAR_STYLE);
        break;
    case JSON_REAL: {
        double d = json_real_value(v);
        if (d == (double)(long long)d && d < 1e15 && d > -1e15) snprintf(buf, sizeof buf, "%lld", (long long)d);
        else snprintf(buf, sizeof buf, "%g", d);
        emit_scalar(y, buf, YAML_PLAIN_SCALAR_STYLE);
        break;
    }
    case JSON_TRUE: emit_scalar(y, "true", YAML_PLAIN_SCALAR_STYLE); break;
    case JSON_FALSE: emit_scalar(y, "false", YAML_PLAIN_SCALAR_STYLE); break;
    case JSON_NULL: emit_scalar(y, "null", YAML_PLAIN_SCALAR_STYLE); break;
    }
}

typedef struct sbuf { char *p; size_t n, cap; } sbuf;

static int sbuf_write(void *data, unsigned char *buffer, size_t size)
{
    sbuf *b = data;
    if (b->n + size + 1 > b->cap) {
        size_t cap = (b->n + size + 1) * 2;
        char *np = realloc(b->p, cap);
        if (!np) return 0;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, buffer, size);
    b->n += size;
    b->p[b->n] = 0;
    return 1;
}

static char *yaml_dumps_width(json_t *v, int width)
{
    ystate y = {0};
    sbuf b = {0};
    yaml_event_t ev;
    yaml_emitter_initialize(&y.em);
    yaml_emitter_set_output(&y.em, sbuf_write, &b);
    yaml_emitter_set_width(&y.em, width);
    yaml_emitter_set_unicode(&y.em, 1);
    yaml_emitter_set_indent(&y.em, 2);
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    emit(&y, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    emit(&y, &ev);
    emit_value(&y, v);
    yaml_document_end_event_initialize(&ev, 1);
    emit(&y, &ev);
    yaml_stream_end_event_initialize(&ev);
    emit(&y, &ev);
    yaml_emitter_delete(&y.em);
    if (y.failed) { free(b.p); return NULL; }
    if (!b.p) b.p = strdup("");
    return b.p;
}

char *yaml_dumps(json_t *v) { return yaml_dumps_width(v, -1); }

int print_yaml_kubectl(FILE *out, json_t *v)
{
    /* go-yaml's best_width: kubectl's long plain and quoted scalars fold at 80 */
    char *s = yaml_dumps_width(v, 80);
    if (!s) return -1;
    fputs(s, out);
    free(s);
    return 0;
}

int print_yaml(FILE *out, json_t *v)
{
    char *s = yaml_dumps(v);
    if (!s) return -1;
    fputs(s, out);
    free(s);
    return 0;
}

static int print_json_flags(FILE *out, json_t *v, size_t flags)
{
    char *s = json_dumps(v, flags);
    if (!s) return -1;
    /* Go's encoder escapes <, > and & (and U+2028/2029) even inside strings;
     * outside strings JSON never has them, so a plain scan is enough. */
    for (const char *p = s; *p; p++) {
        if (*p == '<') fputs("\\u003c", out);
        else if (*p == '>') fputs("\\u003e", out);
        else if (*p == '&') fputs("\\u0026", out);
        else if ((unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x80 && ((unsigned char)p[2] == 0xa8 || (unsigned char)p[2] == 0xa9)) {
            fputs((unsigned char)p[2] == 0xa8 ? "\\u2028" : "\\u2029", out);
            p += 2;
        } else fputc(*p, out);
    }
    fputc('\n', out);
    free(s);
    return 0;
}

int print_json(FILE *out, json_t *v) { return print_json_flags(out, v, JSON_INDENT(4) | JSON_SORT_KEYS); }

int print_json_ordered(FILE *out, json_t *v) { return print_json_flags(out, v, JSON_INDENT(4) | JSON_PRESERVE_ORDER); }

void table_init(table *t, size_t ncols)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
}

void table_add(table *t, const char *const *row)
{
    if ((t->nrows + 1) * t->ncols > t->cap) {
        t->cap = (t->nrows + 1) * t->ncols * 2;
        t->cells = realloc(t->cells, t->cap * sizeof *t->cells);
    }
    for (size_t c = 0; c < t->ncols; c++) t->cells[t->nrows * t->ncols + c] = strdup(row[c] ? row[c] : "");
    t->nrows++;
}

/* Display width in characters (UTF-8 continuation bytes do not count). */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80) w++;
    return w;
}

void table_print(table *t, FILE *out, int padding)
{
    size_t *width = calloc(t->ncols ? t->ncols : 1, sizeof *width);
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = text_width(t->cells[r * t->ncols + c]);
            if (w > width[c]) width[c] = w;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *cell = t->cells[r * t->ncols + c];
            fputs(cell, out);
            if (c + 1 < t->ncols) {
                size_t pad = width[c] - text_width(cell) + (size_t)padding;
                for (size_t i = 0; i < pad; i++) fputc(' ', out);
            }
        }
        fputc('\n', out);
    }
    free(width);
}

void table_free(table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++) free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

void human_duration(char *buf, size_t len, long long s)
{
    if (s < -1) { snprintf(buf, len, "<invalid>"); return; }
    if (s < 0) s = 0;
    long long m = s / 60, h = s / 3600, d = s / 86400, y = d / 365;
    if (s < 120) snprintf(buf, len, "%llds", s);
    else if (m < 10) {
        if (s % 60) snprintf(buf, len, "%lldm%llds", m, s % 60);
        else snprintf(buf, len, "%lldm", m);
    } else if (m < 180) snprintf(buf, len, "%lldm", m);
    else if (h < 8) {
        if (m % 60) snprintf(buf, len, "%lldh%lldm", h, m % 60);
        else snprintf(buf, len, "%lldh", h);
    } else if (h < 48) snprintf(buf, len, "%lldh", h);
    else if (h < 192) {
        if (h % 24) snprintf(buf, len, "%lldd%lldh", d, h % 24);
        else snprintf(buf, len, "%lldd", d);
    } else if (y < 2) snprintf(buf, len, "%lldd", d);
    else if (y < 8) {
        if (d % 365) snprintf(buf, len, "%lldy%lldd", y, d % 365);
        else snprintf(buf, len, "%lldy", y);
    } else snprintf(buf, len, "%lldy", y);
}

void human_age(char *buf, size_t len, const char *creation_timestamp)
{
    long long t = time_parse_rfc3339(creation_timestamp);
    if (t < 0) { snprintf(buf, len, "<unknown>"); return; }
    human_duration(buf, len, time_now_ms() / 1000 - t);
}

/* Go's text/tabwriter (flags 0, pad char ' '): a cell is text ended by a
 * tab; a column block is a run of consecutive lines that have a cell in that
 * column, and every cell of a block is padded to the block's widest cell. */
typedef struct tw_line { char **cells; size_t n; } tw_line;

static void tw_format(tw_line *lines, size_t l0, size_t l1, size_t column, size_t *widths, int minwidth, int padding)
{
    for (size_t i = l0; i < l1; i++) {
        if (column + 1 >= lines[i].n) continue;
        /* a block starts here */
        size_t width = (size_t)minwidth, j = i;
        for (; j < l1 && column + 1 < lines[j].n; j++) {
            size_t w = text_width(lines[j].cells[column]) + (size_t)padding;
            if (w > width) width = w;
        }
        for (size_t x = i; x < j; x++) widths[x * 64 + column] = width;
        tw_format(lines, i, j, column + 1, widths, minwidth, padding);
        i = j - 1;
    }
}

void tabwriter_print(FILE *out, const char *text, int minwidth, int padding)
{
    size_t nl = 0, cap = 16;
    tw_line *lines = malloc(cap * sizeof *lines);
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (nl == cap) lines = realloc(lines, (cap *= 2) * sizeof *lines);
        tw_line *l = &lines[nl++];
        l->n = 0;
        l->cells = malloc(64 * sizeof *l->cells);
        const char *c = p;
        for (;;) {
            const char *tab = memchr(c, '\t', (size_t)(p + len - c));
            if (!tab || l->n == 63) { l->cells[l->n++] = strndup(c, (size_t)(p + len - c)); break; }
            l->cells[l->n++] = strndup(c, (size_t)(tab - c));
            c = tab + 1;
        }
        p += len + (e ? 1 : 0);
    }
    size_t *widths = calloc(nl * 64 + 1, sizeof *widths);
    tw_format(lines, 0, nl, 0, widths, minwidth, padding);
    for (size_t i = 0; i < nl; i++) {
        for (size_t c = 0; c < lines[i].n; c++) {
            fputs(lines[i].cells[c], out);
            if (c + 1 < lines[i].n)
                for (size_t k = text_width(lines[i].cells[c]); k < widths[i * 64 + c]; k++) fputc(' ', out);
            free(lines[i].cells[c]);
        }
        fputc('\n', out);
        free(lines[i].cells);
    }
    free(widths);
    free(lines);
}
