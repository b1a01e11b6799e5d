/* meshsim's egress analyzers: configurations that look right to Istio's own
 * analyzers but do not send traffic out through the egress gateway.
 *
 * Code table (man/meshsim-analyze.7 documents the same):
 *
 * Code     Name                              Level    Message
 * MSH0001  EgressGatewayServerMissing        Error    Mesh traffic for HOST is routed to the egress gateway
 *                                                     SERVICE on port PORT, but no Gateway selecting that
 *                                                     gateway has a server for this host and port.
 *          A mesh-bound VirtualService sends HOST to the egress gateway's Service, but no Gateway resource
 *          whose selector picks the egress gateway pods has a server on that port whose hosts match HOST:
 *          the gateway has no listener (connection refused) or no route (404 NR) for it.
 * MSH0002  EgressServiceEntryResolutionNone  Error    Host HOST is routed through the gateway NS/NAME but its
 *                                                     ServiceEntry has resolution NONE: the gateway forwards to
 *                                                     the original destination, itself, in a loop. Use
 *                                                     resolution DNS.
 *          A VirtualService bound to a Gateway routes to a ServiceEntry host whose resolution is NONE (the
 *          default).  The original destination of a connection the sidecar sent to the gateway is the
 *          gateway itself (the seed page's warning).
 * MSH0003  EgressSubsetNotOnLookupPath       Warning  Subset SUBSET of host HOST is not defined by any
 *                                                     DestinationRule on the lookup path of clients in
 *                                                     namespace NS (PATH): their requests fail with 503 NC.
 *          A mesh-bound VirtualService routes to HOST subset SUBSET; for client pods (sidecar-injected) in
 *          NS the DestinationRule lookup path (client namespace, service namespace, root namespace) finds
 *          no rule defining that subset, so the subset cluster does not exist for them.
 * MSH0004  EgressGatewayBypassable           Warning  Pods in namespace NS can reach external hosts without
 *                                                     passing the egress gateway: no NetworkPolicy restricts
 *                                                     their egress.
 *          An egress gateway is in use (a Gateway selects its pods) but some pod of NS is not selected by
 *          an Egress NetworkPolicy that denies traffic to arbitrary addresses.
 */
#include <stdlib.h>
#include <string.h>
#include "analyze/internal.h"

static json_t *spec_of(const az_res *r) { return json_object_get(r->obj, "spec"); }
static json_t *labels_of(const az_res *r) { return json_object_get(json_object_get(r->obj, "metadata"), "labels"); }

static bool is_gateway_pod(const az_res *pod) { return json_object_get(labels_of(pod), "istio") != NULL; }

static bool is_egress_pod(const az_res *pod)
{
    const char *v = json_string_value(json_object_get(labels_of(pod), "istio"));
    return v && !strcmp(v, "egressgateway");
}

/* The egress gateway pods (few), found once per analysis. */
typedef struct egress_pods {
    const az_res **v;
    size_t n;
} egress_pods;

/* Does the Service select an egress gateway pod?  Returns that pod. */
static const az_res *egress_pod_of_service(const egress_pods *ep, const az_res *svc)
{
    json_t *sel = json_object_get(spec_of(svc), "selector");
    if (!json_object_size(sel)) return NULL;
    for (size_t i = 0; i < ep->n; i++) {
        const az_res *p = ep->v[i];
        if (!strcmp(p->ns, svc->ns) && az_labels_match(sel, labels_of(p))) return p;
    }
    return NULL;
}

/* Is the rule applied by sidecars (mesh)?  Per-match gateways override the VS's. */
static bool rule_for_gateway(json_t *rule, json_t *top_gws, const char *gw, const char *vs_ns)
{
    json_t *matches = json_object_get(rule, "match");
    size_t i, j;
    json_t *m, *g;
    bool any_plain = !json_array_size(matches);
    json_array_foreach(matches, i, m) {
        json_t *mg = json_object_get(m, "gateways");
        if (!json_array_size(mg)) {
            any_plain = true;
            continue;
        }
        json_array_foreach(mg, j, g) {
            const char *s = json_string_value(g);
            if (!s) continue;
            if (!strcmp(s, gw)) return true;
            char full[600];
            if (!strchr(s, '/') && strcmp(s, "mesh")) snprintf(full, sizeof full, "%s/%s", vs_ns, s);
            else snprintf(full, sizeof full, "%s", s);
            if (!strcmp(full, gw)) return true;
        }
    }
    if (!any_plain) return false;
    if (!json_array_size(top_gws)) return !strcmp(gw, "mesh");
    json_array_foreach(top_gws, i, g) {
        const char *s = json_string_value(g);
        if (!s) continue;
        char full[600];
        if (!strchr(s, '/') && strcmp(s, "mesh")) snprintf(full, sizeof full, "%s/%s", vs_ns, s);
        else snprintf(full, sizeof full, "%s", s);
        if (!strcmp(full, gw)) return true;
    }
    return false;
}

