/* The simulated public PKI of the outside world: public roots and
 * intermediates (made once per store, self-made keys, real-looking names),
 * the server certificates of outside hosts, and the roots container images
 * trust. */
#include "pki/pki.h"
#include "pki/cert.h"
#include "model/api.h"
#include "model/base64.h"
#include "model/obj.h"
#include "model/validate.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY (86400LL)

/* The simulated public CAs.  Roots first: a CA's parent is made before it. */
typedef struct ca_def {
    const char *id;
    const char *parent;            /* NULL: a self-signed root */
    long long before_days, after_days;
    const char *subject[12];
} ca_def;

static const ca_def ca_defs[] = {
    {"globalsign-root", NULL, 3650, 3650,
     {"C", "BE", "O", "GlobalSign nv-sa", "OU", "Root CA", "CN", "GlobalSign Root CA", NULL}},
    {"globalsign-cloudssl", "globalsign-root", 1000, 1800,
     {"C", "BE", "O", "GlobalSign nv-sa", "CN", "GlobalSign CloudSSL CA - SHA256 - G3", NULL}},
    {"meshsim-root", NULL, 3650, 3650,
     {"C", "US", "O", "meshsim", "OU", "Simulated Public PKI", "CN", "meshsim Simulated Public Root CA",
      NULL}},
    {"meshsim-tls", "meshsim-root", 1000, 1800,
     {"C", "US", "O", "meshsim", "CN", "meshsim Simulated Public TLS CA", NULL}},
    {"meshsim-client", NULL, 3650, 3650,
     {"C", "US", "O", "meshsim", "CN", "meshsim Simulated Client CA", NULL}},
};

/* The roots images trust (not the client CA: no public server trusts it). */
static const char *const trusted_roots[] = {"globalsign-root", "meshsim-root"};

static const ca_def *ca_def_find(const char *id)
{
    for (size_t i = 0; i < sizeof ca_defs / sizeof ca_defs[0]; i++)
        if (!strcmp(ca_defs[i].id, id)) return &ca_defs[i];
    return NULL;
}

static char *blob_str(store *st, const char *key)
{
    size_t len = 0;
    char *s = store_blob_get(st, key, &len);
    if (s && strlen(s) != len) {
        free(s);
        return NULL;
    }
    return s;
}

/* A simulated public CA, made on first use.  Outputs are new references. */
static int world_ca(store *st, const char *id, X509 **cert, EVP_PKEY **key)
{
    char ck[128], kk[128];
    snprintf(ck, sizeof ck, "pki/world/ca/%s.crt", id);
    snprintf(kk, sizeof kk, "pki/world/ca/%s.key", id);
    char *cpem = blob_str(st, ck), *kpem = blob_str(st, kk);
    *cert = cert_from_pem(cpem);
    *key = cert_key_from_pem(kpem);
    free(cpem);
    free(kpem);
    if (*cert && *key) return 0;
    X509_free(*cert);
    EVP_PKEY_free(*key);
    *cert = NULL;
    *key = NULL;

    const ca_def *d = ca_def_find(id);
    if (!d) return -1;
    X509 *pc = NULL;
    EVP_PKEY *pk = NULL;
    if (d->parent && world_ca(st, d->parent, &pc, &pk)) return -1;
    long long now = (long long)time(NULL);
    EVP_PKEY *k = cert_key_new(KEY_EC_P256);
    cert_req r = {.subject = d->subject, .key = k, .issuer = pc, .issuer_key = pk,
                  .not_before = now - d->before_days * DAY, .not_after = now + d->after_days * DAY,
                  .ca = true};
    X509 *x = k ? cert_make(&r) : NULL;
    X509_free(pc);
    EVP_PKEY_free(pk);
    cpem = x ? cert_to_pem(x) : NULL;
    kpem = k ? cert_key_to_pem(k) : NULL;
    int rc = cpem && kpem && store_blob_put(st, kk, kpem, strlen(kpem)) == 0 &&
                     store_blob_put(st, ck, cpem, strlen(cpem)) == 0
                 ? 0 : -1;
    free(cpem);
    free(kpem);
    if (rc) {
        X509_free(x);
        EVP_PKEY_free(k);
        return -1;
    }
    *cert = x;
    *key = k;
    return 0;
}

