/* The process-wide cache of decoded PEM (see pem_cache.h).  Engine threads
 * decode too, so every access holds the lock. */
#include "pki/pem_cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    pem_cache_type type;
    uint64_t hash;
    size_t len;
    char *pem;
    void *obj;
} entry;

static entry cache[PEM_CACHE_MAX];
static int used;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static void *new_ref(pem_cache_type type, void *obj)
{
    switch (type) {
    case PEM_CACHE_CERT: return X509_up_ref(obj) == 1 ? obj : NULL;
    case PEM_CACHE_KEY: return EVP_PKEY_up_ref(obj) == 1 ? obj : NULL;
    case PEM_CACHE_CHAIN: return X509_chain_up_ref(obj);
    }
    return NULL;
}

void *pem_cache_get(pem_cache_type type, const char *pem, size_t len)
{
    if (!pem) return NULL;
    uint64_t h = fnv1a(pem, len);
    void *found = NULL;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < used && !found; i++)
        if (cache[i].type == type && cache[i].hash == h && cache[i].len == len && !memcmp(cache[i].pem, pem, len))
            found = new_ref(type, cache[i].obj);
    pthread_mutex_unlock(&lock);
    return found;
}

void pem_cache_put(pem_cache_type type, const char *pem, size_t len, void *obj)
{
    if (!pem || !obj) return;
    pthread_mutex_lock(&lock);
    if (used < PEM_CACHE_MAX) {
        char *copy = malloc(len ? len : 1);
        void *ref = copy ? new_ref(type, obj) : NULL;
        if (ref) {
            memcpy(copy, pem, len);
            cache[used++] = (entry){type, fnv1a(pem, len), len, copy, ref};
        } else {
            free(copy);
        }
    }
    pthread_mutex_unlock(&lock);
}
