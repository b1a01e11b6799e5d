/* The heap in transparent huge pages (see heap.h).  A command that builds
 * a cluster touches tens of megabytes of fresh memory, and each 4 KB page
 * of it costs a fault the first time it is written: on the 2-core VM of
 * bench/ a fault costs about 4 us, and the 1 000-Deployment apply took
 * 17 000 of them.  A 2 MB page is one fault.  Linux backs an anonymous
 * mapping with huge pages when it is asked to (MADV_HUGEPAGE, the
 * "madvise" setting of /sys/kernel/mm/transparent_hugepage/enabled), which
 * is what glibc's glibc.malloc.hugetlb=1 tunable does; a program cannot
 * set that tunable for itself, so it asks here. */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "model/heap.h"

/* glibc's heaps for threads: mappings of this size, aligned to it (its
 * HEAP_MAX_SIZE on 64-bit systems; the arena of a pointer is found the
 * same way).  Asking for a range that is not one only gives advice about
 * other memory, which costs nothing. */
#define THREAD_HEAP_SIZE ((uintptr_t)64 << 20)
#define MAX_THREAD_HEAPS 16
#define THREAD_HEAP_GROW_BLOCK (28 << 20)
#define THREAD_HEAP_GROW_BLOCKS 2
#define MMAP_THRESHOLD (32 << 20)

#define HUGE_PAGE ((uintptr_t)2 << 20)

static uintptr_t main_heap_start;
static pthread_t main_thread;
static _Atomic uintptr_t thread_heaps[MAX_THREAD_HEAPS];   /* those advised */
static void *volatile spacers[MAX_THREAD_HEAPS + 1];   /* (kept reachable, for leak checkers) */

/* A huge page only fills a 2 MB region none of whose pages is in use: the
 * region where the heap's free top begins has some (the heap's own header,
 * what was allocated before), so it would be faulted in 4 KB at a time
 * (about 500 faults per heap).  The rest of it is taken, never to be used
 * or touched, so that what is allocated next begins a region of its own. */
static void *skip_to_region_end(uintptr_t top)
{
    uintptr_t end = (top + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    if (end - top < 64 * 1024) return NULL;   /* a few small pages */
    return malloc(end - top - 4 * sizeof(size_t));   /* (less the chunk's header) */
}

void heap_use_huge_pages(size_t reserve, size_t top_pad)
{
    /* Grow the heap by reserve now, as address space only, so that one
     * madvise covers what the command will use (advice given to the heap
     * does not carry over to what brk adds to it later).  The request is
     * more than the top chunk holds, so malloc must go to brk for it. */
    char *before = sbrk(0);
    if (before == (void *)-1) return;
    struct mallinfo2 mi = mallinfo2();
    /* blocks up to 32 MB come from the heap too (where glibc's own
     * threshold ends up after a few large frees), this request first */
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    mallopt(M_TOP_PAD, (int)reserve);
    void *volatile grow = malloc(mi.keepcost + 4096);
    free(grow);
    mallopt(M_TOP_PAD, (int)top_pad);
    char *after = sbrk(0);
    if (after == (void *)-1 || after <= before) return;
    uintptr_t from = (uintptr_t)before & ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1);
    if (madvise((void *)from, (uintptr_t)after - from, MADV_HUGEPAGE) != 0) return;
    main_heap_start = from;
    main_thread = pthread_self();
}

void heap_main_begin_region(void)
{
    /* (mallinfo2's keepcost is the main heap's top: only its own thread
     * may read it, the top moving as it allocates) */
    if (!main_heap_start || spacers[MAX_THREAD_HEAPS] || !pthread_equal(pthread_self(), main_thread)) return;
    spacers[MAX_THREAD_HEAPS] = skip_to_region_end((uintptr_t)sbrk(0) - mallinfo2().keepcost);
}

void heap_thread_use_huge_pages(void)
{
    if (!main_heap_start) return;   /* not asked for (or refused) */
    void *volatile probe = malloc(64);
    uintptr_t at = (uintptr_t)probe;
    free(probe);
    if (!at || (at >= main_heap_start && at < (uintptr_t)sbrk(0))) return;   /* the thread uses the main heap */
    uintptr_t heap = at & ~(THREAD_HEAP_SIZE - 1);
    int slot = 0;
    for (; slot < MAX_THREAD_HEAPS; slot++) {
        uintptr_t seen = atomic_load(&thread_heaps[slot]);
        if (seen == heap) return;
        if (seen) continue;
        if (atomic_compare_exchange_strong(&thread_heaps[slot], &seen, heap)) break;
        if (seen == heap) return;
    }
    if (slot == MAX_THREAD_HEAPS) return;
    madvise((void *)heap, THREAD_HEAP_SIZE, MADV_HUGEPAGE);
    /* glibc makes a thread's heap writable a page at a time as it grows
     * (an mprotect call each: a thousand for 1 000 Deployments), and a huge
     * page needs its whole 2 MB writable: make most of it writable now
     * (address space only; glibc keeps it, the trim threshold being far
     * above), in blocks under the mmap threshold */
    void *volatile grow[THREAD_HEAP_GROW_BLOCKS];
    for (int i = 0; i < THREAD_HEAP_GROW_BLOCKS; i++) grow[i] = malloc(THREAD_HEAP_GROW_BLOCK);
    for (int i = 0; i < THREAD_HEAP_GROW_BLOCKS; i++) free(grow[i]);
    spacers[slot] = skip_to_region_end(at - 2 * sizeof(size_t));   /* (the probe's chunk began the top) */
}

void heap_use_small_pages(void)
{
    if (!main_heap_start) return;
    char *top = sbrk(0);
    if (top != (void *)-1 && (uintptr_t)top > main_heap_start)
        madvise((void *)main_heap_start, (uintptr_t)top - main_heap_start, MADV_NOHUGEPAGE);
    for (int i = 0; i < MAX_THREAD_HEAPS; i++) {
        uintptr_t heap = atomic_load(&thread_heaps[i]);
        if (heap) madvise((void *)heap, THREAD_HEAP_SIZE, MADV_NOHUGEPAGE);
    }
    main_heap_start = 0;   /* and threads started from now on ask nothing */
}
