/* `openssl s_client` inside a container: a real OpenSSL 3 client over a
 * socket the network engine connects through the simulated mesh, printing
 * what OpenSSL 3.0's s_client prints (standard output: the connection report;
 * standard error: the verification trace, errors and DONE). */
#include "probe/openssl.h"
#include "pki/pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The fd number the real program's socket gets in a fresh process. */
#define SOCKET_FD_SHOWN 3
#define IGN_EOF_WAIT_MS 5000

typedef struct sc_opts {
    char host[256];
    int port;
    const char *servername;
    bool noservername, showcerts, brief, quiet, ign_eof, verify_return_error;
    int verify_depth;              /* -verify N (-1: not given) */
    const char *verify_hostname;
    const char *alpn, *cafile, *cert, *key;
    int min_version, max_version;
} sc_opts;

typedef struct sc_run {
    exec_ctx *x;
    sc_opts *o;
    BIO *out, *err;
} sc_run;

static int verify_index = -1;

/* ---- options ---------------------------------------------------------- */

static int parse_connect(sc_opts *o, const char *arg)
{
    const char *colon = strrchr(arg, ':');
    const char *h = arg;
    size_t hl = colon ? (size_t)(colon - arg) : strlen(arg);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') h++, hl -= 2;   /* [v6]:port */
    if (hl >= sizeof o->host) return -1;
    if (hl) {
        memcpy(o->host, h, hl);
        o->host[hl] = 0;
    }
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (!colon[1]) return -1;
        if (*end) {
            /* a service name, as getaddrinfo takes it; unknown ones fail at connect time */
            struct servent *se = getservbyname(colon + 1, "tcp");
            o->port = se ? ntohs((uint16_t)se->s_port) : -1;
        } else {
            o->port = (int)(p & 0xffff);   /* getaddrinfo keeps the low 16 bits */
        }
    }
    return 0;
}

static int unknown_option(sc_run *r, const char *opt)
{
    BIO_printf(r->err, "s_client: Unknown option: %s\ns_client: Use -help for summary.\n", opt);
    return 1;
}

static int needs_value(sc_run *r, const char *opt)
{
    BIO_printf(r->err, "s_client: Option -%s needs a value\ns_client: Use -help for summary.\n", opt);
    return 1;
}

static int parse_args(sc_run *r, int argc, char **argv)
{
    sc_opts *o = r->o;
    strcpy(o->host, "localhost");
    o->port = 4433;
    o->verify_depth = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *name = a[0] == '-' ? a + 1 + (a[1] == '-') : NULL;
        if (!name) {
            /* options end at the first operand: one operand is the target host:port */
            bool has_connect = false;
            for (int k = 1; k < i; k++) has_connect |= !strcmp(argv[k], "-connect");
            if (i + 1 != argc) {
                BIO_printf(r->err, "s_client: Use -help for summary.\n");
                return 1;
            }
            if (has_connect) {
                BIO_printf(r->err, "s_client: cannot provide both -connect option and target parameter\n"
                                   "s_client: Use -help for summary.\n");
                return 1;
            }
            if (parse_connect(o, a)) {
                BIO_printf(r->err, "s_client: -connect argument or target parameter malformed or ambiguous\n");
                return 1;
            }
            break;
        }
        static const char *const with_value[] = {"connect", "servername", "alpn", "CAfile", "cert", "key",
                                                 "verify", "verify_hostname", "host", "port", NULL};
        const char *val = NULL;
        for (int k = 0; with_value[k]; k++)
            if (!strcmp(name, with_value[k])) {
                if (i + 1 >= argc) return needs_value(r, name);
                val = argv[++i];
            }
        if (!strcmp(name, "connect")) {
            if (parse_connect(o, val)) {
                BIO_printf(r->err, "s_client: -connect argument or target parameter malformed or ambiguous\n");
                return 1;
            }
        } else if (!strcmp(name, "host")) snprintf(o->host, sizeof o->host, "%s", val);
        else if (!strcmp(name, "port")) o->port = atoi(val);
        else if (!strcmp(name, "servername")) o->servername = val;
        else if (!strcmp(name, "alpn")) o->alpn = val;
        else if (!strcmp(name, "CAfile")) o->cafile = val;
        else if (!strcmp(name, "cert")) o->cert = val;
        else if (!strcmp(name, "key")) o->key = val;
        else if (!strcmp(name, "verify")) {
            o->verify_depth = atoi(val);
            BIO_printf(r->err, "verify depth is %d\n", o->verify_depth);
        }
        else if (!strcmp(name, "verify_hostname")) o->verify_hostname = val;
        else if (!strcmp(name, "noservername")) o->noservername = true;
        else if (!strcmp(name, "showcerts")) o->showcerts = true;
        else if (!strcmp(name, "brief")) o->brief = true;
        else if (!strcmp(name, "quiet")) o->quiet = o->ign_eof = true;
        else if (!strcmp(name, "ign_eof")) o->ign_eof = true;
        else if (!strcmp(name, "no_ign_eof")) o->ign_eof = false;
        else if (!strcmp(name, "verify_return_error")) o->verify_return_error = true;
        else if (!strcmp(name, "tls1_2")) o->min_version = o->max_version = TLS1_2_VERSION;
        else if (!strcmp(name, "tls1_3")) o->min_version = o->max_version = TLS1_3_VERSION;
        else if (!strcmp(name, "no_tls1_3")) o->max_version = TLS1_2_VERSION;
        else return unknown_option(r, a);
    }
    if (o->servername && o->noservername) {
        BIO_printf(r->err, "s_client: Can't use -servername and -noservername together\n");
        return 1;
    }
    return 0;
}