static char *world_ca_pem(store *st, const char *id)
{
    /* made before: the stored text is the PEM (no decoding, which costs
     * OpenSSL 3 most of a millisecond per certificate and key) */
    char ck[128], kk[128];
    snprintf(ck, sizeof ck, "pki/world/ca/%s.crt", id);
    snprintf(kk, sizeof kk, "pki/world/ca/%s.key", id);
    char *cpem = blob_str(st, ck);
    char *kpem = cpem && strstr(cpem, "-----BEGIN CERTIFICATE-----") ? blob_str(st, kk) : NULL;
    bool made = kpem && *kpem;
    free(kpem);
    if (made) return cpem;
    free(cpem);
    X509 *c;
    EVP_PKEY *k;
    if (world_ca(st, id, &c, &k)) return NULL;
    char *pem = cert_to_pem(c);
    X509_free(c);
    EVP_PKEY_free(k);
    return pem;
}

char *pki_trust_bundle_pem(store *st)
{
    char *bundle = strdup("");
    for (size_t i = 0; bundle && i < sizeof trusted_roots / sizeof trusted_roots[0]; i++) {
        char *pem = world_ca_pem(st, trusted_roots[i]);
        char *next = pem ? cert_concat(bundle, pem, (char *)NULL) : NULL;
        free(pem);
        free(bundle);
        bundle = next;
    }
    return bundle;
}

/* ---- spec.tls ------------------------------------------------------------ */

typedef enum { PROFILE_GENERIC, PROFILE_FASTLY_GLOBALSIGN, PROFILE_SELF_SIGNED } world_profile;

static const char *const profile_names[] = {"generic", "fastly-globalsign", "self-signed"};

static int tls_error(char *err, size_t errlen, const char *fmt, const char *arg)
{
    if (err && errlen) snprintf(err, errlen, fmt, arg);
    return -1;
}

static bool is_version(const char *v)
{
    return v && (!strcmp(v, "TLSv1.2") || !strcmp(v, "TLSv1.3"));
}

