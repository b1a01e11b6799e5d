/* What the first bytes of a connection say: a TLS ClientHello (server name,
 * ALPN protocols), an HTTP/1.x request line, or something else.  Proxies use
 * this the way Envoy's tls_inspector and http_inspector listener filters do. */
#ifndef MESHSIM_SNI_H
#define MESHSIM_SNI_H

#include <stddef.h>

typedef struct client_hello {
    char sni[256];          /* "" when the client sent no server_name */
    char alpn[8][32];       /* offered protocols, in order */
    int nalpn;
} client_hello;

/* Parse a TLS ClientHello from the start of a connection.
 * Returns 1 when complete (hello filled), 0 when more bytes are needed,
 * -1 when the bytes are not a well-formed ClientHello. */
int tls_client_hello_parse(const unsigned char *buf, size_t len, client_hello *hello);

typedef enum {
    SNIFF_MORE,     /* not enough bytes to tell */
    SNIFF_TLS,      /* TLS handshake record */
    SNIFF_HTTP1,    /* HTTP/1.x request line */
    SNIFF_H2C,      /* HTTP/2 connection preface (prior knowledge) */
    SNIFF_OTHER,
} sniff_kind;

sniff_kind sniff_protocol(const unsigned char *buf, size_t len);

#endif
