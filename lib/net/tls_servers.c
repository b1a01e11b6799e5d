/* TLS contexts on the cluster side of the network, made once per net on the
 * main thread (they read certificates from the store) before any engine
 * thread needs them:
 *   - each sidecar's and gateway's mesh identity (Istio mutual TLS server),
 *   - each terminating Gateway server (tls.credentialName Secret, or the
 *     1.4-era serverCertificate / privateKey / caCertificates files),
 *   - each nginx pod's `listen N ssl` server from its mounted nginx.conf,
 *   - each DestinationRule tls block (SIMPLE / MUTUAL) as a proxy originates
 *     it (client certificate from credentialName or files, CA to verify).
 * Plus the in-memory handshake that checks a proxy's TLS origination against
 * the server it reaches. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cluster/cluster.h"
#include "model/base64.h"
#include "model/obj.h"
#include "net/net_internal.h"
#include "pki/pki.h"

/* ---- where certificates come from ----------------------------------------- */

static json_t *find_obj(const net *n, const char *kind, const char *ns, const char *name)
{
    size_t i;
    json_t *o;
    json_array_foreach(n->objects, i, o) {
        const char *k = obj_kind(o);
        if (k && !strcmp(k, kind) && !strcmp(obj_namespace(o), ns) && !strcmp(obj_name(o), name)) return o;
    }
    return NULL;
}

/* The first of keys present in Secret ns/name, decoded (malloc'd) or NULL. */
static char *secret_value(const net *n, const char *ns, const char *name, const char *const *keys)
{
    json_t *s = find_obj(n, "Secret", ns, name);
    for (int i = 0; s && keys[i]; i++) {
        const char *v = json_string_value(json_object_get(json_object_get(s, "data"), keys[i]));
        if (v) return base64_decode_text(v);
        v = json_string_value(json_object_get(json_object_get(s, "stringData"), keys[i]));
        if (v) return strdup(v);
    }
    return NULL;
}

static const char *const CERT_KEYS[] = {"tls.crt", "cert", NULL};
static const char *const KEY_KEYS[] = {"tls.key", "key", NULL};
static const char *const CA_KEYS[] = {"ca.crt", "cacert", NULL};

/* A file inside a container: its volume mounts, else (Istio 1.4's Helm
 * charts mount Secret istio-X at /etc/istio/X on gateways) that Secret. */
static char *pod_file(const net *n, json_t *pod, const char *container, const char *path)
{
    char *content = NULL;
    if (cluster_pod_file(n->st, pod, container, path, &content) == 0) return content;
    free(content);
    char dir[128], key[128];
    if (sscanf(path, "/etc/istio/%127[^/]/%127s", dir, key) == 2) {
        const char *keys[] = {key, NULL};
        char name[160];
        snprintf(name, sizeof name, "istio-%s", dir);
        char *v = secret_value(n, obj_namespace(pod), name, keys);
        if (!v) v = secret_value(n, obj_namespace(pod), dir, keys);
        return v;
    }
    return NULL;
}

/* h2 when the client offers it, else http/1.1 (what Envoy's HTTPS
 * listeners and nginx with http2 advertise) */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    (void)ssl;
    bool h2 = arg != NULL;
    static const unsigned char prefs[] = "\x02h2\x08http/1.1";
    const unsigned char *p = h2 ? prefs : prefs + 3;
    unsigned plen = h2 ? sizeof prefs - 1 : sizeof prefs - 4;
    unsigned char *o;
    if (SSL_select_next_proto(&o, outlen, p, plen, in, inlen) != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
    *out = o;
    return SSL_TLSEXT_ERR_OK;
}

/* nginx asks for the certificate but lets the handshake through whatever
 * it gets; its HTTP layer then answers 400 (nginx_client_cert_error) */
static int accept_any(int ok, X509_STORE_CTX *x)
{
    (void)ok; (void)x;
    return 1;
}