/* The certificates of a PEM text (CA bundle); NULL when it holds none. */
static STACK_OF(X509) *pem_certs(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    STACK_OF(X509) *sk = sk_X509_new_null();
    X509 *x;
    while (b && sk && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
        if (!sk_X509_push(sk, x)) X509_free(x);
    BIO_free(b);
    ERR_clear_error();
    if (sk && sk_X509_num(sk) == 0) {
        sk_X509_free(sk);
        sk = NULL;
    }
    return sk;
}

/* spec.tls.clientCA: {pem: TEXT} or {secretName, namespace, key} */
static int validate_client_ca(json_t *tls, json_t *v, char *err, size_t errlen)
{
    if (!json_is_object(v))
        return tls_error(err, errlen, "spec.tls.clientCA: must be an object with pem, or secretName and namespace%s", "");
    const char *mode = json_string_value(json_object_get(tls, "clientAuth"));
    if (!mode || !strcmp(mode, "none"))
        return tls_error(err, errlen, "spec.tls.clientCA: clientAuth must be request or require to use it%s", "");
    const char *key;
    json_t *f;
    json_object_foreach(v, key, f) {
        if (strcmp(key, "pem") && strcmp(key, "secretName") && strcmp(key, "namespace") && strcmp(key, "key"))
            return tls_error(err, errlen, "spec.tls.clientCA: unknown field \"%s\"", key);
        if (!json_is_string(f) || !json_string_length(f))
            return tls_error(err, errlen, "spec.tls.clientCA.%s: must be a non-empty string", key);
    }
    const char *pem = json_string_value(json_object_get(v, "pem"));
    const char *secret = json_string_value(json_object_get(v, "secretName"));
    const char *ns = json_string_value(json_object_get(v, "namespace"));
    if (!pem == !secret)
        return tls_error(err, errlen, "spec.tls.clientCA: give exactly one of pem and secretName%s", "");
    if (pem) {
        if (json_object_get(v, "namespace") || json_object_get(v, "key"))
            return tls_error(err, errlen, "spec.tls.clientCA: namespace and key go with secretName, not pem%s", "");
        STACK_OF(X509) *sk = pem_certs(pem);
        if (!sk) return tls_error(err, errlen, "spec.tls.clientCA.pem: no PEM certificate (-----BEGIN CERTIFICATE-----) in it%s", "");
        sk_X509_pop_free(sk, X509_free);
        return 0;
    }
    if (!valid_dns_subdomain(secret))
        return tls_error(err, errlen, "spec.tls.clientCA.secretName: \"%s\" is not a valid Secret name", secret);
    if (!ns)
        return tls_error(err, errlen, "spec.tls.clientCA.namespace: required with secretName (an ExternalService has no namespace)%s", "");
    if (!valid_dns_label(ns))
        return tls_error(err, errlen, "spec.tls.clientCA.namespace: \"%s\" is not a valid namespace name", ns);
    return 0;
}

int pki_world_tls_validate(json_t *tls, char *err, size_t errlen)
{
    if (!tls || json_is_null(tls)) return 0;
    if (!json_is_object(tls)) return tls_error(err, errlen, "spec.tls: must be an object%s", "");
    const char *key;
    json_t *v;
    json_object_foreach(tls, key, v) {
        if (!strcmp(key, "profile")) {
            const char *p = json_string_value(v);
            bool known = false;
            for (size_t i = 0; p && i < 3; i++) known |= !strcmp(p, profile_names[i]);
            if (!known)
                return tls_error(err, errlen, "spec.tls.profile: unknown profile \"%s\" (want "
                                 "generic, fastly-globalsign or self-signed)", p ? p : "");
        } else if (!strcmp(key, "notBefore") || !strcmp(key, "notAfter")) {
            if (!json_is_string(v) || time_parse_rfc3339(json_string_value(v)) < 0)
                return tls_error(err, errlen, "spec.tls.%s: want an RFC 3339 time such as "
                                 "2020-01-01T00:00:00Z", key);
        } else if (!strcmp(key, "clientAuth")) {
            const char *c = json_string_value(v);
            if (!c || (strcmp(c, "none") && strcmp(c, "request") && strcmp(c, "require")))
                return tls_error(err, errlen, "spec.tls.clientAuth: want none, request or require%s", "");
        } else if (!strcmp(key, "keyType")) {
            const char *c = json_string_value(v);
            if (!c || (strcmp(c, "EC") && strcmp(c, "RSA")))
                return tls_error(err, errlen, "spec.tls.keyType: want EC or RSA%s", "");
        } else if (!strcmp(key, "minVersion") || !strcmp(key, "maxVersion")) {
            if (!is_version(json_string_value(v)))
                return tls_error(err, errlen, "spec.tls.%s: want TLSv1.2 or TLSv1.3", key);
        } else if (!strcmp(key, "alpn") || !strcmp(key, "subjectAltNames")) {
            size_t i;
            json_t *e;
            if (!json_is_array(v)) return tls_error(err, errlen, "spec.tls.%s: must be a list of strings", key);
            json_array_foreach(v, i, e) {
                size_t l = json_string_length(e);
                if (!json_is_string(e) || l == 0 || l > 255)
                    return tls_error(err, errlen, "spec.tls.%s: must be a list of strings", key);
            }
        } else if (!strcmp(key, "clientCA")) {
            if (validate_client_ca(tls, v, err, errlen)) return -1;
        } else if (!strcmp(key, "commonName")) {
            if (!json_is_string(v) || !json_string_length(v))
                return tls_error(err, errlen, "spec.tls.commonName: must be a non-empty string%s", "");
        } else {
            return tls_error(err, errlen, "spec.tls: unknown field \"%s\"", key);
        }
    }
    return 0;
}

static bool host_under(const char *host, const char *domain)
{
    size_t h = strlen(host), d = strlen(domain);
    return h == d ? !strcmp(host, domain) : h > d && host[h - d - 1] == '.' && !strcmp(host + h - d, domain);
}

static world_profile profile_of(json_t *es)
{
    const char *p = obj_str(es, "spec.tls.profile");
    if (p)
        for (int i = 0; i < 3; i++)
            if (!strcmp(p, profile_names[i])) return (world_profile)i;
    /* the seed page's host keeps the chain it shows there */
    size_t i;
    json_t *h;
    json_array_foreach(obj_at(es, "spec.hosts"), i, h)
        if (json_is_string(h) && host_under(json_string_value(h), "cnn.com"))
            return PROFILE_FASTLY_GLOBALSIGN;
    return PROFILE_GENERIC;
}

/* Append "DNS:name" to the SAN config text unless already there. */
static void san_add(char *san, size_t len, const char *name)
{
    char item[300];
    snprintf(item, sizeof item, "DNS:%s", name);
    const char *p = san;
    size_t il = strlen(item);
    while ((p = strstr(p, item))) {
        if ((p == san || p[-1] == ',') && (p[il] == ',' || p[il] == 0)) return;
        p += il;
    }
    if (strlen(san) + il + 2 >= len) return;
    if (*san) strcat(san, ",");
    strcat(san, item);
}

/* ---- the leaf of one outside host ---------------------------------------- */

typedef struct world_leaf {
    char *chain_pem;   /* what the server sends, leaf first */
    char *key_pem;
} world_leaf;

static void world_leaf_free(world_leaf *l)
{
    free(l->chain_pem);
    free(l->key_pem);
}

/* A fingerprint of everything the certificate depends on. */
static void leaf_fingerprint(json_t *es, char out[65])
{
    json_t *k = json_pack("{s:O?,s:O?,s:s?}", "hosts", obj_at(es, "spec.hosts"), "tls",
                          obj_at(es, "spec.tls"), "name", obj_name(es));
    char *s = k ? json_dumps(k, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    cert_sha256_hex(s ? s : "", s ? strlen(s) : 0, out);
    free(s);
    json_decref(k);
}

static int make_leaf(store *st, json_t *es, world_leaf *out)
{
    world_profile prof = profile_of(es);
    json_t *hosts = obj_at(es, "spec.hosts");
    const char *first = json_string_value(json_array_get(hosts, 0));
    char san[4096] = "";
    json_t *alt = obj_at(es, "spec.tls.subjectAltNames");
    size_t i;
    json_t *h;
    if (alt) {
        json_array_foreach(alt, i, h) san_add(san, sizeof san, json_string_value(h));
    } else {
        if (prof == PROFILE_FASTLY_GLOBALSIGN) {
            san_add(san, sizeof san, "edition.cnn.com");
            san_add(san, sizeof san, "*.cnn.com");
        }
        json_array_foreach(hosts, i, h)
            if (json_is_string(h)) san_add(san, sizeof san, json_string_value(h));
    }
    const char *cn = obj_str_or(es, "spec.tls.commonName", first ? first : obj_name(es));
    const char *fastly[] = {"C", "US", "ST", "California", "L", "San Francisco", "O", "Fastly, Inc.",
                            "CN", obj_str_or(es, "spec.tls.commonName", "turner-tls.map.fastly.net"),
                            NULL};
    const char *generic[] = {"CN", cn, NULL};

    long long now = (long long)time(NULL);
    long long nb = now - 30 * DAY, na = now + 365 * DAY;
    const char *t;
    if ((t = obj_str(es, "spec.tls.notBefore")) && time_parse_rfc3339(t) >= 0) nb = time_parse_rfc3339(t);
    if ((t = obj_str(es, "spec.tls.notAfter")) && time_parse_rfc3339(t) >= 0) na = time_parse_rfc3339(t);

    const char *issuer_id = prof == PROFILE_FASTLY_GLOBALSIGN ? "globalsign-cloudssl"
                            : prof == PROFILE_GENERIC ? "meshsim-tls" : NULL;
    X509 *ic = NULL;
    EVP_PKEY *ik = NULL;
    if (issuer_id && world_ca(st, issuer_id, &ic, &ik)) return -1;
    const char *kt = obj_str(es, "spec.tls.keyType");
    EVP_PKEY *k = cert_key_new(kt && !strcmp(kt, "RSA") ? KEY_RSA_2048 : KEY_EC_P256);
    cert_req r = {.subject = prof == PROFILE_FASTLY_GLOBALSIGN ? fastly : generic, .key = k,
                  .issuer = ic, .issuer_key = ik, .not_before = nb, .not_after = na,
                  .san = *san ? san : NULL, .server_auth = true, .client_auth = true};
    X509 *x = k ? cert_make(&r) : NULL;
    char *leaf = x ? cert_to_pem(x) : NULL, *inter = ic ? cert_to_pem(ic) : strdup("");
    char *root = prof == PROFILE_FASTLY_GLOBALSIGN ? world_ca_pem(st, "globalsign-root") : strdup("");
    /* the seed's edition.cnn.com sends its intermediate twice, then the root */
    out->chain_pem = leaf && inter && root
                         ? (prof == PROFILE_FASTLY_GLOBALSIGN
                                ? cert_concat(leaf, inter, inter, root, (char *)NULL)
                                : cert_concat(leaf, inter, (char *)NULL))
                         : NULL;
    out->key_pem = k ? cert_key_to_pem(k) : NULL;
    free(leaf);
    free(inter);
    free(root);
    X509_free(x);
    X509_free(ic);
    EVP_PKEY_free(ik);
    EVP_PKEY_free(k);
    if (!out->chain_pem || !out->key_pem) {
        world_leaf_free(out);
        return -1;
    }
    return 0;
}

/* The cached leaf of an ExternalService, re-made when its spec changed or
 * (without a validity override) when it ran out. */
static int world_leaf_get(store *st, json_t *es, world_leaf *out)
{
    memset(out, 0, sizeof *out);
    char err[256];
    if (pki_world_tls_validate(obj_at(es, "spec.tls"), err, sizeof err)) {
        fprintf(stderr, "meshsim: ExternalService %s: %s\n", obj_name(es) ? obj_name(es) : "?", err);
        return -1;
    }
    if (!json_is_array(obj_at(es, "spec.hosts")) && !obj_str(es, "spec.tls.commonName") && !obj_name(es))
        return -1;
    char fp[65], key[400];
    leaf_fingerprint(es, fp);
    snprintf(key, sizeof key, "pki/world/leaf/%s", obj_name(es) ? obj_name(es) : "");
    char *blob = blob_str(st, key);
    if (blob && !strncmp(blob, fp, 64) && blob[64] == '\n') {
        char *ks = strstr(blob, "-----BEGIN PRIVATE KEY-----");
        X509 *leaf = cert_from_pem(blob + 65);
        bool overridden = obj_str(es, "spec.tls.notAfter") || obj_str(es, "spec.tls.notBefore");
        bool ok = ks && leaf && (overridden || cert_valid_at(leaf, (long long)time(NULL), 0));
        X509_free(leaf);
        if (ok) {
            out->chain_pem = strndup(blob + 65, (size_t)(ks - blob - 65));
            out->key_pem = strdup(ks);
            free(blob);
            if (out->chain_pem && out->key_pem) return 0;
            world_leaf_free(out);
            return -1;
        }
    }
    free(blob);
    if (make_leaf(st, es, out)) return -1;
    char *nb = cert_concat(fp, "\n", out->chain_pem, out->key_pem, (char *)NULL);
    int rc = nb && store_blob_put(st, key, nb, strlen(nb)) == 0 ? 0 : -1;
    free(nb);
    if (rc) world_leaf_free(out);
    return rc;
}

char *pki_world_chain_pem(store *st, json_t *external_service)
{
    world_leaf l;
    if (world_leaf_get(st, external_service, &l)) return NULL;
    free(l.key_pem);
    return l.chain_pem;
}

/* ---- the server context -------------------------------------------------- */

/* The server's ALPN protocols in wire format, owned by the SSL_CTX. */
typedef struct alpn_list {
    unsigned len;
    unsigned char data[];
} alpn_list;

static int alpn_index = -1;
static pthread_once_t alpn_once = PTHREAD_ONCE_INIT;

static void alpn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    free(ptr);
}

static void alpn_index_init(void)
{
    alpn_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, alpn_free);
}

