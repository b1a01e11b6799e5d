/* DestinationRule analyzers: TLS origination without a CA to verify the
 * server (IST0128, IST0129), a host no service matches (IST0174), and
 * subsets whose labels select no pod (IST0173). */
#include <stdlib.h>
#include <string.h>
#include "analyze/internal.h"

static bool verifies_nothing(json_t *tls, json_t *dr_spec)
{
    const char *mode = json_string_value(json_object_get(tls, "mode"));
    if (!mode || (strcmp(mode, "SIMPLE") && strcmp(mode, "MUTUAL"))) return false;
    const char *ca = json_string_value(json_object_get(tls, "caCertificates"));
    if (ca && *ca) return false;
    /* a credentialName on a workload-selected DR carries its own CA */
    const char *cred = json_string_value(json_object_get(tls, "credentialName"));
    if (cred && *cred && json_object_get(dr_spec, "workloadSelector")) return false;
    return true;
}

void az_dr_ca_certs(az_ctx *c)
{
    for (size_t i = 0; i < c->k[AZK_DR].n; i++) {
        const az_res *dr = c->k[AZK_DR].v[i];
        json_t *spec = json_object_get(dr->obj, "spec");
        json_t *tp = json_object_get(spec, "trafficPolicy");
        const char *host = json_string_value(json_object_get(spec, "host"));
        if (!host) host = "";
        char name[600];
        snprintf(name, sizeof name, "%s/%s", dr->ns, dr->name);
        json_t *tls = json_object_get(tp, "tls");
        if (verifies_nothing(tls, spec))
            az_report(c, dr, "IST0128", name, dr->ns, json_string_value(json_object_get(tls, "mode")), host);
        size_t j;
        json_t *pl;
        json_array_foreach(json_object_get(tp, "portLevelSettings"), j, pl) {
            json_t *ptls = json_object_get(pl, "tls");
            if (!verifies_nothing(ptls, spec)) continue;
            char port[64];
            snprintf(port, sizeof port, "number:%lld",
                     (long long)json_integer_value(json_object_get(json_object_get(pl, "port"), "number")));
            az_report(c, dr, "IST0129", name, dr->ns, json_string_value(json_object_get(ptls, "mode")), host, port);
        }
    }
}

typedef struct matcher {
    const az_res *dr;
    const char *subset;
    json_t *labels;     /* merged selector (owned) */
    bool matched;
} matcher;

void az_dr_subsets(az_ctx *c)
{
    matcher *ms = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < c->k[AZK_DR].n; i++) {
        const az_res *dr = c->k[AZK_DR].v[i];
        json_t *spec = json_object_get(dr->obj, "spec");
        const char *host = json_string_value(json_object_get(spec, "host"));
        if (!host) host = "";
        const az_host *h = az_dest_host(c, dr->ns, json_object_get(spec, "exportTo"), host);
        if (!h) {
            az_report(c, dr, "IST0174", host);
            continue;
        }
        size_t j;
        json_t *ss;
        json_array_foreach(json_object_get(spec, "subsets"), j, ss) {
            const char *name = json_string_value(json_object_get(ss, "name"));
            if (!name) continue;
            json_t *sel = json_object();
            if (h->wl_selector) json_object_update(sel, h->wl_selector);
            json_t *lab = json_object_get(ss, "labels");
            if (json_is_object(lab)) json_object_update(sel, lab);
            if (n == cap) {
                cap = cap ? cap * 2 : 32;
                ms = realloc(ms, cap * sizeof *ms);
            }
            ms[n++] = (matcher){dr, name, sel, false};
        }
    }
    size_t left = n;
    /* an empty selector selects every pod: it is matched once any pod exists */
    for (size_t p = 0; p < c->k[AZK_POD].n && left; p++) {
        json_t *labels = json_object_get(json_object_get(c->k[AZK_POD].v[p]->obj, "metadata"), "labels");
        for (size_t m = 0; m < n; m++)
            if (!ms[m].matched && az_labels_match(ms[m].labels, labels)) {
                ms[m].matched = true;
                left--;
            }
    }
    for (size_t m = 0; m < n; m++) {
        if (!ms[m].matched) az_report(c, ms[m].dr, "IST0173", ms[m].subset);
        json_decref(ms[m].labels);
    }
    free(ms);
}
