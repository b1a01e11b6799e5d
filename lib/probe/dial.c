/* The dialer for probes that want a plain connected socket (openssl
 * s_client): a connection from the exec's pod through the simulated network.
 * The nets it opens stay open until probe_net_dial_finish(), which writes
 * their access-log lines and stats (on the main thread). */
#include <errno.h>
#include <stdlib.h>
#include "net/net.h"
#include "probe/dial.h"
#include "probe/openssl.h"

static net *open_nets[16];
static exec_ctx *open_for[16];
static int nopen;

int probe_net_dial(exec_ctx *x, const char *host, int port)
{
    if (nopen == 16) return -EMFILE;
    char err[256];
    net *n = net_open(x->st, x->rel, x->pod, err, sizeof err);
    if (!n) return -ENETUNREACH;
    if (x->container && !strcmp(x->container, "istio-proxy")) net_bypass_sidecar(n);
    open_nets[nopen] = n;
    open_for[nopen++] = x;
    char addrs[8][46];
    int count = 0;
    net_dns_status ds = net_resolve(n, host, addrs, 8, &count);
    if (ds != NET_DNS_OK || count == 0) return PROBE_DIAL_NXDOMAIN;
    int fd = -1;
    char why[256];
    net_conn_status cs = net_connect(n, addrs[0], port, host, &fd, why, sizeof why);
    if (cs == NET_TIMEDOUT) {
        net_vclock_advance(n, NET_SYN_TIMEOUT_MS);
        return -ETIMEDOUT;
    }
    if (cs == NET_REFUSED) return -ECONNREFUSED;
    return fd;
}

int probe_net_dial_finish(exec_ctx *x)
{
    int rc = 0;
    for (int i = 0; i < nopen;) {
        if (open_for[i] != x) { i++; continue; }
        x->vclock_ms += net_vclock_ms(open_nets[i]);
        if (net_close(open_nets[i])) rc = -1;
        open_nets[i] = open_nets[nopen - 1];
        open_for[i] = open_for[nopen - 1];
        nopen--;
    }
    return rc;
}

void probe_net_dial_install(void)
{
    probe_openssl_dial = probe_net_dial;
}
