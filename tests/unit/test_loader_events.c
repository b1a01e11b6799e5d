/* The loader's YAML-to-JSON conversion from libyaml events: aliases,
 * anchors, and which error a document reports when it has several (the
 * answers libyaml's document loader and a walk of its tree gave). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "model/loader.h"
#include "model/obj.h"

#define PREFIX "error parsing STDIN: error converting YAML to JSON: "

static int load(loaded_docs *d, const char *text, char *err, size_t errlen)
{
    return loader_load_buffer(d, text, strlen(text), "STDIN", err, errlen);
}

static void refused(const char *text, size_t docs_kept, const char *want)
{
    loaded_docs d = {0};
    char err[512] = "";
    assert_int_equal(load(&d, text, err, sizeof err), -1);
    assert_string_equal(err, want);
    assert_int_equal(d.n, docs_kept);
    loaded_docs_free(&d);
}

static void test_aliases_are_independent_copies(void **state)
{
    (void)state;
    loaded_docs d = {0};
    char err[512] = "";
    assert_int_equal(load(&d, "kind: A\nx: &c {a: [1, 2]}\nz: *c\nw: *c\n", err, sizeof err), 0);
    json_t *o = d.docs[0].obj;
    json_t *x = json_object_get(o, "x"), *z = json_object_get(o, "z"), *w = json_object_get(o, "w");
    assert_true(json_equal(x, z) && json_equal(z, w));
    assert_ptr_not_equal(x, z);
    /* what a later step changes in one place stays there */
    json_array_append_new(json_object_get(z, "a"), json_integer(3));
    assert_int_equal(json_array_size(json_object_get(x, "a")), 2);
    assert_int_equal(json_array_size(json_object_get(w, "a")), 2);
    loaded_docs_free(&d);
}

static void test_nested_aliases_expand(void **state)
{
    (void)state;
    loaded_docs d = {0};
    char err[512] = "";
    assert_int_equal(load(&d, "a: &a [1,2]\nb: &b [*a,*a]\nc: &c [*b,*b]\nkind: X\n", err, sizeof err), 0);
    char *text = json_dumps(d.docs[0].obj, JSON_COMPACT);
    assert_string_equal(text, "{\"a\":[1,2],\"b\":[[1,2],[1,2]],\"c\":[[[1,2],[1,2]],[[1,2],[1,2]]],\"kind\":\"X\"}");
    free(text);
    loaded_docs_free(&d);
}

/* An alias as a key takes its scalar's text and style: "y" quoted stays
 * "y", a plain yes becomes "true"; a collection cannot be a key. */
static void test_aliases_as_keys(void **state)
{
    (void)state;
    loaded_docs d = {0};
    char err[512] = "";
    assert_int_equal(load(&d, "kind: A\n&s \"y\": *s\nt: &t yes\n*t : 3\n", err, sizeof err), 0);
    char *text = json_dumps(d.docs[0].obj, JSON_COMPACT);
    assert_string_equal(text, "{\"kind\":\"A\",\"y\":\"y\",\"t\":true,\"true\":3}");
    free(text);
    loaded_docs_free(&d);
    refused("kind: A\nk: &k {a: 1}\n*k : 2\n", 0, PREFIX "yaml: line 2: invalid map key");
}

/* An alias inside its own anchor would expand for ever: the depth limit
 * stops it, and the documents before stay loaded. */
static void test_alias_cycles_stop_at_the_depth_limit(void **state)
{
    (void)state;
    refused("kind: A\na: &x [1, *x]\n", 0, PREFIX "yaml: line 2: exceeded max depth of 128");
    refused("kind: B\n---\nkind: A\nx: &a [*a]\n---\nkind: C\n", 1, PREFIX "yaml: line 2: exceeded max depth of 128");
}

static void test_anchor_errors(void **state)
{
    (void)state;
    refused("kind: A\nb: *nope\n", 0, PREFIX "yaml: line 2: found undefined alias");
    refused("kind: A\na: &d 1\nb: &d 2\n", 0, PREFIX "yaml: line 3: second occurrence");
    /* anchors belong to their document */
    refused("kind: A\nx: &a 1\n---\nkind: B\ny: *a\n", 1, PREFIX "yaml: line 2: found undefined alias");
}

/* A syntax or alias error anywhere in a document wins over a value that
 * cannot be converted earlier in it; a later document is never read. */
static void test_which_error_a_document_reports(void **state)
{
    (void)state;
    refused("kind: A\nv: .inf\nbad: [\n", 0, PREFIX "yaml: line 4: did not find expected node content");
    refused("kind: A\nv: -.Inf\nw: *nope\n", 0, PREFIX "yaml: line 3: found undefined alias");
    refused("kind: A\nv: .inf\n---\nbad: [\n", 0, PREFIX "json: unsupported value: +Inf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aliases_are_independent_copies),
        cmocka_unit_test(test_nested_aliases_expand),
        cmocka_unit_test(test_aliases_as_keys),
        cmocka_unit_test(test_alias_cycles_stop_at_the_depth_limit),
        cmocka_unit_test(test_anchor_errors),
        cmocka_unit_test(test_which_error_a_document_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
