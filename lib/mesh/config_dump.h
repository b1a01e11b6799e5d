/* One proxy's configuration as Envoy's admin /config_dump shows it
 * (clusters, listeners, routes) and its endpoints as /clusters does:
 * what `istioctl proxy-config` prints, built from the same mesh model that
 * mesh_route() decides with. */
#ifndef MESHSIM_MESH_CONFIG_DUMP_H
#define MESHSIM_MESH_CONFIG_DUMP_H

#include <jansson.h>
#include "mesh/mesh.h"

/* {"configs": [BootstrapConfigDump, ClustersConfigDump, ListenersConfigDump,
 * RoutesConfigDump, SecretsConfigDump]} in Envoy's v3 JSON shape.  New reference. */
json_t *mesh_config_dump(const mesh *m, const mesh_workload *proxy);

/* [{"cluster": name, "address": ip, "port": n, "health": "HEALTHY"}...]:
 * the endpoints of every EDS / DNS cluster of the proxy.  New reference. */
json_t *mesh_proxy_endpoints(const mesh *m, const mesh_workload *proxy);

#endif