/* The server's preference wins among what the client offers; no common
 * protocol means no ALPN at all (as a server that ignores the extension). */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    const alpn_list *mine = arg;
    unsigned char *o = NULL;
    if (SSL_select_next_proto(&o, outlen, mine->data, mine->len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = o;
    return SSL_TLSEXT_ERR_OK;
}

static alpn_list *alpn_from_json(json_t *list)
{
    static const char *const dflt[] = {"h2", "http/1.1"};
    size_t n = list ? json_array_size(list) : 2, total = 0;
    for (size_t i = 0; i < n; i++)
        total += 1 + (list ? json_string_length(json_array_get(list, i)) : strlen(dflt[i]));
    alpn_list *a = malloc(sizeof *a + total + 1);
    if (!a) return NULL;
    a->len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = list ? json_string_value(json_array_get(list, i)) : dflt[i];
        size_t l = strlen(p);
        a->data[a->len++] = (unsigned char)l;
        memcpy(a->data + a->len, p, l);
        a->len += (unsigned)l;
    }
    return a;
}

static int version_of(const char *v)
{
    return v && !strcmp(v, "TLSv1.2") ? TLS1_2_VERSION : v && !strcmp(v, "TLSv1.3") ? TLS1_3_VERSION : 0;
}

/* The PEM of spec.tls.clientCA: inline, or the Secret's key (ca.crt by
 * default; data or stringData).  NULL when the Secret or key is missing. */
