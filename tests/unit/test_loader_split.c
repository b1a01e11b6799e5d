/* The loader's split parse (a large stream cut at a "---" line and parsed
 * in two threads) against the plain one: same documents in the same order,
 * same lines, same errors, same documents kept before an error.
 * MESHSIM_LOADER_SPLIT_MIN lowers the size from which the loader splits, so
 * these small streams take the threaded path. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model/loader.h"

typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (t->n + (size_t)need + 1 > t->cap) {
        t->cap = (t->n + (size_t)need + 1) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    vsnprintf(t->s + t->n, (size_t)need + 1, fmt, ap2);
    va_end(ap2);
    t->n += (size_t)need;
}

typedef struct outcome {
    loaded_docs docs;
    int rc;
    char err[1024];
} outcome;

static void load_with(outcome *o, const char *split_min, const char *buf, size_t len)
{
    setenv("MESHSIM_LOADER_SPLIT_MIN", split_min, 1);
    memset(o, 0, sizeof *o);
    o->rc = loader_load_buffer(&o->docs, buf, len, "mesh.yaml", o->err, sizeof o->err);
    unsetenv("MESHSIM_LOADER_SPLIT_MIN");
}

/* Load `t` whole and split; both must agree in every respect.  Returns the
 * number of documents loaded. */
static size_t same_both_ways(const text *t, int want_rc)
{
    outcome whole, split;
    load_with(&whole, "1000000000", t->s, t->n);
    load_with(&split, "1", t->s, t->n);
    assert_int_equal(whole.rc, want_rc);
    assert_int_equal(split.rc, whole.rc);
    assert_string_equal(split.err, whole.err);
    assert_int_equal(split.docs.n, whole.docs.n);
    for (size_t i = 0; i < whole.docs.n; i++) {
        loaded_doc *a = &whole.docs.docs[i], *b = &split.docs.docs[i];
        if (!json_equal(a->obj, b->obj)) {
            char *ja = json_dumps(a->obj, JSON_COMPACT), *jb = json_dumps(b->obj, JSON_COMPACT);
            fail_msg("document %zu differs:\n  whole: %s\n  split: %s", i, ja, jb);
        }
        assert_int_equal(b->line, a->line);
        assert_string_equal(b->source, a->source);
    }
    size_t n = whole.docs.n;
    loaded_docs_free(&whole.docs);
    loaded_docs_free(&split.docs);
    return n;
}

/* One document of several shapes: anchors and aliases, block scalars with
 * text that looks like markers (indented, so still text), comments, lists,
 * empty documents; each a different length so the cut lands anywhere. */
static void add_doc(text *t, int i)
{
    switch (i % 7) {
    case 0:
        add(t, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm%d  # trailing comment\ndata:\n"
               "  script: |\n    #!/bin/sh\n    ---\n    echo '[{' %d\n    ...\n  other: >\n    folded %d\n", i, i, i);
        break;
    case 1:
        add(t, "kind: Defaults\nmetadata: {name: d%d}\nbase: &base\n  port: %d\n  tls: yes\n  hosts: [a.example, b.example]\n"
               "first: *base\nsecond: *base\nlist: &l [x, y, &s scalar%d]\nagain: [*l, *s]\n", i, 8000 + i, i);
        break;
    case 2:
        add(t, "# a comment only\n");
        break;
    case 3:
        add(t, "kind: List\napiVersion: v1\nitems:\n- kind: Service\n  metadata:\n    name: s%d\n- kind: Pod\n  metadata:\n    name: p%d\n",
            i, i);
        break;
    case 4:
        add(t, "kind: Typed\nmetadata:\n  name: t%d\nvalues: [010, 0x1F, 1.5, ~, 'no', no, \"%d\"]\ny: 1\n0x10: hex key\n", i, i);
        break;
    case 5:
        add(t, "kind: Quoted\nmetadata:\n  name: q%d\ntext: \"two\n  lines\"\nplain: several\n  words on\n  lines\n", i);
        break;
    default:
        add(t, "kind: Windows\r\nmetadata:\r\n  name: w%d\r\n", i);
        break;
    }
}

static const char *const SEPARATORS[] = {"---\n", "--- # next\n", "---   \n", "---\r\n", "\n---\n"};

static void add_stream(text *t, int from, int docs)
{
    for (int i = from; i < from + docs; i++) {
        add_doc(t, i);
        add(t, "%s", SEPARATORS[i % 5]);
    }
}

static void test_split_parse_equals_whole_parse(void **state)
{
    (void)state;
    for (int docs = 2; docs < 60; docs += 3) {
        text t = {0};
        add_stream(&t, 0, docs);
        assert_true(same_both_ways(&t, 0) > 0);
        free(t.s);
    }
}

/* The cut goes at the first "---" line after the middle; put a given
 * stretch of text right there by padding the first half with one long
 * scalar (and no "---" line after the padding's start). */
