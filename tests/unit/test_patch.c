/* kubectl patch's three formats (model/patch): results and messages checked
 * against what the real kubectl v1.32 prints for the same inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model/kinds.h"
#include "model/loader.h"
#include "model/patch.h"

/* Patch doc (JSON) with patch (JSON) of type t for kind; the compact,
 * key-sorted result, or "ERR: message". */
static char *run(patch_type t, const char *kind, const char *doc, const char *patch)
{
    json_error_t je;
    json_t *d = json_loads(doc, 0, &je), *p = json_loads(patch, JSON_DECODE_ANY, &je);
    if (!d || !p) fail_msg("bad test input: %s", je.text);
    char err[1024];
    json_t *r = patch_apply(t, kind_lookup(kind), d, p, err, sizeof err);
    char *out;
    if (r) {
        out = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    } else {
        out = malloc(strlen(err) + 6);
        sprintf(out, "ERR: %s", err);
    }
    json_decref(d);
    json_decref(p);
    json_decref(r);
    return out;
}

#define CHECK(t, kind, doc, patch, want) do { \
        char *got_ = run(t, kind, doc, patch); \
        assert_string_equal(got_, want); \
        free(got_); \
    } while (0)

static const char *POD = "{\"kind\":\"Pod\",\"spec\":{\"containers\":["
                         "{\"name\":\"a\",\"image\":\"a\",\"env\":[{\"name\":\"X\",\"value\":\"1\"},{\"name\":\"Z\",\"value\":\"3\"}],"
                         "\"volumeMounts\":[{\"name\":\"v\",\"mountPath\":\"/v\"}]},"
                         "{\"name\":\"b\",\"image\":\"b\"}],"
                         "\"volumes\":[{\"name\":\"v\"},{\"name\":\"w\"}]}}";

static void test_merge_patch_rfc7386(void **state)
{
    (void)state;
    /* RFC 7386's examples: null deletes, objects merge, arrays and scalars replace */
    CHECK(PATCH_MERGE, "DestinationRule", "{\"a\":\"b\",\"c\":{\"d\":\"e\",\"f\":\"g\"}}",
          "{\"a\":\"z\",\"c\":{\"f\":null}}", "{\"a\":\"z\",\"c\":{\"d\":\"e\"}}");
    CHECK(PATCH_MERGE, "DestinationRule", "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
    CHECK(PATCH_MERGE, "DestinationRule", "{\"a\":\"foo\"}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
    CHECK(PATCH_MERGE, "Deployment", "{\"a\":1}", "[1]",
          "ERR: json: cannot unmarshal array into Go value of type unstructured.detector");
}

static void test_json_patch_operations(void **state)
{
    (void)state;
    const char *doc = "{\"spec\":{\"r\":1,\"l\":[1,2]}}";
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"add\",\"path\":\"/spec/l/-\",\"value\":3}]", "{\"spec\":{\"l\":[1,2,3],\"r\":1}}");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"add\",\"path\":\"/spec/l/0\",\"value\":0}]", "{\"spec\":{\"l\":[0,1,2],\"r\":1}}");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"remove\",\"path\":\"/spec/l/1\"}]", "{\"spec\":{\"l\":[1],\"r\":1}}");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"replace\",\"path\":\"/spec/r\",\"value\":5}]", "{\"spec\":{\"l\":[1,2],\"r\":5}}");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"move\",\"from\":\"/spec/r\",\"path\":\"/spec/q\"}]", "{\"spec\":{\"l\":[1,2],\"q\":1}}");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"copy\",\"from\":\"/spec/l\",\"path\":\"/spec/m\"}]",
          "{\"spec\":{\"l\":[1,2],\"m\":[1,2],\"r\":1}}");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"test\",\"path\":\"/spec/r\",\"value\":1},{\"op\":\"remove\",\"path\":\"/spec/r\"}]",
          "{\"spec\":{\"l\":[1,2]}}");
    /* escaped tokens: ~1 is '/', ~0 is '~' */
    CHECK(PATCH_JSON, "Deployment", "{\"a/b\":{\"c~d\":1}}", "[{\"op\":\"replace\",\"path\":\"/a~1b/c~0d\",\"value\":2}]",
          "{\"a/b\":{\"c~d\":2}}");
    /* the library's leniencies kubectl inherits */
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"replace\",\"path\":\"/spec/new\",\"value\":1}]",
          "{\"spec\":{\"l\":[1,2],\"new\":1,\"r\":1}}");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"copy\",\"from\":\"/spec/none\",\"path\":\"/spec/n\"}]",
          "{\"spec\":{\"l\":[1,2],\"n\":null,\"r\":1}}");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"add\",\"path\":\"/spec/l/-1\",\"value\":9}]", "{\"spec\":{\"l\":[1,2,9],\"r\":1}}");
}