static char *client_ca_pem(store *st, json_t *cca)
{
    const char *pem = json_string_value(json_object_get(cca, "pem"));
    if (pem) return strdup(pem);
    const char *name = json_string_value(json_object_get(cca, "secretName"));
    const char *ns = json_string_value(json_object_get(cca, "namespace"));
    const char *key = json_string_value(json_object_get(cca, "key"));
    if (!key) key = "ca.crt";
    const kind_info *k = kind_lookup("secret");
    json_t *sec = k && name && ns ? api_get(st, k, ns, name) : NULL;
    /* keys such as ca.crt hold dots: no obj_at paths here */
    const char *v = json_string_value(json_object_get(json_object_get(sec, "data"), key));
    char *out = v ? base64_decode_text(v) : NULL;
    if (!out && (v = json_string_value(json_object_get(json_object_get(sec, "stringData"), key)))) out = strdup(v);
    json_decref(sec);
    return out;
}

/* Whom the host asks for a client certificate: the CAs of spec.tls.clientCA
 * (the user's own, made with openssl), else the simulated world client CA.
 * A clientCA whose Secret is missing trusts no one: every certificate is
 * refused (unknown ca), as a server with an empty CA file would. */
static int setup_client_auth(store *st, SSL_CTX *ctx, json_t *tls)
{
    const char *mode = json_string_value(json_object_get(tls, "clientAuth"));
    if (!mode || !strcmp(mode, "none")) return 0;
    int ok = 1;
    json_t *cca = json_object_get(tls, "clientCA");
    if (json_is_object(cca)) {
        char *pem = client_ca_pem(st, cca);
        STACK_OF(X509) *sk = pem ? pem_certs(pem) : NULL;
        for (int i = 0; sk && i < sk_X509_num(sk); i++) {
            X509 *c = sk_X509_value(sk, i);
            ok &= X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), c) == 1 && SSL_CTX_add_client_CA(ctx, c) == 1;
        }
        if (sk) sk_X509_pop_free(sk, X509_free);
        free(pem);
    } else {
        X509 *c;
        EVP_PKEY *k;
        if (world_ca(st, "meshsim-client", &c, &k)) return -1;
        ok = X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), c) == 1 && SSL_CTX_add_client_CA(ctx, c) == 1;
        X509_free(c);
        EVP_PKEY_free(k);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (!strcmp(mode, "require") ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                       NULL);
    return ok ? 0 : -1;
}

