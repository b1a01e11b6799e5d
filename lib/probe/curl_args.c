/* curl's option parser, table driven.  Messages are curl 7.88's. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "probe/curl_args.h"

enum {
    O_SILENT = 1, O_SHOW_ERROR, O_LOCATION, O_VERBOSE, O_HEAD, O_INCLUDE, O_INSECURE, O_FAIL,
    O_FAIL_BODY, O_OUTPUT, O_DUMP_HEADER, O_WRITE_OUT, O_REQUEST, O_USER_AGENT, O_PROXY, O_CACERT, O_CAPATH,
    O_CERT, O_KEY, O_REFERER, O_USER, O_HEADER, O_RESOLVE, O_DATA, O_DATA_BINARY, O_DATA_RAW,
    O_DATA_URLENCODE, O_MAX_TIME, O_CONNECT_TIMEOUT, O_MAX_REDIRS, O_HTTP10, O_HTTP11, O_HTTP2,
    O_HTTP2_PK, O_COMPRESSED, O_GET, O_NO_KEEPALIVE, O_NO_PROGRESS, O_URL, O_IPV4, O_IPV6,
    O_IGNORED_ARG, O_IGNORED,
};

typedef struct opt { const char *lname; char sname; bool arg; int id; } opt;

static const opt opts[] = {
    {"silent", 's', false, O_SILENT},
    {"show-error", 'S', false, O_SHOW_ERROR},
    {"location", 'L', false, O_LOCATION},
    {"verbose", 'v', false, O_VERBOSE},
    {"head", 'I', false, O_HEAD},
    {"include", 'i', false, O_INCLUDE},
    {"insecure", 'k', false, O_INSECURE},
    {"fail", 'f', false, O_FAIL},
    {"fail-with-body", 0, false, O_FAIL_BODY},
    {"output", 'o', true, O_OUTPUT},
    {"dump-header", 'D', true, O_DUMP_HEADER},
    {"write-out", 'w', true, O_WRITE_OUT},
    {"request", 'X', true, O_REQUEST},
    {"user-agent", 'A', true, O_USER_AGENT},
    {"proxy", 'x', true, O_PROXY},
    {"cacert", 0, true, O_CACERT},
    {"capath", 0, true, O_CAPATH},
    {"cert", 'E', true, O_CERT},
    {"key", 0, true, O_KEY},
    {"referer", 'e', true, O_REFERER},
    {"user", 'u', true, O_USER},
    {"header", 'H', true, O_HEADER},
    {"resolve", 0, true, O_RESOLVE},
    {"data", 'd', true, O_DATA},
    {"data-ascii", 0, true, O_DATA},
    {"data-binary", 0, true, O_DATA_BINARY},
    {"data-raw", 0, true, O_DATA_RAW},
    {"data-urlencode", 0, true, O_DATA_URLENCODE},
    {"max-time", 'm', true, O_MAX_TIME},
    {"connect-timeout", 0, true, O_CONNECT_TIMEOUT},
    {"max-redirs", 0, true, O_MAX_REDIRS},
    {"http1.0", '0', false, O_HTTP10},
    {"http1.1", 0, false, O_HTTP11},
    {"http2", 0, false, O_HTTP2},
    {"http2-prior-knowledge", 0, false, O_HTTP2_PK},
    {"compressed", 0, false, O_COMPRESSED},
    {"get", 'G', false, O_GET},
    {"no-keepalive", 0, false, O_NO_KEEPALIVE},
    {"no-progress-meter", 0, false, O_NO_PROGRESS},
    {"url", 0, true, O_URL},
    {"ipv4", '4', false, O_IPV4},
    {"ipv6", '6', false, O_IPV6},
    {"retry", 0, true, O_IGNORED_ARG},
    {"retry-delay", 0, true, O_IGNORED_ARG},
    {"retry-max-time", 0, true, O_IGNORED_ARG},
    {"cookie", 'b', true, O_IGNORED_ARG},
    {"cookie-jar", 'c', true, O_IGNORED_ARG},
    {"trace-time", 0, false, O_IGNORED},
    {"globoff", 'g', false, O_IGNORED},
    {"no-buffer", 'N', false, O_IGNORED},
    {"remote-name", 'O', false, O_IGNORED},
    {"progress-bar", '#', false, O_IGNORED},
    {"tlsv1.2", 0, false, O_IGNORED},
    {"tlsv1.3", 0, false, O_IGNORED},
    {"http1.1-only", 0, false, O_HTTP11},
    {NULL, 0, false, 0},
};

static int usage_hint(FILE *err)
{
    fprintf(err, "curl: try 'curl --help' or 'curl --manual' for more information\n");
    return 2;
}

/* Seconds as curl 7.88 reads them (str2udouble): -1 not a number, -2 out of
 * range (ERANGE, or more than LONG_MAX/1000 s: "too large number"), -3
 * negative.  NaN is accepted and means no limit. */
