/* The istiod equivalent: from the objects in the store, the configuration
 * every proxy would receive (listeners, routes, clusters, endpoints), and the
 * routing decision one proxy makes for one connection or request.
 *
 * This is the one source for routing, for the trace, and for
 * `istioctl proxy-config`.  Pure computation over jansson objects: no
 * sockets, no store writes. */
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

/* A pod as the network knows it. */
typedef struct mesh_workload {
    const char *ns, *name, *ip, *service_account;
    json_t *pod;            /* borrowed */
    bool sidecar;           /* has an istio-proxy container (injected) */
    bool gateway;           /* is an Istio gateway proxy (no app container) */
} mesh_workload;

const mesh_workload *mesh_workload_by_pod(const mesh *m, const char *ns, const char *name);
const mesh_workload *mesh_workload_by_ip(const mesh *m, const char *ip);

/* DNS as the client pod sees it: Services by their short and long names,
 * ServiceEntry hosts with addresses, and the outside world's hosts
 * (ExternalService objects).  Returns the number of addresses (0: NXDOMAIN). */
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
    char why[1024];                     /* one human sentence per step, for the trace */
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

/* The mesh config (the `istio` ConfigMap's data.mesh, parsed; defaults filled). */
json_t *mesh_config(const mesh *m);

#endif
