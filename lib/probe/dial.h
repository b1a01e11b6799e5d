/* Connections for probes that dial a socket themselves (openssl s_client).
 * kubectl exec installs the dialer once and calls probe_net_dial_finish()
 * after the probe returns, so the proxies' logs and stats get written. */
#ifndef MESHSIM_PROBE_DIAL_H
#define MESHSIM_PROBE_DIAL_H

#include "probe/probe.h"

/* A probe_dial_fn: connected socket, or -errno, or PROBE_DIAL_NXDOMAIN. */
int probe_net_dial(exec_ctx *x, const char *host, int port);
/* Close the networks opened for x (waits for their connections). 0 or -1. */
int probe_net_dial_finish(exec_ctx *x);
/* Make probe_openssl_main use probe_net_dial. */
void probe_net_dial_install(void);

#endif
