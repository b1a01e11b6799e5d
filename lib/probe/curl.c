/* `curl` inside a container: real libcurl does the transfer, the simulated
 * network (lib/net) answers.  Names resolve through the pod's DNS (preloaded
 * with CURLOPT_RESOLVE), and every socket libcurl opens is pointed at a
 * loopback listener of the engine that stands for the simulated address.
 * What the user sees is curl 7.88's output with the simulated addresses.
 * Outcomes that take time (a dropped SYN, --max-time) happen on the virtual
 * clock and are reported with curl's own words. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "model/obj.h"
#include "net/net.h"
#include "pki/pki.h"
#include "probe/admin.h"
#include "probe/curl_args.h"
#include "probe/curl_lib.h"
#include "probe/probe.h"

#define MAX_CONNS 64

/* libcurl's functions (curl_lib.h), set by probe_curl_main */
static const curl_lib *C;

typedef struct sim_conn {
    int lport;                  /* loopback port libcurl really connects to */
    char ip[46];
    int port;
    int closed_fd;              /* bound, not listening: gives a real RST */
} sim_conn;

/* The connections of one curl command, shared by its URLs as curl shares its
 * connection cache between transfers. */
typedef struct session {
    CURLSH *share;
    sim_conn conns[MAX_CONNS];
    int nconns;
    char last_ip[46];
    int last_port;
    int last_local_port;
    char *cert_pem, *key_pem;    /* --cert / --key, read from the pod's files */
} session;

typedef struct transfer {
    exec_ctx *x;
    curl_args *a;
    net *n;
    CURL *h;
    const char *host;           /* host of the current URL */
    struct session *ss;         /* what outlives one URL: connections and their addresses */
    /* a SYN that was dropped: the kernel's timeout is simulated */
    bool dropped;
    char drop_ip[46];
    int drop_port;
    char drop_host[256];
    bool fabricated;            /* fabricated lines already printed */
    long long drop_spent;
    int drop_rc;
    char drop_msg[512];
    char fab_text[1024];        /* the lines that replace libcurl's failure report */
    /* curl tool's -v state */
    bool newl, traced_data;
    bool tty;
    FILE *body_out, *hdr_out;
    bool body_started;
    long long bytes_body;
} transfer;

/* ---- -v output (curl's tool_cb_dbg.c, plain trace) ------------------------- */

static void rewrite_addrs(transfer *t, const char *in, size_t len, char *out, size_t outlen)
{
    size_t k = 0;
    for (size_t i = 0; i < len && k + 1 < outlen;) {
        if (len - i >= 9 && !memcmp(in + i, "127.0.0.1", 9)) {
            const char *rest = in + i + 9;
            size_t rl = len - i - 9;
            int lport = 0, used = 0;
            if (rl > 1 && rest[0] == ':') sscanf(rest + 1, "%d%n", &lport, &used), used += 1;
            else if (rl > 6 && !memcmp(rest, " port ", 6)) sscanf(rest + 6, "%d%n", &lport, &used), used += 6;
            sim_conn *c = NULL;
            for (int j = 0; j < t->ss->nconns; j++)
                if (t->ss->conns[j].lport == lport) c = &t->ss->conns[j];
            if (c) {
                k += (size_t)snprintf(out + k, outlen - k, "%s%s%d", c->ip, rest[0] == ':' ? ":" : " port ", c->port);
                i += 9 + (size_t)used;
                continue;
            }
            if (t->ss->last_ip[0]) {
                k += (size_t)snprintf(out + k, outlen - k, "%s", t->ss->last_ip);
                i += 9;
                continue;
            }
        }
        out[k++] = in[i++];
    }
    out[k < outlen ? k : outlen - 1] = 0;
}

static void line_start(transfer *t, FILE *o, curl_infotype type)
{
    (void)t;
    static const char *const s_infotype[] = {"* ", "< ", "> ", "{ ", "} ", "{ ", "} "};
    fputs(s_infotype[type <= CURLINFO_SSL_DATA_OUT ? type : 0], o);
}

static void emit_text(transfer *t, const char *text)
{
    if (!t->a->verbose) return;
    FILE *o = t->x->err;
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) + 1 : strlen(text);
        if (!t->newl) line_start(t, o, CURLINFO_TEXT);
        fwrite(text, 1, len, o);
        t->newl = text[len - 1] != '\n';
        text += len;
    }
    t->traced_data = false;
}

/* A dropped SYN: what the kernel (or curl's own timer) reports later, on the
 * virtual clock.  Decided when the drop happens, printed where libcurl would
 * report the failure. */
