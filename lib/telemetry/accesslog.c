/* Envoy command operators, following the "Access logging" page of the Envoy
 * documentation: unset values print "-", times are UTC with milliseconds,
 * REQ/RESP take "X?Y" alternatives and an optional ":N" length limit. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "telemetry/accesslog.h"

const char accesslog_default_json[] =
    "{\"start_time\":\"%START_TIME%\",\"route_name\":\"%ROUTE_NAME%\",\"method\":\"%REQ(:METHOD)%\","
    "\"path\":\"%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%\",\"protocol\":\"%PROTOCOL%\","
    "\"response_code\":\"%RESPONSE_CODE%\",\"response_flags\":\"%RESPONSE_FLAGS%\","
    "\"response_code_details\":\"%RESPONSE_CODE_DETAILS%\","
    "\"connection_termination_details\":\"%CONNECTION_TERMINATION_DETAILS%\","
    "\"bytes_received\":\"%BYTES_RECEIVED%\",\"bytes_sent\":\"%BYTES_SENT%\",\"duration\":\"%DURATION%\","
    "\"upstream_service_time\":\"%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%\","
    "\"x_forwarded_for\":\"%REQ(X-FORWARDED-FOR)%\",\"user_agent\":\"%REQ(USER-AGENT)%\","
    "\"request_id\":\"%REQ(X-REQUEST-ID)%\",\"authority\":\"%REQ(:AUTHORITY)%\","
    "\"upstream_host\":\"%UPSTREAM_HOST%\",\"upstream_cluster\":\"%UPSTREAM_CLUSTER%\","
    "\"upstream_local_address\":\"%UPSTREAM_LOCAL_ADDRESS%\","
    "\"downstream_local_address\":\"%DOWNSTREAM_LOCAL_ADDRESS%\","
    "\"downstream_remote_address\":\"%DOWNSTREAM_REMOTE_ADDRESS%\","
    "\"requested_server_name\":\"%REQUESTED_SERVER_NAME%\","
    "\"upstream_transport_failure_reason\":\"%UPSTREAM_TRANSPORT_FAILURE_REASON%\"}";

typedef struct sbuf { char *s; size_t n, cap; } sbuf;

static void sb_add(sbuf *b, const char *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) return;
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->n, p, n);
    b->n += n;
    b->s[b->n] = 0;
}
static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

/* A pseudo-header or header of the request/response. */
static const char *field(const access_entry *e, const char *name, int resp)
{
    if (!resp) {
        if (!strcasecmp(name, ":METHOD")) return e->method;
        if (!strcasecmp(name, ":PATH")) return e->path;
        if (!strcasecmp(name, ":AUTHORITY")) {
            if (e->authority) return e->authority;
            return e->req ? http_get(e->req, "host") : NULL;
        }
        if (!strcasecmp(name, ":SCHEME")) return e->scheme;
        return e->req ? http_get(e->req, name) : NULL;
    }
    if (!strcasecmp(name, ":STATUS")) return NULL;
    if (!strcasecmp(name, "X-ENVOY-UPSTREAM-SERVICE-TIME") && e->upstream_service_time_ms >= 0 && e->protocol) {
        static __thread char buf[32];
        snprintf(buf, sizeof buf, "%lld", e->upstream_service_time_ms);
        return buf;
    }
    return e->resp ? http_get(e->resp, name) : NULL;
}

static void fmt_time(sbuf *b, long long ms, const char *spec)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char out[256];
    if (!spec) {
        strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%S", &tm);
        size_t n = strlen(out);
        snprintf(out + n, sizeof out - n, ".%03lldZ", ms % 1000);
        sb_str(b, out);
        return;
    }
    /* strftime with Envoy's extra %f / %3f / %6f / %9f fractions and %s */
    sbuf spec2 = {0};
    for (const char *p = spec; *p; p++) {
        if (p[0] == '%' && p[1] == 's') {
            char n[32];
            snprintf(n, sizeof n, "%lld", ms / 1000);
            sb_str(&spec2, n);
            p++;
        } else if (p[0] == '%' && (p[1] == 'f' || (p[1] >= '1' && p[1] <= '9' && p[2] == 'f'))) {
            int digits = p[1] == 'f' ? 9 : p[1] - '0';
            char frac[16];
            snprintf(frac, sizeof frac, "%03lld000000", ms % 1000);
            frac[digits] = 0;
            sb_str(&spec2, frac);
            p += p[1] == 'f' ? 1 : 2;
        } else if (p[0] == '%' && p[1] == '%') {
            sb_str(&spec2, "%%");
            p++;
        } else {
            sb_add(&spec2, p, 1);
        }
    }
    if (spec2.s && strftime(out, sizeof out, spec2.s, &tm) > 0) sb_str(b, out);
    free(spec2.s);
}

