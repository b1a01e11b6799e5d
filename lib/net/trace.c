/* Trace collection and printing.  See trace.h. */
#include <pthread.h>
#include <string.h>
#include "model/obj.h"
#include "net/net_internal.h"
#include "net/trace.h"

static pthread_mutex_t trace_mu = PTHREAD_MUTEX_INITIALIZER;
static json_t *records;          /* NULL: not collecting */

void trace_begin(void)
{
    pthread_mutex_lock(&trace_mu);
    json_decref(records);
    records = json_array();
    pthread_mutex_unlock(&trace_mu);
}

json_t *trace_end(void)
{
    pthread_mutex_lock(&trace_mu);
    json_t *r = records ? records : json_array();
    records = NULL;
    pthread_mutex_unlock(&trace_mu);
    return r;
}

bool trace_active(void)
{
    pthread_mutex_lock(&trace_mu);
    bool on = records != NULL;
    pthread_mutex_unlock(&trace_mu);
    return on;
}

void trace_add(json_t *rec)
{
    pthread_mutex_lock(&trace_mu);
    if (records) json_array_append_new(records, rec);
    else json_decref(rec);
    pthread_mutex_unlock(&trace_mu);
}

static json_t *client_json(const net *n)
{
    json_t *pod = n->client_pod;
    return json_pack("{s:s,s:s,s:s,s:b}", "namespace", obj_namespace(pod), "pod", obj_name(pod),
                     "ip", n->client_ip, "sidecar", n->client && n->client->sidecar && !n->bypass);
}

void trace_dns(const net *n, const char *name, net_dns_status s, char addrs[][46], int count)
{
    if (!trace_active()) return;
    json_t *a = json_array();
    for (int i = 0; i < count; i++) json_array_append_new(a, json_string(addrs[i]));
    const char *result = s == NET_DNS_OK ? "answered" : s == NET_DNS_TIMEOUT ? "timed out" : "NXDOMAIN";
    json_t *rec = json_pack("{s:s,s:o,s:s,s:s,s:o}", "step", "dns", "client", client_json(n), "name", name,
                            "result", result, "addresses", a);
    if (s == NET_DNS_TIMEOUT)
        json_object_set_new(rec, "why", json_string("the lookup (UDP 53 to kube-dns) is dropped by a NetworkPolicy "
                                                    "that isolates the client pod for egress"));
    trace_add(rec);
}

void trace_connect(const net *n, const char *ip, int port, const char *host, net_conn_status s, const char *why)
{
    if (!trace_active()) return;
    const char *result = s == NET_CONNECTED ? "connected" : s == NET_REFUSED ? "refused" : "dropped (timed out)";
    trace_add(json_pack("{s:s,s:o,s:s,s:i,s:s,s:s,s:s}", "step", "connect", "client", client_json(n),
                        "address", ip, "port", port, "host", host ? host : "", "result", result,
                        "why", why && strcmp(why, "connected") ? why : ""));
}

static const char *action_name(const mesh_decision *d)
{
    return d->action == HOP_FORWARD ? "forward" : d->action == HOP_DIRECT_RESPONSE ? "direct response" : "fail";
}

static void set_if(json_t *o, const char *key, const char *v)
{
    if (v && *v) json_object_set_new(o, key, json_string(v));
}

static const char *final_name(final_kind f)
{
    switch (f) {
    case FINAL_WORLD: return "outside host";
    case FINAL_APP: return "application";
    case FINAL_PROXY: return "answered by a proxy";
    case FINAL_CLOSED: return "closed by a proxy";
    case FINAL_REFUSED: return "connection refused";
    case FINAL_TIMEOUT: return "timed out";
    case FINAL_TERMINATE: return "TLS terminated by a gateway";
    default: return "none";
    }
}

/* Called by hops_walk once the path of a connection or request is known. */
void trace_path(const net *n, const conn *c, const char *sni, const http_msg *req, const path *p)
{
    if (!trace_active()) return;
    json_t *hops = json_array();
    for (int i = 0; i < p->nhops; i++) {
        const hop *h = &p->hops[i];
        const mesh_decision *d = &h->d;
        json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "proxy",
                              h->proxy ? h->proxy->name : "", "namespace", h->proxy ? h->proxy->ns : "",
                              "direction", h->inbound ? "inbound" : "outbound", "action", action_name(d));
        set_if(j, "protocol", h->protocol);
        set_if(j, "listener", d->listener);
        set_if(j, "filter_chain", d->filter_chain);
        set_if(j, "route_config", d->route_config);
        set_if(j, "virtual_host", d->vhost);
        set_if(j, "route", d->route_name);
        set_if(j, "virtual_service", d->virtual_service);
        if (d->virtual_service[0]) json_object_set_new(j, "rule", json_integer(d->vs_rule));
        set_if(j, "destination_rule", d->destination_rule);
        set_if(j, "cluster", d->cluster);
        set_if(j, "upstream_host", h->upstream_host);
        if (d->status) json_object_set_new(j, "status", json_integer(d->status));
        set_if(j, "response_flags", d->flags);
        set_if(j, "details", d->details);
        set_if(j, "tls_origination", d->tls_origination);
        if (d->mtls) json_object_set_new(j, "mtls", json_true());
        set_if(j, "why", d->why);
        json_array_append_new(hops, j);
    }
    json_t *rec = json_pack("{s:s,s:o,s:s,s:i,s:o,s:s}", "step", req ? "request" : "connection",
                            "client", client_json(n), "address", c->dst_ip, "port", c->dst_port,
                            "hops", hops, "final", final_name(p->final));
    set_if(rec, "host", c->host);
    set_if(rec, "sni", sni);
    if (req) {
        set_if(rec, "method", req->method);
        set_if(rec, "path", req->target);
        const char *auth = http_get(req, "host");
        set_if(rec, "authority", auth ? auth : http_get(req, ":authority"));
    }
    if (p->final == FINAL_WORLD && p->world_svc) set_if(rec, "outside_host", obj_name(p->world_svc));
    if (p->final == FINAL_APP && p->app) {
        char who[300];
        snprintf(who, sizeof who, "%s/%s", p->app->ns, p->app->name);
        json_object_set_new(rec, "application", json_string(who));
    }
    if (p->final_ip[0]) {
        char where[80];
        snprintf(where, sizeof where, "%s:%d", p->final_ip, p->final_port);
        json_object_set_new(rec, "final_address", json_string(where));
    }
    set_if(rec, "capture", p->capture);
    set_if(rec, "why", p->why);
    trace_add(rec);
}

