/* curl's command line as curl 7.88 reads it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "probe/curl_args.h"

static int parse(curl_args *a, char *errbuf, size_t errlen, int argc, char **argv)
{
    FILE *err = fmemopen(errbuf, errlen, "w");
    int rc = curl_args_parse(argc, argv, a, err);
    fclose(err);
    return rc;
}

#define ARGS(...) char *argv[] = {"curl", __VA_ARGS__}; int argc = (int)(sizeof argv / sizeof argv[0])

static void test_page_commands(void **state)
{
    (void)state;
    char e[512] = "";
    curl_args a;
    {
        ARGS("-sSL", "-o", "/dev/null", "-D", "-", "http://edition.cnn.com/politics");
        assert_int_equal(parse(&a, e, sizeof e, argc, argv), 0);
        assert_true(a.silent && a.show_error && a.location);
        assert_string_equal(a.output, "/dev/null");
        assert_string_equal(a.dump_header, "-");
        assert_int_equal(a.nurls, 1);
        assert_string_equal(a.urls[0], "http://edition.cnn.com/politics");
        curl_args_free(&a);
    }
    {
        ARGS("-s", "-o", "/dev/null", "-w", "%{http_code}\n", "https://edition.cnn.com/politics");
        assert_int_equal(parse(&a, e, sizeof e, argc, argv), 0);
        assert_string_equal(a.write_out, "%{http_code}\n");
        assert_false(a.show_error);
        curl_args_free(&a);
    }
    {
        ARGS("-v", "-sS", "--connect-timeout", "1.5", "-m", "3", "https://x");
        assert_int_equal(parse(&a, e, sizeof e, argc, argv), 0);
        assert_true(a.verbose);
        assert_int_equal(a.connect_timeout_ms, 1500);
        assert_int_equal(a.max_time_ms, 3000);
        curl_args_free(&a);
    }
}

static void test_values_attached_and_repeated(void **state)
{
    (void)state;
    char e[512] = "";
    curl_args a;
    ARGS("-o/dev/null", "-sSw", "%{http_code}", "-H", "a: 1", "--header", "b: 2", "-d", "x=1", "--data-binary",
         "y=2", "-XPOST", "-A", "agent/1", "--resolve", "h:80:1.2.3.4", "--http1.1", "-k", "-I", "-i", "-f",
         "--cacert", "/etc/ca.pem", "-x", "http://proxy:3128", "--max-redirs", "3", "u1", "--url", "u2");
    assert_int_equal(parse(&a, e, sizeof e, argc, argv), 0);
    assert_string_equal(a.output, "/dev/null");
    assert_string_equal(a.write_out, "%{http_code}");
    assert_int_equal(a.nheaders, 2);
    assert_string_equal(a.headers[1], "b: 2");
    assert_string_equal(a.data, "x=1&y=2");
    assert_string_equal(a.request, "POST");
    assert_string_equal(a.user_agent, "agent/1");
    assert_string_equal(a.resolve[0], "h:80:1.2.3.4");
    assert_int_equal(a.http_version, 11);
    assert_true(a.insecure && a.head && a.include && a.fail);
    assert_string_equal(a.cacert, "/etc/ca.pem");
    assert_string_equal(a.proxy, "http://proxy:3128");
    assert_int_equal(a.max_redirs, 3);
    assert_int_equal(a.nurls, 2);
    assert_string_equal(a.urls[1], "u2");
    curl_args_free(&a);
}

static void test_errors_as_curl_prints_them(void **state)
{
    (void)state;
    char e[512] = "";
    curl_args a;
    {
        ARGS("--foo", "http://x");
        assert_int_equal(parse(&a, e, sizeof e, argc, argv), 2);
        assert_string_equal(e, "curl: option --foo: is unknown\n"
                               "curl: try 'curl --help' or 'curl --manual' for more information\n");
        curl_args_free(&a);
    }
    {
        memset(e, 0, sizeof e);
        ARGS("-s7", "http://x");
        assert_int_equal(parse(&a, e, sizeof e, argc, argv), 2);
        assert_string_equal(e, "curl: option -s7: is unknown\n"
                               "curl: try 'curl --help' or 'curl --manual' for more information\n");
        curl_args_free(&a);
    }
    {
        memset(e, 0, sizeof e);
        ARGS("-sSx");
        assert_int_equal(parse(&a, e, sizeof e, argc, argv), 2);
        assert_string_equal(e, "curl: option -sSx: requires parameter\n"
                               "curl: try 'curl --help' or 'curl --manual' for more information\n");
        curl_args_free(&a);
    }
    {
        memset(e, 0, sizeof e);
        ARGS("--max-time", "abc", "http://x");
        assert_int_equal(parse(&a, e, sizeof e, argc, argv), 2);
        assert_string_equal(e, "curl: option --max-time: expected a proper numerical parameter\n"
                               "curl: try 'curl --help' or 'curl --manual' for more information\n");
        curl_args_free(&a);
    }
    {
        memset(e, 0, sizeof e);
        ARGS("-m", "-1", "http://x");
        assert_int_equal(parse(&a, e, sizeof e, argc, argv), 2);
        assert_string_equal(e, "curl: option -m: expected a positive numerical parameter\n"
                               "curl: try 'curl --help' or 'curl --manual' for more information\n");
        curl_args_free(&a);
    }
    {
        memset(e, 0, sizeof e);
        ARGS("-s");
        assert_int_equal(parse(&a, e, sizeof e, argc, argv), 2);
        assert_string_equal(e, "curl: no URL specified!\n"
                               "curl: try 'curl --help' or 'curl --manual' for more information\n");
        curl_args_free(&a);
    }
    {
        memset(e, 0, sizeof e);
        char *argv[] = {"curl"};
        assert_int_equal(parse(&a, e, sizeof e, 1, argv), 2);
        assert_string_equal(e, "curl: try 'curl --help' or 'curl --manual' for more information\n");
        curl_args_free(&a);
    }
}

static void test_negations_and_double_dash(void **state)
{
    (void)state;
    char e[512] = "";
    curl_args a;
    ARGS("-sL", "--no-location", "--no-silent", "--", "-not-an-option");
    assert_int_equal(parse(&a, e, sizeof e, argc, argv), 0);
    assert_false(a.location);
    assert_false(a.silent);
    assert_int_equal(a.nurls, 1);
    assert_string_equal(a.urls[0], "-not-an-option");
    curl_args_free(&a);
}

static char *fake_reader(void *ctx, const char *path, size_t *len)
{
    (void)ctx;
    if (strcmp(path, "-")) return NULL;
    *len = 9;
    return strdup("a=1\r\nb=2\n");
}

static void test_data_from_files(void **state)
{
    (void)state;
    char e[512] = "";
    curl_args a;
    ARGS("-d", "x=0", "-d", "@-", "--data-raw", "@literal", "--data-binary", "@-", "-d", "@/no/such", "http://h");
    assert_int_equal(parse(&a, e, sizeof e, argc, argv), 0);
    FILE *err = fmemopen(e, sizeof e, "w");
    curl_args_data(&a, fake_reader, NULL, err);
    fclose(err);
    /* -d strips CR/LF from the file, --data-binary keeps them, --data-raw takes '@' literally */
    assert_string_equal(a.data, "x=0&a=1b=2&@literal&a=1\r\nb=2\n&");
    assert_string_equal(e, "Warning: Couldn't read data from file \"/no/such\", this makes an empty POST.\n");
    curl_args_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_commands),
        cmocka_unit_test(test_values_attached_and_repeated),
        cmocka_unit_test(test_errors_as_curl_prints_them),
        cmocka_unit_test(test_negations_and_double_dash),
        cmocka_unit_test(test_data_from_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
