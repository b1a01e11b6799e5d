/* Which outbound connections of a pod its sidecar captures (istio-init's
 * iptables rules).  See capture.c. */
#ifndef MESHSIM_NET_CAPTURE_H
#define MESHSIM_NET_CAPTURE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Would the injected pod's ISTIO_OUTPUT chain redirect a TCP connection to
 * ip:port to its sidecar?  When not, why (may be NULL) says which rule let
 * it go out directly ("" for loopback). */
bool capture_outbound(json_t *pod, const char *ip, int port, char *why, size_t whylen);

#endif