static void add_num(sbuf *b, long long v)
{
    char n[32];
    snprintf(n, sizeof n, "%lld", v);
    sb_str(b, n);
}

static void add_addr_noport(sbuf *b, const char *a)
{
    if (!a || !*a) { sb_str(b, "-"); return; }
    const char *c = strrchr(a, ':');
    sb_add(b, a, c ? (size_t)(c - a) : strlen(a));
}

/* One operator: name is the text between the % signs. Returns 0 if known. */
static int operator(sbuf *b, const access_entry *e, const char *op)
{
    int tcp = e->protocol == NULL;
    if (!strncmp(op, "START_TIME", 10) && (op[10] == 0 || op[10] == '(')) {
        char *spec = NULL;
        if (op[10] == '(') {
            spec = strdup(op + 11);
            if (spec && *spec && spec[strlen(spec) - 1] == ')') spec[strlen(spec) - 1] = 0;
        }
        fmt_time(b, e->start_ms, spec && *spec ? spec : NULL);
        free(spec);
        return 0;
    }
    if ((!strncmp(op, "REQ(", 4) || !strncmp(op, "RESP(", 5) || !strncmp(op, "TRAILER(", 8))) {
        int resp = op[2] == 'S' || op[0] == 'T';
        const char *open = strchr(op, '(');
        const char *close = strrchr(op, ')');
        if (!close || close < open) return -1;
        char spec[256];
        size_t sl = (size_t)(close - open - 1);
        if (sl >= sizeof spec) return -1;
        memcpy(spec, open + 1, sl);
        spec[sl] = 0;
        long maxlen = -1;
        if (close[1] == ':') maxlen = strtol(close + 2, NULL, 10);
        const char *val = NULL;
        if (!tcp && op[0] != 'T') {
            char *alt = strchr(spec, '?');
            if (alt) *alt++ = 0;
            val = field(e, spec, resp);
            if ((!val || !*val) && alt) val = field(e, alt, resp);
        }
        val = or_dash(val);
        size_t vl = strlen(val);
        if (maxlen >= 0 && (size_t)maxlen < vl) vl = (size_t)maxlen;
        sb_add(b, val, vl);
        return 0;
    }
    if (!strncmp(op, "DYNAMIC_METADATA(", 17)) {
        if (strstr(op, "istio.mixer:status") && e->mixer_status) sb_str(b, or_dash(e->mixer_status));
        else sb_str(b, "-");
        return 0;
    }
    if (!strcmp(op, "PROTOCOL")) { sb_str(b, or_dash(e->protocol)); return 0; }
    if (!strcmp(op, "RESPONSE_CODE")) { add_num(b, e->response_code); return 0; }
    if (!strcmp(op, "RESPONSE_FLAGS") || !strcmp(op, "RESPONSE_FLAGS_LONG")) {
        sb_str(b, or_dash(e->response_flags));
        return 0;
    }
    /* tcp_proxy sets no details; a listener's own line (no filter chain) does */
    if (!strcmp(op, "RESPONSE_CODE_DETAILS")) { sb_str(b, or_dash(e->response_code_details)); return 0; }
    if (!strcmp(op, "CONNECTION_TERMINATION_DETAILS")) { sb_str(b, or_dash(e->connection_termination_details)); return 0; }
    if (!strcmp(op, "UPSTREAM_TRANSPORT_FAILURE_REASON")) {
        sb_str(b, or_dash(e->upstream_transport_failure_reason));
        return 0;
    }
    if (!strcmp(op, "BYTES_RECEIVED")) { add_num(b, e->bytes_received); return 0; }
    if (!strcmp(op, "BYTES_SENT")) { add_num(b, e->bytes_sent); return 0; }
    if (!strcmp(op, "DURATION")) { add_num(b, e->duration_ms); return 0; }
    if (!strcmp(op, "REQUEST_DURATION")) { if (tcp) sb_str(b, "-"); else add_num(b, 0); return 0; }
    if (!strcmp(op, "RESPONSE_DURATION")) {
        if (tcp || e->upstream_service_time_ms < 0) sb_str(b, "-");
        else add_num(b, e->duration_ms);
        return 0;
    }
    if (!strcmp(op, "UPSTREAM_HOST")) { sb_str(b, or_dash(e->upstream_host)); return 0; }
    if (!strcmp(op, "UPSTREAM_CLUSTER") || !strcmp(op, "UPSTREAM_CLUSTER_RAW")) {
        if (!e->upstream_cluster || !*e->upstream_cluster) { sb_str(b, "-"); return 0; }
        sb_str(b, e->upstream_cluster);
        /* alt_stat_name (cluster + ";") is what %UPSTREAM_CLUSTER% prints */
        if (op[16] == 0 && e->stat_suffix && strchr(e->upstream_cluster, '|')) sb_str(b, e->stat_suffix);
        return 0;
    }
    if (!strcmp(op, "UPSTREAM_LOCAL_ADDRESS")) { sb_str(b, or_dash(e->upstream_local)); return 0; }
    if (!strcmp(op, "UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT")) { add_addr_noport(b, e->upstream_local); return 0; }
    if (!strcmp(op, "UPSTREAM_REMOTE_ADDRESS")) { sb_str(b, or_dash(e->upstream_host)); return 0; }
    if (!strcmp(op, "UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT")) { add_addr_noport(b, e->upstream_host); return 0; }
    if (!strcmp(op, "DOWNSTREAM_LOCAL_ADDRESS")) { sb_str(b, or_dash(e->downstream_local)); return 0; }
    if (!strcmp(op, "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT")) { add_addr_noport(b, e->downstream_local); return 0; }
    if (!strcmp(op, "DOWNSTREAM_LOCAL_PORT")) {
        const char *c = e->downstream_local ? strrchr(e->downstream_local, ':') : NULL;
        sb_str(b, c ? c + 1 : "-");
        return 0;
    }
    if (!strcmp(op, "DOWNSTREAM_REMOTE_ADDRESS") || !strcmp(op, "DOWNSTREAM_DIRECT_REMOTE_ADDRESS")) {
        sb_str(b, or_dash(e->downstream_remote));
        return 0;
    }
    if (!strcmp(op, "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT") ||
        !strcmp(op, "DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT")) {
        add_addr_noport(b, e->downstream_remote);
        return 0;
    }
    if (!strcmp(op, "REQUESTED_SERVER_NAME")) { sb_str(b, or_dash(e->sni)); return 0; }
    if (!strcmp(op, "ROUTE_NAME")) { sb_str(b, or_dash(e->route_name)); return 0; }
    if (!strcmp(op, "UPSTREAM_PROTOCOL") || !strcmp(op, "DOWNSTREAM_PROTOCOL")) { sb_str(b, or_dash(e->protocol)); return 0; }
    return -1;
}