static void test_json_patch_errors(void **state)
{
    (void)state;
    const char *doc = "{\"spec\":{\"r\":1,\"l\":[1,2]}}";
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"remove\",\"path\":\"/spec/x\"}]",
          "ERR: error in remove for path: '/spec/x': Unable to remove nonexistent key: x: missing value");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"test\",\"path\":\"/spec/r\",\"value\":3}]",
          "ERR: testing value /spec/r failed: test failed");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"add\",\"path\":\"/spec/a/b\",\"value\":1}]",
          "ERR: add operation does not apply: doc is missing path: \"/spec/a/b\": missing value");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"add\",\"path\":\"/spec/l/5\",\"value\":1}]",
          "ERR: error in add for path: '/spec/l/5': Unable to access invalid index: 5: invalid index referenced");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"replace\",\"path\":\"/spec/l/2\",\"value\":1}]",
          "ERR: Object to be patched is missing field (/spec/l/2: missing value)");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"replace\",\"path\":\"/x/y\",\"value\":1}]",
          "ERR: replace operation does not apply: doc is missing path: /x/y: missing value");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"move\",\"from\":\"/spec/q\",\"path\":\"/spec/b\"}]",
          "ERR: error in move for path: 'q': Unable to remove nonexistent key: q: missing value");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"copy\",\"from\":\"/spec/r\",\"path\":\"/x/b\"}]",
          "ERR: copy operation does not apply: doc is missing destination path: /x/b: missing value");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"bad\",\"path\":\"/spec\"}]", "ERR: Unexpected kind: bad");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"path\":\"/spec\"}]", "ERR: Unexpected kind: unknown");
    CHECK(PATCH_JSON, "Deployment", doc, "{\"a\":1}", "ERR: json: cannot unmarshal object into Go value of type jsonpatch.Patch");
    CHECK(PATCH_JSON, "Deployment", doc, "[1]", "ERR: json: cannot unmarshal number into Go value of type jsonpatch.Operation");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"test\",\"path\":\"/spec/l/7\",\"value\":1}]",
          "ERR: error in test for path: '/spec/l/7': Unable to access invalid index: 7: invalid index referenced");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"move\",\"from\":\"/spec/l/5\",\"path\":\"/spec/m\"}]",
          "ERR: error in move for path: '5': Unable to access invalid index: 5: invalid index referenced");
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"add\",\"path\":\"/spec/l/x\",\"value\":1}]",
          "ERR: error in add for path: '/spec/l/x': value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax");
    /* a failing operation leaves nothing half-applied: the whole patch fails */
    CHECK(PATCH_JSON, "Deployment", doc, "[{\"op\":\"remove\",\"path\":\"/spec/r\"},{\"op\":\"remove\",\"path\":\"/spec/r\"}]",
          "ERR: error in remove for path: '/spec/r': Unable to remove nonexistent key: r: missing value");
}

