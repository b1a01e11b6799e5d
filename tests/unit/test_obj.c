/* lib/model/obj.c: object helpers (uuid_v4 here). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "model/digest.h"
#include "model/obj.h"

static bool uuid_form_ok(const char *u)
{
    if (strlen(u) != 36) return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? u[i] != '-' : !strchr("0123456789abcdef", u[i])) return false;
    }
    return u[14] == '4' && strchr("89ab", u[19]);
}

static int cmp(const void *a, const void *b) { return strcmp(a, b); }

/* Version 4 in form, all different (across many of the pool's refills). */
static void test_uuids_are_version_4_and_distinct(void **state)
{
    (void)state;
    enum { N = 5000 };
    char (*u)[37] = malloc(N * sizeof *u);
    assert_non_null(u);
    for (int i = 0; i < N; i++) {
        uuid_v4(u[i]);
        assert_true(uuid_form_ok(u[i]));
    }
    qsort(u, N, sizeof *u, cmp);
    for (int i = 1; i < N; i++) assert_string_not_equal(u[i - 1], u[i]);
    free(u);
}

/* A forked child does not hand out what its parent drew: the child's next
 * UUID is not the parent's next. */
static void test_forked_child_draws_its_own(void **state)
{
    (void)state;
    char first[37], parent_next[37], child_next[37] = "";
    uuid_v4(first);   /* the pool now holds the next ones */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char u[37];
        uuid_v4(u);
        ssize_t w = write(fds[1], u, sizeof u);
        _exit(w == (ssize_t)sizeof u ? 0 : 1);
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], child_next, sizeof child_next), (ssize_t)sizeof child_next);
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    uuid_v4(parent_next);
    assert_true(uuid_form_ok(child_next));
    assert_string_not_equal(child_next, parent_next);
}

/* The digest the store keeps of a manifest: SHA-256's first 128 bits. */
static void test_digest_text(void **state)
{
    (void)state;
    char d[DIGEST_TEXT_LEN + 1];
    digest_text("abc", 3, d);
    assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223");
    digest_text("", 0, d);
    assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb924");
    assert_int_equal(strlen(d), DIGEST_TEXT_LEN);
}

/* decimal() spells integers as %lld does, the extremes included. */
static void test_decimal(void **state)
{
    (void)state;
    const long long v[] = {0, 7, -1, 10, 1234567890123LL, LLONG_MAX, LLONG_MIN};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        char want[32], buf[DECIMAL_MAX];
        snprintf(want, sizeof want, "%lld", v[i]);
        assert_string_equal(decimal(buf, v[i]), want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuids_are_version_4_and_distinct),
        cmocka_unit_test(test_forked_child_draws_its_own),
        cmocka_unit_test(test_digest_text),
        cmocka_unit_test(test_decimal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