static void plan_drop(transfer *t)
{
    curl_args *a = t->a;
    long long limit = a->connect_timeout_ms;
    if (a->max_time_ms && (!limit || a->max_time_ms < limit)) limit = a->max_time_ms;
    char msg[512];
    if (limit && limit < NET_SYN_TIMEOUT_MS) {
        t->drop_spent = limit;
        t->drop_rc = CURLE_OPERATION_TIMEDOUT;
        snprintf(msg, sizeof msg, "Failed to connect to %s port %d after %lld ms: Timeout was reached", t->host,
                 t->drop_port, limit + 1);
        snprintf(t->fab_text, sizeof t->fab_text, "ipv4 connect timeout after %lldms, move on!\n%s\n", limit, msg);
    } else {
        t->drop_spent = NET_SYN_TIMEOUT_MS;
        t->drop_rc = CURLE_COULDNT_CONNECT;
        snprintf(msg, sizeof msg, "Failed to connect to %s port %d after %lld ms: Couldn't connect to server",
                 t->host, t->drop_port, t->drop_spent);
        snprintf(t->fab_text, sizeof t->fab_text, "connect to %s port %d failed: Connection timed out\n%s\n",
                 t->drop_ip, t->drop_port, msg);
    }
    snprintf(t->drop_msg, sizeof t->drop_msg, "%s", msg);
}

static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
    (void)h;
    transfer *t = ud;
    FILE *o = t->x->err;
    char buf[8192];
    switch (type) {
    case CURLINFO_TEXT: {
        rewrite_addrs(t, data, size, buf, sizeof buf);
        /* CURLOPT_RESOLVE is how the pod's DNS answers; curl says nothing about it */
        if (strstr(buf, " to DNS cache") && !strncmp(buf, "Added ", 6)) return 0;
        if (!strncmp(buf, "Hostname ", 9) && strstr(buf, "was found in DNS cache")) return 0;
        /* the trust store is the image's CA bundle */
        if (!strcmp(buf, "successfully imported CA certificate blob\n")) {
            /* the trust store is the image's CA bundle (or --cacert) */
            snprintf(buf, sizeof buf, " CAfile: %s\n", t->a->cacert ? t->a->cacert : "/etc/ssl/certs/ca-certificates.crt");
            emit_text(t, buf);
            snprintf(buf, sizeof buf, " CApath: %s\n", t->a->capath ? t->a->capath : "/etc/ssl/certs");
        }
        if (t->fab_text[0] || t->dropped || net_deadline_hit(t->n)) {
            /* the simulated failure replaces libcurl's report, up to "Closing" */
            if (strncmp(buf, "Closing connection", 18)) return 0;
            if (t->fab_text[0] && !t->fabricated) {
                t->fabricated = true;
                emit_text(t, t->fab_text);
            }
        }
        emit_text(t, buf);
        break;
    }
    case CURLINFO_HEADER_OUT:
        if (size > 0) {
            size_t st = 0, i;
            for (i = 0; i < size - 1; i++) {
                if (data[i] == '\n') {
                    if (!t->newl) line_start(t, o, type);
                    fwrite(data + st, i - st + 1, 1, o);
                    st = i + 1;
                    t->newl = false;
                }
            }
            if (!t->newl) line_start(t, o, type);
            fwrite(data + st, i - st + 1, 1, o);
        }
        t->newl = size && data[size - 1] != '\n';
        t->traced_data = false;
        break;
    case CURLINFO_HEADER_IN:
        if (!t->newl) line_start(t, o, type);
        fwrite(data, size, 1, o);
        t->newl = size && data[size - 1] != '\n';
        t->traced_data = false;
        break;
    case CURLINFO_DATA_OUT: case CURLINFO_DATA_IN: case CURLINFO_SSL_DATA_IN: case CURLINFO_SSL_DATA_OUT:
        if (!t->traced_data && !t->tty) {
            if (!t->newl) line_start(t, o, type);
            fprintf(o, "[%zu bytes data]\n", size);
            t->newl = false;
            t->traced_data = true;
        }
        break;
    default:
        t->newl = false;
        t->traced_data = false;
        break;
    }
    return 0;
}

/* ---- sockets: the engine decides where each connection lands --------------- */

