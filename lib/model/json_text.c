/* Re-printing stored JSON text as kubectl -o json prints it.  See json_text.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "model/json_text.h"
#include "model/obj.h"

static void put(json_text_buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        if (cap < 1024) cap = 1024;   /* an object's text is seldom shorter: one allocation */
        char *p = realloc(b->p, cap);
        if (!p) { b->failed = 1; return; }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

void json_text_put(json_text_buf *b, const char *s) { put(b, s, strlen(s)); }

static void newline(json_text_buf *b, int depth)
{
    static const char spaces[] = "\n                                                                ";
    size_t n = 4 * (size_t)depth;
    put(b, spaces, 1);
    while (n) {
        size_t k = n < sizeof spaces - 2 ? n : sizeof spaces - 2;
        put(b, spaces + 1, k);
        n -= k;
    }
}

/* p at the opening quote: the character after the closing quote, or NULL. */
static const char *skip_string(const char *p)
{
    for (p++; *p; p++) {
        if (*p == '\\') { if (!*++p) return NULL; }
        else if (*p == '"') return p + 1;
    }
    return NULL;
}

/* Go's encoder's extra escapes (<, > and &, U+2028/2029), as print_json
 * applies them: the escape for the bytes at p, with *skip set to how many
 * bytes it replaces; NULL for any other byte. */
static const char *go_escape(const char *p, const char *e, size_t *skip)
{
    *skip = 1;
    switch (*p) {
    case '<': return "\\u003c";
    case '>': return "\\u003e";
    case '&': return "\\u0026";
    case '\xe2':
        if (p + 2 < e && (unsigned char)p[1] == 0x80 && ((unsigned char)p[2] == 0xa8 || (unsigned char)p[2] == 0xa9)) {
            *skip = 3;
            return (unsigned char)p[2] == 0xa8 ? "\\u2028" : "\\u2029";
        }
        return NULL;
    default:
        return NULL;
    }
}

/* Text (any part of JSON text) with Go's extra escapes. */
static void put_string(json_text_buf *b, const char *s, const char *e)
{
    const char *run = s;
    for (const char *p = s; p < e; p++) {
        size_t skip;
        const char *esc = go_escape(p, e, &skip);
        if (!esc) continue;
        put(b, run, (size_t)(p - run));
        put(b, esc, 6);
        p += skip - 1;
        run = p + 1;
    }
    put(b, run, (size_t)(e - run));
}

/* A string token at p copied with Go's escapes in one pass; returns the
 * character after it, or NULL. */
static const char *copy_string(json_text_buf *b, const char *p)
{
    const char *run = p, *q = p + 1;
    for (;; q++) {
        switch (*q) {
        case 0: return NULL;
        case '\\': if (!*++q) return NULL; continue;
        case '"': put(b, run, (size_t)(q + 1 - run)); return q + 1;
        case '<': case '>': case '&': case '\xe2': {
            size_t skip;
            const char *esc = go_escape(q, q + strnlen(q, 3), &skip);
            if (!esc) continue;
            put(b, run, (size_t)(q - run));
            put(b, esc, 6);
            q += skip - 1;
            run = q + 1;
            continue;
        }
        default: continue;
        }
    }
}

typedef struct member { const char *k; size_t klen; size_t from, to; } member;

/* jansson's JSON_SORT_KEYS order: strcmp of the keys. */
static int member_cmp(const void *a, const void *b)
{
    const member *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->k, y->k, n);
    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* One value at p, appended; returns the end of it, or NULL (b->failed set).
 * An object's members are printed in the text's order, each after a comma
 * but the first; when their keys are not in order the members are copied
 * aside and put back sorted. */