/* "h2,http/1.1" in ALPN wire format; NULL on a bad list. */
static unsigned char *alpn_wire(const char *list, unsigned *len)
{
    size_t n = strlen(list);
    unsigned char *w = malloc(n + 1);
    if (!w) return NULL;
    size_t out = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || list[i] == ',') {
            size_t l = i - start;
            if (l == 0 || l > 255) {
                free(w);
                return NULL;
            }
            w[out++] = (unsigned char)l;
            memcpy(w + out, list + start, l);
            out += l;
            start = i + 1;
        }
    }
    *len = (unsigned)out;
    return w;
}

/* ---- the verification trace --------------------------------------------- */

static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    sc_run *r = ssl ? SSL_get_ex_data(ssl, verify_index) : NULL;
    if (!r) return ok;
    X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
    int err = X509_STORE_CTX_get_error(ctx);
    int depth = X509_STORE_CTX_get_error_depth(ctx);
    BIO *b = r->err;
    bool quiet = r->o->brief;
    if (!quiet || !ok) {
        BIO_printf(b, "depth=%d ", depth);
        if (cert) openssl_print_name(b, X509_get_subject_name(cert));
        else BIO_puts(b, "<no cert>");
        BIO_puts(b, "\n");
    }
    if (!ok) {
        BIO_printf(b, "verify error:num=%d:%s\n", err, X509_verify_cert_error_string(err));
        if (r->o->verify_depth >= 0 && depth > r->o->verify_depth) ok = 1;
        else if (!r->o->verify_return_error) ok = 1;
    }
    /* the error stays set on the context, so later certificates show it too */
    switch (err) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        if (cert) {
            BIO_puts(b, "issuer= ");
            openssl_print_name(b, X509_get_issuer_name(cert));
            BIO_puts(b, "\n");
        }
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
        if (cert) {
            BIO_puts(b, "notBefore=");
            ASN1_TIME_print(b, X509_get0_notBefore(cert));
            BIO_puts(b, "\n");
        }
        break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
        if (cert) {
            BIO_puts(b, "notAfter=");
            ASN1_TIME_print(b, X509_get0_notAfter(cert));
            BIO_puts(b, "\n");
        }
        break;
    default:
        break;
    }
    if (!quiet && ok) BIO_printf(b, "verify return:%d\n", ok);
    return ok;
}

/* ---- the report -------------------------------------------------------- */

static const char *sig_type_name(int nid)
{
    switch (nid) {
    case EVP_PKEY_RSA: return "RSA";
    case EVP_PKEY_RSA_PSS: return "RSA-PSS";
    case EVP_PKEY_DSA: return "DSA";
    case EVP_PKEY_EC: return "ECDSA";
    case NID_ED25519: return "Ed25519";
    case NID_ED448: return "Ed448";
    default: return OBJ_nid2sn(nid);
    }
}