static curl_socket_t open_cb(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
    (void)purpose;
    transfer *t = ud;
    if (addr->family != AF_INET) return CURL_SOCKET_BAD;
    struct sockaddr_in *in = (struct sockaddr_in *)&addr->addr;
    char ip[46];
    inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
    int port = ntohs(in->sin_port);
    char why[512];
    struct sockaddr_in lo;
    net_conn_status s = t->dropped ? NET_REFUSED : net_listen(t->n, ip, port, t->host, &lo, why, sizeof why);
    if (s == NET_TIMEDOUT) {
        char line[128];
        snprintf(line, sizeof line, "  Trying %s:%d...\n", ip, port);
        emit_text(t, line);
        t->dropped = true;
        snprintf(t->drop_ip, sizeof t->drop_ip, "%s", ip);
        t->drop_port = port;
        plan_drop(t);
        /* libcurl gets a quick RST instead; its report is replaced */
        s = NET_REFUSED;
    }
    if (t->ss->nconns == MAX_CONNS) return CURL_SOCKET_BAD;
    sim_conn *c = &t->ss->conns[t->ss->nconns++];
    memset(c, 0, sizeof *c);
    c->closed_fd = -1;
    snprintf(c->ip, sizeof c->ip, "%s", ip);
    c->port = port;
    if (s == NET_REFUSED) {
        /* a port nobody listens on: the kernel answers with a real RST */
        c->closed_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t al = sizeof a;
        if (c->closed_fd < 0 || bind(c->closed_fd, (struct sockaddr *)&a, sizeof a) ||
            getsockname(c->closed_fd, (struct sockaddr *)&a, &al))
            return CURL_SOCKET_BAD;
        lo = a;
    }
    c->lport = ntohs(lo.sin_port);
    snprintf(t->ss->last_ip, sizeof t->ss->last_ip, "%s", ip);
    t->ss->last_port = port;
    t->ss->last_local_port = net_last_local_port(t->n);
    *in = lo;
    return socket(addr->family, addr->socktype, addr->protocol);
}

/* After a drop the transfer is over (the kernel timeout is simulated): stop
 * libcurl before it tries the next address. */
static int sockopt_cb(void *ud, curl_socket_t fd, curlsocktype purpose)
{
    (void)fd; (void)purpose;
    transfer *t = ud;
    return t->dropped ? CURL_SOCKOPT_ERROR : CURL_SOCKOPT_OK;
}

/* Names not preloaded would go to the machine's resolver: never. */
static int resolver_start_cb(void *resolver_state, void *reserved, void *ud)
{
    (void)resolver_state; (void)reserved; (void)ud;
    return 1;
}

/* ---- output -------------------------------------------------------------- */

static FILE *sink(exec_ctx *x, const char *path)
{
    if (!path || !strcmp(path, "-") || !strcmp(path, "/dev/stdout")) return x->out;
    if (!strcmp(path, "/dev/stderr")) return x->err;
    return NULL;       /* /dev/null, or a file in the container: not kept */
}

static size_t body_cb(char *p, size_t sz, size_t nm, void *ud)
{
    transfer *t = ud;
    size_t n = sz * nm;
    t->bytes_body += (long long)n;
    if (t->body_out) fwrite(p, 1, n, t->body_out);
    return n;
}

static size_t header_cb(char *p, size_t sz, size_t nm, void *ud)
{
    transfer *t = ud;
    size_t n = sz * nm;
    if (t->hdr_out) fwrite(p, 1, n, t->hdr_out);
    if ((t->a->include || t->a->head) && t->body_out) fwrite(p, 1, n, t->body_out);
    return n;
}

/* ---- --write-out ------------------------------------------------------------ */