/* A server context from PEM texts; verify: 0 none, 1 ask, 2 require,
 * 3 ask and judge later (nginx's ssl_verify_client). */
static SSL_CTX *server_ctx(const char *chain, const char *key, const char *ca, int verify, bool h2, char *why,
                           size_t wl)
{
    if (!chain || !key) {
        snprintf(why, wl, "no certificate or key");
        return NULL;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 || pki_ctx_use_pem(ctx, chain, key)) {
        snprintf(why, wl, "the certificate or key does not load");
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return NULL;
    }
    if (verify) {
        if (!ca || pki_ctx_trust_pem(ctx, ca)) {
            snprintf(why, wl, "no CA certificate to verify clients");
            SSL_CTX_free(ctx);
            ERR_clear_error();
            return NULL;
        }
        STACK_OF(X509) *cas = pki_pem_to_certs(ca, strlen(ca));
        STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
        for (int i = 0; cas && names && i < sk_X509_num(cas); i++)
            sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(sk_X509_value(cas, i))));
        if (names) SSL_CTX_set_client_CA_list(ctx, names);
        sk_X509_pop_free(cas, X509_free);
        if (verify == 3) SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
        else SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (verify == 2 ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
    }
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, h2 ? (void *)1 : NULL);
    return ctx;
}