static void print_tmp_key(BIO *b, SSL *ssl, const char *label)
{
    EVP_PKEY *k = NULL;
    if (!SSL_get_peer_tmp_key(ssl, &k)) return;
    BIO_printf(b, "%s: ", label);
    int bits = EVP_PKEY_get_bits(k);
    switch (EVP_PKEY_get_id(k)) {
    case EVP_PKEY_RSA: BIO_printf(b, "RSA, %d bits\n", bits); break;
    case EVP_PKEY_DH: BIO_printf(b, "DH, %d bits\n", bits); break;
    case EVP_PKEY_EC: {
        char curve[64] = "";
        size_t cl = 0;
        EVP_PKEY_get_utf8_string_param(k, "group", curve, sizeof curve, &cl);
        int nid = OBJ_txt2nid(curve);
        const char *cname = EC_curve_nid2nist(nid);
        BIO_printf(b, "ECDH, %s, %d bits\n", cname ? cname : (nid ? OBJ_nid2sn(nid) : curve), bits);
        break;
    }
    default: BIO_printf(b, "%s, %d bits\n", OBJ_nid2sn(EVP_PKEY_get_id(k)), bits); break;
    }
    EVP_PKEY_free(k);
}

static void print_sigalgs(BIO *b, SSL *ssl)
{
    int nid;
    if (SSL_get_peer_signature_nid(ssl, &nid) && nid != NID_undef)
        BIO_printf(b, "Peer signing digest: %s\n", OBJ_nid2sn(nid));
    if (SSL_get_peer_signature_type_nid(ssl, &nid))
        BIO_printf(b, "Peer signature type: %s\n", sig_type_name(nid));
}

/* One TLS signature scheme as "ECDSA+SHA256", or its TLS 1.3 name when
 * key type and hash do not tell it apart (ed25519, rsa_pss_pss_*). */