static void write_out(transfer *t, const char *fmt, int rc, const char *errmsg, double vsecs)
{
    FILE *o = t->x->out;
    CURL *h = t->h;
    for (const char *p = fmt; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            fputc(*p == 'n' ? '\n' : *p == 'r' ? '\r' : *p == 't' ? '\t' : *p, o);
            continue;
        }
        if (*p != '%') { fputc(*p, o); continue; }
        if (p[1] == '%') { fputc('%', o); p++; continue; }
        if (p[1] != '{') { fputc('%', o); continue; }
        const char *end = strchr(p + 2, '}');
        if (!end) { fputs(p, o); break; }
        char var[64];
        size_t vl = (size_t)(end - p - 2);
        if (vl >= sizeof var) vl = sizeof var - 1;
        memcpy(var, p + 2, vl);
        var[vl] = 0;
        p = end;
        long l = 0;
        double d = 0;
        curl_off_t off = 0;
        char *s = NULL;
        if (!strcmp(var, "http_code") || !strcmp(var, "response_code")) {
            C->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &l);
            fprintf(o, "%03ld", l);
        } else if (!strcmp(var, "http_connect")) {
            C->easy_getinfo(h, CURLINFO_HTTP_CONNECTCODE, &l);
            fprintf(o, "%03ld", l);
        } else if (!strcmp(var, "size_download")) {
            C->easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &off);
            fprintf(o, "%" CURL_FORMAT_CURL_OFF_T, off);
        } else if (!strcmp(var, "size_upload")) {
            C->easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &off);
            fprintf(o, "%" CURL_FORMAT_CURL_OFF_T, off);
        } else if (!strcmp(var, "size_header")) {
            C->easy_getinfo(h, CURLINFO_HEADER_SIZE, &l);
            fprintf(o, "%ld", l);
        } else if (!strcmp(var, "size_request")) {
            C->easy_getinfo(h, CURLINFO_REQUEST_SIZE, &l);
            fprintf(o, "%ld", l);
        } else if (!strncmp(var, "time_", 5)) {
            CURLINFO info = !strcmp(var, "time_total") ? CURLINFO_TOTAL_TIME
                          : !strcmp(var, "time_namelookup") ? CURLINFO_NAMELOOKUP_TIME
                          : !strcmp(var, "time_connect") ? CURLINFO_CONNECT_TIME
                          : !strcmp(var, "time_appconnect") ? CURLINFO_APPCONNECT_TIME
                          : !strcmp(var, "time_pretransfer") ? CURLINFO_PRETRANSFER_TIME
                          : !strcmp(var, "time_starttransfer") ? CURLINFO_STARTTRANSFER_TIME
                          : !strcmp(var, "time_redirect") ? CURLINFO_REDIRECT_TIME : CURLINFO_NONE;
            if (info == CURLINFO_NONE) {
                fprintf(t->x->err, "curl: unknown --write-out variable: '%s'\n", var);
                continue;
            }
            C->easy_getinfo(h, info, &d);
            if (info == CURLINFO_TOTAL_TIME || info == CURLINFO_STARTTRANSFER_TIME) d += vsecs;
            fprintf(o, "%.6f", d);
        } else if (!strcmp(var, "speed_download") || !strcmp(var, "speed_upload")) {
            C->easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &off);
            C->easy_getinfo(h, CURLINFO_TOTAL_TIME, &d);
            d += vsecs;
            if (var[6] == 'u') off = 0;
            fprintf(o, "%.0f", d > 0 ? (double)off / d : 0.0);
        } else if (!strcmp(var, "remote_ip")) {
            fputs(t->ss->last_ip, o);
        } else if (!strcmp(var, "remote_port")) {
            if (t->ss->last_port) fprintf(o, "%d", t->ss->last_port);
            else fputs("0", o);
        } else if (!strcmp(var, "local_ip")) {
            fputs(net_client_ip(t->n), o);
        } else if (!strcmp(var, "local_port")) {
            fprintf(o, "%d", t->ss->last_local_port);
        } else if (!strcmp(var, "url_effective")) {
            C->easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &s);
            if (s) fputs(s, o);
        } else if (!strcmp(var, "redirect_url")) {
            C->easy_getinfo(h, CURLINFO_REDIRECT_URL, &s);
            if (s) fputs(s, o);
        } else if (!strcmp(var, "content_type")) {
            C->easy_getinfo(h, CURLINFO_CONTENT_TYPE, &s);
            if (s) fputs(s, o);
        } else if (!strcmp(var, "num_redirects")) {
            C->easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &l);
            fprintf(o, "%ld", l);
        } else if (!strcmp(var, "num_connects")) {
            C->easy_getinfo(h, CURLINFO_NUM_CONNECTS, &l);
            fprintf(o, "%ld", l);
        } else if (!strcmp(var, "http_version")) {
            C->easy_getinfo(h, CURLINFO_HTTP_VERSION, &l);
            fputs(l == CURL_HTTP_VERSION_1_0 ? "1.0" : l == CURL_HTTP_VERSION_1_1 ? "1.1"
                  : l == CURL_HTTP_VERSION_2_0 ? "2" : l == CURL_HTTP_VERSION_3 ? "3" : "0", o);
        } else if (!strcmp(var, "scheme")) {
            C->easy_getinfo(h, CURLINFO_SCHEME, &s);
            if (s) fputs(s, o);
        } else if (!strcmp(var, "method")) {
            C->easy_getinfo(h, CURLINFO_EFFECTIVE_METHOD, &s);
            if (s) fputs(s, o);
        } else if (!strcmp(var, "ssl_verify_result")) {
            C->easy_getinfo(h, CURLINFO_SSL_VERIFYRESULT, &l);
            fprintf(o, "%ld", l);
        } else if (!strcmp(var, "exitcode")) {
            fprintf(o, "%d", rc);
        } else if (!strcmp(var, "errormsg")) {
            if (rc) fputs(errmsg, o);
        } else if (!strcmp(var, "filename_effective")) {
            if (t->a->output) fputs(t->a->output, o);
        } else if (!strcmp(var, "stdout")) {
            o = t->x->out;
        } else if (!strcmp(var, "stderr")) {
            o = t->x->err;
        } else {
            fprintf(t->x->err, "curl: unknown --write-out variable: '%s'\n", var);
        }
    }
}

