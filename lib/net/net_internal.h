/* Internals shared by the parts of the data plane (net.c: setup, DNS and
 * connections; hops.c: walking a connection or request through the proxies;
 * conn.c: the per-connection server thread; h2server.c: HTTP/2). */
#ifndef MESHSIM_NET_INTERNAL_H
#define MESHSIM_NET_INTERNAL_H

#include <openssl/ssl.h>
#include <pthread.h>
#include "mesh/mesh.h"
#include "net/http1.h"
#include "net/net.h"
#include "net/world.h"
#include "telemetry/stats.h"

typedef struct log_line {
    char *ns, *pod, *container;
    long long ts_ms;
    char *text;
} log_line;

/* A TLS server or client context on the cluster side (tls_servers.c):
 * a sidecar's mesh identity, a Gateway server's certificates, an nginx
 * pod's `listen ... ssl` server, a DestinationRule's origination settings
 * as one proxy applies them.  Made on the main thread (they read the store),
 * used by the engine threads. */
typedef enum { TLS_SRV_MESH, TLS_SRV_GATEWAY, TLS_SRV_NGINX, TLS_CLI_ORIGIN } tls_srv_kind;
typedef struct tls_srv {
    tls_srv_kind kind;
    const void *key;      /* mesh_workload (MESH, NGINX), Gateway server json (GATEWAY), DR tls json (ORIGIN) */
    const void *key2;     /* GATEWAY / ORIGIN: the proxy workload */
    int port;             /* NGINX: the listen port */
    SSL_CTX *ctx;         /* NULL: the certificates are missing (the handshake fails) */
    char why[256];        /* why ctx is NULL, for the trace */
    bool verify_sni;      /* ORIGIN: the server certificate must carry the SNI name (Istio 1.20+'s
                             VERIFY_CERTIFICATE_AT_CLIENT with no subjectAltNames) */
    bool pending;         /* MESH: ctx is made on first use (tls_srv_find, under src->mu) */
} tls_srv;

typedef struct tls_host {
    json_t *svc;          /* ExternalService (borrowed from objects) */
    SSL_CTX *ctx;
} tls_host;

/* The lazy mesh's (and the TLS contexts') way to the store (net.c): the store of the probe that
 * uses the mesh now, since a kept mesh outlives the probe that made it. */
typedef struct dns_memo dns_memo;
typedef struct net_source {
    store *st;
    /* engine threads reach the store only under this lock: the mesh's loads,
     * the world's TLS contexts made on first use */
    pthread_mutex_t mu;
    /* What was worked out from this model and holds as long as it does,
     * given again to the next probes of a kept model (under memo_mu): DNS
     * answers (net.c: curl resolves every world host per probe), whether
     * a cluster speaks HTTP/2 (hops.c) */
    pthread_mutex_t memo_mu;
    dns_memo *dns;
    int ndns, capdns;
    char dns_client_ip[46];         /* and whether that client may reach kube-dns: */
    int dns_client_blocked;         /* -1 undecided, 0 no, 1 yes */
    struct h2_memo *h2;
    int nh2, caph2;
} net_source;

struct net {
    store *st;
    net_source *src;                /* the mesh's source (kept with the mesh) */
    bool keep;                      /* the model may be kept for the next probe (net_close) */
    long long generation;           /* the store's objects generation it was built from */
    const istio_release *rel;
    json_t *objects;                /* store_list_all() */
    mesh *m;
    world *w;
    json_t *client_pod;
    const mesh_workload *client;    /* NULL when the pod is unknown to the mesh */
    char client_ip[46];
    /* access logging from the mesh config */
    bool log_on, log_json;
    char *log_format;
    /* collected output of the engine threads */
    pthread_mutex_t mu;
    log_line *logs;
    int nlogs, caplogs;
    stats *stats;
    long long vclock_ms;            /* guarded by mu */
    long long deadline_ms;          /* 0: none (guarded by mu) */
    bool deadline_hit;
    long long base_ms;              /* wall clock at open */
    int next_port;                  /* simulated ephemeral ports */
    int last_local_port;
    /* its connections being served by engine threads (net.c's pool;
     * guarded by the pool's lock) */
    int running;
    /* TLS server contexts of the world hosts, made on first use (under src->mu) */
    tls_host *tls;
    int ntls;
    tls_srv *srv;                   /* cluster-side TLS contexts (tls_servers.c) */
    int nsrv;
    bool bypass;                    /* the client runs as the proxy's user: not captured */
    bool dns_decided, dns_blocked;  /* may the client reach kube-dns (NetworkPolicy)? */
    struct {
        int port;
        const char *const *paths;
        net_local_fn fn;
        void *ctx;
    } local[8];
    int nlocal;
};