static void print_sigalg(BIO *b, int sign_nid, int hash_nid, unsigned char rsig, unsigned char rhash)
{
    unsigned code = (unsigned)rhash << 8 | rsig;
    static const struct { unsigned code; const char *name; } named[] = {
        {0x0807, "ed25519"}, {0x0808, "ed448"}, {0x0809, "rsa_pss_pss_sha256"},
        {0x080a, "rsa_pss_pss_sha384"}, {0x080b, "rsa_pss_pss_sha512"},
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (named[i].code == code) {
            BIO_puts(b, named[i].name);
            return;
        }
    const char *sign = sign_nid == EVP_PKEY_RSA ? "RSA" : sign_nid == EVP_PKEY_RSA_PSS ? "RSA-PSS"
                       : sign_nid == EVP_PKEY_DSA ? "DSA" : sign_nid == EVP_PKEY_EC ? "ECDSA" : NULL;
    if (sign) BIO_puts(b, sign);
    else BIO_printf(b, "0x%02X", rsig);
    if (hash_nid != NID_undef) BIO_printf(b, "+%s", OBJ_nid2sn(hash_nid));
    else if (!sign) BIO_printf(b, "+0x%02X", rhash);
}

/* What the server's CertificateRequest asked for (nothing when none came). */
static void print_requested_sigalgs(BIO *b, SSL *ssl)
{
    int n = SSL_get_sigalgs(ssl, -1, NULL, NULL, NULL, NULL, NULL);
    if (n <= 0) return;
    BIO_puts(b, "Requested Signature Algorithms: ");
    for (int i = 0; i < n; i++) {
        int sn, hn;
        unsigned char rs, rh;
        SSL_get_sigalgs(ssl, i, &sn, &hn, NULL, &rs, &rh);
        if (i) BIO_puts(b, ":");
        print_sigalg(b, sn, hn, rs, rh);
    }
    BIO_puts(b, "\n");
    /* unlike SSL_get_sigalgs, a negative index does not ask for the count */
    n = SSL_get_shared_sigalgs(ssl, 0, NULL, NULL, NULL, NULL, NULL);
    if (n <= 0) return;
    BIO_puts(b, "Shared Requested Signature Algorithms: ");
    for (int i = 0; i < n; i++) {
        int sn, hn;
        unsigned char rs, rh;
        SSL_get_shared_sigalgs(ssl, i, &sn, &hn, NULL, &rs, &rh);
        if (i) BIO_puts(b, ":");
        print_sigalg(b, sn, hn, rs, rh);
    }
    BIO_puts(b, "\n");
}

/* TLS 1.2 CertificateRequest certificate types. */
static void print_cert_types(BIO *b, SSL *ssl)
{
    const unsigned char *types;
    int n = (int)SSL_get0_certificate_types(ssl, &types);
    if (n <= 0) return;
    BIO_puts(b, "Client Certificate Types: ");
    for (int i = 0; i < n; i++) {
        const char *name = types[i] == 1 ? "RSA sign" : types[i] == 2 ? "DSA sign"
                           : types[i] == 3 ? "RSA fixed DH" : types[i] == 4 ? "DSS fixed DH"
                           : types[i] == 64 ? "ECDSA sign" : types[i] == 65 ? "RSA fixed ECDH"
                           : types[i] == 66 ? "ECDSA fixed ECDH" : NULL;
        if (i) BIO_puts(b, ", ");
        if (name) BIO_puts(b, name);
        else BIO_printf(b, "UNKNOWN (%d),", types[i]);
    }
    BIO_puts(b, "\n");
}

static void print_client_ca_names(BIO *b, SSL *ssl)
{
    STACK_OF(X509_NAME) *names = SSL_get_client_CA_list(ssl);
    if (names && sk_X509_NAME_num(names) > 0) {
        BIO_puts(b, "Acceptable client certificate CA names\n");
        for (int i = 0; i < sk_X509_NAME_num(names); i++) {
            openssl_print_name(b, sk_X509_NAME_value(names, i));
            BIO_puts(b, "\n");
        }
    } else {
        BIO_puts(b, "No client certificate CA names sent\n");
    }
}

static void print_chain(BIO *b, SSL *ssl, bool showcerts)
{
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    if (!chain || sk_X509_num(chain) == 0) return;
    BIO_puts(b, "Certificate chain\n");
    for (int i = 0; i < sk_X509_num(chain); i++) {
        X509 *c = sk_X509_value(chain, i);
        BIO_printf(b, "%2d s:", i);
        openssl_print_name(b, X509_get_subject_name(c));
        BIO_puts(b, "\n   i:");
        openssl_print_name(b, X509_get_issuer_name(c));
        BIO_puts(b, "\n");
        EVP_PKEY *pk = X509_get0_pubkey(c);
        if (pk) {
            BIO_printf(b, "   a:PKEY: %s, %d (bit); sigalg: %s\n", OBJ_nid2ln(EVP_PKEY_get_base_id(pk)),
                       EVP_PKEY_get_bits(pk), OBJ_nid2ln(X509_get_signature_nid(c)));
        }
        BIO_puts(b, "   v:NotBefore: ");
        ASN1_TIME_print(b, X509_get0_notBefore(c));
        BIO_puts(b, "; NotAfter: ");
        ASN1_TIME_print(b, X509_get0_notAfter(c));
        BIO_puts(b, "\n");
        if (showcerts) PEM_write_bio_X509(b, c);
    }
    BIO_puts(b, "---\n");
}

static void print_report(sc_run *r, SSL *ssl)
{
    BIO *b = r->out;
    BIO_puts(b, "---\n");
    print_chain(b, ssl, r->o->showcerts);
    X509 *peer = SSL_get0_peer_certificate(ssl);
    if (peer) {
        BIO_puts(b, "Server certificate\n");
        if (!r->o->showcerts) PEM_write_bio_X509(b, peer);   /* already shown with the chain */
        BIO_puts(b, "subject=");
        openssl_print_name(b, X509_get_subject_name(peer));
        BIO_puts(b, "\nissuer=");
        openssl_print_name(b, X509_get_issuer_name(peer));
        BIO_puts(b, "\n");
    } else {
        BIO_puts(b, "no peer certificate available\n");
    }
    BIO_puts(b, "---\n");
    print_client_ca_names(b, ssl);
    print_cert_types(b, ssl);
    print_requested_sigalgs(b, ssl);
    print_sigalgs(b, ssl);
    print_tmp_key(b, ssl, "Server Temp Key");
    const char *peername = SSL_get0_peername(ssl);
    if (peername && SSL_get_verify_result(ssl) == X509_V_OK) BIO_printf(b, "Verified peername: %s\n", peername);
    BIO *rb = SSL_get_rbio(ssl), *wb = SSL_get_wbio(ssl);
    BIO_printf(b, "---\nSSL handshake has read %ju bytes and written %ju bytes\n",
               (uintmax_t)(rb ? BIO_number_read(rb) : 0), (uintmax_t)(wb ? BIO_number_written(wb) : 0));
    long vr = SSL_get_verify_result(ssl);
    if (vr == X509_V_OK) BIO_puts(b, "Verification: OK\n");
    else BIO_printf(b, "Verification error: %s\n", X509_verify_cert_error_string(vr));
    BIO_puts(b, "---\n");

    const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
    BIO_printf(b, "%s, %s, Cipher is %s\n", SSL_session_reused(ssl) ? "Reused" : "New",
               c ? SSL_CIPHER_get_version(c) : "(NONE)", c ? SSL_CIPHER_get_name(c) : "(NONE)");
    if (peer) {
        EVP_PKEY *pk = X509_get0_pubkey(peer);
        if (pk) BIO_printf(b, "Server public key is %d bit\n", EVP_PKEY_get_bits(pk));
    }
    BIO_printf(b, "Secure Renegotiation IS%s supported\n", SSL_get_secure_renegotiation_support(ssl) ? "" : " NOT");
    BIO_puts(b, "Compression: NONE\nExpansion: NONE\n");
    const unsigned char *proto;
    unsigned plen;
    SSL_get0_alpn_selected(ssl, &proto, &plen);
    if (plen) {
        BIO_puts(b, "ALPN protocol: ");
        BIO_write(b, proto, (int)plen);
        BIO_puts(b, "\n");
    } else {
        BIO_puts(b, "No ALPN negotiated\n");
    }
    SSL_SESSION *sess = SSL_get_session(ssl);
    if (SSL_version(ssl) == TLS1_3_VERSION) {
        int ed = SSL_get_early_data_status(ssl);
        BIO_printf(b, "Early data was %s\n", ed == SSL_EARLY_DATA_ACCEPTED   ? "accepted"
                                             : ed == SSL_EARLY_DATA_REJECTED ? "rejected"
                                                                             : "not sent");
        BIO_printf(b, "Verify return code: %ld (%s)\n", vr, X509_verify_cert_error_string(vr));
    } else if (sess) {
        SSL_SESSION_print(b, sess);
    }
    BIO_puts(b, "---\n");
}

static void print_brief(sc_run *r, SSL *ssl)
{
    BIO *b = r->err;
    BIO_puts(b, "CONNECTION ESTABLISHED\n");
    BIO_printf(b, "Protocol version: %s\n", SSL_get_version(ssl));
    const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
    BIO_printf(b, "Ciphersuite: %s\n", c ? SSL_CIPHER_get_name(c) : "(NONE)");
    X509 *peer = SSL_get0_peer_certificate(ssl);
    if (peer) {
        BIO_puts(b, "Peer certificate: ");
        openssl_print_name(b, X509_get_subject_name(peer));
        BIO_puts(b, "\n");
    } else {
        BIO_puts(b, "No peer certificate\n");
    }
    int nid;
    if (SSL_get_peer_signature_nid(ssl, &nid) && nid != NID_undef)
        BIO_printf(b, "Hash used: %s\n", OBJ_nid2sn(nid));
    if (SSL_get_peer_signature_type_nid(ssl, &nid))
        BIO_printf(b, "Signature type: %s\n", sig_type_name(nid));
    long vr = SSL_get_verify_result(ssl);
    if (vr == X509_V_OK) {
        const char *peername = SSL_get0_peername(ssl);
        BIO_puts(b, "Verification: OK\n");
        if (peername) BIO_printf(b, "Verified peername: %s\n", peername);
    } else {
        BIO_printf(b, "Verification error: %s\n", X509_verify_cert_error_string(vr));
    }
    print_tmp_key(b, ssl, "Server Temp Key");
    const unsigned char *proto;
    unsigned plen;
    SSL_get0_alpn_selected(ssl, &proto, &plen);
    if (plen) {
        BIO_puts(b, "ALPN protocol: ");
        BIO_write(b, proto, (int)plen);
        BIO_puts(b, "\n");
    }
}

/* ---- set-up -------------------------------------------------------------- */

/* Errors as OpenSSL's own BIO_connect would queue them. */
#define DIAL_BAD_SERVICE (-100002)

static void dial_error(sc_run *r, int rc)
{
    if (rc == PROBE_DIAL_NXDOMAIN || rc == PROBE_DIAL_DNS_TIMEOUT || rc == DIAL_BAD_SERVICE) {
        ERR_new();
        ERR_set_debug("../crypto/bio/bio_addr.c", 746, "BIO_lookup_ex");
        ERR_set_error(ERR_LIB_BIO, ERR_R_SYS_LIB, "%s",
                      rc == PROBE_DIAL_NXDOMAIN ? "Name or service not known"
                      : rc == DIAL_BAD_SERVICE  ? "Servname not supported for ai_socktype"
                                                : "Temporary failure in name resolution");
        ERR_print_errors(r->err);
        BIO_puts(r->err, "connect:errno=0\n");
        return;
    }
    int e = rc < 0 ? -rc : ECONNREFUSED;
    ERR_new();
    ERR_set_debug("../crypto/bio/bio_sock2.c", 117, "BIO_connect");
    ERR_set_error(ERR_LIB_SYS, e, "calling connect()");
    ERR_new();
    ERR_set_debug("../crypto/bio/bio_sock2.c", 119, "BIO_connect");
    ERR_set_error(ERR_LIB_BIO, BIO_R_CONNECT_ERROR, NULL);
    ERR_print_errors(r->err);
    BIO_printf(r->err, "connect:errno=%d\n", e);
}

static int load_trust(sc_run *r, SSL_CTX *ctx)
{
    size_t len = 0;
    char *pem = r->o->cafile ? openssl_read_file(r->x, r->o->cafile, &len) : pki_trust_bundle_pem(r->x->st);
    if (!pem) {
        if (r->o->cafile) BIO_printf(r->err, "Error loading file %s\n", r->o->cafile);
        return -1;
    }
    int rc = pki_ctx_trust_pem(ctx, pem);
    if (rc && r->o->cafile) BIO_printf(r->err, "Error loading file %s\n", r->o->cafile);
    free(pem);
    ERR_clear_error();
    return rc;
}

static int load_client_cert(sc_run *r, SSL_CTX *ctx)
{
    if (!r->o->cert) return 0;
    size_t cl = 0, kl = 0;
    char *cert = openssl_read_file(r->x, r->o->cert, &cl);
    if (!cert) {
        BIO_printf(r->err, "Could not open file or uri for loading client certificate from %s\n"
                           "Unable to load client certificate\n", r->o->cert);
        return -1;
    }
    const char *keyfile = r->o->key ? r->o->key : r->o->cert;
    char *key = openssl_read_file(r->x, keyfile, &kl);
    if (!key) {
        BIO_printf(r->err, "Could not open file or uri for loading client certificate private key from %s\n"
                           "Unable to load client certificate private key\n", keyfile);
        free(cert);
        return -1;
    }
    int rc = pki_ctx_use_pem(ctx, cert, key);
    if (rc) BIO_printf(r->err, "error setting certificate\n");
    free(cert);
    free(key);
    ERR_clear_error();
    return rc;
}

static bool is_ip_literal(const char *h)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

static SSL_CTX *make_ctx(sc_run *r)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return NULL;
    if ((r->o->min_version && !SSL_CTX_set_min_proto_version(ctx, r->o->min_version)) ||
        (r->o->max_version && !SSL_CTX_set_max_proto_version(ctx, r->o->max_version)) ||
        load_trust(r, ctx) || load_client_cert(r, ctx)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, r->o->verify_return_error ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, verify_cb);
    if (r->o->verify_depth >= 0) SSL_CTX_set_verify_depth(ctx, r->o->verify_depth);
    return ctx;
}

