/* Gateway analyzers: the selector must pick a workload (IST0101), the
 * workload's Service must expose the server ports (IST0162), TLS
 * credentials must exist (IST0101 credentialName), and two Gateways on the
 * same workload and port must not claim the same hosts (IST0145). */
#include <stdlib.h>
#include <string.h>
#include "analyze/internal.h"

static json_t *gw_selector(const az_res *gw) { return json_object_get(json_object_get(gw->obj, "spec"), "selector"); }
static json_t *res_labels(const az_res *r) { return json_object_get(json_object_get(r->obj, "metadata"), "labels"); }

/* Service port numbers that reach the pod: the port, and the targetPort
 * (the gateway listens on the target port of a port-80 Service entry). */
static void collect_service_ports(az_ctx *c, const az_res *pod, int *ports, size_t *np, size_t max)
{
    for (size_t i = 0; i < c->k[AZK_SERVICE].n; i++) {
        const az_res *s = c->k[AZK_SERVICE].v[i];
        if (strcmp(s->ns, pod->ns)) continue;
        json_t *spec = json_object_get(s->obj, "spec");
        json_t *sel = json_object_get(spec, "selector");
        if (!json_object_size(sel) || !az_labels_match(sel, res_labels(pod))) continue;
        size_t j;
        json_t *p;
        json_array_foreach(json_object_get(spec, "ports"), j, p) {
            const char *proto = json_string_value(json_object_get(p, "protocol"));
            if (proto && strcmp(proto, "TCP")) continue;
            if (*np + 2 > max) return;
            ports[(*np)++] = (int)json_integer_value(json_object_get(p, "port"));
            json_t *tp = json_object_get(p, "targetPort");
            if (json_is_integer(tp)) ports[(*np)++] = (int)json_integer_value(tp);
        }
    }
}

void az_gateway_port(az_ctx *c)
{
    for (size_t g = 0; g < c->k[AZK_GATEWAY].n; g++) {
        const az_res *gw = c->k[AZK_GATEWAY].v[g];
        json_t *sel = gw_selector(gw);
        char sels[512];
        az_selector_string(sel, sels, sizeof sels);
        int ports[256];
        size_t np = 0, matches = 0;
        for (size_t i = 0; i < c->k[AZK_POD].n; i++) {
            const az_res *pod = c->k[AZK_POD].v[i];
            if (!az_labels_match(sel, res_labels(pod))) continue;
            matches++;
            collect_service_ports(c, pod, ports, &np, sizeof ports / sizeof ports[0]);
        }
        if (!matches) {
            az_report(c, gw, "IST0101", "selector", sels);
            continue;
        }
        size_t i;
        json_t *srv;
        json_array_foreach(json_object_get(json_object_get(gw->obj, "spec"), "servers"), i, srv) {
            json_t *port = json_object_get(srv, "port");
            if (!port) continue;
            int num = (int)json_integer_value(json_object_get(port, "number"));
            bool found = false;
            for (size_t j = 0; j < np && !found; j++) found = ports[j] == num;
            if (!found) az_report(c, gw, "IST0162", num, sels);
        }
    }
}