static const char *pretty(json_text_buf *b, const char *p, int depth)
{
    if (*p == '{') {
        if (p[1] == '}') { put(b, "{}", 2); return p + 2; }
        member small[32], *m = small;
        size_t n = 0, cap = 32;
        bool sorted = true;
        put(b, "{", 1);
        size_t region = b->n;
        const char *q = p + 1;
        for (;;) {
            if (*q != '"') goto bad;
            const char *ke = skip_string(q);
            if (!ke || *ke != ':') goto bad;
            /* an escaped key would sort by its unescaped text: not handled here */
            if (memchr(q + 1, '\\', (size_t)(ke - 1 - (q + 1)))) goto bad;
            if (n == cap) {
                member *bigger = malloc(2 * cap * sizeof *bigger);
                if (!bigger) goto bad;
                memcpy(bigger, m, n * sizeof *m);
                if (m != small) free(m);
                m = bigger;
                cap *= 2;
            }
            if (n) put(b, ",", 1);
            member *cur = &m[n];
            *cur = (member){q + 1, (size_t)(ke - 1 - (q + 1)), b->n, 0};
            newline(b, depth + 1);
            put_string(b, q, ke);
            put(b, ": ", 2);
            const char *ve = pretty(b, ke + 1, depth + 1);
            if (!ve) goto bad;
            cur->to = b->n;
            if (n && member_cmp(&m[n - 1], cur) > 0) sorted = false;
            n++;
            if (*ve == '}') { q = ve + 1; break; }
            if (*ve != ',') goto bad;
            q = ve + 1;
        }
        if (!sorted && !b->failed) {
            size_t len = b->n - region;
            char *aside = malloc(len ? len : 1);
            if (!aside) goto bad;
            memcpy(aside, b->p + region, len);
            qsort(m, n, sizeof *m, member_cmp);
            b->n = region;
            for (size_t i = 0; i < n; i++) {
                if (i) put(b, ",", 1);
                put(b, aside + (m[i].from - region), m[i].to - m[i].from);
            }
            free(aside);
        }
        newline(b, depth);
        put(b, "}", 1);
        if (m != small) free(m);
        return q;
    bad:
        if (m != small) free(m);
        b->failed = 1;
        return NULL;
    }
    if (*p == '[') {
        if (p[1] == ']') { put(b, "[]", 2); return p + 2; }
        put(b, "[", 1);
        const char *q = p + 1;
        for (;;) {
            newline(b, depth + 1);
            q = pretty(b, q, depth + 1);
            if (!q) return NULL;
            if (*q == ']') break;
            if (*q != ',') { b->failed = 1; return NULL; }
            put(b, ",", 1);
            q++;
        }
        newline(b, depth);
        put(b, "]", 1);
        return q + 1;
    }
    if (*p == '"') {
        const char *e = copy_string(b, p);
        if (!e) b->failed = 1;
        return e;
    }
    const char *e = p;
    while (*e && *e != ',' && *e != ']' && *e != '}') e++;
    if (e == p) { b->failed = 1; return NULL; }
    put(b, p, (size_t)(e - p));
    return e;
}

int json_text_pretty(json_text_buf *b, const char *text, int depth)
{
    size_t mark = b->n;
    const char *e = pretty(b, text, depth);
    if (!e || *e || b->failed) {
        b->n = mark;
        if (b->p) b->p[mark] = 0;
        b->failed = 0;
        return -1;
    }
    return 0;
}

int json_text_pretty_value(json_text_buf *b, json_t *v, int depth)
{
    char *t = json_dumps(v, JSON_INDENT(4) | JSON_SORT_KEYS);
    if (!t) return -1;
    /* print_json's bytes, each line after the first indented deeper (JSON
     * text has newlines only between tokens); Go's escapes are only ever
     * inside strings, and put_string applies them to any text */
    for (const char *p = t;;) {
        const char *nl = strchr(p, '\n');
        put_string(b, p, nl ? nl : p + strlen(p));
        if (!nl) break;
        newline(b, depth);
        p = nl + 1;
    }
    free(t);
    return b->failed ? -1 : 0;
}

/* ---- compact text of a value -------------------------------------------- */

/* Room for n more bytes and the NUL after them. */
static bool reserve(json_text_buf *b, size_t n)
{
    if (b->failed) return false;
    if (b->n + n + 1 <= b->cap) return true;
    size_t cap = (b->n + n + 1) * 2;
    if (cap < 1024) cap = 1024;
    char *p = realloc(b->p, cap);
    if (!p) { b->failed = 1; return false; }
    b->p = p;
    b->cap = cap;
    return true;
}

/* A string as jansson escapes it: ", \ and control characters (\b \f \n
 * \r \t, others \u00XX); everything else, UTF-8 included, as it is.
 * Written in pieces of at most PIECE bytes, each with room reserved for
 * its worst case (every byte six): one check per piece instead of one per
 * run between escapes (a last-applied annotation has dozens of quotes),
 * and a small piece so the buffer grows little past what it holds. */
#define PIECE 64

/* The index (0-7) of the first byte of w, as read from memory, that needs
 * an escape (below 0x20, '"' or '\\'), or 8: the has-less and has-zero
 * tests of SWAR, whose lowest flag is exact (a borrow only runs upward). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WORDS 1
static inline int first_escape(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    uint64_t m = (((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash)) & highs;
    return m ? __builtin_ctzll(m) >> 3 : 8;
}
#else
#define WORDS 0
#endif

/* c's escape at o; returns the byte after it */
static char *put_escape(char *o, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    *o++ = '\\';
    switch (c) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '\b': *o++ = 'b'; break;
    case '\f': *o++ = 'f'; break;
    case '\n': *o++ = 'n'; break;
    case '\r': *o++ = 'r'; break;
    case '\t': *o++ = 't'; break;
    default:
        memcpy(o, "u00", 3);
        o[3] = hex[c >> 4];
        o[4] = hex[c & 15];
        o += 5;
    }
    return o;
}

