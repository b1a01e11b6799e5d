/* The loader's fast path: block YAML as manifests write it, read line by
 * line straight into jansson values.
 *
 * libyaml's scanner costs more than everything else the loader does, and
 * manifests use little of YAML: block mappings and sequences by
 * indentation, "- " items (also "- key: value"), single-line plain and
 * quoted scalars, comments, "---" and "...".  This reads exactly that and
 * gives what libyaml and loader_events.c give for it: the same values
 * (typed by loader_events.c's own functions), root line, value count and
 * document count.  Anything else declines the chunk, which then goes to
 * libyaml whole: anchors, aliases, tags, block scalars, flow collections
 * other than [] and {}, scalars over several lines, "? " keys, directives,
 * tabs, CR, bytes libyaml's reader refuses or takes as line breaks, keys
 * longer than a simple key may be, "- - x", indentation that does not
 * line up, a key JSON cannot have, a value the conversion refuses, depth
 * over LOADER_MAX_DEPTH, a root that is not a mapping.  Declining is
 * always safe; accepting is only done where the rules below are libyaml's
 * (tests/fuzz/fuzz_loader_yaml.c compares the two on every input). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "model/loader.h"
#include "model/loader_events.h"
#include "model/loader_fast.h"

enum { OK = 0, NO = -1 };

typedef struct fast {
    loader_fast *lf;
    const char *end;        /* end of the text */
    const char *next;       /* start of the next unread line */
    const char *cp, *le;    /* the current content and the end of its line */
    int col;                /* column of cp (indentation is spaces: bytes are columns) */
    int line;               /* the current line, from the chunk's first (0-based) */
    int nl;                 /* line breaks read */
    bool eod;               /* the document ended: "---" line, "..." or the end of the text */
    bool started;           /* "---" or content seen: libyaml reads a document here */
    const char *chunk_end;
    size_t nodes;
    char num[64];           /* a numeric key's JSON spelling */
} fast;

/* The length of the UTF-8 character at s if libyaml's reader takes it as
 * an ordinary character, else 0: invalid or overlong sequences,
 * surrogates, C1 controls, U+FFFE/U+FFFF (refused by the reader), NEL,
 * LS, PS (line breaks to libyaml) and U+FEFF (skipped at a line start). */
static size_t utf8_char(const char *s, const char *end)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t avail = (size_t)(end - s);
    unsigned c = p[0];
    if (c >= 0xC2 && c <= 0xDF) {
        if (avail < 2 || (p[1] & 0xC0) != 0x80 || (c == 0xC2 && p[1] < 0xA0)) return 0;
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)) return 0;
        if (c == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) return 0;
        if (c == 0xEF && ((p[1] == 0xBB && p[2] == 0xBF) || (p[1] == 0xBF && p[2] >= 0xBE))) return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)) return 0;
        return 4;
    }
    return 0;
}

/* The end of the line at p (its "\n" or the end of the text), NULL if the
 * line has a byte the fast path does not take: controls, tab, CR, DEL, or
 * a character utf8_char refuses.  Every byte of a chunk passes here, so a
 * chunk libyaml's reader would refuse is always declined. */
static const char *line_end(const char *p, const char *end)
{
    for (;;) {
        /* eight bytes at a time while all are printable ASCII (no byte
         * below 0x20, none above 0x7E) */
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if ((((w - 0x2020202020202020u) & ~w) | (w + 0x0101010101010101u) | w) & 0x8080808080808080u) break;
            p += 8;
        }
        if (p == end) return p;
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c < 0x7F) {
            p++;
        } else if (c == '\n') {
            return p;
        } else {
            size_t n = c >= 0x80 ? utf8_char(p, end) : 0;
            if (!n) return NULL;
            p += n;
        }
    }
}

/* "---" or "..." at a line start, followed by a blank, a break or the end:
 * a document marker to libyaml. */
static bool marker(const char *s, const char *end, char c)
{
    return end - s >= 3 && s[0] == c && s[1] == c && s[2] == c &&
           (end - s == 3 || s[3] == ' ' || s[3] == '\t' || s[3] == '\n' || s[3] == '\r');
}

