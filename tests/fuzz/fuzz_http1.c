/* Fuzz target: the HTTP/1.1 request parser of the simulated proxies and
 * servers (http1_parse_request), then the response writer on what it read.
 * Input: raw bytes as they arrive on a connection.  Promises checked: a
 * complete request never claims more bytes than it was given; a malformed
 * one says why; parsing the same bytes twice gives the same answer. */
#include "fuzz.h"
#include "net/http1.h"

FUZZ_TARGET(http1)
{
    http_msg req;
    char err[256] = "";
    long n = http1_parse_request(data, size, &req, err, sizeof err);
    FUZZ_CHECK(n >= -1 && n <= (long)size);
    if (n < 0) FUZZ_CHECK(err[0] != 0);
    if (n > 0) {
        FUZZ_CHECK(req.method && req.target && req.version);
        FUZZ_CHECK(req.nh >= 0 && req.nh <= HTTP_MAX_HEADERS);
        /* a response echoing the request's fields */
        http_msg resp;
        http_msg_init(&resp);
        resp.status = 200;
        for (int i = 0; i < req.nh; i++) http_add(&resp, req.h[i].name, req.h[i].value);
        http_set(&resp, "content-type", "text/plain");
        http_set_body(&resp, req.body, req.body_len);
        size_t outlen = 0;
        unsigned char *out = http1_write_response(&resp, 0, &outlen);
        FUZZ_CHECK(out != NULL && outlen >= 17);
        free(out);
        http_msg_free(&resp);
    }
    http_msg_free(&req);
    /* deterministic */
    http_msg again;
    char err2[256] = "";
    long m = http1_parse_request(data, size, &again, err2, sizeof err2);
    FUZZ_CHECK(m == n);
    http_msg_free(&again);
    return 0;
}
