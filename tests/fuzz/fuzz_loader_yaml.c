/* Fuzz target: the manifest loader on arbitrary bytes (YAML streams).
 * Promises checked: an error always has a message; every loaded document is
 * a non-empty JSON object; a loaded document written out as JSON loads back
 * to the same value (the YAML-to-JSON conversion is stable). */
#include <jansson.h>
#include "fuzz.h"
#include "model/loader.h"

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
    if (roundtrip) loader_check_split(data, size, rc, err, &docs);
    loaded_docs_free(&docs);
    return 0;
}

FUZZ_TARGET(loader_yaml)
{
    return loader_run(data, size, 1);
}
