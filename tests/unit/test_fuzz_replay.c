/* Replays every fuzzing input we keep — the seed corpora in
 * tests/fuzz/corpus/<target>/ and the crashes found so far in
 * tests/fuzz/regressions/<target>/ — through the same entry points the
 * libFuzzer targets use, so a fixed crash stays fixed (and the suite's
 * ASan/UBSan run checks them too).  MESHSIM_FUZZ_DIR overrides where
 * tests/fuzz is (the default is found from this file's path). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <libgen.h>
#include <cmocka.h>

#define FUZZ_REPLAY 1
#include "../fuzz/fuzz_loader_yaml.c"
#include "../fuzz/fuzz_loader_json.c"
#include "../fuzz/fuzz_selector.c"
#include "../fuzz/fuzz_jsonpath.c"
#include "../fuzz/fuzz_flags.c"
#include "../fuzz/fuzz_curl_args.c"
#include "../fuzz/fuzz_http1.c"
#include "../fuzz/fuzz_tls_hello.c"
#include "../fuzz/fuzz_accesslog.c"
#include "../fuzz/fuzz_doctest.c"

typedef int (*fuzz_fn)(const uint8_t *, size_t);

static const char *fuzz_dir(void)
{
    static char dir[4096];
    const char *env = getenv("MESHSIM_FUZZ_DIR");
    if (env && *env) return env;
    char here[4096];
    snprintf(here, sizeof here, "%s", __FILE__);
    snprintf(dir, sizeof dir, "%s/../fuzz", dirname(here));
    return dir;
}

/* Run every file of <fuzz dir>/<kind>/<target>/ through fn; returns how many. */
static int replay(fuzz_fn fn, const char *kind, const char *target)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s/%s", fuzz_dir(), kind, target);
    DIR *d = opendir(path);
    if (!d) return kind[0] == 'c' ? -1 : 0;   /* a target without a corpus is a defect */
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char file[4700];
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        FILE *f = fopen(file, "rb");
        assert_non_null(f);
        uint8_t *big = malloc(1 << 20);
        assert_non_null(big);
        size_t len = fread(big, 1, 1 << 20, f);
        fclose(f);
        /* exactly len bytes, as libFuzzer passes them, so ASan sees overreads */
        uint8_t *buf = malloc(len ? len : 1);
        memcpy(buf, big, len);
        free(big);
        fn(buf, len);   /* a broken promise aborts, naming the invariant */
        free(buf);
        n++;
    }
    closedir(d);
    return n;
}

static void replay_target(fuzz_fn fn, const char *target)
{
    int seeds = replay(fn, "corpus", target);
    if (seeds < 1) fail_msg("no seed corpus for fuzz target %s in %s/corpus/%s", target, fuzz_dir(), target);
    assert_true(replay(fn, "regressions", target) >= 0);
}

static void test_loader_yaml_inputs(void **s) { (void)s; replay_target(fuzz_loader_yaml_one, "loader_yaml"); }
static void test_loader_json_inputs(void **s) { (void)s; replay_target(fuzz_loader_json_one, "loader_json"); }
static void test_selector_inputs(void **s) { (void)s; replay_target(fuzz_selector_one, "selector"); }
static void test_jsonpath_inputs(void **s) { (void)s; replay_target(fuzz_jsonpath_one, "jsonpath"); }
static void test_flags_inputs(void **s) { (void)s; replay_target(fuzz_flags_one, "flags"); }
static void test_curl_args_inputs(void **s) { (void)s; replay_target(fuzz_curl_args_one, "curl_args"); }
static void test_http1_inputs(void **s) { (void)s; replay_target(fuzz_http1_one, "http1"); }
static void test_tls_hello_inputs(void **s) { (void)s; replay_target(fuzz_tls_hello_one, "tls_hello"); }
static void test_accesslog_inputs(void **s) { (void)s; replay_target(fuzz_accesslog_one, "accesslog"); }
static void test_doctest_inputs(void **s) { (void)s; replay_target(fuzz_doctest_one, "doctest"); }

/* Findings fixed, checked by value too (the replay above needs UBSan to see them). */
static void test_curl_max_time_range_messages(void **s)
{
    (void)s;
    const char *cases[][2] = {
        {"777777777777777772.5", "curl: option --max-time: too large number\n"},
        {"1e400", "curl: option --max-time: too large number\n"},
        {"-1", "curl: option --max-time: expected a positive numerical parameter\n"},
        {"abc", "curl: option --max-time: expected a proper numerical parameter\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *argv[] = {(char *)"curl", (char *)"--max-time", (char *)cases[i][0], (char *)"http://a/", NULL};
        char *msg = NULL;
        size_t len = 0;
        FILE *err = open_memstream(&msg, &len);
        curl_args a;
        memset(&a, 0, sizeof a);
        assert_int_equal(curl_args_parse(4, argv, &a, err), 2);
        curl_args_free(&a);
        fclose(err);
        assert_true(!strncmp(msg, cases[i][1], strlen(cases[i][1])));
        free(msg);
    }
    char *argv[] = {(char *)"curl", (char *)"--max-time", (char *)"nan", (char *)"http://a/", NULL};
    curl_args a;
    memset(&a, 0, sizeof a);
    assert_int_equal(curl_args_parse(4, argv, &a, stderr), 0);
    assert_int_equal(a.max_time_ms, 0);
    curl_args_free(&a);
}

static void test_jsonpath_extreme_slices(void **s)
{
    (void)s;
    json_t *d = json_loads("{\"a\":[1,2,3]}", 0, NULL);
    char err[256] = "";
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_int_equal(jsonpath_execute("{.a[1:3:9223372036854775807]}", d, f, err, sizeof err), 0);
    fclose(f);
    assert_string_equal(out, "2");
    free(out);
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader_yaml_inputs),
        cmocka_unit_test(test_loader_json_inputs),
        cmocka_unit_test(test_selector_inputs),
        cmocka_unit_test(test_jsonpath_inputs),
        cmocka_unit_test(test_flags_inputs),
        cmocka_unit_test(test_curl_args_inputs),
        cmocka_unit_test(test_http1_inputs),
        cmocka_unit_test(test_tls_hello_inputs),
        cmocka_unit_test(test_accesslog_inputs),
        cmocka_unit_test(test_doctest_inputs),
        cmocka_unit_test(test_curl_max_time_range_messages),
        cmocka_unit_test(test_jsonpath_extreme_slices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