/* One accepted connection and where it was going. */
typedef struct local_answer {
    char *path, *body;
    int status;
} local_answer;

typedef struct conn {
    net *n;
    struct conn *queued;            /* next connection waiting for an engine thread (net.c) */
    local_answer *answers;          /* a local server's prepared answers (loopback) */
    int nanswers;
    int lfd, fd;
    char dst_ip[46];
    int dst_port;
    char host[256];                 /* the name the client used */
    char src_ip[46];
    int src_port;
} conn;

/* Where the bytes end up after the proxies. */
typedef enum {
    FINAL_NONE,
    FINAL_WORLD,                    /* an ExternalService host */
    FINAL_APP,                      /* a pod's application container */
    FINAL_PROXY,                    /* a proxy answered itself (direct response, failure) */
    FINAL_CLOSED,                   /* a proxy closed the connection (TCP failures) */
    FINAL_REFUSED,                  /* nothing listens at the destination */
    FINAL_TIMEOUT,                  /* the destination never answered the SYN */
    FINAL_TERMINATE,                /* a gateway terminates the client's TLS (tls_hop); the HTTP
                                       inside is routed per request from that gateway on */
} final_kind;

#define MAX_HOPS 8

/* Envoy's upstream connect timeout as Istio configures it (connectTimeout). */
#define CONNECT_TIMEOUT_MS 10000

typedef struct hop {
    const mesh_workload *proxy;
    bool inbound;
    mesh_request req;
    mesh_decision d;
    bool l7;                        /* handled as HTTP by this proxy */
    const char *protocol;           /* "HTTP/1.1", "HTTP/2" or NULL (TCP) */
    char downstream_local[64], downstream_remote[64];
    char upstream_local[64], upstream_host[64];
    int upstream_port_local;
    bool mtls_in;                   /* inbound hop reached over Istio mutual TLS */
    char mtls_sni[320];             /* the SNI of that connection (logged by the inbound proxy) */
    const mesh_workload *peer;      /* the proxy on the other end of the mTLS connection */
} hop;

typedef struct path {
    hop hops[MAX_HOPS];
    int nhops;
    final_kind final;
    json_t *world_svc;              /* FINAL_WORLD */
    const mesh_workload *app;       /* FINAL_APP */
    char final_ip[46];
    int final_port;
    int fail_hop;                   /* FINAL_PROXY / CLOSED: which hop */
    int tls_hop;                    /* FINAL_TERMINATE: which hop */
    bool reset;                     /* FINAL_CLOSED: the proxy resets (RST) rather than closes */
    bool handshake_failed;          /* the last hop's sidecar failed the client's TLS handshake: */
                                    /* no filter saw the connection, so it writes no access-log line */
    char why[512];
    char capture[256];              /* the client has a sidecar, but istio-init's rules let this
                                       connection go out directly: which rule */
} path;

typedef void (*h2_handler)(void *ctx, http_msg *req, http_msg *resp);

/* ---- net.c ---- */
/* Does the client pod's sidecar capture its outbound connection to ip:port
 * (istio-init's rules: net/capture.h)? */
bool net_captured(const net *n, const char *ip, int port);
long long net_now(net *n);
void net_add_log(net *n, const char *ns, const char *pod, long long ts_ms, const char *text);
/* A line in another container's log (an application's access log). */
void net_add_container_log(net *n, const char *ns, const char *pod, const char *container, long long ts_ms,
                           const char *text);
/* The name of the container of pod w that runs the app answering on port. */
const char *net_app_container(const mesh_workload *w, int port);
/* The pod at ip (NULL if none). */
const mesh_workload *net_pod_by_ip(net *n, const char *ip);
/* kube-proxy: a Service clusterIP:port to one endpoint pod ip:port.  0 when
 * ip is a clusterIP (out filled), 1 when it is not, -1 when the Service has no
 * ready endpoint (connection refused). */
int net_kube_proxy(net *n, const char *ip, int port, char out_ip[46], int *out_port);
/* The app running in pod w: "httpbin", "nginx", "" (none) and whether it
 * listens on port. */
const char *net_app_of(const mesh_workload *w, int port, bool *listens);
SSL_CTX *net_world_ctx(net *n, json_t *svc);
bool net_access_log_on(net *n);