static void test_strategic_merge_keys(void **state)
{
    (void)state;
    /* containers by name, env by name, volumeMounts by mountPath; new items
     * first, then the server's, as the API server orders them */
    CHECK(PATCH_STRATEGIC, "Pod", POD,
          "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"a2\",\"env\":[{\"name\":\"Y\",\"value\":\"2\"}],"
          "\"volumeMounts\":[{\"name\":\"v\",\"mountPath\":\"/w\"}]}]}}",
          "{\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"env\":[{\"name\":\"Y\",\"value\":\"2\"},{\"name\":\"X\",\"value\":\"1\"},"
          "{\"name\":\"Z\",\"value\":\"3\"}],\"image\":\"a2\",\"name\":\"a\",\"volumeMounts\":[{\"mountPath\":\"/w\",\"name\":\"v\"},"
          "{\"mountPath\":\"/v\",\"name\":\"v\"}]},{\"image\":\"b\",\"name\":\"b\"}],\"volumes\":[{\"name\":\"v\"},{\"name\":\"w\"}]}}");
    /* $patch: delete of a list item, $patch: replace of a list */
    CHECK(PATCH_STRATEGIC, "Pod", POD,
          "{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":\"delete\"}],\"volumes\":[{\"$patch\":\"replace\"},{\"name\":\"n\"}]}}",
          "{\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"image\":\"b\",\"name\":\"b\"}],\"volumes\":[{\"name\":\"n\"}]}}");
    /* Service ports merge by port; a list without a merge key is replaced */
    CHECK(PATCH_STRATEGIC, "Service", "{\"spec\":{\"ports\":[{\"port\":80,\"name\":\"http\"},{\"port\":443}],\"ipFamilies\":[\"IPv4\"]}}",
          "{\"spec\":{\"ports\":[{\"port\":443,\"name\":\"https\"}],\"ipFamilies\":[\"IPv6\"]}}",
          "{\"spec\":{\"ipFamilies\":[\"IPv6\"],\"ports\":[{\"name\":\"http\",\"port\":80},{\"name\":\"https\",\"port\":443}]}}");
    /* the same list of a kind without merge keys (a ConfigMap's data) is replaced */
    CHECK(PATCH_STRATEGIC, "ConfigMap", "{\"x\":[{\"port\":80}]}", "{\"x\":[{\"port\":81}]}", "{\"x\":[{\"port\":81}]}");
    CHECK(PATCH_STRATEGIC, "Pod", POD, "{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}",
          "ERR: map: map[image:x] does not contain declared merge key: name");
    /* Go's %v of the offending map, nested maps and lists included */
    CHECK(PATCH_STRATEGIC, "Pod", POD, "{\"spec\":{\"containers\":[{\"env\":[{\"name\":\"u\",\"value\":\"1\"}],\"n\":1.5}]}}",
          "ERR: map: map[env:[map[name:u value:1]] n:1.5] does not contain declared merge key: name");
    /* one list, one element type */
    CHECK(PATCH_STRATEGIC, "Pod", "{\"spec\":{\"volumes\":[{\"name\":\"v\"}]}}", "{\"spec\":{\"volumes\":[1,true]}}",
          "ERR: list element types are not identical: [[map[name:v]] [1 true]]");
}

