/* The mesh model shared by the files of lib/mesh (not a public interface).
 *
 * mesh_build turns the store's objects into these records and indexes them;
 * the routing files only read them.  Strings point into the borrowed store
 * objects or into the mesh's arena. */
#ifndef MESHSIM_MESH_INTERNAL_H
#define MESHSIM_MESH_INTERNAL_H

#include <pthread.h>
#include <stdio.h>
#include "mesh/mesh.h"
#include "mesh/index.h"

/* How a port's bytes are treated. */
typedef enum { PC_TCP, PC_HTTP, PC_TLS, PC_AUTO, PC_UDP } port_class;

typedef struct m_port {
    int number;
    const char *name;          /* "" when unnamed */
    const char *protocol;      /* "HTTP", "HTTPS", "TLS", "TCP", ... or "" (sniffed) */
    port_class cls;
    int target;                /* numeric targetPort, 0 when named or absent */
    const char *target_name;   /* named targetPort, or NULL */
} m_port;

typedef enum { RES_K8S, RES_NONE, RES_STATIC, RES_DNS, RES_DNS_RR } m_res;

/* A service as Istio's registry holds it: one per Kubernetes Service, one per
 * ServiceEntry host. */
typedef struct m_svc {
    const char *host;          /* FQDN, lower case */
    const char *ns, *name;     /* of the Service / ServiceEntry */
    json_t *obj;
    bool is_se, mesh_external, headless;
    const char **vips; int nvips;
    const char **cidrs; int ncidrs;   /* ServiceEntry addresses wider than one address */
    m_port *ports; int nports;
    m_res res;
    json_t *export_to;         /* array or NULL */
    json_t *se_endpoints;      /* ServiceEntry spec.endpoints */
    json_t *k8s_endpoints;     /* Endpoints object of a selector-less Service */
    bool has_selector;
    const char *external_name; /* Service type ExternalName: a DNS cluster to this name */
    const mesh_workload **pods; int npods;   /* pods the selector picks */
    const char *ord;           /* place in the store's order (lists by host, address, port) */
} m_svc;

typedef struct m_vs {
    json_t *obj, *spec;
    const char *ns, *name, *key;       /* key = "ns/name" */
    const char **hosts; int nhosts;    /* FQDN-resolved against ns */
    const char **gws; int ngws;        /* top-level gateways resolved; ["mesh"] when empty */
    json_t *export_to;
    const char *ord;           /* Istio's order: "creationTimestamp\1name.ns" (build.c) */
} m_vs;

typedef struct m_dr {
    json_t *obj, *spec;
    const char *ns, *name, *host;
    json_t *export_to;
} m_dr;

typedef struct m_gw {
    json_t *obj, *spec;
    const char *ns, *name, *key;
} m_gw;

struct mesh {
    json_t *objects;
    const istio_release *rel;
    json_t *config;            /* parsed mesh config with defaults (owned) */
    json_t *owned;             /* other json the mesh created */
    arena *ar;
    const char *root_ns;
    bool registry_only;
    bool gw_none_original_dst; /* release model: NONE on gateways = ORIGINAL_DST */

    mesh_workload *wls; size_t nwls;
    m_svc *svcs; size_t nsvcs;
    m_vs *vss; size_t nvss;
    m_dr *drs; size_t ndrs;
    m_gw *gws; size_t ngws;