SSL_CTX *pki_world_server_ctx(store *st, json_t *external_service)
{
    world_leaf l;
    if (world_leaf_get(st, external_service, &l)) return NULL;
    pthread_once(&alpn_once, alpn_index_init);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    alpn_list *alpn = alpn_from_json(obj_at(external_service, "spec.tls.alpn"));
    int minv = version_of(obj_str(external_service, "spec.tls.minVersion"));
    int maxv = version_of(obj_str(external_service, "spec.tls.maxVersion"));
    bool ok = ctx && alpn && alpn_index >= 0 && pki_ctx_use_pem(ctx, l.chain_pem, l.key_pem) == 0 &&
              SSL_CTX_set_ex_data(ctx, alpn_index, alpn) == 1;
    if (ok) {
        alpn = NULL;   /* owned by ctx now */
        SSL_CTX_set_alpn_select_cb(ctx, alpn_select, SSL_CTX_get_ex_data(ctx, alpn_index));
        ok = (!minv || SSL_CTX_set_min_proto_version(ctx, minv) == 1) &&
             (!maxv || SSL_CTX_set_max_proto_version(ctx, maxv) == 1) &&
             setup_client_auth(st, ctx, obj_at(external_service, "spec.tls")) == 0;
    }
    free(alpn);
    world_leaf_free(&l);
    if (!ok) {
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return NULL;
    }
    return ctx;
}

