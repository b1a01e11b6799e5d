/* Printers: kubectl's YAML, the tabwriter describe uses, tables, ages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model/columns.h"
#include "model/json_text.h"
#include "model/obj.h"
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

static void free_cells(char **c, int n)
{
    for (int i = 0; i < n; i++) free(c[i]);
}

/* A stored row prints as the object's own row would, AGE of print time. */
static void test_stored_row_prints_like_the_object(void **state)
{
    (void)state;
    char ts[32];
    time_rfc3339(ts, sizeof ts, time_now_ms() / 1000 - 3 * 3600);
    json_t *se = json_pack("{s:s,s:{s:s,s:s,s:s},s:{s:[s,s],s:s}}", "kind", "ServiceEntry", "metadata", "name", "cnn",
                           "namespace", "default", "creationTimestamp", ts, "spec", "hosts", "a.com", "b.com",
                           "resolution", "DNS");
    const kind_info *k = kind_lookup("se");
    assert_non_null(k);
    char *enc = columns_encode(k, se);
    assert_non_null(enc);
    for (int wide = 0; wide < 2; wide++) {
        columns cols;
        columns_for(k, wide, &cols);
        char *a[COLUMNS_MAX], *b[COLUMNS_MAX];
        columns_row(k, wide, se, a);
        assert_true(columns_decode(k, wide, enc, b));
        for (int i = 0; i < cols.n; i++) assert_string_equal(a[i], b[i]);
        assert_string_equal(b[1], "[\"a.com\",\"b.com\"]");
        assert_string_equal(b[4], "3h");
        free_cells(a, cols.n);
        free_cells(b, cols.n);
    }
    /* a pod's -o wide row is kept whole */
    json_t *pod = json_pack("{s:s,s:{s:s,s:s},s:{s:[{s:s}],s:s},s:{s:s,s:s}}", "kind", "Pod", "metadata", "name", "p",
                            "creationTimestamp", ts, "spec", "containers", "name", "c", "nodeName", "n1", "status",
                            "phase", "Running", "podIP", "10.244.0.9");
    const kind_info *pk = kind_lookup("pods");
    char *penc = columns_encode(pk, pod);
    assert_non_null(penc);
    char *c[COLUMNS_MAX];
    assert_true(columns_decode(pk, true, penc, c));
    assert_string_equal(c[1], "1/1");
    assert_string_equal(c[5], "10.244.0.9");
    assert_string_equal(c[6], "n1");
    free_cells(c, 9);
    /* a cell holding a separator byte cannot be kept: the object is read instead */
    json_object_set_new(json_object_get(se, "spec"), "resolution", json_string("D\x1fNS"));
    assert_null(columns_encode(k, se));
    /* a row of another layout is refused */
    assert_false(columns_decode(pk, true, enc, c));
    assert_false(columns_decode(k, false, enc + 1, c));
    free(enc);
    free(penc);
    json_decref(se);
    json_decref(pod);
}

/* The stored compact text re-printed equals print_json of the value. */
static void assert_reprints_like_print_json(const char *json)
{
    json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
    assert_non_null(v);
    char *want = NULL;
    size_t wlen = 0;
    FILE *f = open_memstream(&want, &wlen);
    assert_int_equal(print_json(f, v), 0);
    fclose(f);
    char *compact = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    json_text_buf b = {0};
    assert_int_equal(json_text_pretty(&b, compact, 0), 0);
    json_text_put(&b, "\n");
    assert_string_equal(b.p, want);
    free(b.p);
    free(want);
    free(compact);
    json_decref(v);
}

static void test_stored_text_reprints_like_print_json(void **state)
{
    (void)state;
    assert_reprints_like_print_json("{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\",\"labels\":{}},"
                                    "\"data\":{\"z\":\"<a&b>\\n\\\"q\\\" \\\\ \\u2028 \\u2029 \\t\\u0001 é\",\"a\":\"\"}}");
    assert_reprints_like_print_json("{\"b\":[[],[1,2.5,-0.0,1e300,true,false,null],{},[{\"y\":1,\"x\":[{}]}]],\"a\":{\"ab\":1,\"a\":2,\"a<\":3}}");
    assert_reprints_like_print_json("[]");
    assert_reprints_like_print_json("{}");
    /* keys sort by their bytes: upper case, digits and UTF-8 */
    assert_reprints_like_print_json("{\"é\":1,\"Z\":2,\"z\":3,\"1\":4,\"_\":5,\"zz\":6,\"z z\":7}");
    /* nested deeper than the indent buffer, more members than the stack array */
    char deep[4000] = "", wide[4000] = "{";
    for (int i = 0; i < 30; i++) strcat(deep, "{\"k\":");
    strcat(deep, "1");
    for (int i = 0; i < 30; i++) strcat(deep, "}");
    assert_reprints_like_print_json(deep);
    for (int i = 0; i < 100; i++) {
        char m[32];
        snprintf(m, sizeof m, "%s\"k%d\":%d", i ? "," : "", (i * 37) % 100, i);
        strcat(wide, m);
    }
    strcat(wide, "}");
    assert_reprints_like_print_json(wide);
    /* at depth 2, as the items of a List */
    json_text_buf b = {0};
    assert_int_equal(json_text_pretty(&b, "{\"b\":[1],\"a\":{}}", 2), 0);
    assert_string_equal(b.p, "{\n            \"a\": {},\n            \"b\": [\n                1\n            ]\n        }");
    /* what it leaves to jansson comes out the same way */
    json_t *esc = json_pack("{s:{s:s},s:[]}", "a\\\"b", "k<", "v&\\n", "z");
    json_text_buf e = {0};
    assert_int_equal(json_text_pretty_value(&e, esc, 2), 0);
    assert_string_equal(e.p, "{\n            \"a\\\\\\\"b\": {\n                \"k\\u003c\": \"v\\u0026\\\\n\"\n            },\n"
                             "            \"z\": []\n        }");
    json_decref(esc);
    free(e.p);
    /* an escaped key is left to the caller, with nothing appended */
    assert_int_equal(json_text_pretty(&b, "{\"a\\\"b\":1}", 0), -1);
    assert_int_equal(json_text_pretty(&b, "{\"a\":", 0), -1);
    assert_int_equal(json_text_pretty(&b, "", 0), -1);
    assert_int_equal(strlen(b.p), b.n);
    assert_true(b.n > 0 && b.p[b.n - 1] == '}');
    free(b.p);
}

