/* Fuzz target: the manifest loader on arbitrary bytes (YAML streams).
 * Promises checked: an error always has a message; every loaded document is
 * a non-empty JSON object; a loaded document written out as JSON loads back
 * to the same value (the YAML-to-JSON conversion is stable); the fast path
 * (loader_fast.c) changes nothing: the stream loads to the same documents,
 * lines and error with it as with libyaml alone, and every chunk it takes
 * is what libyaml reads from that chunk alone (documents, values, root
 * line, value count, line count). */
#include <jansson.h>
#include <yaml.h>
#include "fuzz.h"
#include "model/loader.h"
#include "model/loader_events.h"
#include "model/loader_fast.h"

static int loader_kind_is_list(json_t *o)
{
    const char *k = json_string_value(json_object_get(o, "kind"));
    size_t n = k ? strlen(k) : 0;
    return n >= 4 && !strcmp(k + n - 4, "List");
}

static void loader_check_roundtrip(json_t *obj)
{
    if (loader_kind_is_list(obj) || json_object_size(obj) == 0) return;
    char *text = json_dumps(obj, JSON_COMPACT);
    FUZZ_CHECK(text != NULL);
    loaded_docs again = {0};
    char err[512] = "";
    int rc = loader_load_buffer(&again, text, strlen(text), "roundtrip", err, sizeof err);
    if (rc != 0) fprintf(stderr, "reload of %s failed: %s\n", text, err);
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(again.n == 1);
    FUZZ_CHECK(json_equal(again.docs[0].obj, obj));
    loaded_docs_free(&again);
    free(text);
}

/* The same bytes parsed in two halves at once (a long stream is; any
 * length here) give the same documents, lines and error. */
static void loader_check_split(const uint8_t *data, size_t size, int rc, const char *err, loaded_docs *docs)
{
    setenv("MESHSIM_LOADER_SPLIT_MIN", "1", 1);
    loaded_docs split = {0};
    char serr[1024] = "";
    int src = loader_load_buffer(&split, (const char *)data, size, "fuzz.yaml", serr, sizeof serr);
    unsetenv("MESHSIM_LOADER_SPLIT_MIN");
    FUZZ_CHECK(src == rc);
    FUZZ_CHECK(rc == 0 || !strcmp(serr, err));
    FUZZ_CHECK(split.n == docs->n);
    for (size_t i = 0; i < docs->n && i < split.n; i++) {
        FUZZ_CHECK(json_equal(split.docs[i].obj, docs->docs[i].obj));
        FUZZ_CHECK(split.docs[i].line == docs->docs[i].line);
    }
    loaded_docs_free(&split);
}

/* Two loads of the same stream agree in every respect. */
static void loader_check_same(int rc, const char *err, loaded_docs *docs, int rc2, const char *err2, loaded_docs *docs2)
{
    if (rc != rc2 || strcmp(err, err2) || docs->n != docs2->n)
        fprintf(stderr, "rc %d / %d, %zu / %zu documents, error \"%s\" / \"%s\"\n", rc, rc2, docs->n, docs2->n, err, err2);
    FUZZ_CHECK(rc == rc2);
    FUZZ_CHECK(!strcmp(err, err2));
    FUZZ_CHECK(docs->n == docs2->n);
    for (size_t i = 0; i < docs->n && i < docs2->n; i++) {
        FUZZ_CHECK(json_equal(docs->docs[i].obj, docs2->docs[i].obj));
        FUZZ_CHECK(docs->docs[i].line == docs2->docs[i].line);
    }
}

/* The stream with libyaml alone (MESHSIM_LOADER_FAST=0) loads as it does
 * with the fast path. */
static void loader_check_libyaml(const uint8_t *data, size_t size, int rc, const char *err, loaded_docs *docs)
{
    setenv("MESHSIM_LOADER_FAST", "0", 1);
    loaded_docs ref = {0};
    char rerr[1024] = "";
    int rrc = loader_load_buffer(&ref, (const char *)data, size, "fuzz.yaml", rerr, sizeof rerr);
    unsetenv("MESHSIM_LOADER_FAST");
    loader_check_same(rrc, rerr, &ref, rc, err, docs);
    loaded_docs_free(&ref);
}

/* Each chunk the fast path takes, against libyaml's reading of that chunk
 * as a stream of its own (what the loader relies on to mix the two). */
static void loader_check_chunks(const uint8_t *data, size_t size)
{
    loader_fast lf = {0};
    const char *buf = (const char *)data;
    for (size_t pos = 0; pos < size;) {
        fast_doc fd;
        int took = loader_fast_doc(&lf, buf + pos, size - pos, &fd) == 0;
        FUZZ_CHECK(fd.end > 0 && fd.end <= size - pos);
        if (took) {
            yaml_parser_t parser;
            yaml_parser_initialize(&parser);
            yaml_parser_set_input_string(&parser, data + pos, fd.end);
            yaml_json yj = {0};
            int ndocs = 0;
            for (;;) {
                json_t *v;
                int line;
                char cerr[512] = "";
                int got = yaml_json_next(&yj, &parser, &v, &line, cerr, sizeof cerr);
                if (got != YAML_JSON_DOC && got != YAML_JSON_END)
                    fprintf(stderr, "libyaml refuses a chunk the fast path took: %s %s\n", parser.problem ? parser.problem : "", cerr);
                FUZZ_CHECK(got == YAML_JSON_DOC || got == YAML_JSON_END);
                if (got == YAML_JSON_END) break;
                ndocs++;
                if (json_is_null(v)) {
                    FUZZ_CHECK(fd.value == NULL);
                } else {
                    FUZZ_CHECK(fd.value && json_equal(v, fd.value));
                    FUZZ_CHECK(line == fd.line);
                }
                json_decref(v);
            }
            FUZZ_CHECK(ndocs == fd.docs);
            FUZZ_CHECK(yj.nodes == fd.nodes);
            FUZZ_CHECK((int)parser.mark.line == fd.lines);
            yaml_json_free(&yj);
            yaml_parser_delete(&parser);
            json_decref(fd.value);
        }
        pos += fd.end;
    }
    loader_fast_free(&lf);
}

static int loader_run(const uint8_t *data, size_t size, int roundtrip)
{
    loaded_docs docs = {0};
    char err[1024] = "";
    int rc = loader_load_buffer(&docs, (const char *)data, size, "fuzz.yaml", err, sizeof err);
    if (rc != 0) {
        FUZZ_CHECK(rc == -1);
        /* "clear error": never empty, never just the prefix */
        FUZZ_CHECK(strlen(err) > 0);
        FUZZ_CHECK(err[strlen(err) - 1] != ' ');
    }
    for (size_t i = 0; i < docs.n; i++) {
        FUZZ_CHECK(json_is_object(docs.docs[i].obj));
        FUZZ_CHECK(docs.docs[i].source && docs.docs[i].line >= 1);
        if (roundtrip) loader_check_roundtrip(docs.docs[i].obj);
    }
    if (roundtrip) {
        loader_check_split(data, size, rc, err, &docs);
        loader_check_libyaml(data, size, rc, err, &docs);
        loader_check_chunks(data, size);
    }
    loaded_docs_free(&docs);
    return 0;
}

FUZZ_TARGET(loader_yaml)
{
    return loader_run(data, size, 1);
}
