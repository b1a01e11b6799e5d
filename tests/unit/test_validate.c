/* Validation: schema tables for built-in kinds (Go decoding errors) and
 * Istio's CRDs (OpenAPI causes), strict fields, enums, names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "model/kinds.h"
#include "model/validate.h"

static valid_status check(const char *kind, const char *json, char *msg, size_t len)
{
    json_error_t je;
    json_t *o = json_loads(json, 0, &je);
    if (!o) fail_msg("bad test JSON: %s", je.text);
    valid_status vs = validate_object(kind_lookup(kind), o, msg, len);
    json_decref(o);
    return vs;
}

static void test_valid_objects_pass(void **state)
{
    (void)state;
    char msg[2048];
    assert_int_equal(check("ServiceEntry", "{\"apiVersion\":\"networking.istio.io/v1alpha3\",\"kind\":\"ServiceEntry\","
                           "\"metadata\":{\"name\":\"cnn\",\"namespace\":\"default\"},\"spec\":{\"hosts\":[\"a.com\"],"
                           "\"ports\":[{\"number\":80,\"name\":\"http\",\"protocol\":\"HTTP\"}],\"resolution\":\"DNS\"}}",
                           msg, sizeof msg), VALID_OK);
    assert_int_equal(check("Deployment", "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},"
                           "\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"d\"}},\"template\":{\"metadata\":"
                           "{\"labels\":{\"app\":\"d\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\","
                           "\"resources\":{}}]}}}}", msg, sizeof msg), VALID_OK);
    assert_int_equal(check("IstioOperator", "{\"apiVersion\":\"install.istio.io/v1alpha1\",\"kind\":\"IstioOperator\","
                           "\"metadata\":{\"name\":\"x\"},\"spec\":{\"anything\":{\"goes\":[1]}}}", msg, sizeof msg), VALID_OK);
}

static void test_unknown_fields_are_strict_decoding_errors(void **state)
{
    (void)state;
    char msg[2048];
    assert_int_equal(check("ServiceEntry", "{\"apiVersion\":\"networking.istio.io/v1alpha3\",\"kind\":\"ServiceEntry\","
                           "\"metadata\":{\"name\":\"cnn\"},\"spec\":{\"hosts\":[\"a\"],\"ports\":[{\"nmber\":80,\"name\":\"h\"}]}}",
                           msg, sizeof msg), VALID_BAD_REQUEST);
    assert_string_equal(msg, "ServiceEntry in version \"v1alpha3\" cannot be handled as a ServiceEntry: strict decoding "
                             "error: unknown field \"spec.ports[0].nmber\"");
}

static void test_go_type_errors_name_struct_and_path(void **state)
{
    (void)state;
    char msg[2048];
    assert_int_equal(check("Deployment", "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},"
                           "\"spec\":{\"replicas\":\"3\"}}", msg, sizeof msg), VALID_BAD_REQUEST);
    assert_string_equal(msg, "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string "
                             "into Go struct field DeploymentSpec.spec.replicas of type int32");
    assert_int_equal(check("Pod", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
                           "\"spec\":{\"containers\":\"x\"}}", msg, sizeof msg), VALID_BAD_REQUEST);
    assert_string_equal(msg, "Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal string into Go "
                             "struct field PodSpec.spec.containers of type []v1.Container");
}

static void test_crd_causes_and_enums(void **state)
{
    (void)state;
    char msg[2048];
    assert_int_equal(check("ServiceEntry", "{\"apiVersion\":\"networking.istio.io/v1alpha3\",\"kind\":\"ServiceEntry\","
                           "\"metadata\":{\"name\":\"cnn\"},\"spec\":{\"hosts\":[\"a\"],\"location\":\"OUTSIDE\"}}",
                           msg, sizeof msg), VALID_INVALID);
    assert_string_equal(msg, "The ServiceEntry \"cnn\" is invalid: spec.location: Unsupported value: \"OUTSIDE\": "
                             "supported values: \"MESH_EXTERNAL\", \"MESH_INTERNAL\"");
    assert_int_equal(check("VirtualService", "{\"apiVersion\":\"networking.istio.io/v1alpha3\",\"kind\":\"VirtualService\","
                           "\"metadata\":{\"name\":\"v\"},\"spec\":{\"tls\":[{\"route\":[]}]}}", msg, sizeof msg), VALID_INVALID);
    assert_string_equal(msg, "The VirtualService \"v\" is invalid: spec.tls[0].match: Required value");
}

static void test_names(void **state)
{
    (void)state;
    assert_true(valid_dns_label("abc-1"));
    assert_false(valid_dns_label("-abc"));
    assert_false(valid_dns_label("a.b"));
    assert_true(valid_dns_subdomain("a.b-c.d"));
    assert_false(valid_dns_subdomain("a..b"));
    assert_false(valid_dns1035_label("1abc"));
    assert_true(valid_dns1035_label("abc1"));
    char msg[2048];
    assert_int_equal(check("Namespace", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a.b\"}}",
                           msg, sizeof msg), VALID_INVALID);
    assert_non_null(strstr(msg, "metadata.name: Invalid value: \"a.b\": a lowercase RFC 1123 label"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_objects_pass),
        cmocka_unit_test(test_unknown_fields_are_strict_decoding_errors),
        cmocka_unit_test(test_go_type_errors_name_struct_and_path),
        cmocka_unit_test(test_crd_causes_and_enums),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