/* Nothing more on the line from p: the end, or spaces and perhaps a comment. */
static bool rest_empty(const char *p, const char *le)
{
    if (p == le) return true;
    if (*p != ' ') return false;
    while (p < le && *p == ' ') p++;
    return p == le || *p == '#';
}

static bool seq_entry(const char *p, const char *le)
{
    return *p == '-' && (p + 1 == le || p[1] == ' ');
}

static int read_line(fast *f, const char **s, const char **e)
{
    *s = f->next;
    *e = line_end(*s, f->end);
    if (!*e) return NO;
    f->line = f->nl;
    if (*e < f->end) {
        f->next = *e + 1;
        f->nl++;
    } else {
        f->next = *e;
    }
    return OK;
}

static int chunk_ends(fast *f)
{
    f->eod = true;
    f->chunk_end = f->next;
    return OK;
}

/* "..." ended the document: only empty lines, comments and more "..." may
 * follow in the chunk (libyaml would want a "---" before anything else). */
static int doc_end(fast *f, const char *s, const char *e)
{
    if (!f->started || !rest_empty(s + 3, e)) return NO;
    for (;;) {
        if (f->next >= f->end || marker(f->next, f->end, '-')) return chunk_ends(f);
        if (read_line(f, &s, &e)) return NO;
        if (marker(s, e, '.')) {
            if (!rest_empty(s + 3, e)) return NO;
            continue;
        }
        while (s < e && *s == ' ') s++;
        if (s < e && *s != '#') return NO;
    }
}

/* On to the next line with content (empty lines and comments are nothing
 * to libyaml's scanner in block context), or to the document's end. */
static int next_line(fast *f)
{
    for (;;) {
        if (f->next >= f->end || marker(f->next, f->end, '-')) return chunk_ends(f);
        const char *s, *e;
        if (read_line(f, &s, &e)) return NO;
        if (marker(s, e, '.')) return doc_end(f, s, e);
        const char *c = s;
        while (c < e && *c == ' ') c++;
        if (c == e || *c == '#') continue;
        f->cp = c;
        f->le = e;
        f->col = (int)(c - s);
        return OK;
    }
}

/* Can a plain scalar start at p?  libyaml's rule in block context, less
 * "?x" and ":x" (plain to libyaml too, but rare enough to leave to it). */
static bool plain_start(const char *p, const char *le)
{
    switch (*p) {
    case '-':
        return p + 1 < le && p[1] != ' ';
    case '?': case ':': case ',': case '[': case ']': case '{': case '}': case '#': case '&': case '*':
    case '!': case '|': case '>': case '\'': case '"': case '%': case '@': case '`': case ' ':
        return false;
    default:
        return true;
    }
}

enum { END_LINE, END_COMMENT, END_COLON };

/* Where the plain scalar that starts at p ends (libyaml in block context:
 * runs of non-spaces joined by the spaces between them, up to the end of
 * the line, " #", or a ':' followed by a space or the end of the line,
 * left at *colon).  A plain scalar continued on the next line is declined
 * by the callers, which check the next line's indentation. */
static const char *plain_end(const char *p, const char *le, int *stop, const char **colon)
{
    const char *q = p, *run = p, *end = p;
    for (;;) {
        while (q < le && *q != ' ') {
            if (*q == ':' && (q + 1 == le || q[1] == ' ')) {
                if (q > run) end = q;
                *stop = END_COLON;
                *colon = q;
                return end;
            }
            q++;
        }
        end = q;
        while (q < le && *q == ' ') q++;
        if (q == le) {
            *stop = END_LINE;
            return end;
        }
        if (*q == '#') {
            *stop = END_COMMENT;
            return end;
        }
        run = q;
    }
}

static void grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap) return;
    size_t n = *cap ? *cap : 256;
    while (n < need) n *= 2;
    char *b = realloc(*buf, n);
    if (!b) abort();
    *buf = b;
    *cap = n;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A quoted scalar at p (its opening quote) that closes on the same line,
 * decoded as libyaml decodes it into *buf (NUL-terminated; *n bytes),
 * *after just past the closing quote.  Declined: no closing quote on the
 * line (a scalar over several lines), an escape that makes a NUL (the
 * conversion refuses it), an escape libyaml versions disagree on ("\/",
 * "\'") or refuses. */
