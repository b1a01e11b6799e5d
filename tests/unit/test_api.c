/* lib/model/api.c: the write path's texts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/api.h"
#include "model/columns.h"
#include "model/json_text.h"
#include "model/kinds.h"
#include "model/obj.h"

#define LA "kubectl.kubernetes.io/last-applied-configuration"

/* What api_create_applied stores: the annotation set, the stamps set,
 * the object's compact text. */
static char *by_setting(json_t *doc, const char *value, const api_stamp *s)
{
    json_t *o = json_deep_copy(doc);
    json_object_set_new(obj_annotations_mut(o), LA, json_string(value));
    api_stamp_set(o, s);
    char *text = json_text_compact(o, false);
    json_decref(o);
    return text;
}

static void assert_same_text(const char *yaml_json, const char *value)
{
    json_t *doc = json_loads(yaml_json, 0, NULL);
    assert_non_null(doc);
    api_stamp s = {"0d8c3b1e-4c2f-4e55-9a4b-2f1c6d7e8f90", "2026-11-27T12:00:00Z", "4711"};
    char *want = by_setting(doc, value, &s), *have = api_created_text(doc, LA, value, &s);
    assert_non_null(have);
    assert_string_equal(have, want);
    /* and the document itself was left as it was */
    json_t *again = json_loads(yaml_json, 0, NULL);
    assert_true(json_equal(doc, again));
    json_decref(again);
    free(want);
    free(have);
    json_decref(doc);
}

/* The text made without setting anything equals the text of the object
 * set: without annotations, with some, with none in an empty object, with
 * and without a spec (generation), members in any order, escapes. */
static void test_created_text_is_the_set_objects(void **state)
{
    (void)state;
    const char *la = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}\n";
    assert_same_text("{\"apiVersion\":\"networking.istio.io/v1\",\"kind\":\"ServiceEntry\","
                     "\"metadata\":{\"name\":\"se\",\"namespace\":\"ns\"},\"spec\":{\"hosts\":[\"a.b\"]}}", la);
    assert_same_text("{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"data\":{\"k\":\"v\\\"q\\n\"},"
                     "\"metadata\":{\"namespace\":\"ns\",\"labels\":{\"app\":\"x\"},\"name\":\"cm\"}}", la);
    assert_same_text("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\","
                     "\"annotations\":{\"a\":\"b\",\"c\":\"\\u00e9<&>\"}}}", "x\"y\\z\x01\n");
    assert_same_text("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"annotations\":{},\"name\":\"cm\"},"
                     "\"spec\":{}}", la);
    /* an annotations member that is not an object: not this path's */
    json_t *odd = json_loads("{\"metadata\":{\"name\":\"x\",\"annotations\":null}}", 0, NULL);
    api_stamp s = {"u", "t", "1"};
    assert_null(api_created_text(odd, LA, "v", &s));
    json_decref(odd);
}

/* The listing row of an object created at a time it does not carry yet is
 * the row of the object carrying it. */
static void test_row_of_a_created_object(void **state)
{
    (void)state;
    bool ok = false;
    const kind_info *k = kind_for_object("networking.istio.io/v1alpha3", "VirtualService", &ok);
    assert_non_null(k);
    json_t *doc = json_loads("{\"apiVersion\":\"networking.istio.io/v1alpha3\",\"kind\":\"VirtualService\","
                             "\"metadata\":{\"name\":\"vs\",\"namespace\":\"ns\"},"
                             "\"spec\":{\"hosts\":[\"a.b\"],\"gateways\":[\"g\"]}}", 0, NULL);
    json_t *stamped = json_deep_copy(doc);
    api_stamp s = {"u", "2026-11-27T12:00:00Z", "1"};
    api_stamp_set(stamped, &s);
    char *want = columns_encode(k, stamped), *have = columns_encode_created(k, doc, s.created);
    assert_non_null(have);
    assert_string_equal(have, want);
    free(want);
    free(have);
    json_decref(stamped);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_created_text_is_the_set_objects),
        cmocka_unit_test(test_row_of_a_created_object),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
