/* The istiod equivalent: from the objects in the store, the configuration
 * every proxy would receive (listeners, routes, clusters, endpoints), and the
 * routing decision one proxy makes for one connection or request.
 *
 * This is the one source for routing, for the trace, and for
 * `istioctl proxy-config`.  Pure computation over jansson objects: no
 * sockets, no store writes.
 *
 * Threading: after mesh_build nothing mutates the mesh; every query below
 * may run on several threads at once. */
#ifndef MESHSIM_MESH_H
#define MESHSIM_MESH_H

#include <jansson.h>
#include <stdbool.h>
#include "model/release.h"

typedef struct mesh mesh;

/* objects: every object of the store (array, borrowed for the mesh's life).
 * The mesh config is read from the ConfigMap istio/istio-system (data.mesh). */
mesh *mesh_build(json_t *objects, const istio_release *rel);
void mesh_free(mesh *m);

/* Where a lazy mesh finds the objects routing looks up by key
 * (model/routing_keys.h: ServiceEntries and VirtualServices).  Called with
 * the mesh's lock held, from whichever thread routes; must be safe for that. */
typedef struct mesh_source {
    void *ctx;
    /* the objects filed under key, in the store's order (resource, namespace,
     * name), from offset, at most limit (-1: all); a new array */
    json_t *(*by_key)(void *ctx, const char *key, int offset, int limit);
    bool (*key_exists)(void *ctx, const char *key);
} mesh_source;

/* The same model for a probe: objects holds every object except the keyed
 * kinds (borrowed, as for mesh_build); those are loaded through src when a
 * lookup first needs them, so a decision costs what its hosts involve, not
 * what the store holds.  Decisions are the same as mesh_build's over all
 * objects.  (mesh_proxy_config needs mesh_build.) */
mesh *mesh_build_lazy(json_t *objects, const istio_release *rel, const mesh_source *src);

/* A pod as the network knows it. */
typedef struct mesh_workload {
    const char *ns, *name, *ip, *service_account;
    json_t *pod;            /* borrowed */
    bool sidecar;           /* has an istio-proxy container (injected) */
    bool gateway;           /* is an Istio gateway proxy (no app container) */
} mesh_workload;

const mesh_workload *mesh_workload_by_pod(const mesh *m, const char *ns, const char *name);
const mesh_workload *mesh_workload_by_ip(const mesh *m, const char *ip);

/* DNS as the client pod sees it: Services by their short and long names
 * (the pod's search path: <ns>.svc.cluster.local, svc.cluster.local,
 * cluster.local; headless Services answer with pod IPs), ServiceEntry hosts
 * with addresses (only for clients with a proxy, or client NULL: Istio's
 * DNS capture), and the outside world's hosts (ExternalService objects).
 * IP literals answer themselves.  Returns the number of addresses
 * (0: NXDOMAIN). */
int mesh_dns_lookup(const mesh *m, const mesh_workload *client, const char *name,
                    char out[][46], int max);

typedef enum {
    HOP_FORWARD,          /* to cluster/endpoint below */
    HOP_DIRECT_RESPONSE,  /* status (and body) from the proxy itself, e.g. 502 block_all */
    HOP_FAIL,             /* status + flags/details: 404 NR, 503 NC, 503 UH, TCP close */
} hop_action;

/* What one proxy sees of a connection or request. */
typedef struct mesh_request {
    const char *src_ip;
    const char *dst_ip; int dst_port;   /* original destination */
    bool inbound;                       /* arriving for the proxy's own workload */
    const char *sni;                    /* TLS: server name from the ClientHello, or NULL */
    bool http;                          /* HTTP request (else TCP/TLS connection) */
    const char *method, *authority, *path;
    json_t *headers;                    /* lower-case name -> value; may be NULL */
    /* added by lib/mesh (append-only) */
    const char *src_principal;          /* peer identity when the connection is Istio mTLS
                                           ("cluster.local/ns/default/sa/sleep"), else NULL;
                                           AuthorizationPolicy principals/namespaces need it */
} mesh_request;