int pki_world_client_pem(store *st, const char *cn, char **cert_pem, char **key_pem, char **ca_pem)
{
    if (cert_pem) *cert_pem = NULL;
    if (key_pem) *key_pem = NULL;
    if (ca_pem) *ca_pem = NULL;
    if (!cn || !*cn) return -1;
    X509 *cac;
    EVP_PKEY *cak;
    if (world_ca(st, "meshsim-client", &cac, &cak)) return -1;
    char key[400];
    snprintf(key, sizeof key, "pki/world/client/%s", cn);
    char *blob = blob_str(st, key);
    X509 *old = cert_from_pem(blob);
    long long now = (long long)time(NULL);
    if (!old || !cert_issued_by(old, cac) || !cert_valid_at(old, now, DAY)) {
        free(blob);
        blob = NULL;
        const char *subject[] = {"CN", cn, NULL};
        EVP_PKEY *k = cert_key_new(KEY_EC_P256);
        cert_req r = {.subject = subject, .key = k, .issuer = cac, .issuer_key = cak,
                      .not_before = now - DAY, .not_after = now + 365 * DAY, .client_auth = true};
        X509 *x = k ? cert_make(&r) : NULL;
        char *c = x ? cert_to_pem(x) : NULL, *kp = k ? cert_key_to_pem(k) : NULL;
        blob = c && kp ? cert_concat(c, kp, (char *)NULL) : NULL;
        if (blob && store_blob_put(st, key, blob, strlen(blob))) {
            free(blob);
            blob = NULL;
        }
        free(c);
        free(kp);
        X509_free(x);
        EVP_PKEY_free(k);
    }
    X509_free(old);
    char *ks = blob ? strstr(blob, "-----BEGIN PRIVATE KEY-----") : NULL;
    char *c = ks ? strndup(blob, (size_t)(ks - blob)) : NULL, *k = ks ? strdup(ks) : NULL;
    char *ca = cert_to_pem(cac);
    int rc = c && k && ca ? 0 : -1;
    if (!rc && cert_pem) { *cert_pem = c; c = NULL; }
    if (!rc && key_pem) { *key_pem = k; k = NULL; }
    if (!rc && ca_pem) { *ca_pem = ca; ca = NULL; }
    free(c);
    free(k);
    free(ca);
    free(blob);
    X509_free(cac);
    EVP_PKEY_free(cak);
    return rc;
}
