/* The openssl probe: s_client against an in-process TLS server on loopback
 * made with pki_world_server_ctx, compared line by line with what the real
 * /usr/bin/openssl (3.0) prints against the same server; x509 and verify
 * compared the same way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pki/pki.h"
#include "probe/openssl.h"

#define REAL_OPENSSL "/usr/bin/openssl"

typedef struct server {
    SSL_CTX *ctx;                  /* NULL: a plain TCP peer that hangs up */
    bool reset;                    /* ... with a RST instead of a FIN */
    int lfd, port;
    volatile int stop;
    bool running;
    pthread_t th;
} server;

typedef struct fx {
    char dir[64];
    store *st;
    server srv;
    istio_release rel;
    json_t *pod;
} fx;

/* ---- the in-process server: accepts, handshakes, reads until the peer goes ---- */

static void *serve(void *arg)
{
    server *s = arg;
    while (!s->stop) {
        struct pollfd p = {.fd = s->lfd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0) continue;
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0) continue;
        if (!s->ctx) {
            /* what a proxy that refuses the connection does: read the ClientHello, hang up */
            char hello[4096];
            if (read(fd, hello, sizeof hello) < 0) {}
            if (s->reset) {
                struct linger lg = {1, 0};
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            }
            close(fd);
            continue;
        }
        SSL *ssl = SSL_new(s->ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1) {
            char buf[4096];
            int n;
            /* echo what the client sends, upper-cased, so -ign_eof has something to show */
            while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) {
                for (int i = 0; i < n; i++)
                    if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] = (char)(buf[i] - 32);
                SSL_write(ssl, buf, n);
                if (memchr(buf, '\n', (size_t)n)) break;
            }
            SSL_shutdown(ssl);
        }
        SSL_free(ssl);
        close(fd);
        ERR_clear_error();
    }
    return NULL;
}

static void server_start(server *s, SSL_CTX *ctx)
{
    s->ctx = ctx;
    s->stop = 0;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    assert_int_equal(listen(s->lfd, 8), 0);
    assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
    s->running = true;
}

static void server_stop(server *s)
{
    if (!s->running) return;
    s->stop = 1;
    pthread_join(s->th, NULL);
    close(s->lfd);
    SSL_CTX_free(s->ctx);
    s->ctx = NULL;
    s->running = false;
}

