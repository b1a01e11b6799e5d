/* Fuzz target: kubectl -l label selectors, and LabelSelector objects.
 * Input: selector text, optionally followed by a NUL and a JSON
 * LabelSelector object.  Promises checked: a refused selector has a message;
 * matching never crashes; the empty selector matches everything. */
#include <jansson.h>
#include "fuzz.h"
#include "model/selector.h"

static const char *const SELECTOR_LABEL_SETS[] = {
    "{}",
    "{\"app\":\"sleep\"}",
    "{\"app\":\"istio-egressgateway\",\"istio\":\"egressgateway\"}",
    "{\"version\":\"v1\",\"app\":\"\",\"a\":\"b\",\"tier\":\"x\"}",
    "{\"n\":1,\"app\":null}",
};

FUZZ_TARGET(selector)
{
    char *text = fuzz_cstr(data, size);
    size_t tlen = strlen(text);
    json_t *sets[sizeof SELECTOR_LABEL_SETS / sizeof *SELECTOR_LABEL_SETS];
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) sets[i] = json_loads(SELECTOR_LABEL_SETS[i], 0, NULL);

    char err[512] = "";
    selector *s = selector_parse(text, err, sizeof err);
    if (!s) {
        FUZZ_CHECK(err[0] != 0);
    } else {
        for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) (void)selector_matches(s, sets[i]);
        selector_free(s);
    }

    /* the rest after a NUL is a LabelSelector object */
    if (tlen + 1 < size) {
        json_t *ls = json_loadb((const char *)data + tlen + 1, size - tlen - 1, 0, NULL);
        for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) (void)label_selector_matches(ls, sets[i]);
        if (json_is_object(ls) && json_object_size(ls) == 0)
            for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) FUZZ_CHECK(label_selector_matches(ls, sets[i]));
        json_decref(ls);
    }
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) json_decref(sets[i]);
    free(text);
    return 0;
}