    mindex *wl_by_ip, *wl_by_key, *pods_ns;
    mindex *svc_by_host;       /* exact host -> m_svc; "" -> wildcard-host services */
    mindex *svc_by_vip;        /* address -> m_svc */
    mindex *svc_by_pod;        /* "ns/name" of a pod -> the Services selecting it */
    mindex *svc_by_port;       /* "http:P", "tls:P", "tcpnone:P", "cidr:P" -> m_svc */
    mindex *vs_mesh;           /* host -> m_vs bound to "mesh"; "" -> wildcard hosts */
    mindex *gw_by_pod;         /* "ns/name" of a gateway pod -> the Gateways selecting it */
    mindex *vs_gw;             /* "ns/name" of a Gateway -> m_vs bound to it */
    mindex *vs_gw_host;        /* "ns/name|host" -> m_vs; "ns/name|" -> those with wildcard hosts */
    mindex *dr_host;           /* host -> m_dr; "" -> wildcard hosts */
    mindex *world_host;        /* ExternalService host -> object; "" -> wildcard hosts */
    mindex *world_ip;          /* address -> ExternalService */
    mindex *ns_labels;         /* namespace -> labels object (with metadata.name label) */
    mindex *netpol_ns;         /* namespace -> NetworkPolicy */
    mindex *endpoints_key;     /* "ns/name" -> Endpoints */
    mindex *sidecar_ns;        /* namespace -> Sidecar */
    mindex *peerauth_ns;       /* namespace -> PeerAuthentication */
    mindex *authz_ns;          /* namespace -> AuthorizationPolicy */

    /* mesh_build_lazy: ServiceEntries and VirtualServices are added on the
     * first lookup that needs them (mesh_get), under mu, from src.  A key
     * once loaded holds every object filed under it, so its list never
     * changes again and readers may keep it without the lock. */
    bool lazy;
    mesh_source src;
    pthread_mutex_t mu;
    mindex *done;              /* store keys loaded ("host:..", "wild", ...) */
    mindex *loaded;            /* "kind\1ns\1name" of the keyed objects added */
};

/* A lookup in one of the tables above: in a lazy mesh the objects filed
 * under the key are loaded first.  Use these for svc_by_host, svc_by_vip,
 * svc_by_port (cidr:, tcpnone:), vs_mesh, vs_gw, vs_gw_host. */
void *const *mesh_get(const mesh *m, mindex *ix, const char *key, size_t *n);
void *mesh_first(const mesh *m, mindex *ix, const char *key);
/* Is some service visible to proxy serving port as HTTP (http:P) / is
 * some service's port TLS (tls:P)?  Lazy meshes load only what answers. */
bool mesh_any_http_port(const mesh *m, const mesh_workload *proxy, int port);
bool mesh_any_tls_port(const mesh *m, int port);