static int g_port;
static int dial_loopback(void *arg, const char *host, int port)
{
    (void)arg, (void)host, (void)port;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* the loopback server, reachable only as port 443 */
static int dial_port_443_only(void *arg, const char *host, int port)
{
    return port == 443 ? dial_loopback(arg, host, port) : -ECONNREFUSED;
}

static int dial_refused(void *arg, const char *host, int port)
{
    (void)arg, (void)host, (void)port;
    return -ECONNREFUSED;
}

static int dial_nxdomain(void *arg, const char *host, int port)
{
    (void)arg, (void)host, (void)port;
    return PROBE_DIAL_NXDOMAIN;
}

/* ---- fixtures ---- */

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/meshsim-test-openssl.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    bool created;
    char err[256];
    f->st = store_open(f->dir, &created, err, sizeof err);
    assert_non_null(f->st);
    assert_int_equal(store_begin(f->st), 0);
    f->rel = *release_default();
    f->rel.cert_dir = "/etc/certs";
    json_error_t je;
    f->pod = json_loads("{\"metadata\":{\"name\":\"istio-egressgateway-7d4c\",\"namespace\":\"istio-system\"},"
                        "\"spec\":{\"serviceAccountName\":\"istio-egressgateway-service-account\","
                        "\"containers\":[{\"name\":\"istio-proxy\"}]}}", 0, &je);
    assert_non_null(f->pod);
    /* the real openssl gets the same trust bundle as a file */
    char *bundle = pki_trust_bundle_pem(f->st), path[128];
    snprintf(path, sizeof path, "%s/bundle.pem", f->dir);
    FILE *fp = fopen(path, "w");
    fputs(bundle, fp);
    fclose(fp);
    free(bundle);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    server_stop(&f->srv);
    store_rollback(f->st);
    store_close(f->st);
    json_decref(f->pod);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static void start_world(fx *f, const char *name, const char *hosts, const char *tls)
{
    json_error_t je;
    json_t *es = json_pack("{s:s,s:s,s:{s:s},s:{s:o}}", "apiVersion", "meshsim.dev/v1alpha1", "kind",
                           "ExternalService", "metadata", "name", name, "spec", "hosts", json_loads(hosts, 0, &je));
    if (tls) json_object_set_new(json_object_get(es, "spec"), "tls", json_loads(tls, 0, &je));
    SSL_CTX *ctx = pki_world_server_ctx(f->st, es);
    assert_non_null(ctx);
    /* no TLS 1.3 session tickets: whether the real client prints them
     * depends on whether they beat its stdin EOF, a race */
    SSL_CTX_set_num_tickets(ctx, 0);
    json_decref(es);
    server_start(&f->srv, ctx);
    g_port = f->srv.port;
}

/* ---- running ours and theirs ---- */

typedef struct result {
    int rc;
    char *out, *err;
} result;

static void result_free(result *r)
{
    free(r->out);
    free(r->err);
}

static probe_dial_fn g_dial;
static int s_client_fn(exec_ctx *x, int argc, char **argv)
{
    return openssl_s_client(x, argc, argv, g_dial, NULL);
}

static result run_ours(fx *f, int (*fn)(exec_ctx *, int, char **), const char *input, const char *args,
                       probe_dial_fn dial)
{
    char *argv[32], buf[1024];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", args);
    for (char *save, *t = strtok_r(buf, " ", &save); t && argc < 31; t = strtok_r(NULL, " ", &save)) argv[argc++] = t;
    argv[argc] = NULL;
    result r = {0};
    size_t ol, el;
    FILE *out = open_memstream(&r.out, &ol), *err = open_memstream(&r.err, &el);
    FILE *in = input ? fmemopen((void *)input, strlen(input) ? strlen(input) : 1, "r") : NULL;
    if (in && !*input) fgetc(in);   /* an empty stream: at EOF */
    exec_ctx x = {.st = f->st, .rel = &f->rel, .pod = f->pod, .ns = "istio-system",
                  .pod_name = "istio-egressgateway-7d4c", .container = "istio-proxy", .image = "proxyv2",
                  .in = in, .out = out, .err = err};
    g_dial = dial;
    r.rc = fn(&x, argc, argv);
    fclose(out);
    fclose(err);
    if (in) fclose(in);
    return r;
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int c;
    while ((c = fgetc(fp)) != EOF) fputc(c, m);
    fclose(m);
    fclose(fp);
    return buf;
}

static bool have_real_openssl(void)
{
    return access(REAL_OPENSSL, X_OK) == 0;
}

/* Run the real openssl in f->dir with args; stdin from input_file (or /dev/null). */
static result run_real(fx *f, const char *args, const char *input_file)
{
    char cmd[2048];
    /* openssl prints its socket's descriptor (CONNECTED(00000003)): it must
     * get the lowest one, as in a pod, even if we were handed more than 0-2
     * (valgrind passes its log file on as descriptor 3) */
    snprintf(cmd, sizeof cmd, "cd '%s' && exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- && " REAL_OPENSSL
             " %s <%s >real.out 2>real.err", f->dir, args,
             input_file ? input_file : "/dev/null");
    result r = {0};
    int st = system(cmd);
    r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    char p[128];
    snprintf(p, sizeof p, "%s/real.out", f->dir);
    r.out = slurp(p);
    snprintf(p, sizeof p, "%s/real.err", f->dir);
    r.err = slurp(p);
    return r;
}

/* Replace what legitimately differs between two runs: byte counts of the
 * handshake (ECDSA signatures vary in length) and the error queue's thread id. */
static char *normalize(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    regex_t hs, tid;
    assert_int_equal(regcomp(&hs, "^SSL handshake has read [0-9]+ bytes and written [0-9]+ bytes$",
                             REG_EXTENDED | REG_NEWLINE), 0);
    assert_int_equal(regcomp(&tid, "^[0-9A-F]+:error:", REG_EXTENDED | REG_NEWLINE), 0);
    const char *p = s;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        char line[4096];
        snprintf(line, sizeof line, "%.*s", (int)l, p);
        regmatch_t m;
        if (!regexec(&hs, line, 0, NULL, 0)) {
            o += sprintf(o, "SSL handshake has read N bytes and written M bytes");
        } else if (!regexec(&tid, line, 1, &m, 0)) {
            o += sprintf(o, "TID:error:%s", line + m.rm_eo);
        } else {
            memcpy(o, line, strlen(line));
            o += strlen(line);
        }
        if (nl) *o++ = '\n';
        p += l + (nl ? 1 : 0);
    }
    *o = 0;
    regfree(&hs);
    regfree(&tid);
    return out;
}

