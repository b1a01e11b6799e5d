/* The Envoy admin API of a pod's proxy (localhost:15000), as pilot-agent
 * request and curl localhost:15000 reach it. */
#ifndef MESHSIM_PROBE_ADMIN_H
#define MESHSIM_PROBE_ADMIN_H

#include <stdio.h>
#include "probe/probe.h"

/* Write the answer for path ("/stats?format=json", "clusters") to out;
 * returns the HTTP status (200, or 404 with Envoy's help text). */
int envoy_admin(exec_ctx *x, const char *path, FILE *out);

#endif