static void compact_string(json_text_buf *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    if (!reserve(b, 1)) return;
    b->p[b->n++] = '"';
    while (p < end) {
        size_t piece = (size_t)(end - p) < PIECE ? (size_t)(end - p) : PIECE;
        if (!reserve(b, 6 * piece + 1)) return;
        char *o = b->p + b->n;
        const unsigned char *stop = p + piece;
#if WORDS
        /* a word at a time: its plain bytes copied at once (the word is
         * copied whole; the reserve leaves room), then the escape if any */
        while (stop - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            int k = first_escape(w);
            memcpy(o, &w, 8);
            o += k;
            p += k;
            if (k < 8) o = put_escape(o, *p++);
        }
#endif
        for (; p < stop; p++) {
            unsigned char c = *p;
            if (c >= 0x20 && c != '"' && c != '\\') *o++ = (char)c;
            else o = put_escape(o, c);
        }
        b->n = (size_t)(o - b->p);
    }
    if (!reserve(b, 1)) return;
    b->p[b->n++] = '"';
    b->p[b->n] = 0;
}

typedef struct member_value { const char *k; size_t klen; json_t *v; } member_value;

/* jansson's JSON_SORT_KEYS order */
static int member_value_cmp(const void *a, const void *b)
{
    return strcmp(((const member_value *)a)->k, ((const member_value *)b)->k);
}

/* The members json_text_compact_more adds to object v, or NULL. */
static const char *more_for(const json_text_buf *b, const json_t *v)
{
    for (size_t i = 0; i < b->nmore; i++)
        if (b->more[i].object == v) return b->more[i].members;
    return NULL;
}

static void compact(json_text_buf *b, json_t *v, bool sort)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char *more = b->nmore ? more_for(b, v) : NULL;
        if (!n && !more) { put(b, "{}", 2); return; }
        put(b, "{", 1);
        if (!sort) {
            /* in the object's order, straight from its iterator */
            for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it), i++) {
                if (i) put(b, ",", 1);
                compact_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
                put(b, ":", 1);
                compact(b, json_object_iter_value(it), sort);
            }
            if (more) {
                if (i) put(b, ",", 1);
                put(b, more, strlen(more));
            }
            put(b, "}", 1);
            return;
        }
        member_value small[32], *m = n <= 32 ? small : malloc(n * sizeof *m);
        if (!m) { b->failed = 1; return; }
        for (void *it = json_object_iter(v); it && i < n; it = json_object_iter_next(v, it), i++)
            m[i] = (member_value){json_object_iter_key(it), json_object_iter_key_len(it), json_object_iter_value(it)};
        if (i <= 16) {
            /* a manifest's objects are small: insertion sort, no calls */
            for (size_t x = 1; x < i; x++) {
                member_value t = m[x];
                size_t y = x;
                for (; y > 0 && strcmp(m[y - 1].k, t.k) > 0; y--) m[y] = m[y - 1];
                m[y] = t;
            }
        } else {
            qsort(m, i, sizeof *m, member_value_cmp);
        }
        for (size_t j = 0; j < i; j++) {
            if (j) put(b, ",", 1);
            compact_string(b, m[j].k, m[j].klen);
            put(b, ":", 1);
            compact(b, m[j].v, sort);
        }
        put(b, "}", 1);
        if (m != small) free(m);
        return;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *e;
        put(b, "[", 1);
        json_array_foreach(v, i, e) {
            if (i) put(b, ",", 1);
            compact(b, e, sort);
        }
        put(b, "]", 1);
        return;
    }
    case JSON_STRING:
        compact_string(b, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER: {
        char num[DECIMAL_MAX];
        const char *p = decimal(num, json_integer_value(v));
        put(b, p, strlen(p));
        return;
    }
    case JSON_REAL: {
        /* jansson's own spelling of doubles */
        char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!t) { b->failed = 1; return; }
        put(b, t, strlen(t));
        free(t);
        return;
    }
    case JSON_TRUE: put(b, "true", 4); return;
    case JSON_FALSE: put(b, "false", 5); return;
    case JSON_NULL: put(b, "null", 4); return;
    }
}

char *json_text_compact_more(json_t *v, const json_text_more *more, size_t nmore)
{
    if (!json_is_object(v)) return NULL;
    json_text_buf b = {.more = more, .nmore = nmore};
    compact(&b, v, false);
    if (b.failed) { free(b.p); return NULL; }
    return b.p;
}

void json_text_string(json_text_buf *b, const char *s, size_t len) { compact_string(b, s, len); }

char *json_text_compact(json_t *v, bool sort_keys)
{
    if (!json_is_object(v) && !json_is_array(v)) return NULL;
    json_text_buf b = {0};
    compact(&b, v, sort_keys);
    if (b.failed) { free(b.p); return NULL; }
    return b.p;
}