/* After the handshake: what stdin holds goes to the server; with -ign_eof
 * (or -quiet) the answer is printed until the server closes.  Returns -1
 * when the connection failed (a TLS alert, a reset), as the exit code shows. */
static int converse(sc_run *r, SSL *ssl, int fd)
{
    size_t n = 0;
    char *input = NULL;
    if (r->x->in) {
        char buf[4096];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, r->x->in)) > 0) {
            char *ni = realloc(input, n + got);
            if (!ni) break;
            input = ni;
            memcpy(input + n, buf, got);
            n += got;
        }
    }
    if (n) SSL_write(ssl, input, (int)n);
    free(input);
    if (!r->o->ign_eof) return 0;
    for (;;) {
        if (!SSL_pending(ssl)) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            if (poll(&p, 1, IGN_EOF_WAIT_MS) <= 0) return 0;
        }
        char buf[16384];
        int got = SSL_read(ssl, buf, sizeof buf);
        if (got > 0) {
            BIO_write(r->out, buf, got);
            continue;
        }
        int e = SSL_get_error(ssl, got);
        if (e == SSL_ERROR_WANT_READ) continue;
        if (e == SSL_ERROR_ZERO_RETURN) {
            if (!r->o->quiet) BIO_puts(r->out, "closed\n");
            return 0;
        }
        if (ERR_peek_error()) ERR_print_errors(r->err);
        else BIO_printf(r->err, "read:errno=%d\n", errno);
        return -1;
    }
}