static void assert_same_text(const char *ours, const char *real)
{
    char *a = normalize(ours), *b = normalize(real);
    if (strcmp(a, b)) {
        FILE *fa = fopen("/tmp/meshsim-openssl-ours.txt", "w"), *fb = fopen("/tmp/meshsim-openssl-real.txt", "w");
        if (fa) fputs(a, fa), fclose(fa);
        if (fb) fputs(b, fb), fclose(fb);
        fprintf(stderr, "(diff /tmp/meshsim-openssl-ours.txt /tmp/meshsim-openssl-real.txt)\n");
        if (system("diff /tmp/meshsim-openssl-ours.txt /tmp/meshsim-openssl-real.txt >&2")) {}
        fail_msg("output differs from " REAL_OPENSSL);
    }
    free(a);
    free(b);
}

static int count(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)); p++) n++;
    return n;
}

static void assert_has_line(const char *text, const char *line)
{
    size_t l = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && (p[l] == '\n' || p[l] == 0)) return;
    fail_msg("missing line \"%s\" in:\n%s", line, text);
}

/* Run both, ours with `ours_args`, real with the same options against the
 * loopback port and the bundle as -CAfile; compare both streams and the exit code. */
static void compare_s_client(fx *f, const char *ours_args, const char *real_args, result *keep)
{
    result o = run_ours(f, s_client_fn, "", ours_args, dial_loopback);
    if (!have_real_openssl()) {
        if (keep) *keep = o;
        else result_free(&o);
        skip();
    }
    result r = run_real(f, real_args, NULL);
    assert_same_text(o.out, r.out);
    assert_same_text(o.err, r.err);
    assert_int_equal(o.rc, r.rc);
    result_free(&r);
    if (keep) *keep = o;
    else result_free(&o);
}

/* ---- s_client ---- */

static void test_s_client_matches_real_for_the_seed_command(void **state)
{
    fx *f = *state;
    start_world(f, "cnn", "[\"edition.cnn.com\"]", NULL);
    char real[512];
    snprintf(real, sizeof real, "s_client -connect 127.0.0.1:%d -servername edition.cnn.com -CAfile bundle.pem",
             f->srv.port);
    result o;
    compare_s_client(f, "s_client -connect edition.cnn.com:443 -servername edition.cnn.com", real, &o);
    /* the shapes the seed page and its acceptance test look for */
    assert_has_line(o.out, "CONNECTED(00000003)");
    assert_has_line(o.out, "Certificate chain");
    assert_has_line(o.out, " 0 s:C = US, ST = California, L = San Francisco, O = \"Fastly, Inc.\", "
                           "CN = turner-tls.map.fastly.net");
    assert_has_line(o.out, " 3 s:C = BE, O = GlobalSign nv-sa, OU = Root CA, CN = GlobalSign Root CA");
    assert_has_line(o.out, "-----BEGIN CERTIFICATE-----");
    assert_has_line(o.out, "Verification: OK");
    assert_has_line(o.out, "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384");
    assert_has_line(o.out, "Verify return code: 0 (ok)");
    assert_has_line(o.err, "depth=2 C = BE, O = GlobalSign nv-sa, OU = Root CA, CN = GlobalSign Root CA");
    assert_has_line(o.err, "verify return:1");
    assert_has_line(o.err, "DONE");
    assert_int_equal(o.rc, 0);
    result_free(&o);
}