static void assert_compact_like_jansson(json_t *v)
{
    for (int sort = 0; sort < 2; sort++) {
        char *want = json_dumps(v, JSON_COMPACT | (sort ? JSON_SORT_KEYS : JSON_PRESERVE_ORDER));
        char *have = json_text_compact(v, sort);
        assert_non_null(want);
        assert_non_null(have);
        assert_string_equal(have, want);
        free(want);
        free(have);
    }
}

/* The compact text the store keeps is jansson's, byte for byte. */
static void test_compact_text_is_janssons(void **state)
{
    (void)state;
    char ctl[40];
    for (int i = 1; i < 32; i++) ctl[i - 1] = (char)i;
    memcpy(ctl + 31, "\"\\/\x7f<&", 7);
    ctl[38] = 0;
    json_t *v = json_pack("{s:s,s:s,s:{s:[i,i,f,f,b,b,n,{},[]],s:s},s:[],s:{}}", "zeta", ctl, "alpha", "é ü 日本 \xe2\x80\xa8",
                          "m", "list", -5, (json_int_t)1 << 62, 2.5, 1e300, 1, 0, "B", "", "a", "b");
    json_object_set_new(v, "nul", json_stringn("a\0b", 3));
    json_object_set_new(v, "Zed", json_real(-0.0));
    assert_compact_like_jansson(v);
    json_decref(v);
    char *big = malloc(100 * 12 + 3), *p = big;
    p += sprintf(p, "{");
    for (int i = 0; i < 100; i++) p += sprintf(p, "%s\"k%02d\":%d", i ? "," : "", (i * 37) % 100, i);
    sprintf(p, "}");
    v = json_loads(big, 0, NULL);
    assert_non_null(v);
    assert_compact_like_jansson(v);
    json_decref(v);
    free(big);
    /* a string longer than compact_string's pieces, escapes across their
     * boundaries, and a key with a NUL in it */
    char *lng = malloc(10001);
    for (int i = 0; i < 10000; i++) lng[i] = "a\"b\\\n\x01\xc3\xa9"[i % 8];
    lng[10000] = 0;
    v = json_object();
    json_object_set_new(v, "long", json_stringn(lng, 10000));
    json_object_setn_new(v, "k\0ey", 4, json_true());
    assert_compact_like_jansson(v);
    json_decref(v);
    free(lng);
    /* one byte to escape at every offset of an eight-byte word, among plain
     * ASCII and UTF-8 (compact_string's word-at-a-time test) */
    const char specials[] = {'"', '\\', 0x1f, 0x01, '\n'};
    for (size_t k = 0; k < sizeof specials; k++)
        for (int pos = 0; pos < 24; pos++) {
            char t[32];
            for (int i = 0; i < 24; i++) t[i] = i % 5 == 4 ? ' ' : "ab\x7f~"[i % 4];
            memcpy(t + 26, "\xc3\xa9", 2);
            t[24] = 'z'; t[25] = '}';
            t[pos] = specials[k];
            t[28] = 0;
            v = json_pack("{s:s}", "k", t);
            assert_compact_like_jansson(v);
            json_decref(v);
        }
    v = json_pack("[{s:i},[]]", "x", 1);
    assert_compact_like_jansson(v);
    json_decref(v);
    v = json_string("s");
    assert_null(json_text_compact(v, false));
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tabwriter_aligns_blocks_of_consecutive_lines),
        cmocka_unit_test(test_yaml_quotes_what_would_read_otherwise),
        cmocka_unit_test(test_table_pads_to_the_widest_cell),
        cmocka_unit_test(test_human_duration),
        cmocka_unit_test(test_stored_row_prints_like_the_object),
        cmocka_unit_test(test_stored_text_reprints_like_print_json),
        cmocka_unit_test(test_compact_text_is_janssons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
