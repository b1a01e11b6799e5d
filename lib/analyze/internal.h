/* What the analyzers of lib/analyze share (not a public interface). */
#ifndef MESHSIM_ANALYZE_INTERNAL_H
#define MESHSIM_ANALYZE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include "analyze/analyze.h"

#define AZ_DOMAIN "svc.cluster.local"

/* ---- a string-keyed multimap (insertion order kept per key) ---- */
typedef struct az_map az_map;
az_map *azm_new(size_t hint);
void azm_free(az_map *m);
void azm_add(az_map *m, const char *key, const void *val);
/* Values under key (NULL, *n = 0 when none). */
const void *const *azm_get(const az_map *m, const char *key, size_t *n);
const void *azm_first(const az_map *m, const char *key);

/* ---- resources grouped by kind ---- */
typedef enum {
    AZK_NAMESPACE, AZK_POD, AZK_SERVICE, AZK_SECRET, AZK_CONFIGMAP, AZK_DEPLOYMENT, AZK_NETPOL,
    AZK_GATEWAY, AZK_VS, AZK_DR, AZK_SE, AZK_SIDECAR, AZK_AUTHZ,
    AZK_COUNT
} az_kind;

typedef struct az_list {
    const az_res **v;
    size_t n, cap;
} az_list;

/* A service as the analyzers' host map knows it: a ServiceEntry host or a
 * Kubernetes Service (converted to a ServiceEntry, as Istio does). */
typedef struct az_host {
    const az_res *r;
    char *fqdn;             /* owned */
    char *scope;            /* "*" or the namespace it is visible in (owned) */
    json_t *ports;          /* array of {number, protocol} objects (borrowed or owned by ctx) */
    json_t *wl_selector;    /* ServiceEntry workloadSelector.labels, or NULL */
} az_host;

typedef struct az_ctx {
    az_input *in;
    az_msgs msgs;
    az_list k[AZK_COUNT];
    az_map *by_key;         /* "Kind/ns/name" -> az_res */
    az_map *hosts;          /* "scope/fqdn" -> az_host (scope "*" or a namespace) */
    az_host **wild; size_t nwild, capwild;   /* wildcard host entries */
    az_host **allhosts; size_t nhosts, caphosts;
    json_t *owned;          /* json the context created */
    const char *root_ns;
    bool dns_capture, dns_auto_allocate;
} az_ctx;

/* Report a message of code on r; the arguments fill the code's template. */
void az_report(az_ctx *c, const az_res *r, const char *code, ...);

const az_res *az_find(const az_ctx *c, const char *kind, const char *ns, const char *name);

/* ---- Istio host names ---- */
/* Short names (no dot, no leading "*") -> name.ns.svc.cluster.local. */
void az_fqdn(char *buf, size_t len, const char *host, const char *ns);
/* host.Name.Matches: equal, or a wildcard of one covers the other. */
bool az_host_matches(const char *a, const char *b);
/* FQDN "name.ns.svc.cluster.local" -> name and ns (false when not that form). */
bool az_split_svc_fqdn(const char *fqdn, char *name, size_t nlen, char *ns, size_t nslen);
/* The service visible from namespace ns (exportTo of the destination's
 * owner, given as the referencing resource's exportTo), as GetDestinationHost. */
const az_host *az_dest_host(const az_ctx *c, const char *src_ns, json_t *export_to, const char *host);

/* ---- labels ---- */
/* klabels.SelectorFromSet(map).String(): "a=b,c=d" sorted by key. */
void az_selector_string(json_t *map, char *buf, size_t len);
/* Does every key=value of map appear in labels?  (NULL/{} selects all.) */
bool az_labels_match(json_t *map, json_t *labels);
/* Is the pod in the mesh (has an istio-proxy container)? */
bool az_pod_in_mesh(const az_res *pod);

/* exportTo: empty or "*" = everyone; "." = own namespace. */
bool az_export_visible(json_t *export_to, const char *owner_ns, const char *client_ns);

/* ---- the analyzers (one family per file) ---- */
void az_gateway_port(az_ctx *c);          /* IST0101 selector, IST0162 */
void az_gateway_secret(az_ctx *c);        /* IST0101 credentialName */
void az_gateway_conflict(az_ctx *c);      /* IST0145 */
void az_vs_gateways(az_ctx *c);           /* IST0101 gateway, IST0132 */
void az_vs_dest_hosts(az_ctx *c);         /* IST0101 host / host:port, IST0112 */
void az_vs_dest_rules(az_ctx *c);         /* IST0101 host+subset */
void az_vs_mesh_conflicts(az_ctx *c);     /* IST0109 */
void az_dr_ca_certs(az_ctx *c);           /* IST0128, IST0129 */
void az_dr_subsets(az_ctx *c);            /* IST0173, IST0174 */
void az_injection(az_ctx *c);             /* IST0102, IST0103 */
void az_annotations(az_ctx *c);           /* IST0108 */
void az_port_names(az_ctx *c);            /* IST0118 */
void az_authz(az_ctx *c);                 /* IST0127, IST0101 namespace */
void az_sidecar_selector(az_ctx *c);      /* IST0101 selector */
void az_se_addresses(az_ctx *c);          /* IST0134 */
void az_se_conflicts(az_ctx *c);          /* IST0177 */
void az_schema(az_ctx *c);                /* IST0106, IST0130, IST0131 */
void az_egress(az_ctx *c);                /* MSH0001..MSH0004 */

#endif