/* ---- hops.c ---- */
/* Walk a connection (req.http false) or one HTTP request through the
 * proxies from the client pod to its final destination. */
void hops_walk(net *n, const conn *c, const char *sni, const http_msg *httpreq, path *p);
/* Serve one HTTP request along path p: the response comes back in resp, the
 * access-log lines and stats of every L7 hop are recorded. */
void hops_http_exchange(net *n, const conn *c, path *p, http_msg *req, const char *client_proto,
                        bool tls, http_msg *resp, bool first_on_conn);
/* Free what hops_walk allocated in p. */
void hops_path_free(net *n, const conn *c, path *p);
/* Record the L4 hops of a finished connection (bytes as the client saw them). */
void hops_tcp_done(net *n, const conn *c, path *p, const char *sni, long long start_ms,
                   long long rx, long long tx, long long duration_ms);

/* The same from proxy `start` on (a gateway that terminated the client's
 * TLS routes the requests inside); c's addresses are those the proxy sees. */
void hops_walk_from(net *n, const conn *c, const char *sni, const http_msg *httpreq, path *p,
                    const mesh_workload *start);

/* ---- tls_servers.c ---- */
/* Make every cluster-side TLS context the engine threads may need (once;
 * the mesh identities' are only listed, and made on first use). */
void tls_servers_prepare(net *n);
/* The entry for (kind, key, key2, port), or NULL when none was prepared
 * (a mesh identity's context is made now if it was not yet). */
const tls_srv *tls_srv_find(const net *n, tls_srv_kind kind, const void *key, const void *key2, int port);
/* Does the nginx in pod w serve TLS on port (its nginx.conf says `listen port ssl`)? */
bool tls_nginx_ssl_port(const net *n, const mesh_workload *w, int port);
/* Run a TLS handshake in memory between a proxy's origination context and
 * the server it reaches (server_ctx), as the proxy's upstream connection
 * would: 0 when it succeeds, else -1 with Envoy's transport failure reason
 * in why ("TLS error: ... CERTIFICATE_VERIFY_FAILED"). */
int tls_originate_check(const tls_srv *client, SSL_CTX *server_ctx, const char *sni, json_t *tls_settings,
                        char *why, size_t whylen, const char **nginx_error);
/* What nginx with ssl_verify_client says of the client's certificate on an
 * established connection: NULL (fine), "No required SSL certificate was
 * sent" or "The SSL certificate error" (its 400 page's title). */
const char *nginx_client_cert_error(SSL *ssl);
/* nginx's 400 page with that title. */
void nginx_bad_request(const char *title, long long now_ms, http_msg *resp);

/* ---- tls_terminate.c ---- */
/* Serve a TLS connection whose path ends at a TLS server on the cluster
 * side: a gateway terminating it (FINAL_TERMINATE), a sidecar answering with
 * its mesh certificate (STRICT; PERMISSIVE only when the client offers
 * Istio's ALPN, istio_alpn), or an nginx `listen ... ssl` server (FINAL_APP).
 * Returns false when nothing on the path speaks TLS (the caller closes).
 * *rx / *tx get the raw bytes. */
bool tls_serve_cluster(conn *c, path *p, const char *sni, bool istio_alpn, long long *rx, long long *tx);
/* Serve HTTP/1.1 or HTTP/2 (by ALPN) requests on an established TLS
 * connection, each answered by fn. */
void tls_serve_http(SSL *ssl, h2_handler fn, void *ctx, const char **proto);

/* ---- trace.c ---- */
/* Record the path of a connection or request when a trace is being taken. */
void trace_path(const net *n, const conn *c, const char *sni, const http_msg *req, const path *p);

/* ---- conn.c ---- */
/* Bytes a connection carried: from the client / to the client. */
typedef struct counted {
    long long rx, tx;
} counted;
/* A BIO callback (BIO_set_callback_ex, arg a counted*) that counts the raw
 * bytes of a TLS connection as the proxies on the way see them. */
long bio_count_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret,
                  size_t *processed);
void *conn_thread(void *arg);

/* ---- h2server.c ---- */
/* Serve HTTP/2 on an established TLS connection until the client closes. */
int h2_serve(SSL *ssl, h2_handler fn, void *ctx);
/* The same on a plaintext connection that began with the HTTP/2 preface. */
int h2_serve_plain(int fd, h2_handler fn, void *ctx);

#endif
