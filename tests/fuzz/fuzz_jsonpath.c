/* Fuzz target: kubectl -o jsonpath templates.
 * Input: the template, optionally followed by a NUL and JSON data to run it
 * on (else a small pod list).  Promises checked: an error has a message;
 * time stays bounded (libFuzzer's -timeout) however the template nests. */
#include <jansson.h>
#include "fuzz.h"
#include "model/jsonpath.h"

static const char JSONPATH_DEFAULT_DATA[] =
    "{\"kind\":\"List\",\"items\":["
    "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"sleep-1\",\"namespace\":\"default\",\"labels\":{\"app\":\"sleep\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"sleep\",\"image\":\"curlimages/curl\",\"ports\":[{\"containerPort\":80}]},"
    "{\"name\":\"istio-proxy\",\"image\":\"docker.io/istio/proxyv2:1.4.6\"}]},"
    "\"status\":{\"podIP\":\"10.244.0.7\",\"phase\":\"Running\",\"ready\":true,\"restarts\":0.5}},"
    "{\"kind\":\"Service\",\"metadata\":{\"name\":\"sleep\",\"labels\":{\"app.kubernetes.io/name\":\"x\"}},"
    "\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"port\":80,\"name\":\"http\"},{\"port\":443}]}}]}";

FUZZ_TARGET(jsonpath)
{
    char *tmpl = fuzz_cstr(data, size);
    size_t tlen = strlen(tmpl);
    json_t *doc = NULL;
    if (tlen + 1 < size) doc = json_loadb((const char *)data + tlen + 1, size - tlen - 1, JSON_DECODE_ANY, NULL);
    if (!doc) doc = json_loads(JSONPATH_DEFAULT_DATA, 0, NULL);
    FUZZ_CHECK(doc != NULL);
    char err[512] = "";
    int rc = jsonpath_execute(tmpl, doc, fuzz_sink(), err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1 || rc == -2);   /* -2: a runtime error after output (jsonpath.h) */
    if (rc) FUZZ_CHECK(err[0] != 0);
    json_decref(doc);
    free(tmpl);
    return 0;
}