int openssl_s_client(exec_ctx *x, int argc, char **argv, probe_dial_fn dial, void *dial_arg)
{
    sc_opts o = {0};
    sc_run r = {.x = x, .o = &o, .out = BIO_new_fp(x->out, BIO_NOCLOSE), .err = BIO_new_fp(x->err, BIO_NOCLOSE)};
    int rc = 1, fd = -1;
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    unsigned char *alpn = NULL;
    unsigned alpn_len = 0;
    if (!r.out || !r.err) goto done;
    /* a server that hangs up must not kill the whole process on our next write */
    signal(SIGPIPE, SIG_IGN);
    if (parse_args(&r, argc, argv)) goto done;
    if (o.alpn && !(alpn = alpn_wire(o.alpn, &alpn_len))) {
        BIO_printf(r.err, "Error parsing -alpn argument\n");
        goto done;
    }
    if (verify_index < 0) verify_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    if (!(ctx = make_ctx(&r))) {
        ERR_print_errors(r.err);
        goto done;
    }
    fd = o.port < 0 ? DIAL_BAD_SERVICE : dial ? dial(dial_arg, o.host, o.port) : -ECONNREFUSED;
    if (fd < 0) {
        dial_error(&r, fd);
        fd = -1;
        goto done;
    }
    if (!o.brief) BIO_printf(r.out, "CONNECTED(%08X)\n", SOCKET_FD_SHOWN);
    ssl = SSL_new(ctx);
    if (!ssl || !SSL_set_fd(ssl, fd) || !SSL_set_ex_data(ssl, verify_index, &r)) goto done;
    const char *sni = o.servername ? o.servername : (!o.noservername && !is_ip_literal(o.host) ? o.host : NULL);
    if (sni) SSL_set_tlsext_host_name(ssl, sni);
    if (alpn) SSL_set_alpn_protos(ssl, alpn, alpn_len);
    if (o.verify_hostname) SSL_set1_host(ssl, o.verify_hostname);
    if (!sni) BIO_puts(r.err, "Can't use SSL_get_servername\n");
    errno = 0;
    int hs = SSL_connect(ssl);
    if (hs != 1) {
        if (SSL_get_error(ssl, hs) == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
            BIO_printf(r.err, "write:errno=%d\n", errno);
        ERR_print_errors(r.err);
        print_report(&r, ssl);
        goto done;
    }
    if (o.brief) print_brief(&r, ssl);
    else if (!o.quiet) print_report(&r, ssl);
    (void)BIO_flush(r.out);
    if (converse(&r, ssl, fd)) goto done;
    BIO_puts(r.err, "DONE\n");
    SSL_shutdown(ssl);
    rc = 0;
done:
    if (r.out) (void)BIO_flush(r.out);
    if (r.err) (void)BIO_flush(r.err);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    free(alpn);
    if (fd >= 0) close(fd);
    BIO_free(r.out);
    BIO_free(r.err);
    ERR_clear_error();
    return rc;
}