static void test_s_client_alpn_h2_and_showcerts(void **state)
{
    fx *f = *state;
    start_world(f, "cnn", "[\"edition.cnn.com\"]", NULL);
    char real[512];
    snprintf(real, sizeof real, "s_client -connect 127.0.0.1:%d -servername edition.cnn.com -CAfile bundle.pem "
             "-alpn h2,http/1.1 -showcerts", f->srv.port);
    result o;
    compare_s_client(f, "s_client -connect edition.cnn.com:443 -servername edition.cnn.com -alpn h2,http/1.1 "
                        "-showcerts", real, &o);
    assert_has_line(o.out, "ALPN protocol: h2");
    /* the PEM of every certificate, the server certificate not again */
    assert_int_equal(count(o.out, "-----BEGIN CERTIFICATE-----"), 4);
    result_free(&o);
    /* without h2 offered, the server picks http/1.1 */
    o = run_ours(f, s_client_fn, "", "s_client -connect edition.cnn.com:443 -alpn http/1.1", dial_loopback);
    assert_has_line(o.out, "ALPN protocol: http/1.1");
    result_free(&o);
    o = run_ours(f, s_client_fn, "", "s_client -connect edition.cnn.com:443", dial_loopback);
    assert_has_line(o.out, "No ALPN negotiated");
    result_free(&o);
}

static void test_s_client_brief(void **state)
{
    fx *f = *state;
    start_world(f, "cnn", "[\"edition.cnn.com\"]", NULL);
    char real[512];
    snprintf(real, sizeof real, "s_client -connect 127.0.0.1:%d -servername edition.cnn.com -CAfile bundle.pem "
             "-brief -verify_hostname edition.cnn.com", f->srv.port);
    result o;
    compare_s_client(f, "s_client -connect edition.cnn.com:443 -brief -verify_hostname edition.cnn.com", real, &o);
    assert_has_line(o.err, "CONNECTION ESTABLISHED");
    assert_has_line(o.err, "Verification: OK");
    assert_has_line(o.err, "Verified peername: edition.cnn.com");
    assert_string_equal(o.out, "");   /* -brief reports on standard error only */
    result_free(&o);
}

static void test_s_client_expired_certificate(void **state)
{
    fx *f = *state;
    start_world(f, "old", "[\"expired.example.com\"]",
                "{\"notBefore\":\"2019-01-01T00:00:00Z\",\"notAfter\":\"2020-01-01T00:00:00Z\"}");
    char real[512];
    snprintf(real, sizeof real, "s_client -connect 127.0.0.1:%d -servername expired.example.com -CAfile bundle.pem",
             f->srv.port);
    result o;
    /* without -verify_return_error the connection goes on and reports the error */
    compare_s_client(f, "s_client -connect expired.example.com:443", real, &o);
    assert_has_line(o.err, "verify error:num=10:certificate has expired");
    assert_has_line(o.err, "notAfter=Jan  1 00:00:00 2020 GMT");
    assert_has_line(o.out, "Verification error: certificate has expired");
    assert_has_line(o.out, "Verify return code: 10 (certificate has expired)");
    result_free(&o);
    /* with it, the handshake fails and the exit code says so */
    snprintf(real, sizeof real, "s_client -connect 127.0.0.1:%d -servername expired.example.com -CAfile bundle.pem "
             "-verify_return_error", f->srv.port);
    compare_s_client(f, "s_client -connect expired.example.com:443 -verify_return_error", real, &o);
    assert_int_equal(o.rc, 1);
    assert_non_null(strstr(o.err, ":error:0A000086:SSL routines:tls_post_process_server_certificate:"
                                  "certificate verify failed:"));
    result_free(&o);
}

