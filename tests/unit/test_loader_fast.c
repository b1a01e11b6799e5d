/* The loader's fast path (lib/model/loader_fast.c): what it takes it reads
 * exactly as libyaml does (values, lines, documents), and everything else
 * it declines, so that libyaml reads it and reports its errors.  Every case
 * also loads whole with and without the fast path (MESHSIM_LOADER_FAST=0)
 * and must give the same documents, lines and error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model/loader.h"
#include "model/loader_fast.h"

typedef struct outcome {
    loaded_docs docs;
    int rc;
    char err[1024];
} outcome;

static void load_with(outcome *o, const char *fast, const char *text, size_t len)
{
    setenv("MESHSIM_LOADER_FAST", fast, 1);
    memset(o, 0, sizeof *o);
    o->rc = loader_load_buffer(&o->docs, text, len, "m.yaml", o->err, sizeof o->err);
    unsetenv("MESHSIM_LOADER_FAST");
}

/* The stream loads the same with the fast path as with libyaml alone. */
static void same_as_libyaml(const char *text)
{
    outcome ref, got;
    load_with(&ref, "0", text, strlen(text));
    load_with(&got, "1", text, strlen(text));
    if (got.rc != ref.rc || strcmp(got.err, ref.err) || got.docs.n != ref.docs.n)
        fail_msg("%s\n  libyaml: rc %d, %zu documents, \"%s\"\n  fast:    rc %d, %zu documents, \"%s\"", text, ref.rc,
                 ref.docs.n, ref.err, got.rc, got.docs.n, got.err);
    for (size_t i = 0; i < ref.docs.n; i++) {
        if (!json_equal(ref.docs.docs[i].obj, got.docs.docs[i].obj)) {
            char *a = json_dumps(ref.docs.docs[i].obj, JSON_COMPACT), *b = json_dumps(got.docs.docs[i].obj, JSON_COMPACT);
            fail_msg("%s\n  document %zu: libyaml %s, fast %s", text, i, a, b);
        }
        assert_int_equal(got.docs.docs[i].line, ref.docs.docs[i].line);
    }
    loaded_docs_free(&ref.docs);
    loaded_docs_free(&got.docs);
}

/* The first chunk of text is declined (and the whole stream still loads
 * as libyaml loads it). */
static void declined(const char *text)
{
    loader_fast lf = {0};
    fast_doc fd;
    int rc = loader_fast_doc(&lf, text, strlen(text), &fd);
    if (rc != -1) {
        char *v = fd.value ? json_dumps(fd.value, JSON_COMPACT) : NULL;
        fail_msg("the fast path took %s as %s", text, v ? v : "nothing");
    }
    assert_null(fd.value);
    assert_true(fd.end > 0);
    loader_fast_free(&lf);
    same_as_libyaml(text);
}

/* The first chunk of text is taken, as the JSON `want` ("" for no value). */
static void taken(const char *text, const char *want)
{
    loader_fast lf = {0};
    fast_doc fd;
    if (loader_fast_doc(&lf, text, strlen(text), &fd) != 0) fail_msg("the fast path declined %s", text);
    char *v = fd.value ? json_dumps(fd.value, JSON_COMPACT | JSON_ENSURE_ASCII) : strdup("");
    if (strcmp(v, want)) fail_msg("%s\n  read as %s\n  want    %s", text, v, want);
    free(v);
    json_decref(fd.value);
    loader_fast_free(&lf);
    same_as_libyaml(text);
}

static void test_takes_manifest_shapes(void **state)
{
    (void)state;
    taken("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    app: x\n",
          "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"x\"}}}");
    /* "- key: value" items, indentless lists, "-" with the item below, empty flow collections */
    taken("kind: A\nspec:\n  ports:\n  - port: 80\n    name: http\n  -   port: 443\n  hosts:\n    - a\n    -\n    - b # c\n"
          "  sel: {}\n  list: []\nitems:\n-\n  k: v\n- # why\n  - nested\n",
          "{\"kind\":\"A\",\"spec\":{\"ports\":[{\"port\":80,\"name\":\"http\"},{\"port\":443}],"
          "\"hosts\":[\"a\",null,\"b\"],\"sel\":{},\"list\":[]},\"items\":[{\"k\":\"v\"},[\"nested\"]]}");
    /* comments anywhere, blank lines, trailing spaces, a root indented, no final newline */
    taken("# head\n\n  kind: A   \n    # deeper\n# left\n  x:   \n    z: 1", "{\"kind\":\"A\",\"x\":{\"z\":1}}");
    /* a later duplicate key wins, as in libyaml's path */
    taken("kind: A\nx:\n  a: 1\nx: 2\n", "{\"kind\":\"A\",\"x\":2}");
}