static void test_strategic_directives(void **state)
{
    (void)state;
    const char *svc = "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]},\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.0.1\","
                      "\"selector\":{\"app\":\"w\"},\"ports\":[{\"port\":80},{\"port\":443},{\"port\":9000}]}}";
    CHECK(PATCH_STRATEGIC, "Service", svc, "{\"metadata\":{\"finalizers\":[\"c\",\"a\"]}}",
          "{\"metadata\":{\"finalizers\":[\"c\",\"a\",\"b\"]},\"spec\":{\"clusterIP\":\"10.96.0.1\",\"ports\":[{\"port\":80},"
          "{\"port\":443},{\"port\":9000}],\"selector\":{\"app\":\"w\"},\"type\":\"ClusterIP\"}}");
    CHECK(PATCH_STRATEGIC, "Service", svc, "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"a\"]}}",
          "{\"metadata\":{\"finalizers\":[\"b\"]},\"spec\":{\"clusterIP\":\"10.96.0.1\",\"ports\":[{\"port\":80},"
          "{\"port\":443},{\"port\":9000}],\"selector\":{\"app\":\"w\"},\"type\":\"ClusterIP\"}}");
    CHECK(PATCH_STRATEGIC, "Service", svc, "{\"spec\":{\"$retainKeys\":[\"ports\",\"type\"],\"type\":\"NodePort\"}}",
          "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]},\"spec\":{\"ports\":[{\"port\":80},{\"port\":443},{\"port\":9000}],"
          "\"type\":\"NodePort\"}}");
    CHECK(PATCH_STRATEGIC, "Service", svc, "{\"spec\":{\"selector\":{\"$patch\":\"replace\",\"x\":\"y\"}}}",
          "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]},\"spec\":{\"clusterIP\":\"10.96.0.1\",\"ports\":[{\"port\":80},"
          "{\"port\":443},{\"port\":9000}],\"selector\":{\"x\":\"y\"},\"type\":\"ClusterIP\"}}");
    CHECK(PATCH_STRATEGIC, "Service", svc,
          "{\"spec\":{\"$setElementOrder/ports\":[{\"port\":9000},{\"port\":80},{\"port\":443}],\"ports\":[{\"port\":80,\"name\":\"h\"}]}}",
          "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]},\"spec\":{\"clusterIP\":\"10.96.0.1\",\"ports\":[{\"port\":9000},"
          "{\"name\":\"h\",\"port\":80},{\"port\":443}],\"selector\":{\"app\":\"w\"},\"type\":\"ClusterIP\"}}");
    CHECK(PATCH_STRATEGIC, "Deployment", "{\"a\":1}", "[1]", "ERR: invalid JSON document");
    CHECK(PATCH_STRATEGIC, "Service", svc, "{\"spec\":{\"selector\":{\"$patch\":\"bogus\"}}}",
          "ERR: unknown patch type: bogus in map: map[$patch:bogus]");
    CHECK(PATCH_STRATEGIC, "Service", svc, "{\"spec\":{\"ports\":[{\"port\":80,\"$patch\":\"bogus\"}]}}",
          "ERR: unknown patch type: bogus in map: map[$patch:bogus port:80]");
    CHECK(PATCH_STRATEGIC, "Service", svc, "{\"$patch\":\"delete\"}", "ERR: Object 'Kind' is missing in '{}'");
    /* directives go first, in order: a deleted item comes back as a new one (as written, nulls kept) */
    CHECK(PATCH_STRATEGIC, "Pod", "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"a\"}]}}",
          "{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"X\",\"value\":null}]},{\"name\":\"a\",\"$patch\":\"delete\"}]}}",
          "{\"spec\":{\"containers\":[{\"env\":[{\"name\":\"X\",\"value\":null}],\"name\":\"a\"}]}}");
    /* replace keeps the plain items as written; a merge directive is refused */
    CHECK(PATCH_STRATEGIC, "Pod", "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
          "{\"spec\":{\"containers\":[{\"name\":\"b\",\"env\":[{\"name\":\"X\",\"value\":null}]},{\"name\":\"c\",\"$patch\":\"replace\"}]}}",
          "{\"spec\":{\"containers\":[{\"env\":[{\"name\":\"X\",\"value\":null}],\"name\":\"b\"}]}}");
    CHECK(PATCH_STRATEGIC, "Pod", "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
          "{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":\"merge\"}]}}",
          "ERR: merging lists cannot yet be specified in the patch");
    /* a list the object lacks keeps its plain items, nulls dropped */
    CHECK(PATCH_STRATEGIC, "Deployment", "{\"spec\":{}}",
          "{\"spec\":{\"l\":[{\"name\":\"a\",\"$patch\":\"delete\"},{\"name\":\"b\",\"v\":null}]}}",
          "{\"spec\":{\"l\":[{\"name\":\"b\"}]}}");
    /* a map the object lacks is taken as written, nulls dropped at any depth, directives literal */
    CHECK(PATCH_STRATEGIC, "Deployment", "{\"spec\":{}}",
          "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"Recreate\"},\"x\":{\"a\":null,\"e\":[{\"f\":null}]}}}",
          "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"Recreate\"},\"x\":{\"e\":[{}]}}}");
}

static void test_strategic_refused_for_crds(void **state)
{
    (void)state;
    assert_true(patch_strategic_supported(kind_lookup("deployment")));
    assert_true(patch_strategic_supported(kind_lookup("svc")));
    assert_false(patch_strategic_supported(kind_lookup("destinationrule")));
    assert_false(patch_strategic_supported(kind_lookup("serviceentry")));
    assert_false(patch_strategic_supported(kind_lookup("externalservice")));
    assert_int_equal(patch_type_parse("merge"), PATCH_MERGE);
    assert_int_equal(patch_type_parse("strategic"), PATCH_STRATEGIC);
    assert_int_equal(patch_type_parse("json"), PATCH_JSON);
    assert_int_equal(patch_type_parse("apply"), -1);
}

static void test_patch_text_is_json_or_yaml(void **state)
{
    (void)state;
    char err[256];
    json_t *v = loader_parse_value("spec: {replicas: 4}", 19, err, sizeof err);
    assert_non_null(v);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "spec"), "replicas")), 4);
    json_decref(v);
    v = loader_parse_value("[{\"op\":\"remove\",\"path\":\"/a\"}]", 29, err, sizeof err);
    assert_true(json_is_array(v));
    json_decref(v);
    assert_null(loader_parse_value("a: [", 4, err, sizeof err));
    assert_string_equal(err, "yaml: line 1: did not find expected node content");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_patch_rfc7386),
        cmocka_unit_test(test_json_patch_operations),
        cmocka_unit_test(test_json_patch_errors),
        cmocka_unit_test(test_strategic_merge_keys),
        cmocka_unit_test(test_strategic_directives),
        cmocka_unit_test(test_strategic_refused_for_crds),
        cmocka_unit_test(test_patch_text_is_json_or_yaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
