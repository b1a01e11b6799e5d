/* Generated names, as the Kubernetes controllers make them: the
 * pod-template-hash of a ReplicaSet and the random suffix of a pod. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <openssl/rand.h>
#include "cluster/cluster.h"
#include "model/json_text.h"

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

/* Random bytes drawn a few kilobytes at a time: 3 000 pods asked OpenSSL
 * 12 000 times for a few bytes each (names, container IDs).  A forked
 * child draws its own, noticed by a count of forks (getpid() per call to
 * notice was a system call per name). */
static unsigned forks_seen;
static void count_fork(void) { forks_seen++; }
static pthread_once_t fork_counting = PTHREAD_ONCE_INIT;
static void count_forks(void) { pthread_atfork(NULL, NULL, count_fork); }

static void random_bytes(unsigned char *out, size_t n)
{
    static _Thread_local unsigned char pool[4096];
    static _Thread_local size_t left;
    static _Thread_local unsigned drawn_after;   /* forks_seen when drawn */
    if (n > sizeof pool) n = sizeof pool;
    pthread_once(&fork_counting, count_forks);
    if (left < n || drawn_after != forks_seen) {
        drawn_after = forks_seen;
        if (RAND_bytes(pool, (int)sizeof pool) != 1)
            for (size_t i = 0; i < sizeof pool; i++) pool[i] = (unsigned char)(i * 7 + 3);
        left = sizeof pool;
    }
    memcpy(out, pool + sizeof pool - left, n);
    memset(pool + sizeof pool - left, 0, n);   /* never handed out twice */
    left -= n;
}

void cluster_random_suffix(char *out, size_t n)
{
    unsigned char r[32];
    if (n > sizeof r) n = sizeof r;
    random_bytes(r, n);
    for (size_t i = 0; i < n; i++) out[i] = safe_alphabet[r[i] % (sizeof safe_alphabet - 1)];
    out[n] = 0;
}