static int parse_seconds(const char *s, long long *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end) return -1;
    if (errno == ERANGE || v > (double)LONG_MAX / 1000) return -2;
    if (v < 0) return -3;
    *ms = v == v ? (long long)(v * 1000 + 0.5) : 0;   /* v != v: NaN */
    return 0;
}

static void add_data(curl_args *a, const char *d)
{
    size_t old = a->data ? strlen(a->data) : 0, dl = strlen(d);
    char *nd = realloc(a->data, old + dl + 2);
    if (!nd) return;
    if (old) nd[old++] = '&';
    memcpy(nd + old, d, dl + 1);
    a->data = nd;
    a->has_data = true;
}

static void add_urlencoded(curl_args *a, const char *d)
{
    /* "name=content": encode content; "content": encode all */
    const char *eq = strchr(d, '=');
    const char *content = eq ? eq + 1 : d;
    size_t nl = eq ? (size_t)(eq - d) + 1 : 0;
    char *out = malloc(nl + strlen(content) * 3 + 1);
    if (!out) return;
    memcpy(out, d, nl);
    size_t k = nl;
    for (const unsigned char *p = (const unsigned char *)content; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') out[k++] = (char)*p;
        else k += (size_t)sprintf(out + k, "%%%02X", *p);
    }
    out[k] = 0;
    add_data(a, out);
    free(out);
}

static int apply(curl_args *a, const opt *o, const char *word, const char *val, FILE *err)
{
    switch (o->id) {
    case O_SILENT: a->silent = true; break;
    case O_SHOW_ERROR: a->show_error = true; break;
    case O_LOCATION: a->location = true; break;
    case O_VERBOSE: a->verbose = true; break;
    case O_HEAD: a->head = true; break;
    case O_INCLUDE: a->include = true; break;
    case O_INSECURE: a->insecure = true; break;
    case O_FAIL: a->fail = true; break;
    case O_FAIL_BODY: a->fail_with_body = true; break;
    case O_OUTPUT: a->output = val; break;
    case O_DUMP_HEADER: a->dump_header = val; break;
    case O_WRITE_OUT: a->write_out = val; break;
    case O_REQUEST: a->request = val; break;
    case O_USER_AGENT: a->user_agent = val; break;
    case O_PROXY: a->proxy = val; break;
    case O_CACERT: a->cacert = val; break;
    case O_CAPATH: a->capath = val; break;
    case O_CERT: a->cert = val; break;
    case O_KEY: a->key = val; break;
    case O_REFERER: a->referer = val; break;
    case O_USER: a->user = val; break;
    case O_HEADER:
        if (a->nheaders < CURL_ARGS_MAX) a->headers[a->nheaders++] = val;
        break;
    case O_RESOLVE:
        if (a->nresolve < CURL_ARGS_MAX) a->resolve[a->nresolve++] = val;
        break;
    case O_DATA: case O_DATA_BINARY: case O_DATA_RAW:
        if (a->ndata < CURL_ARGS_MAX) {
            a->data_parts[a->ndata] = val;
            a->data_kind[a->ndata++] = o->id == O_DATA ? 0 : o->id == O_DATA_BINARY ? 1 : 2;
        }
        if (o->id == O_DATA_RAW || val[0] != '@') add_data(a, val);
        else a->has_data = true;
        break;
    case O_DATA_URLENCODE: add_urlencoded(a, val); break;
    case O_MAX_TIME: case O_CONNECT_TIMEOUT: {
        long long ms;
        int prc = parse_seconds(val, &ms);
        if (prc) {
            fprintf(err, "curl: option %s: %s\n", word, prc == -2 ? "too large number"
                    : prc == -3 ? "expected a positive numerical parameter" : "expected a proper numerical parameter");
            return usage_hint(err);
        }
        if (o->id == O_MAX_TIME) a->max_time_ms = ms; else a->connect_timeout_ms = ms;
        break;
    }
    case O_MAX_REDIRS: {
        char *end;
        long v = strtol(val, &end, 10);
        if (end == val || *end) {
            fprintf(err, "curl: option %s: expected a proper numerical parameter\n", word);
            return usage_hint(err);
        }
        a->max_redirs = v;
        break;
    }
    case O_HTTP10: a->http_version = 10; break;
    case O_HTTP11: a->http_version = 11; break;
    case O_HTTP2: a->http_version = 2; break;
    case O_HTTP2_PK: a->http_version = 20; break;
    case O_COMPRESSED: a->compressed = true; break;
    case O_GET: a->get = true; break;
    case O_NO_KEEPALIVE: a->no_keepalive = true; break;
    case O_NO_PROGRESS: a->progress_off = true; break;
    case O_URL:
        if (a->nurls < CURL_ARGS_MAX) a->urls[a->nurls++] = val;
        break;
    case O_IPV4: a->ipv4 = true; break;
    case O_IPV6: a->ipv6 = true; break;
    default: break;
    }
    return 0;
}