static void test_s_client_untrusted_and_ip_without_sni(void **state)
{
    fx *f = *state;
    start_world(f, "selfie", "[\"self.example.com\"]", "{\"profile\":\"self-signed\"}");
    char real[512];
    snprintf(real, sizeof real, "s_client -connect 127.0.0.1:%d -CAfile bundle.pem", f->srv.port);
    result o;
    /* connecting by address: no SNI, as the real one does */
    compare_s_client(f, "s_client -connect 127.0.0.1:443", real, &o);
    assert_has_line(o.err, "verify error:num=18:self-signed certificate");
    assert_has_line(o.err, "Can't use SSL_get_servername");
    result_free(&o);
    /* -verify N: the depth is announced, and errors still do not stop the handshake */
    snprintf(real, sizeof real, "s_client -connect 127.0.0.1:%d -servername self.example.com -CAfile bundle.pem "
             "-verify 2 -verify_hostname other.example.com", f->srv.port);
    compare_s_client(f, "s_client -connect self.example.com:443 -verify 2 -verify_hostname other.example.com", real, &o);
    assert_has_line(o.err, "verify depth is 2");
    assert_has_line(o.err, "verify error:num=62:hostname mismatch");
    result_free(&o);
}

static void test_s_client_client_certificate_request(void **state)
{
    fx *f = *state;
    start_world(f, "mtls", "[\"mtls.example.com\"]", "{\"clientAuth\":\"request\"}");
    char real[512];
    snprintf(real, sizeof real, "s_client -connect 127.0.0.1:%d -servername mtls.example.com -CAfile bundle.pem",
             f->srv.port);
    result o;
    compare_s_client(f, "s_client -connect mtls.example.com:443", real, &o);
    assert_has_line(o.out, "Acceptable client certificate CA names");
    assert_has_line(o.out, "C = US, O = meshsim, CN = meshsim Simulated Client CA");
    result_free(&o);
}

static void test_s_client_connection_errors(void **state)
{
    fx *f = *state;
    result o = run_ours(f, s_client_fn, "", "s_client -connect edition.cnn.com:443", dial_refused);
    assert_int_equal(o.rc, 1);
    assert_has_line(o.err, "connect:errno=111");
    assert_non_null(strstr(o.err, ":error:8000006F:system library:BIO_connect:Connection refused:"));
    assert_null(strstr(o.out, "CONNECTED"));
    result_free(&o);
    o = run_ours(f, s_client_fn, "", "s_client -connect nowhere.invalid:443", dial_nxdomain);
    assert_int_equal(o.rc, 1);
    assert_has_line(o.err, "connect:errno=0");
    assert_non_null(strstr(o.err, ":BIO_lookup_ex:system lib:"));
    result_free(&o);
    /* the real one's messages for bad command lines */
    static const char *const bad[] = {"s_client -connect a:1 -bogus", "s_client -connect a:1 b:2",
                                      "s_client a:1 b:2", "s_client a:1 -connect b:2", "s_client -servername",
                                      "s_client -connect a:1 -alpn ,", "x509 -in", "x509 foo", "verify -bogus"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char args[128];
        snprintf(args, sizeof args, "openssl %s", bad[i]);
        o = run_ours(f, probe_openssl_main, "", args, NULL);
        assert_int_equal(o.rc, 1);
        assert_string_equal(o.out, "");
        if (have_real_openssl()) {
            result r = run_real(f, bad[i], NULL);
            assert_string_equal(o.err, r.err);
            assert_int_equal(o.rc, r.rc);
            result_free(&r);
        }
        result_free(&o);
    }
    /* ports by service name, as getaddrinfo resolves them */
    o = run_ours(f, s_client_fn, "", "s_client -connect edition.cnn.com:nosuchsvc", dial_refused);
    assert_int_equal(o.rc, 1);
    assert_non_null(strstr(o.err, ":BIO_lookup_ex:system lib:../crypto/bio/bio_addr.c:746:Servname not supported "
                                  "for ai_socktype\nconnect:errno=0\n"));
    if (have_real_openssl()) {
        result r = run_real(f, "s_client -connect 127.0.0.1:nosuchsvc", NULL);
        assert_same_text(o.err, r.err);
        result_free(&r);
    }
    result_free(&o);
    start_world(f, "cnn", "[\"edition.cnn.com\"]", NULL);
    o = run_ours(f, s_client_fn, "", "s_client -connect edition.cnn.com:https -brief", dial_port_443_only);
    assert_int_equal(o.rc, 0);
    assert_has_line(o.err, "CONNECTION ESTABLISHED");
    result_free(&o);
    /* an operand is the target, as -connect */
    o = run_ours(f, s_client_fn, "", "s_client nowhere.invalid:443", dial_nxdomain);
    assert_has_line(o.err, "connect:errno=0");
    result_free(&o);
}