typedef struct mesh_decision {
    hop_action action;
    int status;                         /* HTTP status for DIRECT_RESPONSE/FAIL */
    char flags[32];                     /* Envoy response flags ("NR", "UH", ...) or "" */
    char details[128];                  /* Envoy response code details */
    /* what matched, for logs, stats and the trace */
    char listener[128];                 /* "0.0.0.0_80", "10.96.0.12_443", "virtualInbound" */
    char filter_chain[256];
    char route_config[128];             /* "80", "http.80" */
    char vhost[256];
    char route_name[256];               /* Envoy %ROUTE_NAME% ("" = "-") */
    char virtual_service[256];          /* "ns/name" or "" */
    int vs_rule;                        /* index of the http/tls/tcp rule, -1 if none */
    char destination_rule[256];         /* "ns/name" or "" */
    char cluster[320];                  /* "outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local" */
    char endpoint_ip[46];
    int endpoint_port;
    const mesh_workload *endpoint;      /* the pod behind the endpoint, if any */
    /* what the proxy does to the request on the way */
    int timeout_ms;                     /* 0 = none */
    char rewrite_authority[256], rewrite_uri[512];
    char tls_origination[16];           /* "", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL" */
    char upstream_sni[256];
    char why[1024];                     /* one line ('\n'-terminated) per step, for the trace */
    /* added by lib/mesh (append-only) */
    char location[512];                 /* redirect: the Location header */
    char response_body[256];            /* directResponse body / Envoy's local reply text */
    int delay_ms;                       /* fault injection delay before forwarding */
    int retry_attempts;                 /* retries after the first try (Istio default 2) */
    int per_try_timeout_ms;
    char tls_termination[16];           /* gateway server TLS mode it terminates: "SIMPLE", "MUTUAL", ... */
    char dest_host[256];                /* the route destination (host, port, subset) */
    int dest_port;
    char dest_subset[64];
    char cluster_type[16];              /* Envoy discovery type: "EDS", "STRICT_DNS", "ORIGINAL_DST", ... */
    bool original_dst;                  /* endpoint is the connection's original destination */
    json_t *headers;                    /* the http rule's "headers" ({request,response}:{set,add,remove}), borrowed */
    json_t *dest_headers;               /* the chosen destination's "headers", borrowed */
    char mirror_cluster[320];           /* "mirror": a copy of the request goes to this cluster */
    bool mtls;                          /* the upstream connection is Istio mutual TLS (DR ISTIO_MUTUAL,
                                           or auto mTLS from 1.5 on when the endpoint has a sidecar) */
    char mtls_sni[320];                 /* its SNI: "outbound_.80_.cnn_.istio-egressgateway..." */
    json_t *tls_server;                 /* with tls_termination: the Gateway server (spec.servers[i],
                                           borrowed) whose tls block has the certificates */
    json_t *tls_settings;               /* with tls_origination: the DestinationRule's tls block
                                           (borrowed), for caCertificates / credentialName / ... */
} mesh_decision;

/* The decision `proxy` makes for `req`.  Returns 0; out->action says what happens
 * (-1 only for NULL arguments).
 *
 * Conventions:
 * - No listener for the port on a gateway (no Gateway server maps to it):
 *   action HOP_FAIL, status 0, flags "", details "no listener" -> the caller
 *   refuses the connection.
 * - TLS passthrough with no matching SNI chain: HOP_FAIL, status 0, flags "NR",
 *   details "filter_chain_not_found" -> the caller closes the connection.
 * - TCP/TLS to BlackHoleCluster: HOP_FAIL, status 0, flags "UH", cluster
 *   "BlackHoleCluster".
 * - A gateway server that terminates TLS (HTTPS/TLS with mode SIMPLE, MUTUAL,
 *   ISTIO_MUTUAL) asked about the TLS connection (req->http false): action
 *   HOP_FORWARD with tls_termination set and cluster "" for an HTTPS server
 *   (terminate, then ask again with req->http true and req->sni kept), or the
 *   tcp route's cluster for a TLS server.
 * - original_dst true: the cluster forwards to req->dst_ip:dst_port
 *   (PassthroughCluster, ServiceEntry resolution NONE).  On a gateway of the
 *   1.4 model that is the gateway itself: the caller detects the loop. */