/* Scalars are typed by loader_events.c's own rules (YAML 1.1). */
static void test_typing_is_the_conversions(void **state)
{
    (void)state;
    taken("kind: A\nb: yes\nc: Off\nnn: ~\ne:\ni: 0x1F\no: 017\nf: 1.5\ng: 1e400\ns: 1.2.3\nq: '017'\nd: \"on\"\n",
          "{\"kind\":\"A\",\"b\":true,\"c\":false,\"nn\":null,\"e\":null,\"i\":31,\"o\":15,\"f\":1.5,"
          "\"g\":\"1e400\",\"s\":\"1.2.3\",\"q\":\"017\",\"d\":\"on\"}");
    /* plain keys are typed and printed back; quoted keys are text */
    taken("kind: A\ny: 1\n0x10: 2\n1.0: 3\n'y': 4\n", "{\"kind\":\"A\",\"true\":1,\"16\":2,\"1\":3,\"y\":4}");
    /* plain scalars with colons, hashes and quotes inside */
    taken("kind: A\nu: http://h:80/p\nt: a :b\nh: a#b\nw: a   b  # c\nq: it's \"x\"\n",
          "{\"kind\":\"A\",\"u\":\"http://h:80/p\",\"t\":\"a :b\",\"h\":\"a#b\",\"w\":\"a   b\",\"q\":\"it's \\\"x\\\"\"}");
}

static void test_quoted_scalars_and_escapes(void **state)
{
    (void)state;
    taken("kind: A\n'k''s' : 'it''s'\n\"d\": \"t\\tq\\\" \\\\ \\x41 \\u00E9 \\N \\e \"\ne: ''\nh: 'a # b' # c\n",
          "{\"kind\":\"A\",\"k's\":\"it's\",\"d\":\"t\\tq\\\" \\\\ A \\u00E9 \\u0085 \\u001B \",\"e\":\"\",\"h\":\"a # b\"}");
    taken("kind: A\nx: h\xc3\xa9llo \xe2\x82\xac\n", "{\"kind\":\"A\",\"x\":\"h\\u00E9llo \\u20AC\"}");
}

/* Documents: "---" lines, "...", empty documents (counted by libyaml,
 * skipped by the loader). */
static void test_documents(void **state)
{
    (void)state;
    loader_fast lf = {0};
    fast_doc fd;
    const char *text = "# head\n---\n--- # empty\n---\nkind: A\n...\n# after\n...\n---\nkind: B";
    size_t len = strlen(text), pos = 0;
    struct { int docs; const char *value; int line; size_t nodes; int lines; } want[] = {
        {0, NULL, 0, 0, 1}, {1, NULL, 0, 1, 1}, {1, NULL, 0, 1, 1}, {1, "{\"kind\":\"A\"}", 1, 2, 5}, {1, "{\"kind\":\"B\"}", 1, 2, 2},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_true(pos < len);
        assert_int_equal(loader_fast_doc(&lf, text + pos, len - pos, &fd), 0);
        assert_int_equal(fd.docs, want[i].docs);
        assert_int_equal(fd.nodes, want[i].nodes);
        assert_int_equal(fd.lines, want[i].lines);
        if (want[i].value) {
            char *v = json_dumps(fd.value, JSON_COMPACT);
            assert_string_equal(v, want[i].value);
            assert_int_equal(fd.line, want[i].line);
            free(v);
        } else {
            assert_null(fd.value);
        }
        json_decref(fd.value);
        pos += fd.end;
    }
    assert_int_equal(pos, len);
    loader_fast_free(&lf);
    same_as_libyaml(text);
}