/* ---- one URL ------------------------------------------------------------- */

static struct curl_slist *resolve_entry(struct curl_slist *l, const char *host, int port, char addrs[][46], int n)
{
    char e[1024];
    int k = snprintf(e, sizeof e, "%s:%d:", host, port);
    for (int i = 0; i < n && (size_t)k < sizeof e - 48; i++) k += snprintf(e + k, sizeof e - (size_t)k, "%s%s", i ? "," : "", addrs[i]);
    return C->slist_append(l, e);
}

/* Preload the pod's DNS answers for the URL's host and every outside host a
 * redirect may lead to. */
static struct curl_slist *preload_dns(transfer *t, const char *host, int port, int *rc, char *msg, size_t ml)
{
    struct curl_slist *l = NULL;
    char addrs[16][46];
    int n = 0;
    bool overridden = false;
    for (int i = 0; i < t->a->nresolve; i++) {
        l = C->slist_append(l, t->a->resolve[i]);
        char h[256];
        int p;
        if (sscanf(t->a->resolve[i], "%255[^:]:%d:", h, &p) == 2 && !strcasecmp(h, host) && p == port)
            overridden = true;
    }
    if (!overridden && !t->a->proxy) {     /* through a proxy, the proxy resolves */
        net_dns_status s = net_resolve(t->n, host, addrs, 16, &n);
        if (s != NET_DNS_OK) {
            long long limit = t->a->connect_timeout_ms;
            if (t->a->max_time_ms && (!limit || t->a->max_time_ms < limit)) limit = t->a->max_time_ms;
            if (s == NET_DNS_TIMEOUT) {
                /* the resolver's retries (5 s, two attempts) run out */
                long long spent = 10000;
                if (limit && limit < spent) {
                    net_vclock_advance(t->n, limit);
                    *rc = CURLE_OPERATION_TIMEDOUT;
                    snprintf(msg, ml, "Resolving timed out after %lld milliseconds", limit + 1);
                    C->slist_free_all(l);
                    return NULL;
                }
                net_vclock_advance(t->n, spent);
            }
            *rc = CURLE_COULDNT_RESOLVE_HOST;
            snprintf(msg, ml, "Could not resolve host: %s", host);
            C->slist_free_all(l);
            return NULL;
        }
        /* a dropped SYN is reported for the first address (the kernel's
         * timeout outlasts curl's patience for the others) */
        if (net_reachable(t->n, addrs[0], port, host) == NET_TIMEDOUT) n = 1;
        l = resolve_entry(l, host, port, addrs, n);
    }
    /* outside hosts a redirect may lead to */
    const char *common[64];
    int ncommon = net_world_hosts(t->n, common, 64);
    for (int i = 0; i < ncommon; i++) {
        if (!strcasecmp(common[i], host)) continue;
        if (net_resolve_ahead(t->n, common[i], addrs, 16, &n) != NET_DNS_OK || n == 0) continue;
        l = resolve_entry(l, common[i], 80, addrs, n);
        l = resolve_entry(l, common[i], 443, addrs, n);
    }
    if (strcmp(host, "") && !t->a->proxy) {
        int other = port == 80 ? 443 : port == 443 ? 80 : 0;
        if (other && !overridden && net_resolve_ahead(t->n, host, addrs, 16, &n) == NET_DNS_OK)
            l = resolve_entry(l, host, other, addrs, n);
    }
    return l;
}

