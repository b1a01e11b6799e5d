/* The heap in transparent huge pages: fewer page faults for commands that
 * touch a lot of fresh memory (a big apply). */
#ifndef MESHSIM_HEAP_H
#define MESHSIM_HEAP_H

#include <stddef.h>

/* At the start of the process: reserve bytes of heap (address space),
 * advised to be backed by huge pages; malloc then grows the heap top_pad
 * bytes at a time. */
void heap_use_huge_pages(size_t reserve, size_t top_pad);

/* On the main thread, before it allocates many megabytes (a large
 * manifest): what it allocates next begins a 2 MB region of its own, in
 * huge pages (see heap.c).  Small commands never ask: the heap's first
 * region, partly in use, takes them in small pages, cheaper than clearing
 * a huge one. */
void heap_main_begin_region(void);

/* At the start of a thread that allocates a lot: the same advice for the
 * heap glibc gives the thread (once per heap). */
void heap_thread_use_huge_pages(void);

/* In a process that runs many commands (the shell, __probe-loop): withdraw
 * the advice, for the heap and the threads to come.  Its memory must stay
 * flat and small over hours, and 2 MB steps would both hide a slow leak
 * and keep memory that 4 KB pages give back. */
void heap_use_small_pages(void);

#endif