char *accesslog_format_text(const char *fmt, const access_entry *e)
{
    sbuf b = {0};
    sb_add(&b, "", 0);
    for (const char *p = fmt; *p;) {
        if (*p != '%') {
            const char *q = strchr(p, '%');
            size_t n = q ? (size_t)(q - p) : strlen(p);
            sb_add(&b, p, n);
            p += n;
            continue;
        }
        if (p[1] == '%') { sb_add(&b, "%", 1); p += 2; continue; }
        /* the operator ends at the next '%' outside parentheses */
        const char *q = p + 1;
        int depth = 0;
        while (*q && !(*q == '%' && depth == 0)) {
            if (*q == '(') depth++;
            else if (*q == ')' && depth) depth--;
            q++;
        }
        if (!*q) { sb_str(&b, p); break; }
        char op[512];
        size_t ol = (size_t)(q - p - 1);
        if (ol >= sizeof op) ol = sizeof op - 1;
        memcpy(op, p + 1, ol);
        op[ol] = 0;
        if (operator(&b, e, op)) sb_add(&b, p, (size_t)(q - p + 1));
        p = q + 1;
    }
    return b.s;
}

/* Operators whose value Envoy's JSON formatter emits as a number. */
static int numeric_operator(const char *s)
{
    static const char *const nums[] = {
        "%RESPONSE_CODE%", "%BYTES_RECEIVED%", "%BYTES_SENT%", "%DURATION%", NULL
    };
    for (int i = 0; nums[i]; i++)
        if (!strcmp(s, nums[i])) return 1;
    return 0;
}

char *accesslog_format_json(const char *fmt, const access_entry *e)
{
    json_error_t jerr;
    json_t *map = json_loads(fmt && *fmt ? fmt : accesslog_default_json, JSON_PRESERVE_ORDER, &jerr);
    if (!json_is_object(map)) {
        json_decref(map);
        map = json_loads(accesslog_default_json, JSON_PRESERVE_ORDER, &jerr);
    }
    json_t *out = json_object();
    const char *key;
    json_t *val;
    json_object_foreach(map, key, val) {
        if (!json_is_string(val)) { json_object_set(out, key, val); continue; }
        const char *f = json_string_value(val);
        char *s = accesslog_format_text(f, e);
        if (numeric_operator(f) && s && strcmp(s, "-"))
            json_object_set_new(out, key, json_integer(strtoll(s, NULL, 10)));
        else
            json_object_set_new(out, key, json_string(s ? s : "-"));
        free(s);
    }
    char *text = json_dumps(out, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(out);
    json_decref(map);
    if (!text) return NULL;
    size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (!line) { free(text); return NULL; }
    line[n] = '\n';
    line[n + 1] = 0;
    return line;
}