static int run_url(exec_ctx *x, curl_args *a, net *n, session *ss, const char *url, char *trust, size_t trustlen)
{
    transfer *t = calloc(1, sizeof *t);
    if (!t) return CURLE_OUT_OF_MEMORY;
    t->ss = ss;
    t->x = x;
    t->a = a;
    t->n = n;
    t->tty = isatty(fileno(x->out));
    t->body_out = sink(x, a->output);
    t->hdr_out = a->dump_header ? sink(x, a->dump_header) : NULL;
    int rc = 0;
    bool written = false;
    char msg[CURL_ERROR_SIZE + 256] = "";
    long long v0 = net_vclock_ms(n);

    CURLU *u = C->url();
    char *host = NULL, *portstr = NULL, *full = NULL;
    if (C->url_set(u, CURLUPART_URL, url, CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) ||
        C->url_get(u, CURLUPART_HOST, &host, 0) ||
        C->url_get(u, CURLUPART_PORT, &portstr, CURLU_DEFAULT_PORT) ||
        C->url_get(u, CURLUPART_URL, &full, 0)) {
        rc = CURLE_URL_MALFORMAT;
        snprintf(msg, sizeof msg, "URL using bad/illegal format or missing URL");
        goto report;
    }
    t->host = host;
    int port = atoi(portstr);
    struct curl_slist *dns = preload_dns(t, host, port, &rc, msg, sizeof msg);
    if (rc) {
        if (a->verbose) {
            char line[600];
            snprintf(line, sizeof line, "%s\n", msg);
            emit_text(t, line);
            emit_text(t, "Closing connection 0\n");
        }
        goto report;
    }

    /* the proxy's name resolves through the pod's DNS too */
    struct curl_slist *proxy_dns = NULL;
    if (a->proxy) {
        CURLU *pu = C->url();
        char *ph = NULL, *pp = NULL;
        if (!C->url_set(pu, CURLUPART_URL, a->proxy, CURLU_GUESS_SCHEME) &&
            !C->url_get(pu, CURLUPART_HOST, &ph, 0) && !C->url_get(pu, CURLUPART_PORT, &pp, CURLU_DEFAULT_PORT)) {
            char pa[16][46];
            int pn = 0;
            if (net_resolve(n, ph, pa, 16, &pn) == NET_DNS_OK) dns = resolve_entry(dns, ph, atoi(pp), pa, pn);
        }
        C->free(ph);
        C->free(pp);
        C->url_cleanup(pu);
    }
    CURL *h = C->easy_init();
    t->h = h;
    char errbuf[CURL_ERROR_SIZE] = "";
    char ua[64];
    snprintf(ua, sizeof ua, "curl/%s", C->version_info(CURLVERSION_NOW)->version);
    struct curl_slist *hdrs = NULL;
    for (int i = 0; i < a->nheaders; i++) hdrs = C->slist_append(hdrs, a->headers[i]);
    C->easy_setopt(h, CURLOPT_URL, full);
    C->easy_setopt(h, CURLOPT_SHARE, ss->share);
    C->easy_setopt(h, CURLOPT_RESOLVE, dns);
    C->easy_setopt(h, CURLOPT_RESOLVER_START_FUNCTION, resolver_start_cb);
    C->easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_cb);
    C->easy_setopt(h, CURLOPT_OPENSOCKETDATA, t);
    C->easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
    C->easy_setopt(h, CURLOPT_SOCKOPTDATA, t);
    C->easy_setopt(h, CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V4);
    C->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    C->easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    C->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    C->easy_setopt(h, CURLOPT_STDERR, x->err);
    C->easy_setopt(h, CURLOPT_VERBOSE, a->verbose ? 1L : 0L);
    C->easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb);
    C->easy_setopt(h, CURLOPT_DEBUGDATA, t);
    C->easy_setopt(h, CURLOPT_NOPROGRESS, a->silent || a->progress_off ? 1L : 0L);
    C->easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
    C->easy_setopt(h, CURLOPT_WRITEDATA, t);
    C->easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
    C->easy_setopt(h, CURLOPT_HEADERDATA, t);
    C->easy_setopt(h, CURLOPT_USERAGENT, a->user_agent ? a->user_agent : ua);
    if (hdrs) C->easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    C->easy_setopt(h, CURLOPT_FOLLOWLOCATION, a->location ? 1L : 0L);
    C->easy_setopt(h, CURLOPT_MAXREDIRS, a->max_redirs >= 0 ? a->max_redirs : 50L);
    if (a->request) C->easy_setopt(h, CURLOPT_CUSTOMREQUEST, a->request);
    if (a->has_data && !a->get) {
        C->easy_setopt(h, CURLOPT_POSTFIELDS, a->data ? a->data : "");
        C->easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)(a->data ? strlen(a->data) : 0));
    }
    if (a->head) C->easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (a->fail) C->easy_setopt(h, CURLOPT_FAILONERROR, 1L);
    if (a->insecure) {
        C->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        C->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (trust) {
        struct curl_blob blob = {trust, trustlen, CURL_BLOB_COPY};
        C->easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
    C->easy_setopt(h, CURLOPT_CAPATH, NULL);
    if (ss->cert_pem) {
        /* --cert without --key: the key is in the same file, as curl reads it */
        const char *kp = ss->key_pem ? ss->key_pem : ss->cert_pem;
        struct curl_blob cb = {ss->cert_pem, strlen(ss->cert_pem), CURL_BLOB_COPY};
        struct curl_blob kb = {(void *)kp, strlen(kp), CURL_BLOB_COPY};
        C->easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cb);
        C->easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        C->easy_setopt(h, CURLOPT_SSLKEY_BLOB, &kb);
        C->easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (a->compressed) C->easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    /* only -x names a proxy: the machine's http_proxy variables are not the pod's */
    C->easy_setopt(h, CURLOPT_PROXY, a->proxy ? a->proxy : "");
    if (proxy_dns) C->easy_setopt(h, CURLOPT_CONNECT_TO, proxy_dns);
    if (a->referer) C->easy_setopt(h, CURLOPT_REFERER, a->referer);
    if (a->user) C->easy_setopt(h, CURLOPT_USERPWD, a->user);
    if (a->no_keepalive) C->easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 0L);
    long hv = a->http_version == 10 ? CURL_HTTP_VERSION_1_0 : a->http_version == 11 ? CURL_HTTP_VERSION_1_1
            : a->http_version == 2 ? CURL_HTTP_VERSION_2_0 : a->http_version == 20 ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
            : CURL_HTTP_VERSION_2TLS;
    C->easy_setopt(h, CURLOPT_HTTP_VERSION, hv);
    /* A safety net in real time only; simulated timeouts run on the virtual clock. */
    C->easy_setopt(h, CURLOPT_TIMEOUT, 120L);
    if (a->max_time_ms) net_set_deadline(n, v0 + a->max_time_ms);

    CURLcode res = C->easy_perform(h);
    rc = (int)res;

    if (t->dropped) {
        /* the SYN went unanswered: the kernel (or curl's timer) gave up */
        net_vclock_advance(n, t->drop_spent);
        snprintf(msg, sizeof msg, "%s", t->drop_msg);
        rc = t->drop_rc;
        if (!t->fabricated) emit_text(t, t->fab_text);    /* libcurl printed no "Closing" line */
        t->fabricated = true;
    } else if (net_deadline_hit(n)) {
        long long spent = net_vclock_ms(n) - v0;
        curl_off_t got = 0;
        C->easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &got);
        snprintf(msg, sizeof msg, "Operation timed out after %lld milliseconds with %lld bytes received",
                 spent + 1, (long long)got);
        rc = CURLE_OPERATION_TIMEDOUT;
    } else if (rc) {
        rewrite_addrs(t, errbuf[0] ? errbuf : C->easy_strerror(res), strlen(errbuf[0] ? errbuf : C->easy_strerror(res)),
                      msg, sizeof msg);
    }
    net_set_deadline(n, 0);

    if (a->write_out) write_out(t, a->write_out, rc, msg, (double)(net_vclock_ms(n) - v0) / 1000.0);
    written = true;
    C->easy_cleanup(h);
    C->slist_free_all(hdrs);
    C->slist_free_all(dns);
    C->slist_free_all(proxy_dns);