/* What the fast path leaves to libyaml: YAML it does not read itself. */
static void test_declines_what_it_does_not_read(void **state)
{
    (void)state;
    declined("kind: A\nx: &a 1\ny: *a\n");                 /* anchors, aliases */
    declined("kind: !!str A\n");                           /* tags */
    declined("kind: A\ndata:\n  f: |\n    text\n");         /* block scalars */
    declined("kind: A\nf: >-\n  folded\n");
    declined("kind: A\nx: [1, 2]\n");                      /* flow collections with content */
    declined("kind: A\nx: {a: b}\n");
    declined("kind: A\nx: [ ]\n");
    declined("kind: A\nx: a\n  b\n");                      /* plain scalars over lines */
    declined("kind: A\nx:\n  value below\n");
    declined("kind: A\nx: 'a\n  b'\n");                    /* quoted scalars over lines */
    declined("kind: A\nx: \"a\\\n  b\"\n");
    declined("kind: A\n? x\n: y\n");                        /* complex keys */
    declined("kind: A\nx:\n- - a\n");                       /* "- - x" */
    declined("%YAML 1.1\n---\nkind: A\n");                  /* directives */
    declined("--- kind: A\n");                              /* content on the "---" line */
    declined("--- |\n  text\n");
    declined("kind: A\n<<: *base\n");
    declined("kind: A\nx: \"a\\/b\"\n");                   /* escapes libyaml versions disagree on */
    declined("kind: A\nx: \"a\\'b\"\n");
    declined("- a\n- b\n");                                 /* not a mapping */
    declined("just text\n");
    declined("...\nkind: A\n");                             /* "..." before anything */
}

/* Characters libyaml reads differently (tabs, CR, Unicode line breaks, BOM)
 * or refuses (bad UTF-8, controls) are declined wherever they are. */
static void test_declines_odd_characters(void **state)
{
    (void)state;
    declined("kind: A\nx:\tb\n");
    declined("kind: A\n\tx: b\n");
    declined("kind: A\r\nx: b\r\n");
    declined("kind: A\rx: b\r");
    declined("kind: A\nx: a\xc2\x85" "b\n");                 /* NEL */
    declined("kind: A\nx: a\xe2\x80\xa8" "b\n");             /* LS */
    declined("\xef\xbb\xbfkind: A\n");                      /* BOM */
    declined("kind: A\nx: a\xc3\n");                        /* truncated UTF-8 */
    declined("kind: A\n# \xff\nx: 1\n");                    /* in a comment too */
    declined("kind: A\nx: \xc2\x80\n");                     /* C1 control */
    declined("kind: A\nx: \xed\xa0\x80\n");                 /* surrogate */
    declined("kind: A\nx: \xe0\x80\xaf\n");                 /* overlong */
    declined("kind: A\nx: a\x7f" "b\n");                    /* DEL */
    declined("kind: A\nx: a\x01" "b\n");
}

/* Indentation that does not line up, and text libyaml refuses. */
static void test_declines_errors(void **state)
{
    (void)state;
    declined("kind: A\nx:\n    b: 1\n  c: 2\n");
    declined("kind: A\nx:\n  - a\n - b\n");
    declined("- a: 1\n b: 2\n");
    declined("kind: A\nx: 1\n  y: 2\n");
    declined("  kind: A\nx: 1\n");
    declined("kind: A\nx:\n  - a\n  y: 1\n");
    declined("kind: A\nx: a: b\n");                         /* mapping values not allowed */
    declined("kind: A\nx: a:\n");
    declined("kind: A\nx: 'a'b\n");
    declined("kind: A\nx: 'a'#c\n");
    declined("kind: A\n\"a\":b\n");
    declined("kind: A\nx: []x\n");
    declined("kind: A\nx: -\n");
    declined("kind: A\nx: @a\n");
    declined("kind: A\nx: `a\n");
    declined("kind: A\nx: %a\n");
    declined("kind: A\n...\nkind: B\n");
    declined("kind: A\n... x\n");
    declined("kind: A\nx: \"\\q\"\n");                     /* unknown escape */
    declined("kind: A\nx: \"\\ud800\"\n");                 /* escape of a surrogate */
    declined("kind: A\nx: \"\\U00110000\"\n");
}

/* What the conversion refuses is declined, so the message is libyaml's
 * path's, with its line. */
static void test_declines_conversion_errors(void **state)
{
    (void)state;
    declined("kind: A\n~: x\n");                            /* null keys */
    declined("kind: A\nnull:\n");
    declined("kind: A\nx: .inf\n");
    declined("kind: A\nx: -.Inf\n");
    declined("kind: A\nx: \"a\\0b\"\n");                   /* NUL */
    declined("kind: A\n\"a\\0b\": 1\n");
    {
        /* a key longer than libyaml's simple keys may be */
        char key[1200];
        memset(key, 'k', sizeof key);
        char text[1400];
        snprintf(text, sizeof text, "kind: A\n%.1030s: v\n", key);
        declined(text);
        snprintf(text, sizeof text, "kind: A\n%.990s: v\n", key);
        loader_fast lf = {0};
        fast_doc fd;
        assert_int_equal(loader_fast_doc(&lf, text, strlen(text), &fd), 0);
        json_decref(fd.value);
        loader_fast_free(&lf);
        same_as_libyaml(text);
    }
}