static int quoted(const char *p, const char *le, char **buf, size_t *cap, size_t *n, const char **after)
{
    grow(buf, cap, 2 * (size_t)(le - p) + 1);   /* "\L" makes 3 bytes of 2 */
    char *o = *buf;
    if (*p++ == '\'') {
        for (;;) {
            if (p == le) return NO;
            if (*p == '\'') {
                if (p + 1 == le || p[1] != '\'') break;
                p++;
            }
            *o++ = *p++;
        }
    } else {
        for (;;) {
            if (p == le) return NO;
            char c = *p;
            if (c == '"') break;
            if (c != '\\') {
                *o++ = c;
                p++;
                continue;
            }
            if (p + 1 == le) return NO;   /* an escaped line break */
            int digits = 0;
            switch (p[1]) {
            case 'a': *o++ = '\a'; break;
            case 'b': *o++ = '\b'; break;
            case 't': *o++ = '\t'; break;
            case 'n': *o++ = '\n'; break;
            case 'v': *o++ = '\v'; break;
            case 'f': *o++ = '\f'; break;
            case 'r': *o++ = '\r'; break;
            case 'e': *o++ = '\x1B'; break;
            case ' ': *o++ = ' '; break;
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case 'N': memcpy(o, "\xC2\x85", 2); o += 2; break;
            case '_': memcpy(o, "\xC2\xA0", 2); o += 2; break;
            case 'L': memcpy(o, "\xE2\x80\xA8", 3); o += 3; break;
            case 'P': memcpy(o, "\xE2\x80\xA9", 3); o += 3; break;
            case 'x': digits = 2; break;
            case 'u': digits = 4; break;
            case 'U': digits = 8; break;
            default: return NO;
            }
            p += 2;
            if (!digits) continue;
            if (le - p < digits) return NO;
            unsigned long v = 0;
            for (int i = 0; i < digits; i++) {
                int d = hex_digit(p[i]);
                if (d < 0) return NO;
                v = v * 16 + (unsigned long)d;
            }
            p += digits;
            if (v == 0 || (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF) return NO;
            if (v < 0x80) {
                *o++ = (char)v;
            } else if (v < 0x800) {
                *o++ = (char)(0xC0 | (v >> 6));
                *o++ = (char)(0x80 | (v & 0x3F));
            } else if (v < 0x10000) {
                *o++ = (char)(0xE0 | (v >> 12));
                *o++ = (char)(0x80 | ((v >> 6) & 0x3F));
                *o++ = (char)(0x80 | (v & 0x3F));
            } else {
                *o++ = (char)(0xF0 | (v >> 18));
                *o++ = (char)(0x80 | ((v >> 12) & 0x3F));
                *o++ = (char)(0x80 | ((v >> 6) & 0x3F));
                *o++ = (char)(0x80 | (v & 0x3F));
            }
        }
    }
    *n = (size_t)(o - *buf);
    *o = 0;
    *after = p + 1;
    return OK;
}

/* Is the scalar at p a key (followed on its line by ':' and a space or the
 * end of the line)?  Only looks; parse_key reads it. */
static bool is_key(const char *p, const char *le)
{
    const char *q = p + 1;
    if (*p == '\'') {
        while (q < le && !(*q == '\'' && (q + 1 == le || q[1] != '\''))) q += *q == '\'' ? 2 : 1;
    } else if (*p == '"') {
        while (q < le && *q != '"') q += *q == '\\' ? 2 : 1;
    } else {
        if (!plain_start(p, le)) return false;
        int stop;
        const char *colon;
        plain_end(p, le, &stop, &colon);
        return stop == END_COLON;
    }
    if (q >= le) return false;
    for (q++; q < le && *q == ' '; q++) {}
    return q < le && *q == ':' && (q + 1 == le || q[1] == ' ');
}

/* The key at f->cp as JSON spells it, f->cp left just past its ':'.
 * NULL: not a key the fast path takes. */
static const char *parse_key(fast *f)
{
    loader_fast *lf = f->lf;
    const char *p = f->cp, *le = f->le, *colon;
    bool plain = *p != '\'' && *p != '"';
    if (!plain) {
        size_t n;
        if (quoted(p, le, &lf->key, &lf->keycap, &n, &colon)) return NULL;
        while (colon < le && *colon == ' ') colon++;
        if (colon == le || *colon != ':' || (colon + 1 < le && colon[1] != ' ')) return NULL;
    } else {
        if (!plain_start(p, le)) return NULL;
        int stop;
        const char *e = plain_end(p, le, &stop, &colon);
        if (stop != END_COLON) return NULL;
        size_t n = (size_t)(e - p);
        grow(&lf->key, &lf->keycap, n + 1);
        memcpy(lf->key, p, n);
        lf->key[n] = 0;
    }
    /* libyaml forgets a simple key 1024 characters after its start */
    if (colon - p > 1000) return NULL;
    f->cp = colon + 1;
    return yaml_json_key(lf->key, plain, f->num, sizeof f->num);
}

/* One more value at depth: counted as loader_events.c counts it. */
static int add_node(fast *f, int depth)
{
    if (depth > LOADER_MAX_DEPTH) return NO;
    f->nodes++;
    return OK;
}

/* The value written on the key's or the item's line at p: a scalar or an
 * empty flow collection, with at most a comment after it. */
static json_t *inline_value(fast *f, const char *p, int depth)
{
    loader_fast *lf = f->lf;
    const char *le = f->le;
    char err[160];
    json_t *v;
    if (add_node(f, depth)) return NULL;
    if (*p == '[' || *p == '{') {
        if (le - p < 2 || p[1] != (*p == '[' ? ']' : '}') || !rest_empty(p + 2, le)) return NULL;
        return *p == '[' ? json_array() : json_object();
    }
    if (*p == '\'' || *p == '"') {
        size_t n;
        const char *after;
        if (quoted(p, le, &lf->val, &lf->valcap, &n, &after) || !rest_empty(after, le)) return NULL;
        v = yaml_json_scalar(lf->val, n, false, 0, err, sizeof err);
    } else {
        if (!plain_start(p, le)) return NULL;
        int stop;
        const char *colon;
        const char *e = plain_end(p, le, &stop, &colon);
        if (stop == END_COLON) return NULL;   /* "a: b: c" */
        size_t n = (size_t)(e - p);
        grow(&lf->val, &lf->valcap, n + 1);
        memcpy(lf->val, p, n);
        lf->val[n] = 0;
        v = yaml_json_scalar(lf->val, n, true, 0, err, sizeof err);
    }
    return v;
}

static int block_map(fast *f, json_t *map, int col, int depth);
static int block_seq(fast *f, json_t *seq, int col, int depth, bool indentless);

/* A collection on the lines below, from f->cp: attached to its parent
 * (under key, or appended) before it is filled, so that a declined
 * document is freed from its root. */
static int nested(fast *f, json_t *parent, const char *key, int depth)
{
    if (add_node(f, depth)) return NO;
    bool seq = seq_entry(f->cp, f->le);
    json_t *c = seq ? json_array() : json_object();
    if (key) json_object_set_new_nocheck(parent, key, c);
    else json_array_append_new(parent, c);
    return seq ? block_seq(f, c, f->col, depth, false) : block_map(f, c, f->col, depth);
}

/* After a value on its line: the next line must not be indented deeper
 * (it would continue a plain scalar, or be an error). */
static int after_inline(fast *f, int col)
{
    if (next_line(f)) return NO;
    return !f->eod && f->col > col ? NO : OK;
}

/* A block mapping at column col whose first key is at f->cp; returns at
 * the first line indented less (or the document's end). */
static int block_map(fast *f, json_t *map, int col, int depth)
{
    for (;;) {
        const char *key = parse_key(f);
        if (!key) return NO;   /* also a null key: JSON has none */
        const char *p = f->cp;
        while (p < f->le && *p == ' ') p++;
        if (p < f->le && *p != '#') {
            json_t *v = inline_value(f, p, depth + 1);
            if (!v) return NO;
            json_object_set_new_nocheck(map, key, v);
            if (after_inline(f, col)) return NO;
        } else {
            if (next_line(f)) return NO;
            if (!f->eod && f->col > col) {
                if (nested(f, map, key, depth + 1)) return NO;
            } else if (!f->eod && f->col == col && seq_entry(f->cp, f->le)) {
                /* "- " items at the key's own column: libyaml's indentless sequence */
                if (add_node(f, depth + 1)) return NO;
                json_t *seq = json_array();
                json_object_set_new_nocheck(map, key, seq);
                if (block_seq(f, seq, col, depth + 1, true)) return NO;
            } else {
                if (add_node(f, depth + 1)) return NO;
                json_object_set_new_nocheck(map, key, json_null());
            }
        }
        if (f->eod || f->col < col) return OK;
        if (f->col > col) return NO;
    }
}

/* A block sequence whose "-" items are at column col, the first at f->cp.
 * An indentless one (at its key's column) ends at a line that is not an
 * item; any other ends only where the indentation drops. */
static int block_seq(fast *f, json_t *seq, int col, int depth, bool indentless)
{
    for (;;) {
        const char *dash = f->cp, *p = dash + 1;
        while (p < f->le && *p == ' ') p++;
        if (p == f->le || *p == '#') {
            if (next_line(f)) return NO;
            if (!f->eod && f->col > col) {
                if (nested(f, seq, NULL, depth + 1)) return NO;
            } else {
                if (add_node(f, depth + 1)) return NO;
                json_array_append_new(seq, json_null());
            }
        } else if (seq_entry(p, f->le)) {
            return NO;   /* "- - x" */
        } else if (is_key(p, f->le)) {
            /* "- key: value": a mapping at the key's column */
            if (add_node(f, depth + 1)) return NO;
            json_t *map = json_object();
            json_array_append_new(seq, map);
            f->cp = p;
            f->col = col + (int)(p - dash);
            if (block_map(f, map, f->col, depth + 1)) return NO;
        } else {
            json_t *v = inline_value(f, p, depth + 1);
            if (!v) return NO;
            json_array_append_new(seq, v);
            if (after_inline(f, col)) return NO;
        }
        if (f->eod || f->col < col) return OK;
        if (f->col > col) return NO;
        if (!seq_entry(f->cp, f->le)) return indentless ? OK : NO;
    }
}

static int parse(fast *f, json_t **root, fast_doc *out)
{
    if (marker(f->next, f->end, '-')) {
        const char *s, *e;
        if (read_line(f, &s, &e) || !rest_empty(s + 3, e)) return NO;   /* "--- value", "--- !tag" */
        f->started = true;
    }
    if (next_line(f)) return NO;
    if (f->eod) {
        f->nodes = f->started;   /* an empty document is a null value */
        return OK;
    }
    f->started = true;
    out->line = f->line;
    if (seq_entry(f->cp, f->le)) return NO;   /* a list is no object: libyaml's to report */
    *root = json_object();
    f->nodes = 1;
    if (block_map(f, *root, f->col, 0)) return NO;
    return f->eod ? OK : NO;   /* a line left of the root's column */
}

/* libyaml ends the stream's last line for it when the text does not. */
static int last_line(const char *buf, size_t len, size_t end)
{
    return end == len && len && buf[len - 1] != '\n';
}

int loader_fast_doc(loader_fast *lf, const char *buf, size_t len, fast_doc *out)
{
    fast f = {.lf = lf, .end = buf + len, .next = buf};
    json_t *root = NULL;
    memset(out, 0, sizeof *out);
    if (parse(&f, &root, out) == OK) {
        out->value = root;
        out->docs = f.started;
        out->nodes = f.nodes;
        out->end = (size_t)(f.chunk_end - buf);
        out->lines = f.nl + last_line(buf, len, out->end);
        return 0;
    }
    json_decref(root);
    memset(out, 0, sizeof *out);
    /* the chunk ends at the first "---" line after its first line */
    const char *p = buf, *end = buf + len;
    int lines = 0;
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            p = end;
            break;
        }
        lines++;
        p = nl + 1;
        if (marker(p, end, '-')) break;
    }
    out->end = (size_t)(p - buf);
    out->lines = lines + last_line(buf, len, out->end);
    return -1;
}

void loader_fast_free(loader_fast *lf)
{
    free(lf->key);
    free(lf->val);
    lf->key = lf->val = NULL;
    lf->keycap = lf->valcap = 0;
}