static void test_s_client_sends_stdin_with_ign_eof(void **state)
{
    fx *f = *state;
    start_world(f, "cnn", "[\"edition.cnn.com\"]", NULL);
    result o = run_ours(f, s_client_fn, "hello world\n", "s_client -connect edition.cnn.com:443 -quiet",
                        dial_loopback);
    assert_int_equal(o.rc, 0);
    assert_string_equal(o.out, "CONNECTED(00000003)\nHELLO WORLD\n");
    result_free(&o);
}

static void test_s_client_cafile_from_container(void **state)
{
    fx *f = *state;
    start_world(f, "cnn", "[\"edition.cnn.com\"]", NULL);
    /* the mesh root does not vouch for the public chain */
    result o = run_ours(f, s_client_fn, "", "s_client -connect edition.cnn.com:443 -CAfile /etc/certs/root-cert.pem",
                        dial_loopback);
    assert_has_line(o.out, "Verification error: self-signed certificate in certificate chain");
    result_free(&o);
    o = run_ours(f, s_client_fn, "", "s_client -connect edition.cnn.com:443 -CAfile /etc/ssl/cert.pem",
                 dial_loopback);
    assert_has_line(o.out, "Verification: OK");
    result_free(&o);
    o = run_ours(f, s_client_fn, "", "s_client -connect edition.cnn.com:443 -CAfile /nope.pem", dial_loopback);
    assert_int_equal(o.rc, 1);
    assert_has_line(o.err, "Error loading file /nope.pem");
    result_free(&o);
}

static void test_s_client_rsa_leaf_matches_real(void **state)
{
    fx *f = *state;
    start_world(f, "rsa", "[\"rsa.example.com\"]", "{\"keyType\":\"RSA\"}");
    char real[512];
    snprintf(real, sizeof real, "s_client -connect 127.0.0.1:%d -servername rsa.example.com -CAfile bundle.pem",
             f->srv.port);
    result o;
    compare_s_client(f, "s_client -connect rsa.example.com:443", real, &o);
    assert_has_line(o.out, "   a:PKEY: rsaEncryption, 2048 (bit); sigalg: ecdsa-with-SHA256");
    assert_has_line(o.out, "Peer signature type: RSA-PSS");
    assert_has_line(o.out, "Server public key is 2048 bit");
    result_free(&o);
}

static void test_s_client_tls12_server(void **state)
{
    fx *f = *state;
    start_world(f, "old", "[\"old.example.com\"]", "{\"maxVersion\":\"TLSv1.2\"}");
    result o = run_ours(f, s_client_fn, "", "s_client -connect old.example.com:443", dial_loopback);
    assert_int_equal(o.rc, 0);
    assert_has_line(o.out, "New, TLSv1.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384");
    assert_has_line(o.out, "Secure Renegotiation IS supported");
    assert_has_line(o.out, "SSL-Session:");
    assert_has_line(o.out, "    Protocol  : TLSv1.2");
    assert_has_line(o.out, "    Verify return code: 0 (ok)");
    assert_null(strstr(o.out, "Early data"));
    result_free(&o);
}

/* Debugging Istio mTLS by hand: the proxy's own certificate files against a
 * peer proxy that requires a mesh client certificate. */
