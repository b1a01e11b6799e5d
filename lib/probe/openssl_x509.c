/* `openssl x509` and `openssl verify` inside a container, over the files the
 * container sees (or standard input), printed as OpenSSL 3.0 prints them. */
#include "probe/openssl.h"
#include "pki/pki.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- x509 ----------------------------------------------------------------- */

/* Printed in the order of their (last) option, as the real command does. */
enum { P_TEXT, P_SUBJECT, P_ISSUER, P_SERIAL, P_FINGERPRINT, P_STARTDATE, P_ENDDATE, P_PUBKEY, P_EXT, P_COUNT };

static void print_time_line(BIO *b, const char *label, const ASN1_TIME *t)
{
    BIO_printf(b, "%s=", label);
    ASN1_TIME_print(b, t);
    BIO_puts(b, "\n");
}

static void print_fingerprint(BIO *b, X509 *x, const char *digest)
{
    const EVP_MD *md = EVP_get_digestbyname(digest ? digest : "sha1");
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (!md || !X509_digest(x, md, buf, &n)) {
        BIO_puts(b, "Out of memory\n");
        return;
    }
    BIO_printf(b, "%s Fingerprint=", digest ? digest : "SHA1");
    for (unsigned i = 0; i < n; i++) BIO_printf(b, "%02X%c", buf[i], i + 1 == n ? '\n' : ':');
}

/* -ext subjectAltName,keyUsage: each named extension with its value. */
static int print_exts(BIO *b, X509 *x, const char *names)
{
    char *list = strdup(names), *save = NULL;
    int rc = 0;
    for (char *n = list ? strtok_r(list, ",", &save) : NULL; n; n = strtok_r(NULL, ",", &save)) {
        int nid = OBJ_sn2nid(n);
        if (nid == NID_undef) nid = OBJ_ln2nid(n);
        if (nid == NID_undef) {
            rc = -1;
            continue;
        }
        int at = X509_get_ext_by_NID(x, nid, -1);
        if (at < 0) continue;
        X509_EXTENSION *e = X509_get_ext(x, at);
        i2a_ASN1_OBJECT(b, X509_EXTENSION_get_object(e));
        BIO_printf(b, ": %s\n", X509_EXTENSION_get_critical(e) ? "critical" : "");
        if (!X509V3_EXT_print(b, e, 0, 4)) ASN1_STRING_print(b, X509_EXTENSION_get_data(e));
        BIO_puts(b, "\n");
    }
    free(list);
    return rc;
}