int mesh_route(const mesh *m, const mesh_workload *proxy, const mesh_request *req,
               mesh_decision *out);

/* NetworkPolicy: may a TCP/UDP connection from src_ip to dst_ip:port open?
 * why gets the policy that decided it (or that no policy isolates the pod). */
bool mesh_netpol_allows(const mesh *m, const char *src_ip, const char *dst_ip, int port,
                        const char *protocol, char *why, size_t whylen);

/* AuthorizationPolicy for a request arriving at workload w (a sidecar's
 * inbound side or a gateway): DENY policies first, then, when any ALLOW
 * policy applies to w, one of them must match.  mesh_route applies it to
 * inbound and gateway decisions (403 "RBAC: access denied" for HTTP, a
 * closed connection for TCP); exposed for the trace and analyzers.  why gets
 * Envoy's details ("rbac_access_denied_matched_policy[none]" when denied). */
bool mesh_authz_allows(const mesh *m, const mesh_workload *w, const mesh_request *req, char *why, size_t whylen);

/* The mutual-TLS mode workload w's sidecar accepts on (container) port:
 * "STRICT", "PERMISSIVE" or "DISABLE", from PeerAuthentication objects: a
 * policy selecting the workload (its portLevelMtls first) beats the
 * namespace-wide one, which beats the mesh-wide one in the root namespace;
 * UNSET inherits; the default is PERMISSIVE.  why (may be NULL) names the
 * deciding policy.  The caller decides what a plaintext connection to a
 * STRICT port gets (Envoy resets it). */
const char *mesh_peer_authn_mode(const mesh *m, const mesh_workload *w, int port, char *why, size_t whylen);

/* The mesh config (the `istio` ConfigMap's data.mesh, parsed; defaults
 * filled: outboundTrafficPolicy.mode ALLOW_ANY, rootNamespace istio-system,
 * accessLogFile "", accessLogEncoding TEXT, accessLogFormat "").
 * Borrowed: lives as long as the mesh. */
json_t *mesh_config(const mesh *m);

/* The configuration one proxy holds, for `istioctl proxy-config` (a new
 * object; the caller decrefs):
 *   {"clusters":  [{"name","fqdn","port","subset","direction","type","destination_rule"}],
 *    "listeners": [{"name","address","port","match","destination"}],
 *    "routes":    [{"name","vhost","domains":[...],"match","virtual_service"}],
 *    "endpoints": [{"endpoint","status","outlier_check","cluster"}]}
 * Raw values: "" where istioctl prints "-"; destination_rule and
 * virtual_service are "name.namespace" ("404" for a gateway's empty vhost);
 * clusters sorted by FQDN (special clusters by name), port, subset,
 * direction; endpoints by cluster then address; listeners and routes in the
 * order Istio generates them.  Special clusters (BlackHoleCluster,
 * PassthroughCluster, ...) have fqdn "" and port 0. */
json_t *mesh_proxy_config(const mesh *m, const mesh_workload *proxy);

/* The first endpoint mesh_proxy_config would list for cluster
 * ("outbound|PORT|SUBSET|HOST") of proxy, without enumerating the rest
 * (works on a lazy mesh).  0, or -1 when proxy has no such cluster or it
 * has no endpoint. */
int mesh_cluster_first_endpoint(const mesh *m, const mesh_workload *proxy, const char *cluster, char ip[46],
                                int *port);

#endif
