/* The simulated network as a program inside a pod sees it.
 *
 * A probe (curl, openssl s_client) opens a net for its pod, resolves names
 * through it and asks it for connections.  Each connection that opens is a
 * real TCP connection to a loopback listener of the engine; one engine thread
 * per connection then plays every hop the bytes would cross (the client's
 * sidecar, a gateway, the destination's sidecar) using lib/mesh's routing
 * decisions, and finally the destination itself (a world host, a pod's app).
 *
 * Engine threads never touch the store: access-log lines and stats are
 * collected and written by net_close() on the main thread.  Time is virtual:
 * latencies and timeouts advance the net's clock, nothing sleeps. */
#ifndef MESHSIM_NET_H
#define MESHSIM_NET_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include "model/release.h"
#include "store/store.h"

typedef struct net net;

/* Open the network for client_pod (a pod object; borrowed for the net's
 * life).  NULL with a message in err on failure. */
net *net_open(store *st, const istio_release *rel, json_t *client_pod, char *err, size_t errlen);
/* Wait for the connection threads, write logs and stats, free.  Returns 0, or
 * -1 when the store refused a write. */
int net_close(net *n);

/* Drop the model kept for the next probe (see net.c). */
void net_forget_kept_model(void);

/* The client is the istio-proxy container itself (UID 1337): iptables does
 * not send its connections to the sidecar. */
void net_bypass_sidecar(net *n);

/* Servers inside the client's pod that are not applications (the proxy's
 * admin API on 15000, its Prometheus port 15090, ...).  fn runs on the main
 * thread when a loopback connection to port opens, once per path in paths
 * (NULL-terminated); it returns the malloc'd body and sets *status.  The
 * connection then answers those paths (others: 404 with the body for the
 * first path). */
typedef char *(*net_local_fn)(void *ctx, const char *path, int *status);
void net_set_local(net *n, int port, const char *const *paths, net_local_fn fn, void *ctx);

/* Wait until every connection opened so far has been served. */
void net_wait(net *n);

/* Virtual milliseconds that passed since net_open. */
long long net_vclock_ms(net *n);
void net_vclock_advance(net *n, long long ms);
/* A virtual deadline (curl's --max-time): a server that would answer after
 * it closes the connection instead and the clock stops at the deadline.
 * at_ms is on the net_vclock_ms() scale; 0 clears it. */
void net_set_deadline(net *n, long long at_ms);
bool net_deadline_hit(net *n);
/* Spend ms of virtual time; false (clock at the deadline) when the deadline
 * passes first. */
bool net_spend(net *n, long long ms);

/* Wall-clock epoch ms of the virtual "now" (for Date headers, log times). */
long long net_now_ms(net *n);

/* DNS names of the outside world's hosts (ExternalService spec.hosts, no
 * wildcards), up to max; returns how many. */
int net_world_hosts(net *n, const char **names, int max);

/* The client pod's IP ("" when it has none). */
const char *net_client_ip(const net *n);

typedef enum {
    NET_DNS_OK = 0,
    NET_DNS_NXDOMAIN,     /* no such name */
    NET_DNS_TIMEOUT,      /* kube-dns unreachable (NetworkPolicy) */
} net_dns_status;

/* Resolve name as the pod's resolver would (IPv4 literal names resolve to
 * themselves).  *count gets the number of addresses. */
net_dns_status net_resolve(net *n, const char *name, char addrs[][46], int max, int *count);
/* The same for a lookup made ahead of need (hosts a redirect may lead to):
 * not shown in traces, since the real client would not have made it yet. */
net_dns_status net_resolve_ahead(net *n, const char *name, char addrs[][46], int max, int *count);

typedef enum {
    NET_CONNECTED = 0,
    NET_REFUSED,          /* RST: nothing listens there */
    NET_TIMEDOUT,         /* SYN dropped (NetworkPolicy, unknown address, firewalled port) */
} net_conn_status;

/* Prepare the far end of a connection from the pod to ip:port.  With
 * NET_CONNECTED, *lo is a loopback listener (one accept, served by its own
 * thread) for the caller to connect to.  host: the name the client used (TLS
 * SNI may override it).  why: one sentence for traces. */
net_conn_status net_listen(net *n, const char *ip, int port, const char *host,
                           struct sockaddr_in *lo, char *why, size_t whylen);
/* The same, connecting for the caller: *fd is a connected blocking socket. */
net_conn_status net_connect(net *n, const char *ip, int port, const char *host, int *fd,
                            char *why, size_t whylen);

/* What a connection to ip:port would do, without opening it. */
net_conn_status net_reachable(net *n, const char *ip, int port, const char *host);

/* The simulated local port of the last connection (the pod's ephemeral port). */
int net_last_local_port(net *n);

/* Milliseconds of virtual time a dropped SYN costs before the kernel gives up
 * (Linux: tcp_syn_retries = 6). */
#define NET_SYN_TIMEOUT_MS 130816

#endif