int openssl_x509(exec_ctx *x, int argc, char **argv)
{
    BIO *out = BIO_new_fp(x->out, BIO_NOCLOSE), *err = BIO_new_fp(x->err, BIO_NOCLOSE);
    const char *in = NULL, *digest = NULL, *exts = NULL;
    bool noout = false;
    int order[P_COUNT] = {0}, seq = 0, rc = 1;
    X509 *cert = NULL;
    char *pem = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i][0] == '-' ? argv[i] + 1 : NULL;
        if (!a) {   /* x509 takes no operands */
            BIO_printf(err, "x509: Use -help for summary.\n");
            goto done;
        }
        if (!strcmp(a, "in") || !strcmp(a, "ext") || !strcmp(a, "inform") || !strcmp(a, "nameopt")) {
            if (i + 1 >= argc) {
                BIO_printf(err, "x509: Option -%s needs a value\nx509: Use -help for summary.\n", a);
                goto done;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "in")) in = v;
            else if (!strcmp(a, "ext")) exts = v, order[P_EXT] = ++seq;
            else if (!strcmp(a, "inform") && strcasecmp(v, "PEM")) {
                BIO_printf(err, "x509: only PEM input is supported here\n");
                goto done;
            }
        } else if (!strcmp(a, "noout")) noout = true;
        else if (!strcmp(a, "text")) order[P_TEXT] = ++seq;
        else if (!strcmp(a, "subject")) order[P_SUBJECT] = ++seq;
        else if (!strcmp(a, "issuer")) order[P_ISSUER] = ++seq;
        else if (!strcmp(a, "serial")) order[P_SERIAL] = ++seq;
        else if (!strcmp(a, "fingerprint")) order[P_FINGERPRINT] = ++seq;
        else if (!strcmp(a, "startdate")) order[P_STARTDATE] = ++seq;
        else if (!strcmp(a, "enddate")) order[P_ENDDATE] = ++seq;
        else if (!strcmp(a, "dates")) order[P_STARTDATE] = ++seq, order[P_ENDDATE] = ++seq;
        else if (!strcmp(a, "pubkey")) order[P_PUBKEY] = ++seq;
        else if (!strcmp(a, "sha1") || !strcmp(a, "sha256") || !strcmp(a, "sha384") || !strcmp(a, "sha512") ||
                 !strcmp(a, "md5"))
            digest = a;
        else {
            BIO_printf(err, "x509: Unknown option: %s\nx509: Use -help for summary.\n", argv[i]);
            goto done;
        }
    }
    size_t len = 0;
    pem = openssl_read_file(x, in, &len);
    if (!pem) {
        BIO_printf(err, "Could not open file or uri for loading certificate from %s\nUnable to load certificate\n", in);
        goto done;
    }
    STACK_OF(X509) *sk = pki_pem_to_certs(pem, len);
    if (sk) {
        cert = sk_X509_shift(sk);
        sk_X509_pop_free(sk, X509_free);
    }
    if (!cert) {
        BIO_printf(err, "Could not read certificate from %s\nUnable to load certificate\n", in ? in : "<stdin>");
        goto done;
    }
    rc = 0;
    for (int pos = 1; pos <= seq; pos++) {
        int what = -1;
        for (int k = 0; k < P_COUNT; k++)
            if (order[k] == pos) what = k;
        switch (what) {
        case P_TEXT: X509_print_ex(out, cert, OPENSSL_NAME_FLAGS, 0); break;
        case P_SUBJECT:
            BIO_puts(out, "subject=");
            openssl_print_name(out, X509_get_subject_name(cert));
            BIO_puts(out, "\n");
            break;
        case P_ISSUER:
            BIO_puts(out, "issuer=");
            openssl_print_name(out, X509_get_issuer_name(cert));
            BIO_puts(out, "\n");
            break;
        case P_SERIAL:
            BIO_puts(out, "serial=");
            i2a_ASN1_INTEGER(out, X509_get0_serialNumber(cert));
            BIO_puts(out, "\n");
            break;
        case P_FINGERPRINT: print_fingerprint(out, cert, digest); break;
        case P_STARTDATE: print_time_line(out, "notBefore", X509_get0_notBefore(cert)); break;
        case P_ENDDATE: print_time_line(out, "notAfter", X509_get0_notAfter(cert)); break;
        case P_PUBKEY: PEM_write_bio_PUBKEY(out, X509_get0_pubkey(cert)); break;
        case P_EXT:
            if (print_exts(out, cert, exts)) {
                BIO_printf(err, "Invalid extension names: %s\n", exts);
                rc = 1;
            }
            break;
        default: break;
        }
    }
    if (!noout) PEM_write_bio_X509(out, cert);
done:
    X509_free(cert);
    free(pem);
    (void)BIO_flush(out);
    (void)BIO_flush(err);
    BIO_free(out);
    BIO_free(err);
    ERR_clear_error();
    return rc;
}

/* ---- verify --------------------------------------------------------------- */

static STACK_OF(X509) *load_certs(exec_ctx *x, BIO *err, const char *path)
{
    size_t len = 0;
    char *pem = openssl_read_file(x, path, &len);
    STACK_OF(X509) *sk = pem ? pki_pem_to_certs(pem, len) : NULL;
    if (!sk) BIO_printf(err, "Error loading file %s\n", path);
    free(pem);
    return sk;
}

