/* Helpers over Kubernetes objects held as jansson values. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>
#include <unistd.h>
#include <openssl/rand.h>
#include "model/obj.h"

json_t *obj_at(json_t *o, const char *path)
{
    char key[256];
    const char *p = path;
    while (o && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof key) return NULL;
        memcpy(key, p, n);
        key[n] = 0;
        o = json_is_object(o) ? json_object_get(o, key) : NULL;
        p = dot ? dot + 1 : p + n;
    }
    return o;
}

const char *obj_str(json_t *o, const char *path)
{
    json_t *v = obj_at(o, path);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *obj_str_or(json_t *o, const char *path, const char *dflt)
{
    const char *s = obj_str(o, path);
    return s ? s : dflt;
}

long long obj_int_or(json_t *o, const char *path, long long dflt)
{
    json_t *v = obj_at(o, path);
    if (json_is_integer(v)) return json_integer_value(v);
    if (json_is_string(v)) {
        char *end;
        long long n = strtoll(json_string_value(v), &end, 10);
        if (*end == 0 && end != json_string_value(v)) return n;
    }
    return dflt;
}

const char *obj_kind(json_t *o) { return obj_str_or(o, "kind", ""); }
const char *obj_api_version(json_t *o) { return obj_str_or(o, "apiVersion", ""); }
const char *obj_name(json_t *o) { return obj_str_or(o, "metadata.name", ""); }
const char *obj_namespace(json_t *o) { return obj_str_or(o, "metadata.namespace", ""); }

json_t *obj_labels(json_t *o)
{
    json_t *l = obj_at(o, "metadata.labels");
    return json_is_object(l) ? l : NULL;
}

json_t *obj_annotations(json_t *o)
{
    json_t *a = obj_at(o, "metadata.annotations");
    return json_is_object(a) ? a : NULL;
}

const char *obj_label(json_t *o, const char *key)
{
    json_t *v = json_object_get(obj_labels(o), key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *obj_annotation(json_t *o, const char *key)
{
    json_t *v = json_object_get(obj_annotations(o), key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *child_object(json_t *parent, const char *key)
{
    json_t *c = json_object_get(parent, key);
    if (!json_is_object(c)) {
        c = json_object();
        json_object_set_new(parent, key, c);
    }
    return c;
}

json_t *obj_metadata(json_t *o) { return child_object(o, "metadata"); }
json_t *obj_labels_mut(json_t *o) { return child_object(obj_metadata(o), "labels"); }
json_t *obj_annotations_mut(json_t *o) { return child_object(obj_metadata(o), "annotations"); }

void obj_set_str(json_t *o, const char *path, const char *value)
{
    char key[256];
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof key) return;
        memcpy(key, p, n);
        key[n] = 0;
        if (!dot) {
            json_object_set_new(o, key, json_string(value));
            return;
        }
        o = child_object(o, key);
        p = dot + 1;
    }
}

bool labels_match_map(json_t *labels, json_t *sel)
{
    const char *k;
    json_t *v;
    json_object_foreach(sel, k, v) {
        json_t *have = json_object_get(labels, k);
        if (!json_is_string(have) || !json_is_string(v) ||
            strcmp(json_string_value(have), json_string_value(v)))
            return false;
    }
    return true;
}

void time_rfc3339(char *buf, size_t len, long long epoch_s)
{
    time_t t = (time_t)epoch_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

long long time_parse_rfc3339(const char *s)
{
    struct tm tm = {0};
    if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) return -1;
    return (long long)timegm(&tm);
}

long long time_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Forks so far, counted in each child: a forked child must not hand out
 * the random bytes its parent drew (getpid() per draw, to notice, was a
 * system call per object). */
static unsigned forks_seen;
static void count_fork(void) { forks_seen++; }
static pthread_once_t fork_counting = PTHREAD_ONCE_INIT;
static void count_forks(void) { pthread_atfork(NULL, NULL, count_fork); }

void random_bytes(unsigned char *out, size_t n)
{
    /* drawn from OpenSSL 4 KB at a time, per thread: one RAND_bytes per
     * UUID was a twentieth of a 10 000-object apply, and 3 000 pods asked
     * 12 000 times for a few bytes each (names, container IDs) */
    static _Thread_local unsigned char pool[4096];
    static _Thread_local size_t left;
    static _Thread_local unsigned drawn_after;   /* forks_seen when drawn */
    while (n) {
        pthread_once(&fork_counting, count_forks);
        if (!left || drawn_after != forks_seen) {
            drawn_after = forks_seen;
            if (RAND_bytes(pool, (int)sizeof pool) != 1)
                for (size_t i = 0; i < sizeof pool; i++) pool[i] = (unsigned char)rand();
            left = sizeof pool;
        }
        size_t k = n < left ? n : left;
        memcpy(out, pool + sizeof pool - left, k);
        memset(pool + sizeof pool - left, 0, k);   /* never handed out twice */
        left -= k;
        out += k;
        n -= k;
    }
}

char *text_replace_all(const char *s, const char *what, const char *with)
{
    if (!*what) return strdup(s);
    size_t n = 0, wl = strlen(what), rl = strlen(with);
    for (const char *p = strstr(s, what); p; p = strstr(p + wl, what)) n++;
    char *out = malloc(strlen(s) - n * wl + n * rl + 1), *o = out;
    if (!out) return NULL;
    for (const char *p = s;;) {
        const char *q = strstr(p, what);
        if (!q) { strcpy(o, p); break; }
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, with, rl);
        o += rl;
        p = q + wl;
    }
    return out;
}

const char *decimal(char buf[DECIMAL_MAX], long long v)
{
    char *p = buf + DECIMAL_MAX;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    *--p = 0;
    do *--p = (char)('0' + u % 10); while ((u /= 10));
    if (v < 0) *--p = '-';
    return p;
}

void uuid_v4(char *buf)
{
    unsigned char b[16];
    random_bytes(b, sizeof b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    static const char hex[] = "0123456789abcdef";
    char *p = buf;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = 0;
}

static int key_order(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t obj_sorted_keys(json_t *obj, const char **keys, size_t max)
{
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) if (n < max) keys[n++] = key;
    qsort(keys, n, sizeof *keys, key_order);
    return n;
}