static void stream_with_middle(text *t, const char *middle)
{
    add_stream(t, 0, 12);
    text tail = {0};
    add(&tail, "%s", middle);
    add_stream(&tail, 20, 12);
    /* the padding document: "kind: Pad\npad: xxxx...\n" */
    size_t before = t->n + strlen("kind: Pad\npad: ");
    size_t pad = tail.n > before ? tail.n - before + 40 : 40;
    add(t, "kind: Pad\npad: ");
    for (size_t i = 0; i < pad; i++) add(t, "x");
    add(t, "\n");
    add(t, "%s", tail.s);
    free(tail.s);
    /* the middle falls inside the padding */
    assert_true(t->n / 2 > before && t->n / 2 < before + pad);
}

static void test_split_at_tricky_boundaries(void **state)
{
    (void)state;
    static const struct {
        const char *middle;
        int rc;
    } cases[] = {
        {"--- # a comment after the marker\nkind: After\n---\n", 0},
        {"---\n...\n---\nkind: AfterEnd\n---\n", 0},
        /* a directive belongs to the document after it: the first half
         * would end with a directive and no document */
        {"...\n%YAML 1.1\n---\nkind: Directed\n---\n", 0},
        {"...\n%TAG !e! tag:example.com,2000:\n--- !e!thing\nkind: Tagged\n---\n", 0},
        /* "---" in a quoted scalar or a flow collection: a syntax error */
        {"kind: Quote\nq: \"open\n---\nstill open\"\n---\n", -1},
        {"kind: Flow\nf: [a,\n---\n b]\n---\n", -1},
        /* a block scalar ends at a "---" line */
        {"kind: Block\nb: |\n  text\n---\nkind: Next\n---\n", 0},
        /* anchors do not reach across documents */
        {"kind: A\nx: &a 1\n---\nkind: B\ny: *a\n---\n", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        text t = {0};
        stream_with_middle(&t, cases[i].middle);
        same_both_ways(&t, cases[i].rc);
        free(t.s);
    }
}

/* A syntax error in either half: the same message and line, and exactly
 * the documents before it kept. */
static void test_errors_in_either_half(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "kind: Bad\nmetadata:\n  name: x\n   oops: [\n",
        "kind: Bad\nkey: *undefined\n",
        "kind: Bad\na: &d 1\nb: &d 2\n",
        "kind: Bad\nv: .inf\n",
        "kind: Bad\n? [complex]\n: key\n",
        "kind: Bad\n~: null key\n",
        "- not\n- an object\n",
        "kind: List\nitems:\n- 7\n",
        "kind: Bad\nx: \"\\0\"\n",
        "kind: Bad\nc: \x01\n",
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        for (int at = 1; at < 30; at += 4) {
            text t = {0};
            add_stream(&t, 0, at);
            add(&t, "%s---\n", bad[b]);
            add_stream(&t, at, 30 - at);
            same_both_ways(&t, -1);
            free(t.s);
        }
    }
}

/* LOADER_MAX_DOCS counts the documents of the whole source, whichever half
 * they are in. */
static void test_document_limit_spans_the_halves(void **state)
{
    (void)state;
    text t = {0};
    for (unsigned i = 0; i <= LOADER_MAX_DOCS; i++) add(&t, "a: %u\n---\n", i);
    same_both_ways(&t, -1);
    free(t.s);
    /* and exactly at the limit both load everything */
    text u = {0};
    for (unsigned i = 0; i < LOADER_MAX_DOCS; i++) add(&u, i ? "---\na: %u\n" : "a: %u\n", i);
    assert_int_equal(same_both_ways(&u, 0), LOADER_MAX_DOCS);
    free(u.s);
}

/* LOADER_MAX_NODES too: each half stays under it, the two together do
 * not.  Aliases make most of the values cheap to write (10 002 values a
 * document); the budget runs out in the plain documents at the end, so the
 * refusal names a line. */
static void test_value_limit_spans_the_halves(void **state)
{
    (void)state;
    text t = {0};
    for (unsigned d = 0; d < LOADER_MAX_NODES / 10002; d++) {
        add(&t, "kind: Big\nrow: &r [");
        for (int i = 0; i < 100; i++) add(&t, i ? ",%d" : "%d", i);
        add(&t, "]\ntable: [");
        for (int i = 0; i < 98; i++) add(&t, i ? ",*r" : "*r");
        add(&t, "]\n---\n");
    }
    for (int d = 0; d < 12; d++) {
        add(&t, "kind: Plain\nrow: [");
        for (int i = 0; i < 1000; i++) add(&t, i ? ",%d" : "%d", i);
        add(&t, "]\n---\n");
    }
    outcome split;
    load_with(&split, "1", t.s, t.n);
    assert_int_equal(split.rc, -1);
    assert_string_equal(split.err, "error parsing mesh.yaml: error converting YAML to JSON: yaml: line 2: "
                                   "more than 1048576 values in one stream");
    assert_int_equal(split.docs.n, LOADER_MAX_NODES / 10002 + 8);
    loaded_docs_free(&split.docs);
    same_both_ways(&t, -1);
    free(t.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_parse_equals_whole_parse),
        cmocka_unit_test(test_split_at_tricky_boundaries),
        cmocka_unit_test(test_errors_in_either_half),
        cmocka_unit_test(test_document_limit_spans_the_halves),
        cmocka_unit_test(test_value_limit_spans_the_halves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
