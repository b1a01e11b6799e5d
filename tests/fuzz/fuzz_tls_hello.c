/* Fuzz target: the TLS ClientHello / SNI reader and the protocol sniffer
 * (lib/net/sni.c), as Envoy's tls_inspector sees the first bytes of a
 * connection.  Promises checked: answers are -1/0/1; a complete hello has a
 * NUL-terminated SNI and at most 8 ALPN names; a prefix of a complete
 * hello is never malformed (it needs more bytes). */
#include "fuzz.h"
#include "net/sni.h"

FUZZ_TARGET(tls_hello)
{
    client_hello h;
    memset(&h, 0x5a, sizeof h);
    int rc = tls_client_hello_parse(data, size, &h);
    FUZZ_CHECK(rc == -1 || rc == 0 || rc == 1);
    if (rc == 1) {
        FUZZ_CHECK(memchr(h.sni, 0, sizeof h.sni) != NULL);
        FUZZ_CHECK(h.nalpn >= 0 && h.nalpn <= 8);
        for (int i = 0; i < h.nalpn; i++) FUZZ_CHECK(memchr(h.alpn[i], 0, sizeof h.alpn[i]) != NULL);
        /* with fewer bytes the same hello is incomplete, not malformed */
        client_hello p;
        for (size_t cut = 0; cut < size; cut += 1 + size / 16) {
            int prc = tls_client_hello_parse(data, cut, &p);
            FUZZ_CHECK(prc != -1);
        }
    }
    sniff_kind k = sniff_protocol(data, size);
    FUZZ_CHECK(k >= SNIFF_MORE && k <= SNIFF_OTHER);
    return 0;
}
