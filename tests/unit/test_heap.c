/* lib/model/heap.c: the main heap and a thread's heap are advised to use
 * transparent huge pages, as the kernel shows in /proc/self/smaps ("hg"
 * among a mapping's VmFlags), and the advice can be withdrawn. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "model/heap.h"

/* The VmFlags line of the mapping holding p, in out; false when not found. */
static bool vm_flags_of(const void *p, char *out, size_t len)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return false;
    char line[512];
    bool inside = false, found = false;
    uintptr_t at = (uintptr_t)p;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            inside = at >= lo && at < hi;
        } else if (inside && !strncmp(line, "VmFlags:", 8)) {
            snprintf(out, len, "%s", line + 8);
            found = true;
        }
    }
    fclose(f);
    return found;
}

static bool advised(const void *p)
{
    char flags[512];
    return vm_flags_of(p, flags, sizeof flags) && strstr(flags, " hg");
}

extern char end;   /* the end of the program's data: glibc's brk heap begins after it */

/* glibc's allocator, which keeps small blocks in the brk heap (not
 * AddressSanitizer's or valgrind's), on a kernel with huge pages. */
static bool huge_pages_possible(const void *small)
{
    return (const char *)small > &end && (const char *)small < (const char *)sbrk(0) &&
           access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0;
}

/* Does p begin a 2 MB region (or lie just before one, the space left
 * being too small to skip)?  What a heap allocates next when it begins a
 * region of its own (heap.c skip_to_region_end). */
static bool begins_region(const void *p)
{
    uintptr_t off = (uintptr_t)p & ((2u << 20) - 1);
    return off < 4096 || (2u << 20) - off <= 64 * 1024;
}

static void *thread_block(void *arg)
{
    (void)arg;
    heap_thread_use_huge_pages();
    return malloc(100);
}

/* Both in one test: a thread's heap is advised only once the main one is. */
static void test_main_and_thread_heaps_advised(void **state)
{
    (void)state;
    void *before = malloc(100);
    assert_non_null(before);
    if (!huge_pages_possible(before)) {
        free(before);
        skip();
    }
    heap_use_huge_pages(64 << 20, 1 << 20);
    /* the main heap begins a region of its own when asked, the first time */
    heap_main_begin_region();
    void *first = malloc(100);
    assert_true(begins_region(first));
    heap_main_begin_region();
    void *second = malloc(100);
    assert_true((char *)second > (char *)first && (char *)second < (char *)first + 4096);
    /* the heap grew by the reservation, all of it advised (the block
     * begins in what the heap held before, which is not) */
    void *big = malloc(8 << 20);   /* under the threshold now: from the heap */
    assert_non_null(big);
    assert_true(advised((char *)big + (8 << 20) - 1));

    pthread_t t;
    void *theirs = NULL;
    assert_int_equal(pthread_create(&t, NULL, thread_block, NULL), 0);
    assert_int_equal(pthread_join(t, &theirs), 0);
    assert_non_null(theirs);
    assert_true(advised(theirs));
    assert_true(begins_region(theirs));   /* (a new thread's heap: its first block) */
    free(theirs);

    /* a process that runs many commands withdraws it, from both heaps,
     * and threads started later do not ask again */
    heap_use_small_pages();
    assert_false(advised((char *)big + (8 << 20) - 1));
    assert_int_equal(pthread_create(&t, NULL, thread_block, NULL), 0);
    assert_int_equal(pthread_join(t, &theirs), 0);
    assert_non_null(theirs);
    assert_false(advised(theirs));
    free(theirs);
    free(big);
    free(first);
    free(second);
    free(before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_main_and_thread_heaps_advised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