static const opt *find_long(const char *name, bool *negated)
{
    *negated = false;
    for (const opt *o = opts; o->lname; o++)
        if (!strcmp(o->lname, name)) return o;
    if (!strncmp(name, "no-", 3)) {
        for (const opt *o = opts; o->lname; o++)
            if (!o->arg && !strcmp(o->lname, name + 3)) { *negated = true; return o; }
    }
    return NULL;
}

int curl_args_parse(int argc, char **argv, curl_args *a, FILE *err)
{
    memset(a, 0, sizeof *a);
    a->max_redirs = -1;
    bool opts_done = false;
    for (int i = 1; i < argc; i++) {
        const char *w = argv[i];
        if (opts_done || w[0] != '-' || !w[1]) {
            if (a->nurls < CURL_ARGS_MAX) a->urls[a->nurls++] = w;
            continue;
        }
        if (!strcmp(w, "--")) { opts_done = true; continue; }
        if (w[1] == '-') {
            bool neg;
            const opt *o = find_long(w + 2, &neg);
            if (!o) {
                fprintf(err, "curl: option %s: is unknown\n", w);
                return usage_hint(err);
            }
            const char *val = NULL;
            if (o->arg) {
                if (i + 1 >= argc) {
                    fprintf(err, "curl: option %s: requires parameter\n", w);
                    return usage_hint(err);
                }
                val = argv[++i];
            }
            if (neg) {
                /* --no-<flag> turns a flag off */
                if (o->id == O_SILENT) a->silent = false;
                else if (o->id == O_LOCATION) a->location = false;
                else if (o->id == O_VERBOSE) a->verbose = false;
                else if (o->id == O_INCLUDE) a->include = false;
                else if (o->id == O_FAIL) a->fail = false;
                else if (o->id == O_SHOW_ERROR) a->show_error = false;
                continue;
            }
            int rc = apply(a, o, w, val, err);
            if (rc) return rc;
            continue;
        }
        /* short options, possibly combined; a value may follow in the same word */
        for (const char *p = w + 1; *p; p++) {
            const opt *o = NULL;
            for (const opt *q = opts; q->lname; q++)
                if (q->sname && q->sname == *p) { o = q; break; }
            if (!o) {
                fprintf(err, "curl: option %s: is unknown\n", w);
                return usage_hint(err);
            }
            if (!o->arg) {
                int rc = apply(a, o, w, NULL, err);
                if (rc) return rc;
                continue;
            }
            const char *val = p[1] ? p + 1 : NULL;
            if (!val) {
                if (i + 1 >= argc) {
                    fprintf(err, "curl: option %s: requires parameter\n", w);
                    return usage_hint(err);
                }
                val = argv[++i];
            }
            int rc = apply(a, o, w, val, err);
            if (rc) return rc;
            break;
        }
    }
    if (a->nurls == 0) {
        if (argc > 1) fprintf(err, "curl: no URL specified!\n");
        return usage_hint(err);
    }
    return 0;
}

void curl_args_free(curl_args *a)
{
    free(a->data);
    a->data = NULL;
}

void curl_args_data(curl_args *a, curl_args_reader read_file, void *ctx, FILE *err)
{
    bool any_file = false;
    for (int i = 0; i < a->ndata; i++)
        if (a->data_kind[i] != 2 && a->data_parts[i][0] == '@') any_file = true;
    if (!any_file) return;
    free(a->data);
    a->data = NULL;
    for (int i = 0; i < a->ndata; i++) {
        const char *v = a->data_parts[i];
        if (a->data_kind[i] == 2 || v[0] != '@') { add_data(a, v); continue; }
        size_t len = 0;
        char *content = read_file ? read_file(ctx, v + 1, &len) : NULL;
        if (!content) {
            fprintf(err, "Warning: Couldn't read data from file \"%s\", this makes an empty POST.\n", v + 1);
            add_data(a, "");
            continue;
        }
        if (a->data_kind[i] == 0) {        /* -d @file drops CR and LF */
            size_t k = 0;
            for (size_t j = 0; j < len; j++)
                if (content[j] != '\r' && content[j] != '\n') content[k++] = content[j];
            content[k] = 0;
        }
        add_data(a, content);
        free(content);
    }
    a->has_data = true;
}
