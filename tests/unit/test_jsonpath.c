/* kubectl's JSONPath dialect: client-go's golden cases and its edge rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model/jsonpath.h"

static const char *LIST =
    "{\"kind\":\"List\",\"items\":[{\"kind\":\"None\",\"metadata\":{\"name\":\"127.0.0.1\",\"labels\":"
    "{\"kubernetes.io/hostname\":\"127.0.0.1\"}},\"status\":{\"capacity\":{\"cpu\":\"4\"}}},"
    "{\"kind\":\"None\",\"metadata\":{\"name\":\"127.0.0.2\",\"labels\":{\"kubernetes.io/hostname\":\"127.0.0.2\"}},"
    "\"status\":{\"capacity\":{\"cpu\":\"8\"}}}],"
    "\"users\":[{\"name\":\"myself\",\"user\":{}},{\"name\":\"e2e\",\"user\":{\"username\":\"admin\",\"password\":\"secret\"}}]}";

/* Run tmpl over LIST; returns the printed text (static) or NULL on error. */
static int run(const char *tmpl, char *out, size_t len, char *err, size_t errlen)
{
    json_t *data = json_loads(LIST, 0, NULL);
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    int rc = jsonpath_execute(tmpl, data, f, err, errlen);
    fclose(f);
    snprintf(out, len, "%s", buf ? buf : "");
    free(buf);
    json_decref(data);
    return rc;
}

static void expect(const char *tmpl, const char *want)
{
    char out[1024], err[256] = "";
    int rc = run(tmpl, out, sizeof out, err, sizeof err);
    if (rc) fail_msg("%s: error %s", tmpl, err);
    if (strcmp(out, want)) fail_msg("%s: got [%s] want [%s]", tmpl, out, want);
}

static void expect_error(const char *tmpl, int code, const char *msg)
{
    char out[1024], err[256] = "";
    assert_int_equal(run(tmpl, out, sizeof out, err, sizeof err), code);
    assert_string_equal(err, msg);
}

static void test_client_go_golden_cases(void **state)
{
    (void)state;
    expect("{range .items[*]}{.metadata.name}, {end}{.kind}", "127.0.0.1, 127.0.0.2, List");
    expect("{.items[*].metadata.name}", "127.0.0.1 127.0.0.2");
    expect("{range .items[*]}{.metadata.name}{\"\\t\"}{end}", "127.0.0.1\t127.0.0.2\t");
    expect("{.users[?(@.name==\"e2e\")].user.password}", "secret");
    expect("{.items[0].metadata.labels.kubernetes\\.io/hostname}", "127.0.0.1");
    expect("{..name}", "127.0.0.1 127.0.0.2 myself e2e");
    expect("{.items[*].status.capacity}", "{\"cpu\":\"4\"} {\"cpu\":\"8\"}");
}

static void test_slices_unions_and_filters(void **state)
{
    (void)state;
    expect("{.items[-1].metadata.name}", "127.0.0.2");
    expect("{.items[0:1].metadata.name}", "127.0.0.1");
    expect("{.items[1:].metadata.name}", "127.0.0.2");
    expect("{.items[0,1].metadata.name}", "127.0.0.1 127.0.0.2");
    expect("{.items[0:2:2].metadata.name}", "127.0.0.1");
    expect("{.users[?(@.name!=\"e2e\")].name}", "myself");
    expect("{.users[?(@.user.password)].name}", "e2e");
    expect("{.items[?(@.status.capacity.cpu==\"8\")].metadata.name}", "127.0.0.2");
    expect("{.nothing}", "");
    expect("plain text", "plain text");
    expect("{.items[5:5].metadata.name}", "");
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("{.kind", -1, "unclosed action");
    expect_error("{\"x}", -1, "unterminated quoted string");
    expect_error("{.users[?(@.name==\"x\"}", -1, "unterminated filter");
    expect_error("{.items[5]}", -2, "array index out of bounds: index 5, length 2");
    expect_error("{.items[-3]}", -2, "array index out of bounds: index -1, length 2");
    expect_error("{.items[::-1]}", -2, "step must be > 0");
    expect_error("{.kind[0]}", -2, "string is not array or slice");
    expect_error("{end}", -2, "not in range, nothing to end");
}

static void test_find_for_columns_and_sorting(void **state)
{
    (void)state;
    json_t *data = json_loads(LIST, 0, NULL), **res = NULL;
    size_t n = 0;
    char err[128];
    assert_int_equal(jsonpath_find("items[*].metadata.name", data, &res, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(json_string_value(res[1]), "127.0.0.2");
    free(res);
    assert_int_equal(jsonpath_find("{.kind}", data, &res, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(json_string_value(res[0]), "List");
    free(res);
    json_decref(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_go_golden_cases),
        cmocka_unit_test(test_slices_unions_and_filters),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_find_for_columns_and_sorting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