static const char *s(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

void trace_print(FILE *out, json_t *recs)
{
    size_t i, j;
    json_t *r, *h;
    json_array_foreach(recs, i, r) {
        const char *step = s(r, "step");
        json_t *cl = json_object_get(r, "client");
        fprintf(out, "%zu. %s from %s/%s (%s%s)\n", i + 1, step, s(cl, "namespace"), s(cl, "pod"),
                s(cl, "ip"), json_is_true(json_object_get(cl, "sidecar")) ? ", sidecar" : ", no sidecar");
        if (!strcmp(step, "dns")) {
            fprintf(out, "   lookup %s: %s", s(r, "name"), s(r, "result"));
            json_t *a;
            json_array_foreach(json_object_get(r, "addresses"), j, a) fprintf(out, "%s%s", j ? ", " : " -> ", json_string_value(a));
            fputc('\n', out);
        } else if (!strcmp(step, "connect")) {
            fprintf(out, "   connect %s:%lld (%s): %s\n", s(r, "address"), (long long)json_integer_value(json_object_get(r, "port")),
                    s(r, "host") && *s(r, "host") ? s(r, "host") : "-", s(r, "result"));
        } else {
            if (!strcmp(step, "request"))
                fprintf(out, "   %s %s%s to %s:%lld\n", s(r, "method") ? s(r, "method") : "?", s(r, "authority") ? s(r, "authority") : "",
                        s(r, "path") ? s(r, "path") : "", s(r, "address"), (long long)json_integer_value(json_object_get(r, "port")));
            else
                fprintf(out, "   TCP to %s:%lld%s%s\n", s(r, "address"), (long long)json_integer_value(json_object_get(r, "port")),
                        s(r, "sni") ? " SNI " : "", s(r, "sni") ? s(r, "sni") : "");
            if (s(r, "capture")) fprintf(out, "   capture: %s\n", s(r, "capture"));
            json_array_foreach(json_object_get(r, "hops"), j, h) {
                fprintf(out, "   hop %zu: %s/%s %s", j + 1, s(h, "namespace"), s(h, "proxy"), s(h, "direction"));
                if (s(h, "protocol")) fprintf(out, " %s", s(h, "protocol"));
                fputc('\n', out);
                static const char *const keys[] = {"listener", "filter_chain", "route_config", "virtual_host", "route",
                                                   "virtual_service", "destination_rule", "cluster", "upstream_host",
                                                   "tls_origination", NULL};
                for (const char *const *k = keys; *k; k++)
                    if (s(h, *k)) {
                        fprintf(out, "      %-17s %s", *k, s(h, *k));
                        if (!strcmp(*k, "virtual_service") && json_object_get(h, "rule"))
                            fprintf(out, " (rule %lld)", (long long)json_integer_value(json_object_get(h, "rule")));
                        fputc('\n', out);
                    }
                fprintf(out, "      %-17s %s", "action", s(h, "action"));
                if (json_object_get(h, "status")) fprintf(out, " %lld", (long long)json_integer_value(json_object_get(h, "status")));
                if (s(h, "response_flags")) fprintf(out, " %s", s(h, "response_flags"));
                if (s(h, "details")) fprintf(out, " %s", s(h, "details"));
                fputc('\n', out);
                if (s(h, "why")) {
                    /* mesh explains itself one sentence per line */
                    const char *w = s(h, "why");
                    while (*w) {
                        const char *nl = strchr(w, '\n');
                        int len = nl ? (int)(nl - w) : (int)strlen(w);
                        if (len) fprintf(out, "      why: %.*s\n", len, w);
                        w += len + (nl ? 1 : 0);
                    }
                }
            }
            fprintf(out, "   end: %s", s(r, "final"));
            if (s(r, "outside_host")) fprintf(out, " %s", s(r, "outside_host"));
            if (s(r, "application")) fprintf(out, " %s", s(r, "application"));
            if (s(r, "final_address")) fprintf(out, " at %s", s(r, "final_address"));
            fputc('\n', out);
        }
        if (s(r, "why") && *s(r, "why")) fprintf(out, "   why: %s\n", s(r, "why"));
    }
}
