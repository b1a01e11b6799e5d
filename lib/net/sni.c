/* A small, defensive TLS ClientHello reader (RFC 8446 4.1.2, RFC 6066 3,
 * RFC 7301 3.1) and a protocol sniffer.  Every length is checked against what
 * is actually there, so junk gives -1, never a read past the buffer. */
#include <string.h>
#include "net/sni.h"

typedef struct rd { const unsigned char *p; size_t n; } rd;

static int rd_u8(rd *r, unsigned *v) { if (r->n < 1) return -1; *v = r->p[0]; r->p++; r->n--; return 0; }
static int rd_u16(rd *r, unsigned *v)
{
    if (r->n < 2) return -1;
    *v = (unsigned)r->p[0] << 8 | r->p[1];
    r->p += 2; r->n -= 2;
    return 0;
}
static int rd_skip(rd *r, size_t k) { if (r->n < k) return -1; r->p += k; r->n -= k; return 0; }
static int rd_sub(rd *r, size_t k, rd *sub)
{
    if (r->n < k) return -1;
    sub->p = r->p; sub->n = k;
    r->p += k; r->n -= k;
    return 0;
}

static int parse_server_name(rd ext, client_hello *h)
{
    unsigned listlen;
    rd list;
    if (rd_u16(&ext, &listlen) || rd_sub(&ext, listlen, &list)) return -1;
    while (list.n) {
        unsigned type, nlen;
        rd name;
        if (rd_u8(&list, &type) || rd_u16(&list, &nlen) || rd_sub(&list, nlen, &name)) return -1;
        if (type != 0 || h->sni[0]) continue;          /* host_name, first one wins */
        if (nlen == 0 || nlen >= sizeof h->sni) return -1;
        for (size_t i = 0; i < nlen; i++)               /* a DNS name: printable, no NUL */
            if (name.p[i] <= 0x20 || name.p[i] >= 0x7f) return -1;
        memcpy(h->sni, name.p, nlen);
        h->sni[nlen] = 0;
    }
    return 0;
}

static int parse_alpn(rd ext, client_hello *h)
{
    unsigned listlen;
    rd list;
    if (rd_u16(&ext, &listlen) || rd_sub(&ext, listlen, &list)) return -1;
    while (list.n) {
        unsigned plen;
        rd proto;
        if (rd_u8(&list, &plen) || plen == 0 || rd_sub(&list, plen, &proto)) return -1;
        if (h->nalpn < 8 && plen < sizeof h->alpn[0]) {
            memcpy(h->alpn[h->nalpn], proto.p, plen);
            h->alpn[h->nalpn][plen] = 0;
            h->nalpn++;
        }
    }
    return 0;
}

/* The handshake message body, after its 4-byte header. */
static int parse_hello_body(rd b, client_hello *h)
{
    unsigned len;
    rd exts;
    if (rd_skip(&b, 2 + 32)) return -1;                 /* legacy_version, random */
    if (rd_u8(&b, &len) || len > 32 || rd_skip(&b, len)) return -1;    /* session id */
    if (rd_u16(&b, &len) || len < 2 || (len & 1) || rd_skip(&b, len)) return -1; /* suites */
    if (rd_u8(&b, &len) || len < 1 || rd_skip(&b, len)) return -1;     /* compression */
    if (b.n == 0) return 0;                              /* no extensions at all */
    if (rd_u16(&b, &len) || rd_sub(&b, len, &exts)) return -1;
    while (exts.n) {
        unsigned type, elen;
        rd ext;
        if (rd_u16(&exts, &type) || rd_u16(&exts, &elen) || rd_sub(&exts, elen, &ext)) return -1;
        if (type == 0 && parse_server_name(ext, h)) return -1;
        if (type == 16 && parse_alpn(ext, h)) return -1;
    }
    return 0;
}

int tls_client_hello_parse(const unsigned char *buf, size_t len, client_hello *hello)
{
    /* The handshake message may span several records: gather the fragments. */
    unsigned char msg[16384 + 4];
    size_t have = 0, need = 0;
    size_t off = 0;

    memset(hello, 0, sizeof *hello);
    for (;;) {
        if (len - off < 5) return 0;
        const unsigned char *rec = buf + off;
        if (rec[0] != 0x16 || rec[1] != 3 || rec[2] > 4) return -1;
        size_t rlen = (size_t)rec[3] << 8 | rec[4];
        if (rlen == 0 || rlen > 16384 + 256) return -1;
        if (len - off - 5 < rlen) {
            /* Incomplete record: enough to reject a non-ClientHello early. */
            if (have == 0 && len - off > 5 && rec[5] != 1) return -1;
            return 0;
        }
        size_t take = rlen;
        if (have + take > sizeof msg) take = sizeof msg - have;
        memcpy(msg + have, rec + 5, take);
        have += take;
        off += 5 + rlen;
        if (have >= 4 && need == 0) {
            if (msg[0] != 1) return -1;                  /* client_hello */
            need = 4 + ((size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3]);
            if (need > sizeof msg || need < 4 + 2 + 32 + 1 + 2 + 2 + 1 + 1) return -1;
        }
        if (need && have >= need) break;
    }
    rd body = { msg + 4, need - 4 };
    if (parse_hello_body(body, hello)) {
        memset(hello, 0, sizeof *hello);
        return -1;
    }
    return 1;
}

static const char *const http_methods[] = {
    "GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "TRACE ", "CONNECT ", NULL
};

sniff_kind sniff_protocol(const unsigned char *buf, size_t len)
{
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    if (len == 0) return SNIFF_MORE;
    if (buf[0] == 0x16) {
        if (len < 3) return SNIFF_MORE;
        return buf[1] == 3 ? SNIFF_TLS : SNIFF_OTHER;
    }
    size_t pl = sizeof preface - 1;
    if (!memcmp(buf, preface, len < pl ? len : pl))
        return len < pl ? SNIFF_MORE : SNIFF_H2C;
    for (int i = 0; http_methods[i]; i++) {
        size_t ml = strlen(http_methods[i]);
        if (!memcmp(buf, http_methods[i], len < ml ? len : ml)) {
            if (len < ml) return SNIFF_MORE;
            /* the request line must end in " HTTP/1.x" */
            const unsigned char *eol = memchr(buf, '\n', len);
            if (!eol) return len > 8192 ? SNIFF_OTHER : SNIFF_MORE;
            size_t ll = (size_t)(eol - buf);
            if (ll && buf[ll - 1] == '\r') ll--;
            if (ll >= 9 && !memcmp(buf + ll - 9, " HTTP/1.", 8)) return SNIFF_HTTP1;
            return SNIFF_OTHER;
        }
    }
    return SNIFF_OTHER;
}