typedef void (*route_fn)(az_ctx *c, const az_res *vs, json_t *rule, json_t *dest, void *arg);

/* Every route destination of the rules the given gateway ("mesh" or ns/name) applies. */
static void each_route(az_ctx *c, const az_res *vs, const char *gw, route_fn fn, void *arg)
{
    static const char *const sections[] = {"http", "tls", "tcp"};
    json_t *spec = spec_of(vs), *top = json_object_get(spec, "gateways");
    for (int s = 0; s < 3; s++) {
        size_t i, j;
        json_t *rule, *rd;
        json_array_foreach(json_object_get(spec, sections[s]), i, rule) {
            if (!rule_for_gateway(rule, top, gw, vs->ns)) continue;
            json_array_foreach(json_object_get(rule, "route"), j, rd) {
                json_t *d = json_object_get(rd, "destination");
                if (json_is_object(d)) fn(c, vs, rule, d, arg);
            }
        }
    }
}

/* ---- MSH0001 ---- */
static bool server_host_matches(const char *server_host, const char *vs_host)
{
    const char *slash = strchr(server_host, '/');
    return az_host_matches(slash ? slash + 1 : server_host, vs_host);
}

static void check_gateway_server(az_ctx *c, const az_res *vs, json_t *rule, json_t *d, void *arg)
{
    (void)rule;
    const egress_pods *ep = arg;
    if (!ep->n) return;
    const char *host = json_string_value(json_object_get(d, "host"));
    if (!host) return;
    const az_host *h = az_dest_host(c, vs->ns, json_object_get(spec_of(vs), "exportTo"), host);
    if (!h || strcmp(h->r->kind, "Service")) return;
    const az_res *egw = egress_pod_of_service(ep, h->r);
    if (!egw) return;
    json_t *port = json_object_get(d, "port");
    long long num = port ? json_integer_value(json_object_get(port, "number")) : 0;
    if (!num && json_array_size(h->ports) == 1) num = json_integer_value(json_object_get(json_array_get(h->ports, 0), "number"));
    if (!num) return;
    size_t i, j, k;
    json_t *vh, *srv, *sh;
    json_array_foreach(json_object_get(spec_of(vs), "hosts"), i, vh) {
        const char *vhost = json_string_value(vh);
        if (!vhost) continue;
        char fq[512];
        az_fqdn(fq, sizeof fq, vhost, vs->ns);
        bool served = false;
        for (size_t g = 0; g < c->k[AZK_GATEWAY].n && !served; g++) {
            const az_res *gw = c->k[AZK_GATEWAY].v[g];
            if (!az_labels_match(json_object_get(spec_of(gw), "selector"), labels_of(egw))) continue;
            json_array_foreach(json_object_get(spec_of(gw), "servers"), j, srv) {
                if (json_integer_value(json_object_get(json_object_get(srv, "port"), "number")) != num) continue;
                json_array_foreach(json_object_get(srv, "hosts"), k, sh)
                    if (json_is_string(sh) && server_host_matches(json_string_value(sh), fq)) served = true;
            }
        }
        if (!served) az_report(c, vs, "MSH0001", vhost, h->fqdn, (int)num);
    }
}

/* ---- MSH0002 ---- */
static void check_resolution(az_ctx *c, const az_res *vs, json_t *rule, json_t *d, void *arg)
{
    (void)rule;
    const char *gw = arg;
    const char *host = json_string_value(json_object_get(d, "host"));
    if (!host) return;
    const az_host *h = az_dest_host(c, vs->ns, json_object_get(spec_of(vs), "exportTo"), host);
    if (!h || strcmp(h->r->kind, "ServiceEntry")) return;
    const char *res = json_string_value(json_object_get(spec_of(h->r), "resolution"));
    if (res && strcmp(res, "NONE")) return;
    az_report(c, vs, "MSH0002", host, gw);
}

/* ---- MSH0003: the DestinationRule lookup path ---- */
/* DestinationRules indexed by "ns/fqdn" (exact hosts) and by ns (wildcard
 * hosts), so the lookup for every route and client stays cheap. */
typedef struct dr_index {
    az_map *exact, *wild;
} dr_index;

