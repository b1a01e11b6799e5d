/* Printers: kubectl's YAML, the tabwriter describe uses, tables, ages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model/printer.h"

static char *capture_tabwriter(const char *text)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    tabwriter_print(f, text, 0, 2);
    fclose(f);
    return buf;
}

static void test_tabwriter_aligns_blocks_of_consecutive_lines(void **state)
{
    (void)state;
    char *s = capture_tabwriter("Name:\tcnn\nNamespace:\tdefault\nSpec:\n  Hosts:\tx\n  Resolution:\tDNS\nEvents:\t<none>\n");
    assert_string_equal(s, "Name:       cnn\nNamespace:  default\nSpec:\n  Hosts:       x\n  Resolution:  DNS\n"
                           "Events:        <none>\n");
    free(s);
    s = capture_tabwriter("Labels:\ta=b\n\tc=d\n");
    assert_string_equal(s, "Labels:  a=b\n         c=d\n");
    free(s);
}

static void test_yaml_quotes_what_would_read_otherwise(void **state)
{
    (void)state;
    json_t *o = json_pack("{s:s,s:s,s:s,s:n,s:{},s:[s]}", "y", "x", "n", "9", "t", "true", "ts", "empty", "list", "a");
    char *y = yaml_dumps(o);
    assert_string_equal(y, "empty: {}\nlist:\n- a\n\"n\": \"9\"\nt: \"true\"\nts: null\n\"y\": x\n");
    free(y);
    json_decref(o);
}

static void test_table_pads_to_the_widest_cell(void **state)
{
    (void)state;
    table t;
    table_init(&t, 3);
    table_add(&t, (const char *const[]){"NAME", "READY", "AGE"});
    table_add(&t, (const char *const[]){"sleep-abc", "2/2", "5s"});
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    table_print(&t, f, 3);
    fclose(f);
    assert_string_equal(buf, "NAME        READY   AGE\nsleep-abc   2/2     5s\n");
    free(buf);
    table_free(&t);
}

static void test_human_duration(void **state)
{
    (void)state;
    char b[32];
    human_duration(b, sizeof b, 59); assert_string_equal(b, "59s");
    human_duration(b, sizeof b, 125); assert_string_equal(b, "2m5s");
    human_duration(b, sizeof b, 600); assert_string_equal(b, "10m");
    human_duration(b, sizeof b, 3 * 3600 + 60); assert_string_equal(b, "3h1m");
    human_duration(b, sizeof b, 50 * 3600); assert_string_equal(b, "2d2h");
    human_duration(b, sizeof b, 400 * 86400); assert_string_equal(b, "400d");
    human_duration(b, sizeof b, -5); assert_string_equal(b, "<invalid>");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tabwriter_aligns_blocks_of_consecutive_lines),
        cmocka_unit_test(test_yaml_quotes_what_would_read_otherwise),
        cmocka_unit_test(test_table_pads_to_the_widest_cell),
        cmocka_unit_test(test_human_duration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