static void test_s_client_with_workload_certificate_to_a_sidecar(void **state)
{
    fx *f = *state;
    SSL_CTX *ctx = pki_mesh_ctx(f->st, "default", "httpbin", 1);
    assert_non_null(ctx);
    SSL_CTX_set_num_tickets(ctx, 0);
    server_start(&f->srv, ctx);
    g_port = f->srv.port;
    result o = run_ours(f, s_client_fn, "",
                        "s_client -connect 10.244.0.7:15006 -cert /etc/certs/cert-chain.pem "
                        "-key /etc/certs/key.pem -CAfile /etc/certs/root-cert.pem -verify_return_error -brief",
                        dial_loopback);
    assert_int_equal(o.rc, 0);
    assert_has_line(o.err, "Verification: OK");
    assert_has_line(o.err, "Peer certificate: ");   /* Istio workload certificates have an empty subject */
    result_free(&o);
    /* without the client certificate the sidecar refuses: the TLS 1.3 alert
     * arrives after the handshake, when the client reads */
    o = run_ours(f, s_client_fn, "x\n", "s_client -connect 10.244.0.7:15006 -CAfile /etc/certs/root-cert.pem -quiet",
                 dial_loopback);
    assert_non_null(strstr(o.err, ":error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:"));
    assert_int_equal(o.rc, 1);
    assert_null(strstr(o.err, "DONE"));
    result_free(&o);
    /* a key that is not the certificate's */
    o = run_ours(f, s_client_fn, "", "s_client -connect 10.244.0.7:15006 -cert /etc/certs/cert-chain.pem "
                 "-key /etc/certs/root-cert.pem", dial_loopback);
    assert_int_equal(o.rc, 1);
    result_free(&o);
}

/* A proxy that accepts the connection and hangs up (REGISTRY_ONLY, a
 * blocked port): the report of a handshake that never happened. */
static void test_s_client_peer_hangs_up(void **state)
{
    fx *f = *state;
    for (int reset = 0; reset <= 1; reset++) {
        f->srv.reset = reset;
        server_start(&f->srv, NULL);
        g_port = f->srv.port;
        char real[512];
        snprintf(real, sizeof real, "s_client -connect 127.0.0.1:%d -servername edition.cnn.com -CAfile bundle.pem",
                 f->srv.port);
        result o;
        compare_s_client(f, "s_client -connect edition.cnn.com:443 -servername edition.cnn.com", real, &o);
        assert_int_equal(o.rc, 1);
        assert_has_line(o.out, "no peer certificate available");
        assert_has_line(o.out, "New, (NONE), Cipher is (NONE)");
        if (reset) assert_has_line(o.err, "write:errno=104");
        else assert_non_null(strstr(o.err, ":error:0A000126:SSL routines:ssl3_read_n:unexpected eof while reading:"));
        result_free(&o);
        server_stop(&f->srv);
    }
}

/* ---- x509 and verify ---- */

static void write_file(fx *f, const char *name, const char *content)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", f->dir, name);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(content, fp);
    fclose(fp);
}

static void test_x509_text_of_the_gateway_certificate(void **state)
{
    fx *f = *state;
    char *chain = NULL;
    assert_int_equal(pki_pod_file(f->st, f->pod, "istio-proxy", &f->rel, "/etc/certs/cert-chain.pem", &chain), 0);
    result o = run_ours(f, openssl_x509, chain, "x509 -text -noout", NULL);
    assert_int_equal(o.rc, 0);
    /* what the seed's grep 'Subject Alternative Name' -A 1 shows */
    const char *san = strstr(o.out, "X509v3 Subject Alternative Name: critical\n");
    assert_non_null(san);
    assert_has_line(o.out, "                URI:spiffe://cluster.local/ns/istio-system/sa/"
                           "istio-egressgateway-service-account");
    if (have_real_openssl()) {
        write_file(f, "chain.pem", chain);
        result r = run_real(f, "x509 -text -noout", "chain.pem");
        assert_same_text(o.out, r.out);
        result_free(&r);
        r = run_real(f, "x509 -noout -dates -subject -issuer -serial -fingerprint -ext subjectAltName", "chain.pem");
        result_free(&o);
        o = run_ours(f, openssl_x509, chain, "x509 -noout -dates -subject -issuer -serial -fingerprint "
                                             "-ext subjectAltName", NULL);
        assert_same_text(o.out, r.out);
        result_free(&r);
        /* and without -noout, the PEM after the rest */
        r = run_real(f, "x509 -in chain.pem -subject", NULL);
        result_free(&o);
        o = run_ours(f, openssl_x509, NULL, "x509 -in /etc/certs/cert-chain.pem -subject", NULL);
        assert_same_text(o.out, r.out);
        result_free(&r);
    }
    result_free(&o);
    o = run_ours(f, openssl_x509, "junk\n", "x509 -text -noout", NULL);
    assert_int_equal(o.rc, 1);
    assert_string_equal(o.err, "Could not read certificate from <stdin>\nUnable to load certificate\n");
    result_free(&o);
    free(chain);
}

