/* The simulated outside world: ExternalService objects (meshsim.dev/v1alpha1,
 * cluster scoped; see meshsim-world(5)) and how each host answers. */
#ifndef MESHSIM_WORLD_H
#define MESHSIM_WORLD_H

#include <jansson.h>
#include <stdbool.h>
#include "net/http1.h"

/* The default world, the files of samples/world joined with "---" lines. */
extern const char world_default_yaml[];

/* Create the default world's objects in a new store (cluster bootstrap).
 * Returns 0, or -1 with a message in err. */
#include "store/store.h"
int world_seed(store *st, char *err, size_t errlen);

/* Check an ExternalService's spec against meshsim-world(5) (apply-time
 * validation).  0, or -1 with a message naming the field in err
 * ("spec.ports[1].protocol: Unsupported value: \"UDP\": ..."). */
int world_validate(json_t *svc, char *err, size_t errlen);

/* The largest generated page (bodyBytes). */
#define WORLD_MAX_BODY (64LL << 20)

typedef struct world world;

/* objects: every object of the store (borrowed); keeps the ExternalServices. */
world *world_build(json_t *objects);
void world_free(world *w);

/* The ExternalService that serves DNS name `host` (exact, then "*.suffix"). */
json_t *world_by_host(const world *w, const char *host);
/* The first ExternalService with address ip. */
json_t *world_by_ip(const world *w, const char *ip);
/* The service that answers a connection to ip:port for name (Host / SNI; may
 * be NULL): the named host if it lives at ip, else the first one at ip. */
json_t *world_endpoint(const world *w, const char *ip, int port, const char *name);
/* The protocol of port (HTTP, HTTPS, TLS, TCP) or NULL when closed. */
const char *world_port_protocol(json_t *svc, int port);
/* Addresses of name, as DNS would answer (0 = NXDOMAIN). */
int world_resolve(const world *w, const char *name, char out[][46], int max);

typedef struct world_request {
    json_t *svc;
    int port;
    bool tls;                 /* the request arrived over TLS */
    const char *client_ip;    /* the address the server sees */
    const char *protocol;     /* "HTTP/1.1" or "HTTP/2" */
    long long now_ms;         /* virtual clock, for Date */
    const http_msg *req;      /* method, target, fields, body */
} world_request;

/* Fill resp (status, fields, body).  *latency_ms gets the server's think time
 * (the host's latencyMs plus e.g. httpbin's /delay/N). */
void world_respond(const world_request *wr, http_msg *resp, long long *latency_ms);

/* Built-in applications, shared by world hosts and pods (by image). */
void app_httpbin(const http_msg *req, const char *scheme, const char *host, const char *client_ip,
                 long long now_ms, http_msg *resp, long long *delay_ms);
void app_nginx(const http_msg *req, long long now_ms, http_msg *resp);
/* An HTML page of about `bytes` bytes with the given <title>. */
char *world_page(const char *title, long long bytes, size_t *len);
/* RFC 9110 IMF-fixdate of epoch ms. */
void http_date(char *buf, size_t len, long long ms);

#endif
