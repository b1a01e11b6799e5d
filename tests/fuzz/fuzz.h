/* Shared glue for the libFuzzer targets in tests/fuzz/fuzz_<target>.c.
 *
 * Each target defines its entry point with FUZZ_TARGET(name).  Built by
 * `make fuzz` it is libFuzzer's LLVMFuzzerTestOneInput; compiled into
 * tests/unit/test_fuzz_replay.c (FUZZ_REPLAY defined) it becomes
 * fuzz_<name>_one() so the normal test suite replays the seed corpora and
 * every saved crash through the very same code without libFuzzer.
 *
 * A target checks the promises its parser makes (an error always comes with
 * a message, results have the documented shape) and calls FUZZ_CHECK, which
 * aborts, so libFuzzer records the input as a crash. */
#ifndef MESHSIM_FUZZ_H
#define MESHSIM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef FUZZ_REPLAY
#define FUZZ_TARGET(name) int fuzz_##name##_one(const uint8_t *data, size_t size)
#else
#define FUZZ_TARGET(name) int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#endif

#define FUZZ_CHECK(cond)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

/* Where parsers print what nobody reads. */
static inline FILE *fuzz_sink(void)
{
    static FILE *sink;
    if (!sink) sink = fopen("/dev/null", "w");
    return sink;
}

/* The input as a NUL-terminated string (parsers under test take C strings). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    memcpy(s, data, size);
    s[size] = 0;
    return s;
}

#endif