static void test_verify(void **state)
{
    fx *f = *state;
    json_error_t je;
    json_t *es = json_loads("{\"metadata\":{\"name\":\"cnn\"},\"spec\":{\"hosts\":[\"edition.cnn.com\"]}}", 0, &je);
    char *chain = pki_world_chain_pem(f->st, es);
    json_decref(es);
    /* the leaf alone does not verify without its intermediate */
    char *end = strstr(chain, "-----END CERTIFICATE-----\n");
    char *leaf = strndup(chain, (size_t)(end - chain) + strlen("-----END CERTIFICATE-----\n"));
    result o = run_ours(f, openssl_verify, leaf, "verify", NULL);
    assert_int_equal(o.rc, 2);
    assert_has_line(o.err, "error 20 at 0 depth lookup: unable to get local issuer certificate");
    assert_has_line(o.err, "error stdin: verification failed");
    if (have_real_openssl()) {
        write_file(f, "leaf.pem", leaf);
        result r = run_real(f, "verify -CAfile bundle.pem", "leaf.pem");
        assert_string_equal(o.err, r.err);
        assert_int_equal(o.rc, r.rc);
        result_free(&r);
    }
    result_free(&o);
    o = run_ours(f, openssl_verify, chain, "verify -CAfile /etc/ssl/cert.pem", NULL);
    /* only the first certificate of stdin is checked, so still no issuer */
    assert_int_equal(o.rc, 2);
    result_free(&o);
    /* the gateway's certificate against the mesh root, inside the proxy container */
    o = run_ours(f, openssl_verify, NULL, "verify -CAfile /etc/certs/root-cert.pem /etc/certs/cert-chain.pem", NULL);
    assert_int_equal(o.rc, 0);
    assert_string_equal(o.out, "/etc/certs/cert-chain.pem: OK\n");
    result_free(&o);
    o = run_ours(f, openssl_verify, NULL, "verify /etc/certs/cert-chain.pem", NULL);
    assert_int_equal(o.rc, 2);
    result_free(&o);
    free(leaf);
    free(chain);
}

static void test_unknown_subcommand(void **state)
{
    fx *f = *state;
    result o = run_ours(f, probe_openssl_main, NULL, "openssl foo", NULL);
    assert_int_equal(o.rc, 1);
    assert_string_equal(o.err, "Invalid command 'foo'; type \"help\" for a list.\n");
    result_free(&o);
    o = run_ours(f, probe_openssl_main, NULL, "openssl version", NULL);
    assert_int_equal(o.rc, 0);
    assert_true(strncmp(o.out, "OpenSSL 3.", 10) == 0);
    result_free(&o);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_s_client_matches_real_for_the_seed_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s_client_alpn_h2_and_showcerts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s_client_brief, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s_client_expired_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s_client_untrusted_and_ip_without_sni, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s_client_client_certificate_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s_client_connection_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s_client_sends_stdin_with_ign_eof, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s_client_cafile_from_container, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s_client_rsa_leaf_matches_real, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s_client_tls12_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s_client_with_workload_certificate_to_a_sidecar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_s_client_peer_hangs_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_x509_text_of_the_gateway_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_subcommand, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
