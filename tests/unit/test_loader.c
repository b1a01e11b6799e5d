/* The manifest loader: YAML typing, multi-document streams, lists, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "model/loader.h"
#include "model/obj.h"

static void load_ok(loaded_docs *d, const char *text)
{
    char err[512] = "";
    int rc = loader_load_buffer(d, text, strlen(text), "STDIN", err, sizeof err);
    if (rc) fail_msg("load failed: %s", err);
}

static void test_scalars_are_typed_as_yaml_1_1(void **state)
{
    (void)state;
    loaded_docs d = {0};
    load_ok(&d, "kind: X\na: 80\nb: \"80\"\nc: yes\nd: 'no'\ne: ~\nf: 1.5\ng: 010\n");
    assert_int_equal(d.n, 1);
    json_t *o = d.docs[0].obj;
    assert_true(json_is_integer(json_object_get(o, "a")));
    assert_string_equal(obj_str(o, "b"), "80");
    assert_true(json_is_true(json_object_get(o, "c")));
    assert_string_equal(obj_str(o, "d"), "no");
    assert_true(json_is_null(json_object_get(o, "e")));
    assert_true(json_is_real(json_object_get(o, "f")));
    assert_int_equal(json_integer_value(json_object_get(o, "g")), 8);
    loaded_docs_free(&d);
}

static void test_streams_lists_and_empty_documents(void **state)
{
    (void)state;
    loaded_docs d = {0};
    load_ok(&d, "---\n---\nkind: A\n---\n# only a comment\n---\nkind: List\nitems:\n- kind: B\n- kind: C\n");
    assert_int_equal(d.n, 3);
    assert_string_equal(obj_kind(d.docs[0].obj), "A");
    assert_string_equal(obj_kind(d.docs[2].obj), "C");
    assert_int_equal(d.docs[0].line, 3);
    loaded_docs_free(&d);
}

static void test_anchors_and_aliases(void **state)
{
    (void)state;
    loaded_docs d = {0};
    load_ok(&d, "kind: A\nfirst: &l {k: v}\nsecond: *l\n");
    assert_string_equal(obj_str(d.docs[0].obj, "second.k"), "v");
    loaded_docs_free(&d);
}

/* Plain keys are typed, then printed back (YAML 1.1, as kubectl reads them):
 * `y:` is "true", `0x1F:` is "31"; quoted keys stay as written. */
static void test_plain_keys_are_typed(void **state)
{
    (void)state;
    loaded_docs d = {0};
    load_ok(&d, "kind: A\ny: 1\nn: 2\n0x1F: 3\n1e3: 4\n\"y\": 5\n");
    json_t *o = d.docs[0].obj;
    assert_int_equal(json_integer_value(json_object_get(o, "true")), 1);
    assert_int_equal(json_integer_value(json_object_get(o, "false")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "31")), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "1000")), 4);
    assert_int_equal(json_integer_value(json_object_get(o, "y")), 5);
    loaded_docs_free(&d);
    char err[512] = "";
    assert_int_equal(loader_load_buffer(&d, "kind: A\n~: c\n", 13, "STDIN", err, sizeof err), -1);
    assert_string_equal(err, "error parsing STDIN: error converting YAML to JSON: unsupported map key of type: "
                             "%!s(<nil>), key: <nil>, value: \"c\"");
    loaded_docs_free(&d);
}

static void test_alias_bomb_is_refused(void **state)
{
    (void)state;
    char text[4096] = "a: &a [x,x,x,x,x,x,x,x,x,x]\n";
    char names[10][16] = {"a"};
    for (int i = 0; i < 9; i++) {
        const char *prev = names[i];
        char *name = names[i + 1];
        snprintf(name, 16, "b%d", i % 10);
        char line[256];
        snprintf(line, sizeof line, "%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", name, name, prev, prev,
                 prev, prev, prev, prev, prev, prev, prev, prev);
        strcat(text, line);
    }
    loaded_docs d = {0};
    char err[512] = "";
    assert_int_equal(loader_load_buffer(&d, text, strlen(text), "STDIN", err, sizeof err), -1);
    assert_non_null(strstr(err, "excessive aliasing"));
    loaded_docs_free(&d);
}

static void test_syntax_error_names_source_and_line(void **state)
{
    (void)state;
    loaded_docs d = {0};
    char err[512] = "";
    const char *t = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n   bad: [\n";
    assert_int_equal(loader_load_buffer(&d, t, strlen(t), "STDIN", err, sizeof err), -1);
    assert_string_equal(err, "error parsing STDIN: error converting YAML to JSON: yaml: line 5: "
                             "mapping values are not allowed in this context");
    loaded_docs_free(&d);
}

static void test_nul_bytes_are_refused(void **state)
{
    (void)state;
    loaded_docs d = {0};
    char err[512] = "";
    const char t[] = "kind: A\nx: a\0b\n";
    assert_int_equal(loader_load_buffer(&d, t, sizeof t - 1, "STDIN", err, sizeof err), -1);
    assert_int_equal(d.n, 0);
    loaded_docs_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_are_typed_as_yaml_1_1),
        cmocka_unit_test(test_streams_lists_and_empty_documents),
        cmocka_unit_test(test_anchors_and_aliases),
        cmocka_unit_test(test_plain_keys_are_typed),
        cmocka_unit_test(test_alias_bomb_is_refused),
        cmocka_unit_test(test_syntax_error_names_source_and_line),
        cmocka_unit_test(test_nul_bytes_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