report:
    if (a->write_out && !written) {
        /* the transfer never started (bad URL, unknown host): curl still
         * writes out, with zeros ("000" for the code) */
        t->h = C->easy_init();
        if (t->h) write_out(t, a->write_out, rc, msg, (double)(net_vclock_ms(n) - v0) / 1000.0);
        C->easy_cleanup(t->h);
        t->h = NULL;
    }
    if (rc && (!a->silent || a->show_error)) fprintf(x->err, "curl: (%d) %s\n", rc, msg);
    C->free(host);
    C->free(portstr);
    C->free(full);
    C->url_cleanup(u);
    free(t);
    return rc;
}

/* The proxy's own servers on the pod's loopback: Envoy's admin API (15000)
 * and its Prometheus endpoint (15090), answered like pilot-agent request. */
static char *admin_answer(void *ctx, const char *path, int *status)
{
    exec_ctx *x = ctx;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    *status = envoy_admin(x, path, f);
    fclose(f);
    return buf;
}

static bool has_proxy(json_t *pod)
{
    size_t i;
    json_t *c;
    json_array_foreach(obj_at(pod, "spec.containers"), i, c)
        if (!strcmp(obj_str_or(c, "name", ""), "istio-proxy")) return true;
    return false;
}

static const char *const admin_paths[] = {
    "/stats", "/stats?format=json", "/stats/prometheus", "/clusters", "/server_info", "/ready", "/listeners",
    "/config_dump", "/help", NULL};