/* ---- small json helpers ---- */
static inline json_t *jget(json_t *o, const char *k) { return json_is_object(o) ? json_object_get(o, k) : NULL; }
static inline const char *jstr(json_t *o, const char *k)
{
    json_t *v = jget(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}
static inline const char *jstr_or(json_t *o, const char *k, const char *d)
{
    const char *s = jstr(o, k);
    return s ? s : d;
}
/* Integer that may be written as a number or a numeric string. */
long long jint(json_t *o, const char *k, long long dflt);
json_t *jpath(json_t *o, const char *a, const char *b);   /* o.a.b (b may be NULL) */

/* ---- registry queries (registry.c) ---- */
const m_port *svc_port(const m_svc *s, int number);
/* Is the service visible to a proxy in ns (exportTo and Sidecar egress hosts)? */
bool svc_visible(const mesh *m, const m_svc *s, const mesh_workload *proxy);
/* First visible service with this exact host (or wildcard ServiceEntry host). */
const m_svc *svc_by_host(const mesh *m, const char *host, const mesh_workload *proxy);
/* First visible service with this address, optionally having port (0 = any). */
const m_svc *svc_by_vip(const mesh *m, const char *ip, int port, const mesh_workload *proxy);
/* First visible ServiceEntry whose CIDR addresses hold ip, with port. */
const m_svc *svc_by_cidr(const mesh *m, const char *ip, int port, const mesh_workload *proxy);
/* Outbound traffic policy for this proxy: true = REGISTRY_ONLY. */
bool proxy_registry_only(const mesh *m, const mesh_workload *proxy);
/* The namespace's labels (with kubernetes.io/metadata.name); new reference. */
json_t *ns_labels(const mesh *m, const char *ns);
unsigned long long mesh_hash(const char *s);

/* ---- DNS (dns.c) ---- */
/* What a proxy's upstream resolver answers for name (kube-dns with ns's search
 * path, then the outside world; no ServiceEntry addresses). */
int dns_resolve(const mesh *m, const char *ns, const char *name, char out[][46], int max);

/* ---- decision helpers (route.c) ---- */
void why_add(mesh_decision *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void set_fail(mesh_decision *d, hop_action a, int status, const char *flags, const char *details);
/* The hash that makes weighted and endpoint choices repeatable per request. */
unsigned long long request_hash(const mesh_request *req);

/* ---- clusters and endpoints (cluster.c) ---- */
/* Find the DestinationRule for host on the lookup path of client_ns. */
const m_dr *dr_lookup(const mesh *m, const char *client_ns, const char *host, const char *svc_ns);
/* Route to cluster outbound|port|subset|host: checks the cluster exists for
 * this proxy, applies the DestinationRule, picks an endpoint.  Fills out. */
void cluster_route(const mesh *m, const mesh_workload *proxy, const mesh_request *req,
                   const char *host, int port, const char *subset, mesh_decision *out);
/* The endpoints of a cluster of service s, port p, subset labels. */
#define MESH_MAX_EPS 64
typedef struct ep_set {
    char ip[MESH_MAX_EPS][46];
    int port[MESH_MAX_EPS];
    const mesh_workload *w[MESH_MAX_EPS];
    int n;
    char type[16];          /* Envoy discovery type */
    const char *how;        /* where they come from, for the trace */
    bool original_dst;
} ep_set;
/* req NULL: the configured endpoints (a config dump; ORIGINAL_DST has none,
 * DNS lists every address); else the ones this connection can use. */
void cluster_endpoints(const mesh *m, const mesh_workload *proxy, const mesh_request *req, const m_svc *s,
                       const m_port *p, json_t *sublabels, ep_set *es);
/* A service port's target on a pod (named targetPorts resolved on its
 * containers); 0 when the pod lacks the named port. */
int workload_port(const mesh_workload *w, const m_port *p, int dflt);
/* Passthrough / blackhole for unknown destinations. */
void route_unknown(const mesh *m, const mesh_workload *proxy, const mesh_request *req,
                   mesh_decision *out);

/* ---- VirtualService rules (vsmatch.c) ---- */
typedef struct vs_ctx {
    const mesh *m;
    const mesh_workload *proxy;
    const mesh_request *req;
    const char *const *gws; int ngws;  /* gateways this proxy implements ("mesh" for sidecars) */
    int port;                          /* port the rules' match.port compares with */
} vs_ctx;

/* Does the rule's source part (gateways, sourceLabels, sourceNamespace, port) hold?
 * top: the VS's top-level gateways. */
bool vs_match_source(const vs_ctx *c, const m_vs *vs, json_t *match);
/* Try the http rules of vs in order; on a match fill out (route name, vs_rule,
 * redirect/direct response/fault or the destination, via cluster_route) and
 * return true. */
bool vs_route_http(const vs_ctx *c, const m_vs *vs, mesh_decision *out);
/* tls (sni set) or tcp rules; on a match route and return true. */
bool vs_route_tls(const vs_ctx *c, const m_vs *vs, const char *sni, mesh_decision *out);
bool vs_route_tcp(const vs_ctx *c, const m_vs *vs, mesh_decision *out);
bool vs_has(const m_vs *vs, const char *section);
bool vs_visible(const m_vs *vs, const char *ns);

/* ---- the two kinds of proxies ---- */
void route_sidecar(const mesh *m, const mesh_workload *proxy, const mesh_request *req, mesh_decision *out);
/* The Gateways whose selector picks this gateway pod, in creation order. */
void *const *gateways_of(const mesh *m, const mesh_workload *gwpod, size_t *n);
/* The pod port a Gateway server port listens on: the gateway Service's
 * targetPort for that port number, else the number itself. */
int gateway_listen_port(const mesh *m, const mesh_workload *gwpod, int server_port);
void route_gateway(const mesh *m, const mesh_workload *proxy, const mesh_request *req, mesh_decision *out);

#endif
