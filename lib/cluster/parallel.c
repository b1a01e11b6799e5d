/* Work split between this thread and a second one (the machine the
 * controllers run on has two cores or more): the controllers' CPU-bound
 * steps that touch neither the store nor the view (parsing a listing,
 * serialising what they write) are lists of independent items. */
#include <pthread.h>
#include <stdatomic.h>
#include "cluster/cluster.h"
#include "model/heap.h"

#define CHUNK 8   /* items taken at a time */

typedef struct job {
    void (*fn)(void *ctx, size_t i);
    void *ctx;
    size_t n;
    atomic_size_t next;
} job;

static void *work(void *arg)
{
    job *j = arg;
    for (;;) {
        size_t from = atomic_fetch_add(&j->next, CHUNK);
        if (from >= j->n) return NULL;
        size_t to = from + CHUNK < j->n ? from + CHUNK : j->n;
        for (size_t i = from; i < to; i++) j->fn(j->ctx, i);
    }
}

static void *helper_work(void *arg)
{
    heap_thread_use_huge_pages();
    return work(arg);
}

void cluster_parallel(size_t n, size_t min, void (*fn)(void *ctx, size_t i), void *ctx)
{
    job j = {fn, ctx, n, 0};
    pthread_t helper;
    bool two = n >= min && n > CHUNK && pthread_create(&helper, NULL, helper_work, &j) == 0;
    work(&j);
    if (two) pthread_join(helper, NULL);
}
