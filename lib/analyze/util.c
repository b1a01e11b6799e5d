/* Helpers the analyzers share: a hash multimap (analysis of 10 000
 * resources must not be quadratic), Istio host names, label selectors. */
#include <stdlib.h>
#include <string.h>
#include "analyze/internal.h"

typedef struct az_entry {
    char *key;
    const void **vals;
    size_t n, cap;
    struct az_entry *next;
} az_entry;

struct az_map {
    az_entry **b;
    size_t nb;
};

static unsigned long long hash_str(const char *s)
{
    unsigned long long h = 1469598103934665603ULL;   /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

az_map *azm_new(size_t hint)
{
    az_map *m = calloc(1, sizeof *m);
    m->nb = 64;
    while (m->nb < hint * 2) m->nb <<= 1;
    m->b = calloc(m->nb, sizeof *m->b);
    return m;
}

void azm_free(az_map *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->nb; i++)
        for (az_entry *e = m->b[i], *nx; e; e = nx) {
            nx = e->next;
            free(e->key);
            free(e->vals);
            free(e);
        }
    free(m->b);
    free(m);
}

static az_entry *find(const az_map *m, const char *key)
{
    for (az_entry *e = m->b[hash_str(key) & (m->nb - 1)]; e; e = e->next)
        if (!strcmp(e->key, key)) return e;
    return NULL;
}

void azm_add(az_map *m, const char *key, const void *val)
{
    az_entry *e = find(m, key);
    if (!e) {
        size_t i = hash_str(key) & (m->nb - 1);
        e = calloc(1, sizeof *e);
        e->key = strdup(key);
        e->next = m->b[i];
        m->b[i] = e;
    }
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 2;
        e->vals = realloc(e->vals, e->cap * sizeof *e->vals);
    }
    e->vals[e->n++] = val;
}

const void *const *azm_get(const az_map *m, const char *key, size_t *n)
{
    az_entry *e = find(m, key);
    *n = e ? e->n : 0;
    return e ? e->vals : NULL;
}

const void *azm_first(const az_map *m, const char *key)
{
    az_entry *e = find(m, key);
    return e && e->n ? e->vals[0] : NULL;
}

void az_fqdn(char *buf, size_t len, const char *host, const char *ns)
{
    if (host[0] != '*' && !strchr(host, '.'))
        snprintf(buf, len, "%s.%s.%s", host, ns, AZ_DOMAIN);
    else
        snprintf(buf, len, "%s", host);
}

bool az_host_matches(const char *a, const char *b)
{
    bool wa = a[0] == '*', wb = b[0] == '*';
    if (!wa && !wb) return !strcmp(a, b);
    if (wa && wb) {
        /* the shorter suffix must be a suffix of the longer one */
        size_t la = strlen(a + 1), lb = strlen(b + 1);
        return la <= lb ? !strcmp(b + 1 + lb - la, a + 1) : !strcmp(a + 1 + la - lb, b + 1);
    }
    const char *w = wa ? a : b, *o = wa ? b : a;
    size_t lw = strlen(w + 1), lo = strlen(o);
    return lo >= lw && !strcmp(o + lo - lw, w + 1);
}

bool az_split_svc_fqdn(const char *fqdn, char *name, size_t nlen, char *ns, size_t nslen)
{
    static const char suffix[] = "." AZ_DOMAIN;
    size_t l = strlen(fqdn), sl = sizeof suffix - 1;
    if (l <= sl || strcmp(fqdn + l - sl, suffix)) return false;
    size_t body = l - sl;
    /* ^(.+)\.(.+)\.svc\.cluster\.local$: greedy first group -> last dot splits */
    const char *dot = NULL;
    for (size_t i = body; i-- > 0;)
        if (fqdn[i] == '.') { dot = fqdn + i; break; }
    if (!dot || dot == fqdn || (size_t)(dot - fqdn) + 1 >= body) return false;
    snprintf(name, nlen, "%.*s", (int)(dot - fqdn), fqdn);
    snprintf(ns, nslen, "%.*s", (int)(body - (size_t)(dot - fqdn) - 1), dot + 1);
    return true;
}

const az_host *az_dest_host(const az_ctx *c, const char *src_ns, json_t *export_to, const char *host)
{
    char fq[512], key[600];
    az_fqdn(fq, sizeof fq, host, src_ns);
    snprintf(key, sizeof key, "*/%s", fq);
    const az_host *h = azm_first(c->hosts, key);
    if (h) return h;
    if (!json_array_size(export_to)) {
        snprintf(key, sizeof key, "%s/%s", src_ns, fq);
        if ((h = azm_first(c->hosts, key))) return h;
    } else {
        size_t i;
        json_t *e;
        json_array_foreach(export_to, i, e) {
            const char *s = json_string_value(e);
            if (!s) continue;
            snprintf(key, sizeof key, "%s/%s", strcmp(s, ".") ? s : src_ns, fq);
            if ((h = azm_first(c->hosts, key))) return h;
        }
    }
    /* wildcard entries visible to src_ns whose suffix covers the host */
    const char *hw = host[0] == '*' ? host + 1 : host;
    size_t lh = strlen(hw);
    for (size_t i = 0; i < c->nwild; i++) {
        const az_host *w = c->wild[i];
        if (strcmp(w->scope, "*") && strcmp(w->scope, src_ns)) continue;
        const char *suffix = w->fqdn + 1;
        size_t ls = strlen(suffix);
        if (lh >= ls && !strcmp(hw + lh - ls, suffix)) return w;
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

void az_selector_string(json_t *map, char *buf, size_t len)
{
    buf[0] = 0;
    size_t n = json_object_size(map);
    if (!n) return;
    const char **keys = malloc(n * sizeof *keys);
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v) keys[i++] = k;
    qsort(keys, n, sizeof *keys, cmp_str);
    size_t off = 0;
    for (i = 0; i < n && off < len; i++) {
        const char *val = json_string_value(json_object_get(map, keys[i]));
        int w = snprintf(buf + off, len - off, "%s%s=%s", i ? "," : "", keys[i], val ? val : "");
        if (w < 0) break;
        off += (size_t)w;
    }
    free(keys);
}

bool az_labels_match(json_t *map, json_t *labels)
{
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v) {
        json_t *have = json_object_get(labels, k);
        if (!json_is_string(have) || !json_is_string(v) || strcmp(json_string_value(have), json_string_value(v)))
            return false;
    }
    return true;
}

bool az_pod_in_mesh(const az_res *pod)
{
    size_t i;
    json_t *ct;
    json_array_foreach(json_object_get(json_object_get(pod->obj, "spec"), "containers"), i, ct) {
        const char *n = json_string_value(json_object_get(ct, "name"));
        if (n && !strcmp(n, "istio-proxy")) return true;
    }
    json_t *ann = json_object_get(json_object_get(pod->obj, "metadata"), "annotations");
    return json_object_get(ann, "sidecar.istio.io/status") != NULL;
}

bool az_export_visible(json_t *export_to, const char *owner_ns, const char *client_ns)
{
    if (!json_array_size(export_to)) return true;
    size_t i;
    json_t *e;
    json_array_foreach(export_to, i, e) {
        const char *s = json_string_value(e);
        if (!s) continue;
        if (!strcmp(s, "*")) return true;
        if (!strcmp(s, ".") ? !strcmp(owner_ns, client_ns) : !strcmp(s, client_ns)) return true;
    }
    return false;
}