/* Depth: LOADER_MAX_DEPTH levels are taken, one more is libyaml's error. */
static void test_depth_limit(void **state)
{
    (void)state;
    for (int levels = LOADER_MAX_DEPTH - 1; levels <= LOADER_MAX_DEPTH + 1; levels++) {
        size_t cap = (size_t)(levels + 2) * (size_t)(2 * levels + 8), n = 0;
        char *t = malloc(cap);
        assert_non_null(t);
        n += (size_t)snprintf(t + n, cap - n, "kind: A\n");
        for (int i = 0; i < levels; i++) n += (size_t)snprintf(t + n, cap - n, "%*sk:\n", 2 * i, "");
        loader_fast lf = {0};
        fast_doc fd;
        int rc = loader_fast_doc(&lf, t, n, &fd);
        /* the root is depth 0, the last key's null value at depth `levels` */
        assert_int_equal(rc, levels <= LOADER_MAX_DEPTH ? 0 : -1);
        json_decref(fd.value);
        loader_fast_free(&lf);
        same_as_libyaml(t);
        free(t);
    }
}

/* A stream of documents the fast path takes and documents it declines:
 * order, lines and errors as libyaml alone gives them. */
static void test_mixed_streams(void **state)
{
    (void)state;
    same_as_libyaml("kind: A\n---\nkind: B\nx: &a [1]\ny: *a\n---\n# c\nkind: C\n---\nkind: D\nd: |\n  t\n---\nkind: E\n");
    same_as_libyaml("kind: A\n---\nkind: B\r\nx: 1\r\n---\nkind: C\n");   /* CR counts lines as libyaml does */
    same_as_libyaml("kind: A\n---\nkind: B\rx: 1\r---\nkind: C\n");
    /* errors: libyaml's message and line, the documents before it kept */
    same_as_libyaml("kind: A\n---\nkind: B\nx: [\n---\nkind: C\n");
    same_as_libyaml("kind: A\n---\nkind: B\nx: 'a\n---\nkind: C\n");
    same_as_libyaml("kind: A\n---\nkind: B\nx: .nan\n---\nkind: C\n");
    same_as_libyaml("kind: A\n---\n- a\n---\nkind: C\n");
    same_as_libyaml("kind: List\nitems:\n- kind: A\n- 3\n");
    same_as_libyaml("kind: A\n---\nkind: B\nx: \xff\n---\nkind: C\n");
    same_as_libyaml("%YAML 1.1\n---\nkind: A\n---\nkind: B\n");
}

/* The document limit counts the empty documents the fast path reads. */
static void test_document_limit(void **state)
{
    (void)state;
    for (unsigned extra = 0; extra <= 1; extra++) {
        size_t n = LOADER_MAX_DOCS - 1 + extra;
        char *t = malloc(n * 4 + 16), *p = t;
        assert_non_null(t);
        for (size_t i = 0; i < n; i++) p += sprintf(p, "---\n");
        p += sprintf(p, "---\nkind: A\n");
        outcome ref, got;
        load_with(&ref, "0", t, (size_t)(p - t));
        load_with(&got, "1", t, (size_t)(p - t));
        assert_int_equal(ref.rc, extra ? -1 : 0);
        assert_int_equal(got.rc, ref.rc);
        assert_string_equal(got.err, ref.err);
        assert_int_equal(got.docs.n, ref.docs.n);
        loaded_docs_free(&ref.docs);
        loaded_docs_free(&got.docs);
        free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_takes_manifest_shapes),
        cmocka_unit_test(test_typing_is_the_conversions),
        cmocka_unit_test(test_quoted_scalars_and_escapes),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_declines_what_it_does_not_read),
        cmocka_unit_test(test_declines_odd_characters),
        cmocka_unit_test(test_declines_errors),
        cmocka_unit_test(test_declines_conversion_errors),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_mixed_streams),
        cmocka_unit_test(test_document_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