void az_gateway_secret(az_ctx *c)
{
    for (size_t g = 0; g < c->k[AZK_GATEWAY].n; g++) {
        const az_res *gw = c->k[AZK_GATEWAY].v[g];
        json_t *sel = gw_selector(gw);
        const char *wl_ns = NULL;
        for (size_t i = 0; i < c->k[AZK_POD].n && !wl_ns; i++)
            if (az_labels_match(sel, res_labels(c->k[AZK_POD].v[i]))) wl_ns = c->k[AZK_POD].v[i]->ns;
        if (!wl_ns) {
            char sels[512];
            az_selector_string(sel, sels, sizeof sels);
            az_report(c, gw, "IST0101", "selector", sels);
            continue;
        }
        size_t i;
        json_t *srv;
        json_array_foreach(json_object_get(json_object_get(gw->obj, "spec"), "servers"), i, srv) {
            const char *cn = json_string_value(json_object_get(json_object_get(srv, "tls"), "credentialName"));
            if (!cn || !*cn) continue;
            char ns[256], name[256];
            const char *slash = strchr(cn, '/');
            if (slash) {
                snprintf(ns, sizeof ns, "%.*s", (int)(slash - cn), cn);
                snprintf(name, sizeof name, "%s", slash + 1);
            } else {
                snprintf(ns, sizeof ns, "%s", wl_ns);
                snprintf(name, sizeof name, "%s", cn);
            }
            if (!az_find(c, "Secret", ns, name)) az_report(c, gw, "IST0101", "credentialName", cn);
        }
    }
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

void az_gateway_conflict(az_ctx *c)
{
    /* index servers by "selector~port" */
    az_map *ix = azm_new(c->k[AZK_GATEWAY].n * 2 + 1);
    typedef struct srv_ref { const az_res *gw; json_t *srv; } srv_ref;
    srv_ref *refs = NULL;
    size_t nrefs = 0, cap = 0;
    char key[640], sels[512];
    for (size_t g = 0; g < c->k[AZK_GATEWAY].n; g++) {
        const az_res *gw = c->k[AZK_GATEWAY].v[g];
        size_t i;
        json_t *srv;
        json_array_foreach(json_object_get(json_object_get(gw->obj, "spec"), "servers"), i, srv) {
            if (nrefs == cap) {
                cap = cap ? cap * 2 : 16;
                refs = realloc(refs, cap * sizeof *refs);
            }
            refs[nrefs++] = (srv_ref){gw, srv};
        }
    }
    for (size_t i = 0; i < nrefs; i++) {
        az_selector_string(gw_selector(refs[i].gw), sels, sizeof sels);
        snprintf(key, sizeof key, "%s~%lld", sels,
                 (long long)json_integer_value(json_object_get(json_object_get(refs[i].srv, "port"), "number")));
        azm_add(ix, key, (const void *)(i + 1));
    }
    for (size_t i = 0; i < nrefs; i++) {
        const az_res *gw = refs[i].gw;
        az_selector_string(gw_selector(gw), sels, sizeof sels);
        long long port = json_integer_value(json_object_get(json_object_get(refs[i].srv, "port"), "number"));
        snprintf(key, sizeof key, "%s~%lld", sels, port);
        size_t n;
        const void *const *v = azm_get(ix, key, &n);
        const char **names = calloc(n + 1, sizeof *names);
        char **owned = calloc(n + 1, sizeof *owned);
        size_t nn = 0;
        json_t *hosts = json_object_get(refs[i].srv, "hosts");
        for (size_t j = 0; j < n; j++) {
            const srv_ref *o = &refs[(size_t)v[j] - 1];
            if (o->gw == gw) continue;
            bool hit = false;
            size_t a, b;
            json_t *ha, *hb;
            json_array_foreach(hosts, a, ha) json_array_foreach(json_object_get(o->srv, "hosts"), b, hb) {
                const char *x = json_string_value(ha), *y = json_string_value(hb);
                if (x && y && az_host_matches(x, y)) hit = true;
            }
            if (!hit) continue;
            char *nm = NULL;
            if (asprintf(&nm, "%s/%s", o->gw->ns, o->gw->name) < 0) continue;
            bool dup = false;
            for (size_t k = 0; k < nn; k++) dup |= !strcmp(owned[k], nm);
            if (dup) { free(nm); continue; }
            owned[nn] = nm;
            names[nn++] = nm;
        }
        if (nn) {
            qsort(names, nn, sizeof *names, cmp_str);
            size_t len = 1;
            for (size_t k = 0; k < nn; k++) len += strlen(names[k]) + 1;
            char *joined = calloc(1, len), hj[2048] = "", pn[32];
            for (size_t k = 0; k < nn; k++) {
                if (k) strcat(joined, ",");
                strcat(joined, names[k]);
            }
            size_t a;
            json_t *ha;
            json_array_foreach(hosts, a, ha) {
                if (a) strncat(hj, ",", sizeof hj - strlen(hj) - 1);
                strncat(hj, json_string_value(ha) ? json_string_value(ha) : "", sizeof hj - strlen(hj) - 1);
            }
            snprintf(pn, sizeof pn, "%lld", port);
            az_report(c, gw, "IST0145", joined, sels, pn, hj);
            free(joined);
        }
        for (size_t k = 0; k < nn; k++) free(owned[k]);
        free(owned);
        free(names);
    }
    free(refs);
    azm_free(ix);
}