static void add(net *n, int *cap, tls_srv_kind kind, const void *key, const void *key2, int port, SSL_CTX *ctx,
                const char *why)
{
    if (n->nsrv == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        tls_srv *ns = realloc(n->srv, (size_t)nc * sizeof *ns);
        if (!ns) { SSL_CTX_free(ctx); return; }
        n->srv = ns;
        *cap = nc;
    }
    tls_srv *s = &n->srv[n->nsrv++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->key = key;
    s->key2 = key2;
    s->port = port;
    s->ctx = ctx;
    snprintf(s->why, sizeof s->why, "%s", why ? why : "");
}

/* ---- Gateway servers ------------------------------------------------------ */

static void prepare_gateway(net *n, int *cap, const mesh_workload *gw, json_t *srv)
{
    json_t *tls = json_object_get(srv, "tls");
    const char *mode = obj_str_or(tls, "mode", "");
    const char *proto = obj_str_or(json_object_get(srv, "port"), "protocol", "");
    if (strcasecmp(proto, "HTTPS") && strcasecmp(proto, "TLS")) return;
    if (!*mode || !strcmp(mode, "PASSTHROUGH") || !strcmp(mode, "AUTO_PASSTHROUGH")) return;
    char why[256] = "";
    SSL_CTX *ctx = NULL;
    bool h2 = !strcasecmp(proto, "HTTPS");
    if (!strcmp(mode, "ISTIO_MUTUAL")) {
        ctx = pki_mesh_ctx(n->st, gw->ns, gw->service_account, 1);
        if (!ctx) snprintf(why, sizeof why, "no workload certificate");
    } else {
        int verify = !strcmp(mode, "MUTUAL") ? 2 : !strcmp(mode, "OPTIONAL_MUTUAL") ? 1 : 0;
        char *chain = NULL, *key = NULL, *ca = NULL;
        const char *cred = obj_str(tls, "credentialName");
        if (cred) {
            /* the Secret lives in the gateway's namespace; MUTUAL's CA may sit in <name>-cacert */
            chain = secret_value(n, gw->ns, cred, CERT_KEYS);
            key = secret_value(n, gw->ns, cred, KEY_KEYS);
            ca = secret_value(n, gw->ns, cred, CA_KEYS);
            if (!ca) {
                char cn[300];
                snprintf(cn, sizeof cn, "%s-cacert", cred);
                ca = secret_value(n, gw->ns, cn, CA_KEYS);
            }
            if (!chain || !key) snprintf(why, sizeof why, "Secret %s/%s has no tls.crt/tls.key", gw->ns, cred);
        } else {
            const char *cp = obj_str(tls, "serverCertificate"), *kp = obj_str(tls, "privateKey"),
                       *ap = obj_str(tls, "caCertificates");
            if (cp) chain = pod_file(n, gw->pod, "istio-proxy", cp);
            if (kp) key = pod_file(n, gw->pod, "istio-proxy", kp);
            if (ap) ca = pod_file(n, gw->pod, "istio-proxy", ap);
            if (!chain || !key) snprintf(why, sizeof why, "%s is not mounted in %s/%s", cp ? cp : "serverCertificate",
                                         gw->ns, gw->name);
        }
        if (chain && key) ctx = server_ctx(chain, key, ca, verify, h2, why, sizeof why);
        free(chain);
        free(key);
        free(ca);
    }
    if (ctx && !strcmp(mode, "ISTIO_MUTUAL")) SSL_CTX_set_alpn_select_cb(ctx, alpn_select, (void *)1);
    add(n, cap, TLS_SRV_GATEWAY, srv, gw, 0, ctx, why);
}

/* ---- nginx.conf ------------------------------------------------------------ */

/* The value of directive `name` in text [from, to) ("" when absent). */
static void directive(const char *from, const char *to, const char *name, char *out, size_t len)
{
    out[0] = 0;
    size_t nl = strlen(name);
    for (const char *p = from; p && p < to; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        while (p < to && (*p == ' ' || *p == '\t')) p++;
        if ((size_t)(to - p) > nl && !strncmp(p, name, nl) && (p[nl] == ' ' || p[nl] == '\t')) {
            p += nl;
            while (*p == ' ' || *p == '\t') p++;
            size_t k = 0;
            while (p < to && *p != ';' && *p != '\n' && k + 1 < len) out[k++] = *p++;
            out[k] = 0;
            return;
        }
    }
}

/* Each `server { ... }` block: its listen ports with `ssl`. */
static void prepare_nginx(net *n, int *cap, const mesh_workload *w, const char *container, const char *conf)
{
    const char *cur = conf;
    for (const char *s; (s = strstr(cur, "server"));) {
        const char *q = s + 6;
        cur = q;
        while (*q == ' ' || *q == '\t' || *q == '\n') q++;
        if (*q != '{' || (s > conf && s[-1] != ' ' && s[-1] != '\t' && s[-1] != '\n')) continue;
        /* the block's end: matching brace */
        int depth = 0;
        const char *e = q;
        for (; *e; e++) {
            if (*e == '{') depth++;
            else if (*e == '}' && --depth == 0) break;
        }
        for (const char *l = strstr(q, "listen"); l && l < e; l = strstr(l + 6, "listen")) {
            char val[128];
            directive(l, e, "listen", val, sizeof val);
            int port = atoi(strrchr(val, ':') ? strrchr(val, ':') + 1 : val);
            if (!port || !strstr(val, " ssl")) continue;
            char cert[256], key[256], ca[256], verify[32];
            directive(q, e, "ssl_certificate", cert, sizeof cert);
            directive(q, e, "ssl_certificate_key", key, sizeof key);
            directive(q, e, "ssl_client_certificate", ca, sizeof ca);
            directive(q, e, "ssl_verify_client", verify, sizeof verify);
            char *cp = *cert ? pod_file(n, w->pod, container, cert) : NULL;
            char *kp = *key ? pod_file(n, w->pod, container, key) : NULL;
            char *ap = *ca ? pod_file(n, w->pod, container, ca) : NULL;
            int v = !strcmp(verify, "on") || !strcmp(verify, "optional") ? 3 : 0;
            char why[256] = "";
            SSL_CTX *ctx = server_ctx(cp, kp, ap, v, strstr(val, "http2") != NULL, why, sizeof why);
            add(n, cap, TLS_SRV_NGINX, w, NULL, port, ctx, why);
            free(cp);
            free(kp);
            free(ap);
        }
        if (!*e) break;
        cur = e + 1;
    }
}

/* ---- DestinationRule origination ------------------------------------------ */

static void prepare_origin(net *n, int *cap, const mesh_workload *proxy, json_t *tls)
{
    const char *mode = obj_str_or(tls, "mode", "");
    if (strcmp(mode, "SIMPLE") && strcmp(mode, "MUTUAL")) return;
    if (tls_srv_find(n, TLS_CLI_ORIGIN, tls, proxy, 0)) return;
    char why[256] = "";
    char *chain = NULL, *key = NULL, *ca = NULL;
    const char *cred = obj_str(tls, "credentialName");
    if (cred) {
        /* credentialName works on gateways (their namespace's Secret) */
        if (proxy->gateway) {
            chain = secret_value(n, proxy->ns, cred, CERT_KEYS);
            key = secret_value(n, proxy->ns, cred, KEY_KEYS);
            ca = secret_value(n, proxy->ns, cred, CA_KEYS);
            if (!ca) {
                char cn[300];
                snprintf(cn, sizeof cn, "%s-cacert", cred);
                ca = secret_value(n, proxy->ns, cn, CA_KEYS);
            }
        }
    } else {
        const char *cp = obj_str(tls, "clientCertificate"), *kp = obj_str(tls, "privateKey"),
                   *ap = obj_str(tls, "caCertificates");
        if (cp) chain = pod_file(n, proxy->pod, "istio-proxy", cp);
        if (kp) key = pod_file(n, proxy->pod, "istio-proxy", kp);
        if (ap) ca = pod_file(n, proxy->pod, "istio-proxy", ap);
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx && !strcmp(mode, "MUTUAL")) {
        if (!chain || !key || pki_ctx_use_pem(ctx, chain, key)) {
            snprintf(why, sizeof why, "no client certificate");
            ERR_clear_error();
        }
    }
    /* what the proxy checks: caCertificates; from Istio 1.20 on, with none
     * given, the system roots and the SNI name (VERIFY_CERTIFICATE_AT_CLIENT) */
    bool skip = json_is_true(json_object_get(tls, "insecureSkipVerify"));
    bool at_client = false;
    int maj = 0, min = 0;
    if (n->rel && n->rel->minor && sscanf(n->rel->minor, "%d.%d", &maj, &min) == 2)
        at_client = maj > 1 || (maj == 1 && min >= 20);
    if (ctx && !ca && at_client && !skip) ca = pki_trust_bundle_pem(n->st);
    else at_client = false;
    if (ctx && ca && !skip) {
        if (pki_ctx_trust_pem(ctx, ca) == 0) SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        ERR_clear_error();
    }
    add(n, cap, TLS_CLI_ORIGIN, tls, proxy, 0, ctx, why);
    n->srv[n->nsrv - 1].verify_sni = at_client && !json_array_size(json_object_get(tls, "subjectAltNames"));
    free(chain);
    free(key);
    free(ca);
}

static void origin_blocks(net *n, int *cap, const mesh_workload *proxy, json_t *policy)
{
    size_t i;
    json_t *pl;
    if (json_object_get(policy, "tls")) prepare_origin(n, cap, proxy, json_object_get(policy, "tls"));
    json_array_foreach(json_object_get(policy, "portLevelSettings"), i, pl)
        if (json_object_get(pl, "tls")) prepare_origin(n, cap, proxy, json_object_get(pl, "tls"));
}

/* ---- the table -------------------------------------------------------------- */

static const char *nginx_container(json_t *pod)
{
    size_t i;
    json_t *c;
    json_array_foreach(obj_at(pod, "spec.containers"), i, c)
        if (strstr(obj_str_or(c, "image", ""), "nginx") && strcmp(obj_str_or(c, "name", ""), "istio-proxy"))
            return obj_str_or(c, "name", "");
    return NULL;
}

void tls_servers_prepare(net *n)
{
    if (n->srv) return;
    int cap = 0;
    add(n, &cap, TLS_SRV_MESH, NULL, NULL, -1, NULL, "");   /* marks the table as made */
    size_t i, j, k;
    json_t *o, *srv;
    json_array_foreach(n->objects, i, o) {
        const char *kind = obj_kind(o);
        if (!kind || strcmp(kind, "Pod")) continue;
        const mesh_workload *w = mesh_workload_by_pod(n->m, obj_namespace(o), obj_name(o));
        if (!w) continue;
        if (w->sidecar || w->gateway) {
            /* made when a connection first needs it (most probes never do) */
            add(n, &cap, TLS_SRV_MESH, w, NULL, 0, NULL, "");
            n->srv[n->nsrv - 1].pending = true;
        }
        const char *nc = nginx_container(o);
        if (nc) {
            char *conf = pod_file(n, o, nc, "/etc/nginx/nginx.conf");
            if (!conf) conf = pod_file(n, o, nc, "/etc/nginx/conf.d/default.conf");
            if (conf) prepare_nginx(n, &cap, w, nc, conf);
            free(conf);
        }
        if (!w->sidecar && !w->gateway) continue;
        /* DestinationRule tls blocks this proxy may originate */
        json_t *dr;
        json_array_foreach(n->objects, j, dr) {
            const char *dk = obj_kind(dr);
            if (!dk || strcmp(dk, "DestinationRule")) continue;
            origin_blocks(n, &cap, w, obj_at(dr, "spec.trafficPolicy"));
            json_t *sub;
            json_array_foreach(obj_at(dr, "spec.subsets"), k, sub)
                origin_blocks(n, &cap, w, json_object_get(sub, "trafficPolicy"));
        }
        if (!w->gateway) continue;
        json_t *gw;
        json_array_foreach(n->objects, j, gw) {
            const char *gk = obj_kind(gw);
            if (!gk || strcmp(gk, "Gateway")) continue;
            json_array_foreach(obj_at(gw, "spec.servers"), k, srv) prepare_gateway(n, &cap, w, srv);
        }
    }
    ERR_clear_error();
}

/* A sidecar's mesh identity context, made now: one per identity, the
 * replicas of a Deployment share it.  Caller holds src->mu. */
static void make_mesh_ctx(const net *n, tls_srv *e)
{
    const mesh_workload *w = e->key;
    SSL_CTX *ctx = NULL;
    for (int s = 0; s < n->nsrv && !ctx; s++) {
        const mesh_workload *o2 = n->srv[s].key;
        if (n->srv[s].kind == TLS_SRV_MESH && !n->srv[s].pending && o2 && n->srv[s].ctx &&
            !strcmp(o2->ns, w->ns) && !strcmp(o2->service_account, w->service_account) &&
            SSL_CTX_up_ref(n->srv[s].ctx))
            ctx = n->srv[s].ctx;
    }
    if (!ctx) ctx = pki_mesh_ctx(n->src->st, w->ns, w->service_account, 1);
    e->ctx = ctx;
    snprintf(e->why, sizeof e->why, "%s", ctx ? "" : "no workload certificate");
    e->pending = false;
    ERR_clear_error();
}

const tls_srv *tls_srv_find(const net *n, tls_srv_kind kind, const void *key, const void *key2, int port)
{
    for (int i = 0; i < n->nsrv; i++) {
        tls_srv *s = &n->srv[i];
        if (s->kind == kind && s->key && s->key == key && s->key2 == key2 && s->port == port) {
            if (kind == TLS_SRV_MESH && n->src) {
                pthread_mutex_lock(&n->src->mu);
                if (s->pending) make_mesh_ctx(n, s);
                pthread_mutex_unlock(&n->src->mu);
            }
            return s;
        }
    }
    return NULL;
}

bool tls_nginx_ssl_port(const net *n, const mesh_workload *w, int port)
{
    return tls_srv_find(n, TLS_SRV_NGINX, w, NULL, port) != NULL;
}

/* ---- origination check ------------------------------------------------------ */

/* Move what one side wrote into the other side's input. */
static void pump(BIO *from, BIO *to)
{
    char buf[16384];
    int k;
    while ((k = BIO_read(from, buf, sizeof buf)) > 0) BIO_write(to, buf, k);
}

const char *nginx_client_cert_error(SSL *ssl)
{
    if (!(SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER)) return NULL;
    if (!SSL_get0_peer_certificate(ssl)) return "No required SSL certificate was sent";
    if (SSL_get_verify_result(ssl) != X509_V_OK) return "The SSL certificate error";
    return NULL;
}

int tls_originate_check(const tls_srv *client, SSL_CTX *server_ctx, const char *sni, json_t *tls_settings,
                        char *why, size_t whylen, const char **nginx_error)
{
    *nginx_error = NULL;
    SSL_CTX *client_ctx = client->ctx;
    if (!client_ctx || !server_ctx) {
        snprintf(why, whylen, "TLS error: handshake failure");
        return -1;
    }
    SSL *cl = SSL_new(client_ctx), *sv = SSL_new(server_ctx);
    BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
    BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
    int rc = -1;
    if (!cl || !sv || !c_in || !c_out || !s_in || !s_out) {
        SSL_free(cl); SSL_free(sv);
        BIO_free(c_in); BIO_free(c_out); BIO_free(s_in); BIO_free(s_out);
        snprintf(why, whylen, "TLS error: out of memory");
        return -1;
    }
    SSL_set_bio(cl, c_in, c_out);
    SSL_set_bio(sv, s_in, s_out);
    if (sni && *sni) SSL_set_tlsext_host_name(cl, sni);
    /* subjectAltNames: the names the server's certificate must carry */
    json_t *sans = json_object_get(tls_settings, "subjectAltNames");
    X509_VERIFY_PARAM *vp = SSL_get0_param(cl);
    size_t i;
    json_t *san;
    json_array_foreach(sans, i, san)
        if (json_string_value(san)) X509_VERIFY_PARAM_add1_host(vp, json_string_value(san), 0);
    if (client->verify_sni && sni && *sni) X509_VERIFY_PARAM_set1_host(vp, sni, 0);
    SSL_set_connect_state(cl);
    SSL_set_accept_state(sv);
    bool c_done = false, s_done = false;
    for (int round = 0; round < 20 && !(c_done && s_done); round++) {
        if (!c_done) {
            int r = SSL_do_handshake(cl);
            if (r == 1) c_done = true;
            else if (SSL_get_error(cl, r) != SSL_ERROR_WANT_READ) break;
        }
        pump(c_out, s_in);
        if (!s_done) {
            int r = SSL_do_handshake(sv);
            if (r == 1) s_done = true;
            else if (SSL_get_error(sv, r) != SSL_ERROR_WANT_READ) break;
        }
        pump(s_out, c_in);
    }
    /* TLS 1.3: the server checks the client certificate after the client is done */
    if (c_done && !s_done) {
        pump(c_out, s_in);
        if (SSL_do_handshake(sv) == 1) s_done = true;
    }
    if (c_done && s_done) {
        rc = 0;
        *nginx_error = nginx_client_cert_error(sv);
    } else {
        long vr = SSL_get_verify_result(cl);
        if (vr != X509_V_OK)
            snprintf(why, whylen, "TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED");
        else if (!s_done && SSL_get_verify_result(sv) != X509_V_OK)
            snprintf(why, whylen, "TLS error: 268436502:SSL routines:OPENSSL_internal:SSLV3_ALERT_CERTIFICATE_UNKNOWN");
        else
            snprintf(why, whylen, "TLS error: 268436526:SSL routines:OPENSSL_internal:SSLV3_ALERT_HANDSHAKE_FAILURE");
    }
    SSL_free(cl);
    SSL_free(sv);
    ERR_clear_error();
    return rc;
}
