/* Does a command's output look like what a documentation page shows?  The
 * loose rules of the acceptance checks: a line `...` stands for any lines;
 * words may differ where both are IPs, durations (ages), dates, times,
 * versions, ids, or share a "name-" prefix (generated pod names). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/shell.h"

static int digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

static bool is_ip(const char *s)
{
    int parts = 0;
    for (;;) {
        int k = 0;
        while (isdigit((unsigned char)s[k])) k++;
        if (!k) return false;
        parts++;
        s += k;
        if (parts < 4) {
            if (*s != '.') return false;
            s++;
        } else {
            break;
        }
    }
    if (*s == ':') {
        s++;
        if (!*s) return false;
        while (isdigit((unsigned char)*s)) s++;
    }
    return !*s;
}

static bool is_duration(const char *s)
{
    if (!*s) return false;
    while (*s) {
        if (!isdigit((unsigned char)*s)) return false;
        while (isdigit((unsigned char)*s)) s++;
        if (!*s || !strchr("smhd", *s)) return false;
        s++;
    }
    return true;
}

static bool is_version(const char *s)
{
    if (*s == 'v') s++;
    for (int i = 0; i < 3; i++) {
        if (!isdigit((unsigned char)*s)) return false;
        while (isdigit((unsigned char)*s)) s++;
        if (i < 2) {
            if (*s != '.') return false;
            s++;
        }
    }
    return true;
}

static bool is_date(const char *s)
{
    return strlen(s) >= 10 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' && digits(s + 8, 2);
}

static bool is_time(const char *s)
{
    return strlen(s) >= 8 && digits(s, 2) && s[2] == ':' && digits(s + 3, 2) && s[5] == ':' && digits(s + 6, 2);
}

static bool is_uuid(const char *s)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    for (int g = 0; g < 5; g++) {
        for (int i = 0; i < groups[g]; i++, s++)
            if (!isxdigit((unsigned char)*s)) return false;
        if (g < 4 && *s++ != '-') return false;
    }
    return !*s || !isxdigit((unsigned char)*s);
}

bool doctest_word_like(const char *g, const char *w)
{
    if (!strcmp(g, w) || !strcmp(w, "...")) return true;
    /* "[2019-09-03T20:57:49.103Z]", "\"10.244.2.10\"": compare inside the same punctuation */
    if (*g && *g == *w && strchr("[(\"'", *g)) return doctest_word_like(g + 1, w + 1);
    size_t gl = strlen(g), wl = strlen(w);
    if (gl > 1 && wl > 1 && g[gl - 1] == w[wl - 1] && strchr("])\"',;", g[gl - 1])) {
        char *a = strndup(g, gl - 1), *b = strndup(w, wl - 1);
        bool r = doctest_word_like(a, b);
        free(a);
        free(b);
        return r;
    }
    if (is_ip(g) && is_ip(w)) return true;
    if (is_duration(g) && is_duration(w)) return true;
    if (is_version(g) && is_version(w)) return true;
    if (is_date(g) && is_date(w)) return true;
    if (is_time(g) && is_time(w)) return true;
    if (is_uuid(g) && is_uuid(w)) return true;
    const char *gd = strchr(g, '-'), *wd = strchr(w, '-');
    return gd && wd && gd - g == wd - w && !strncmp(g, w, (size_t)(gd - g));
}

/* Lines with trailing spaces (and \r) cut, trailing empty lines dropped. */
static void split_lines(const char *text, strlist *out)
{
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        size_t k = n;
        while (k && isspace((unsigned char)p[k - 1])) k--;
        strlist_addn(out, p, k);
        if (!e) break;
        p = e + 1;
    }
    while (out->n && !out->v[out->n - 1][0]) free(out->v[--out->n]);
}

static bool line_like(const char *g, const char *w)
{
    if (!strcmp(g, w)) return true;
    char *gc = strdup(g), *wc = strdup(w), *gs = NULL, *ws = NULL;
    char *a = strtok_r(gc, " \t", &gs), *b = strtok_r(wc, " \t", &ws);
    bool ok = true;
    while (ok && a && b) {
        ok = doctest_word_like(a, b);
        a = strtok_r(NULL, " \t", &gs);
        b = strtok_r(NULL, " \t", &ws);
    }
    if (a || b) ok = false;
    free(gc);
    free(wc);
    return ok;
}

static bool is_ellipsis(const char *l)
{
    while (isspace((unsigned char)*l)) l++;
    if (strncmp(l, "...", 3)) return false;
    l += 3;
    while (isspace((unsigned char)*l)) l++;
    return !*l;
}

/* Does the chunk want[ws..we) match got at line gi? */
static bool chunk_at(const strlist *got, int gi, const strlist *want, int ws, int we)
{
    if (gi + (we - ws) > got->n) return false;
    for (int k = 0; k < we - ws; k++)
        if (!line_like(got->v[gi + k], want->v[ws + k])) return false;
    return true;
}

bool doctest_output_matches(const char *got_text, const char *want_text)
{
    strlist got = {0}, want = {0};
    split_lines(got_text, &got);
    split_lines(want_text, &want);
    bool elided = false;
    for (int i = 0; i < want.n; i++)
        if (is_ellipsis(want.v[i])) elided = true;
    bool ok = true;
    if (!elided) {
        ok = got.n == want.n;
        for (int i = 0; ok && i < got.n; i++) ok = line_like(got.v[i], want.v[i]);
    } else {
        /* every run of lines between `...` lines occurs in the output, in order */
        int gi = 0, i = 0;
        while (ok && i < want.n) {
            if (is_ellipsis(want.v[i])) { i++; continue; }
            int j = i;
            while (j < want.n && !is_ellipsis(want.v[j])) j++;
            bool found = false;
            for (; gi < got.n && !found; gi++)
                if (chunk_at(&got, gi, &want, i, j)) found = true;
            if (found) gi += j - i - 1;
            ok = found;
            i = j;
        }
    }
    strlist_free(&got);
    strlist_free(&want);
    return ok;
}