static void dr_index_build(az_ctx *c, dr_index *ix)
{
    ix->exact = azm_new(c->k[AZK_DR].n * 2 + 1);
    ix->wild = azm_new(64);
    char fq[512], key[800];
    for (size_t i = 0; i < c->k[AZK_DR].n; i++) {
        const az_res *dr = c->k[AZK_DR].v[i];
        const char *h = json_string_value(json_object_get(spec_of(dr), "host"));
        if (!h) continue;
        az_fqdn(fq, sizeof fq, h, dr->ns);
        if (fq[0] == '*') {
            azm_add(ix->wild, dr->ns, dr);
        } else {
            snprintf(key, sizeof key, "%s/%s", dr->ns, fq);
            azm_add(ix->exact, key, dr);
        }
    }
}

static const az_res *dr_in_ns(const dr_index *ix, const char *ns, const char *host, const char *client, bool need_export)
{
    char key[800], fq[512];
    snprintf(key, sizeof key, "%s/%s", ns, host);
    size_t n;
    const void *const *v = azm_get(ix->exact, key, &n);
    for (size_t i = 0; i < n; i++) {           /* exact host wins */
        const az_res *dr = v[i];
        if (!need_export || az_export_visible(json_object_get(spec_of(dr), "exportTo"), dr->ns, client)) return dr;
    }
    const az_res *best = NULL;
    size_t best_len = 0;
    v = azm_get(ix->wild, ns, &n);
    for (size_t i = 0; i < n; i++) {
        const az_res *dr = v[i];
        if (need_export && !az_export_visible(json_object_get(spec_of(dr), "exportTo"), dr->ns, client)) continue;
        az_fqdn(fq, sizeof fq, json_string_value(json_object_get(spec_of(dr), "host")), dr->ns);
        if (az_host_matches(fq, host) && strlen(fq) > best_len) {
            best = dr;
            best_len = strlen(fq);
        }
    }
    return best;
}

static bool dr_has_subset(const az_res *dr, const char *subset)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(spec_of(dr), "subsets"), i, s) {
        const char *n = json_string_value(json_object_get(s, "name"));
        if (n && !strcmp(n, subset)) return true;
    }
    return false;
}

typedef struct clients {
    const char **ns;
    size_t n;
    dr_index drs;
} clients;

static void check_lookup_path(az_ctx *c, const az_res *vs, json_t *rule, json_t *d, void *arg)
{
    (void)rule;
    const clients *cl = arg;
    const char *host = json_string_value(json_object_get(d, "host"));
    const char *subset = json_string_value(json_object_get(d, "subset"));
    if (!host || !subset || !*subset) return;
    char fq[512];
    az_fqdn(fq, sizeof fq, host, vs->ns);
    json_t *vexp = json_object_get(spec_of(vs), "exportTo");
    for (size_t i = 0; i < cl->n; i++) {
        const char *client = cl->ns[i];
        if (!az_export_visible(vexp, vs->ns, client)) continue;
        const az_host *h = az_dest_host(c, client, NULL, fq);
        const char *svc_ns = h ? h->r->ns : NULL;
        const az_res *dr = NULL;
        if (strcmp(client, c->root_ns)) dr = dr_in_ns(&cl->drs, client, fq, client, false);
        if (!dr && svc_ns && strcmp(svc_ns, client)) dr = dr_in_ns(&cl->drs, svc_ns, fq, client, true);
        if (!dr) dr = dr_in_ns(&cl->drs, c->root_ns, fq, client, true);
        if (dr && dr_has_subset(dr, subset)) continue;
        char path[800];
        if (svc_ns && strcmp(svc_ns, client) && strcmp(svc_ns, c->root_ns))
            snprintf(path, sizeof path, "lookup path: %s, %s, %s", client, svc_ns, c->root_ns);
        else if (strcmp(client, c->root_ns))
            snprintf(path, sizeof path, "lookup path: %s, %s", client, c->root_ns);
        else
            snprintf(path, sizeof path, "lookup path: %s", client);
        az_report(c, vs, "MSH0003", subset, host, client, path);
    }
}

/* ---- MSH0004 ---- */
static bool rule_allows_anywhere(json_t *eg)
{
    json_t *to = json_object_get(eg, "to");
    if (!json_array_size(to)) return true;     /* no peers: every destination */
    size_t i;
    json_t *peer;
    json_array_foreach(to, i, peer) {
        const char *cidr = json_string_value(json_object_get(json_object_get(peer, "ipBlock"), "cidr"));
        if (cidr && (!strcmp(cidr, "0.0.0.0/0") || !strcmp(cidr, "::/0"))) return true;
    }
    return false;
}

