/* A new cluster's outside world: the embedded default ExternalServices. */
#include <stdio.h>
#include <string.h>
#include "model/api.h"
#include "model/kinds.h"
#include "model/loader.h"
#include "net/world.h"

int world_seed(store *st, char *err, size_t errlen)
{
    loaded_docs docs = {0};
    if (loader_load_buffer(&docs, world_default_yaml, strlen(world_default_yaml), "samples/world", err, errlen)) {
        loaded_docs_free(&docs);
        return -1;
    }
    const kind_info *k = kind_lookup("ExternalService");
    int rc = 0;
    for (size_t i = 0; i < docs.n && !rc; i++) {
        api_error e;
        api_status s = api_create(st, k, docs.docs[i].obj, &e);
        if (s != API_OK && s != API_ERR_EXISTS) {
            snprintf(err, errlen, "default world: cannot create %s", docs.docs[i].source);
            rc = -1;
        }
    }
    loaded_docs_free(&docs);
    return rc;
}
