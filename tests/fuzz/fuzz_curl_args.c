/* Fuzz target: curl's command line (curl_args_parse, curl_args_data), as
 * `kubectl exec POD -- curl ...` hands it over.  Input: the words after
 * "curl", separated by NUL bytes.  Promises checked: 0, or a curl exit code
 * with curl's message; the lists stay within their bounds. */
#include "fuzz.h"
#include "probe/curl_args.h"

#define CURL_FUZZ_MAX_WORDS 64

static char *curl_fuzz_reader(void *ctx, const char *path, size_t *len)
{
    (void)ctx;
    if (path[0] == 'x') return NULL;   /* some files do not exist */
    char *s = strdup("line one\nline two\r\n");
    *len = strlen(s);
    return s;
}

FUZZ_TARGET(curl_args)
{
    char *buf = fuzz_cstr(data, size);
    char *argv[CURL_FUZZ_MAX_WORDS + 2];
    int argc = 0;
    argv[argc++] = (char *)"curl";
    for (size_t i = 0; i <= size && argc < CURL_FUZZ_MAX_WORDS + 1;) {
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    argv[argc] = NULL;
    char *msg = NULL;
    size_t msglen = 0;
    FILE *err = open_memstream(&msg, &msglen);
    FUZZ_CHECK(err != NULL);
    curl_args a;
    memset(&a, 0, sizeof a);
    int rc = curl_args_parse(argc, argv, &a, err);
    if (rc == 0) {
        FUZZ_CHECK(a.nurls >= 0 && a.nurls <= CURL_ARGS_MAX);
        FUZZ_CHECK(a.nheaders >= 0 && a.nheaders <= CURL_ARGS_MAX);
        FUZZ_CHECK(a.nresolve >= 0 && a.nresolve <= CURL_ARGS_MAX);
        FUZZ_CHECK(a.ndata >= 0 && a.ndata <= CURL_ARGS_MAX);
        curl_args_data(&a, curl_fuzz_reader, NULL, err);
        if (a.has_data) FUZZ_CHECK(a.data != NULL);
    }
    fflush(err);
    if (rc != 0) FUZZ_CHECK(rc > 0 && msglen > 0);
    curl_args_free(&a);
    fclose(err);
    free(msg);
    free(buf);
    return 0;
}
