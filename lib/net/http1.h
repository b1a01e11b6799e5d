/* HTTP/1.1 messages as the simulated proxies and servers see them:
 * a request parser (RFC 9112: request line, fields, Content-Length or
 * chunked body) and a response writer. */
#ifndef MESHSIM_HTTP1_H
#define MESHSIM_HTTP1_H

#include <stddef.h>

#define HTTP_MAX_HEADERS 64

typedef struct http_header { char *name, *value; } http_header;

typedef struct http_msg {
    char *method, *target, *version;   /* request line ("HTTP/1.1", "HTTP/2") */
    int status;                         /* response status */
    http_header h[HTTP_MAX_HEADERS];    /* names as sent (HTTP/2: lower case) */
    int nh;
    unsigned char *body;
    size_t body_len;
} http_msg;

void http_msg_init(http_msg *m);
void http_msg_free(http_msg *m);
/* Case-insensitive lookup; NULL when absent. */
const char *http_get(const http_msg *m, const char *name);
/* Replace (or add) a field; value NULL removes it. */
void http_set(http_msg *m, const char *name, const char *value);
void http_add(http_msg *m, const char *name, const char *value);
void http_set_body(http_msg *m, const void *body, size_t len);
/* A copy of the request line and fields (not the body). */
void http_msg_copy_head(http_msg *dst, const http_msg *src);

/* Parse one request from buf.  Returns the bytes it used (> 0) when the
 * request is complete, 0 when more bytes are needed, -1 on a malformed
 * request (err says why). */
long http1_parse_request(const unsigned char *buf, size_t len, http_msg *req,
                         char *err, size_t errlen);

/* Bytes of the message in HTTP/1.1 wire form (head and body), as a proxy
 * sends it upstream (request) or receives it (response). */
size_t http1_request_size(const http_msg *req);
size_t http1_response_size(const http_msg *resp);

/* The standard reason phrase ("Moved Permanently"), "" when unknown. */
const char *http_reason(int status);

/* Serialise a response (status line, fields, body) into a malloc'd buffer. */
unsigned char *http1_write_response(const http_msg *resp, int head_only, size_t *outlen);

#endif