static bool policy_restricts_egress(json_t *spec)
{
    json_t *types = json_object_get(spec, "policyTypes");
    bool egress = false;
    size_t i;
    json_t *t;
    if (json_array_size(types)) {
        json_array_foreach(types, i, t) if (json_is_string(t) && !strcmp(json_string_value(t), "Egress")) egress = true;
    } else {
        egress = json_object_get(spec, "egress") != NULL;
    }
    if (!egress) return false;
    json_t *eg;
    json_array_foreach(json_object_get(spec, "egress"), i, eg) if (rule_allows_anywhere(eg)) return false;
    return true;
}

static bool pod_egress_restricted(az_ctx *c, const az_res *pod)
{
    for (size_t i = 0; i < c->k[AZK_NETPOL].n; i++) {
        const az_res *np = c->k[AZK_NETPOL].v[i];
        if (strcmp(np->ns, pod->ns)) continue;
        json_t *spec = spec_of(np);
        json_t *ps = json_object_get(spec, "podSelector");
        json_t *ml = json_object_get(ps, "matchLabels");
        if (json_object_get(ps, "matchExpressions")) continue;   /* be conservative */
        if (!az_labels_match(ml, labels_of(pod))) continue;
        if (policy_restricts_egress(spec)) return true;
    }
    return false;
}

static bool egress_gateway_in_use(az_ctx *c)
{
    for (size_t g = 0; g < c->k[AZK_GATEWAY].n; g++) {
        json_t *sel = json_object_get(spec_of(c->k[AZK_GATEWAY].v[g]), "selector");
        for (size_t i = 0; i < c->k[AZK_POD].n; i++) {
            const az_res *p = c->k[AZK_POD].v[i];
            if (is_egress_pod(p) && az_labels_match(sel, labels_of(p))) return true;
        }
    }
    return false;
}

void az_egress(az_ctx *c)
{
    /* client namespaces: where sidecar-injected application pods run */
    clients cl = {calloc(c->k[AZK_POD].n + 1, sizeof(char *)), 0, {NULL, NULL}};
    dr_index_build(c, &cl.drs);
    egress_pods ep = {calloc(c->k[AZK_POD].n + 1, sizeof(az_res *)), 0};
    for (size_t i = 0; i < c->k[AZK_POD].n; i++)
        if (is_egress_pod(c->k[AZK_POD].v[i])) ep.v[ep.n++] = c->k[AZK_POD].v[i];
    az_map *seen = azm_new(64);
    for (size_t i = 0; i < c->k[AZK_POD].n; i++) {
        const az_res *p = c->k[AZK_POD].v[i];
        if (is_gateway_pod(p) || !az_pod_in_mesh(p) || azm_first(seen, p->ns)) continue;
        azm_add(seen, p->ns, p);
        cl.ns[cl.n++] = p->ns;
    }
    for (size_t v = 0; v < c->k[AZK_VS].n; v++) {
        const az_res *vs = c->k[AZK_VS].v[v];
        each_route(c, vs, "mesh", check_gateway_server, &ep);
        each_route(c, vs, "mesh", check_lookup_path, &cl);
        size_t i;
        json_t *g;
        json_array_foreach(json_object_get(spec_of(vs), "gateways"), i, g) {
            const char *s = json_string_value(g);
            if (!s || !strcmp(s, "mesh")) continue;
            char full[600];
            if (strchr(s, '/')) snprintf(full, sizeof full, "%s", s);
            else snprintf(full, sizeof full, "%s/%s", vs->ns, s);
            each_route(c, vs, full, check_resolution, full);
        }
    }
    azm_free(seen);
    azm_free(cl.drs.exact);
    azm_free(cl.drs.wild);
    free(cl.ns);
    free(ep.v);

    if (!egress_gateway_in_use(c)) return;
    az_map *reported = azm_new(64);
    for (size_t i = 0; i < c->k[AZK_POD].n; i++) {
        const az_res *p = c->k[AZK_POD].v[i];
        if (is_gateway_pod(p) || !strcmp(p->ns, c->root_ns) || !strcmp(p->ns, "istio-system")) continue;
        if (azm_first(reported, p->ns) || pod_egress_restricted(c, p)) continue;
        azm_add(reported, p->ns, p);
        const az_res *ns = az_find(c, "Namespace", "", p->ns);
        if (ns) az_report(c, ns, "MSH0004", p->ns);
    }
    azm_free(reported);
}