static int verify_one(exec_ctx *x, BIO *out, BIO *err, X509_STORE *trust, STACK_OF(X509) *untrusted,
                      const char *path)
{
    size_t len = 0;
    char *pem = openssl_read_file(x, path, &len);
    STACK_OF(X509) *sk = pem ? pki_pem_to_certs(pem, len) : NULL;
    free(pem);
    const char *shown = path ? path : "stdin";
    if (!sk) {
        BIO_printf(err, "Could not %s certificate from %s\nUnable to load certificate file\n",
                   path && !pem ? "open file or uri for loading" : "read", path ? path : "stdin");
        BIO_printf(err, "error %s: verification failed\n", shown);
        return -1;
    }
    X509 *cert = sk_X509_value(sk, 0);
    X509_STORE_CTX *c = X509_STORE_CTX_new();
    int ok = c && X509_STORE_CTX_init(c, trust, cert, untrusted) == 1 && X509_verify_cert(c) == 1;
    if (ok) {
        BIO_printf(out, "%s: OK\n", shown);
    } else if (c) {
        int e = X509_STORE_CTX_get_error(c);
        X509 *cur = X509_STORE_CTX_get_current_cert(c);
        if (cur) {
            openssl_print_name(err, X509_get_subject_name(cur));
            BIO_puts(err, "\n");
        }
        BIO_printf(err, "error %d at %d depth lookup: %s\n", e, X509_STORE_CTX_get_error_depth(c),
                   X509_verify_cert_error_string(e));
        BIO_printf(err, "error %s: verification failed\n", shown);
    }
    X509_STORE_CTX_free(c);
    sk_X509_pop_free(sk, X509_free);
    return ok ? 0 : -1;
}

int openssl_verify(exec_ctx *x, int argc, char **argv)
{
    BIO *out = BIO_new_fp(x->out, BIO_NOCLOSE), *err = BIO_new_fp(x->err, BIO_NOCLOSE);
    X509_STORE *trust = X509_STORE_new();
    STACK_OF(X509) *untrusted = NULL, *cas = NULL;
    const char *cafile = NULL;
    int rc = 1, i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i] + 1;
        if (!strcmp(a, "CAfile") || !strcmp(a, "untrusted")) {
            if (i + 1 >= argc) {
                BIO_printf(err, "verify: Option -%s needs a value\nverify: Use -help for summary.\n", a);
                goto done;
            }
            if (!strcmp(a, "CAfile")) {
                cafile = argv[++i];
                if (!(cas = load_certs(x, err, cafile))) goto done;
            } else {
                STACK_OF(X509) *more = load_certs(x, err, argv[++i]);
                if (!more) goto done;
                if (!untrusted) untrusted = sk_X509_new_null();
                while (sk_X509_num(more)) sk_X509_push(untrusted, sk_X509_shift(more));
                sk_X509_free(more);
            }
        } else {
            BIO_printf(err, "verify: Unknown option: %s\nverify: Use -help for summary.\n", argv[i]);
            goto done;
        }
    }
    if (!cafile) {
        /* the image's CA bundle, as OpenSSL's default verify paths */
        size_t len = 0;
        char *bundle = openssl_read_file(x, "/etc/ssl/certs/ca-certificates.crt", &len);
        cas = bundle ? pki_pem_to_certs(bundle, len) : NULL;
        free(bundle);
    }
    for (int k = 0; cas && k < sk_X509_num(cas); k++) X509_STORE_add_cert(trust, sk_X509_value(cas, k));
    rc = 0;
    if (i >= argc) {
        if (verify_one(x, out, err, trust, untrusted, NULL)) rc = 2;
    } else {
        for (; i < argc; i++)
            if (verify_one(x, out, err, trust, untrusted, argv[i])) rc = 2;
    }
done:
    sk_X509_pop_free(untrusted, X509_free);
    sk_X509_pop_free(cas, X509_free);
    X509_STORE_free(trust);
    (void)BIO_flush(out);
    (void)BIO_flush(err);
    BIO_free(out);
    BIO_free(err);
    ERR_clear_error();
    return rc;
}