static const char *const prometheus_paths[] = {"/stats/prometheus", NULL};

/* Files a -d @name can read: standard input; the container has no others. */
static char *read_data_file(void *ctx, const char *path, size_t *len)
{
    exec_ctx *x = ctx;
    if (strcmp(path, "-") || !x->in) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t k;
    while (buf && (k = fread(buf + n, 1, cap - n - 1, x->in)) > 0) {
        n += k;
        if (cap - n < 2) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); return NULL; }
            buf = nb;
        }
    }
    if (buf) buf[n] = 0;
    *len = n;
    return buf;
}

int probe_curl_main(exec_ctx *x, int argc, char **argv)
{
    char why[256];
    if (!(C = curl_lib_get(why, sizeof why))) {
        fprintf(x->err, "curl: (2) Failed initialization: %s\n", why);
        return CURLE_FAILED_INIT;
    }
    curl_args a;
    int rc = curl_args_parse(argc, argv, &a, x->err);
    if (rc) { curl_args_free(&a); return rc; }
    curl_args_data(&a, read_data_file, x, x->err);
    char err[256];
    net *n = net_open(x->st, x->rel, x->pod, err, sizeof err);
    if (!n) {
        fprintf(x->err, "curl: %s\n", err);
        curl_args_free(&a);
        return 1;
    }
    if (x->container && !strcmp(x->container, "istio-proxy")) net_bypass_sidecar(n);
    if (x->pod && has_proxy(x->pod)) {
        net_set_local(n, 15000, admin_paths, admin_answer, x);
        net_set_local(n, 15090, prometheus_paths, admin_answer, x);
    }
    char *trust = pki_trust_bundle_pem(x->st);
    size_t trustlen = trust ? strlen(trust) : 0;
    if (a.cacert) {
        char *content = NULL;
        if (pki_pod_file(x->st, x->pod, x->container, x->rel, a.cacert, &content) == 0 && content) {
            free(trust);
            trust = content;
            trustlen = strlen(content);
        } else {
            free(content);
            fprintf(x->err, "curl: (77) error setting certificate file: %s\n", a.cacert);
            net_close(n);
            free(trust);
            curl_args_free(&a);
            return 77;
        }
    }
    session *ss = calloc(1, sizeof *ss);
    if (ss) {
        ss->share = C->share_init();
        C->share_setopt(ss->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
        C->share_setopt(ss->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        /* a client certificate (mutual TLS) from the container's files */
        const char *files[2] = {a.cert, a.key};
        char **pems[2] = {&ss->cert_pem, &ss->key_pem};
        bool cert_ok = true;
        for (int i = 0; i < 2 && cert_ok; i++) {
            if (!files[i]) continue;
            if (pki_pod_file(x->st, x->pod, x->container, x->rel, files[i], pems[i]) != 0 || !*pems[i]) {
                fprintf(x->err, "curl: (58) could not load PEM %s from %s, OpenSSL error error:80000002:system "
                        "library::No such file or directory, (no key found, wrong pass phrase, or wrong file format?)\n",
                        i ? "private key" : "client certificate", files[i]);
                rc = CURLE_SSL_CERTPROBLEM;
                cert_ok = false;
            }
        }
        for (int i = 0; i < a.nurls && cert_ok; i++) {
            int r = run_url(x, &a, n, ss, a.urls[i], trust, trustlen);
            if (r) rc = r;
        }
        /* closing the shared connections ends the engine's connection threads */
        C->share_cleanup(ss->share);
        for (int i = 0; i < ss->nconns; i++)
            if (ss->conns[i].closed_fd >= 0) close(ss->conns[i].closed_fd);
        free(ss->cert_pem);
        free(ss->key_pem);
        free(ss);
    } else {
        rc = CURLE_OUT_OF_MEMORY;
    }
    x->vclock_ms += net_vclock_ms(n);
    if (net_close(n)) fprintf(x->err, "curl: cannot record telemetry: %s\n", store_errmsg(x->st));
    free(trust);
    curl_args_free(&a);
    fflush(x->out);
    fflush(x->err);
    return rc;
}
