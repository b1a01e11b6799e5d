/* Generated names, as the Kubernetes controllers make them: the
 * pod-template-hash of a ReplicaSet and the random suffix of a pod. */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "cluster/cluster.h"
#include "model/json_text.h"
#include "model/obj.h"

/* Kubernetes' alphabet for generated names: no vowels (no words) and no
 * look-alikes (0/o, 1/l). */
static const char safe_alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

/* The ReplicaSet controller hashes the pod template with 32-bit FNV-1a,
 * prints the sum in decimal and maps every digit through the safe alphabet
 * (apimachinery rand.SafeEncodeString), so equal templates give equal names. */
void cluster_template_hash(json_t *tmpl, char out[CLUSTER_HASH_MAX])
{
    /* the model's dumper gives jansson's text (keys sorted) faster */
    char *text = json_text_compact(tmpl, true);
    if (!text) text = json_dumps(tmpl ? tmpl : json_null(), JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    free(text);
    char dec[16];
    snprintf(dec, sizeof dec, "%u", h);
    size_t n = strlen(dec);
    for (size_t i = 0; i < n; i++) out[i] = safe_alphabet[(unsigned char)dec[i] % (sizeof safe_alphabet - 1)];
    out[n] = 0;
}

int cluster_pod_name(cluster_cache *c, const kind_info *pk, const char *ns, const char *prefix,
                     char suffix[CLUSTER_POD_SUFFIX_LEN + 1], char *name, size_t len)
{
    for (int tries = 0; tries <= 50; tries++) {
        cluster_random_suffix(suffix, CLUSTER_POD_SUFFIX_LEN);
        snprintf(name, len, "%s%s", prefix, suffix);
        if (!ccache_contains(c, pk, ns, name)) return 0;
    }
    return -1;
}

void cluster_random_suffix(char *out, size_t n)
{
    unsigned char r[32];
    if (n > sizeof r) n = sizeof r;
    random_bytes(r, n);
    for (size_t i = 0; i < n; i++) out[i] = safe_alphabet[r[i] % (sizeof safe_alphabet - 1)];
    out[n] = 0;
}
