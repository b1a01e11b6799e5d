/* Label selectors: kubectl -l syntax and LabelSelector objects. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "model/selector.h"

static bool matches(const char *sel, const char *labels_json)
{
    char err[256];
    selector *s = selector_parse(sel, err, sizeof err);
    if (!s) fail_msg("parse %s: %s", sel, err);
    json_t *l = json_loads(labels_json, 0, NULL);
    bool r = selector_matches(s, l);
    json_decref(l);
    selector_free(s);
    return r;
}

static void test_equality_and_sets(void **state)
{
    (void)state;
    const char *l = "{\"app\":\"sleep\",\"version\":\"v1\"}";
    assert_true(matches("app=sleep", l));
    assert_true(matches("app==sleep", l));
    assert_false(matches("app!=sleep", l));
    assert_true(matches("app=sleep,version=v1", l));
    assert_false(matches("app=sleep,version=v2", l));
    assert_true(matches("version in (v1,v2)", l));
    assert_false(matches("version notin (v1)", l));
    assert_true(matches("app", l));
    assert_true(matches("!tier", l));
    assert_false(matches("!app", l));
    assert_true(matches("tier!=web", l));   /* absent keys differ from any value */
}

static void test_label_selector_objects(void **state)
{
    (void)state;
    json_t *labels = json_loads("{\"istio\":\"egressgateway\"}", 0, NULL);
    json_t *sel = json_loads("{\"matchLabels\":{\"istio\":\"egressgateway\"},\"matchExpressions\":"
                             "[{\"key\":\"istio\",\"operator\":\"In\",\"values\":[\"egressgateway\"]}]}", 0, NULL);
    assert_true(label_selector_matches(sel, labels));
    json_t *other = json_loads("{\"matchExpressions\":[{\"key\":\"istio\",\"operator\":\"DoesNotExist\"}]}", 0, NULL);
    assert_false(label_selector_matches(other, labels));
    json_t *empty = json_object();
    assert_true(label_selector_matches(empty, labels));
    json_decref(labels);
    json_decref(sel);
    json_decref(other);
    json_decref(empty);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(selector_parse("version in (v1", err, sizeof err));
    assert_true(err[0] != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equality_and_sets),
        cmocka_unit_test(test_label_selector_objects),
        cmocka_unit_test(test_syntax_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
