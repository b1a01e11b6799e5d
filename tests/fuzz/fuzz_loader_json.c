/* Fuzz target: the manifest loader on JSON text.  A JSON object is also a
 * YAML document; the loader takes jansson's path for it.  Promise checked:
 * whatever jansson accepts as one object, the loader returns unchanged (or
 * expands, for a List); errors always carry a message.  A NUL byte is the
 * exception: jansson takes `{"":7\0}` as an object, while the loader refuses
 * NUL anywhere, as kubectl does ("control characters are not allowed"). */
#include <jansson.h>
#include "fuzz.h"
#include "model/loader.h"

FUZZ_TARGET(loader_json)
{
    loaded_docs docs = {0};
    char err[1024] = "";
    int rc = loader_load_buffer(&docs, (const char *)data, size, "fuzz.json", err, sizeof err);
    if (rc != 0) FUZZ_CHECK(rc == -1 && err[0] != 0);
    for (size_t i = 0; i < docs.n; i++) FUZZ_CHECK(json_is_object(docs.docs[i].obj));

    json_error_t je;
    json_t *direct = json_loadb((const char *)data, size, 0, &je);
    /* the loader's own limits may refuse what jansson takes (nesting) */
    int limited = rc != 0 && strstr(err, "exceeded max depth") != NULL;
    int has_nul = memchr(data, 0, size) != NULL;
    if (has_nul && size <= LOADER_MAX_BYTES && !limited) FUZZ_CHECK(rc == -1 && strstr(err, "control characters are not allowed") != NULL);
    if (json_is_object(direct) && size <= LOADER_MAX_BYTES && !limited && !has_nul) {
        const char *kind = json_string_value(json_object_get(direct, "kind"));
        size_t kn = kind ? strlen(kind) : 0;
        int is_list = kn >= 4 && !strcmp(kind + kn - 4, "List") && json_is_array(json_object_get(direct, "items"));
        if (!is_list && json_object_size(direct) > 0) {
            FUZZ_CHECK(rc == 0);
            FUZZ_CHECK(docs.n == 1);
            FUZZ_CHECK(json_equal(docs.docs[0].obj, direct));
        }
    }
    json_decref(direct);
    loaded_docs_free(&docs);
    return 0;
}
