/* The cluster model: what a new cluster holds, and the controllers that turn
 * what users apply into what runs (deployments -> replicasets -> pods,
 * services -> endpoints, sidecar injection). */
#ifndef MESHSIM_CLUSTER_H
#define MESHSIM_CLUSTER_H

#include "store/store.h"
#include "model/release.h"

#define CLUSTER_NODE_NAME "meshsim-control-plane"
#define CLUSTER_POD_CIDR "10.244.0.0/16"
#define CLUSTER_SERVICE_CIDR "10.96.0.0/12"
#define CLUSTER_DNS_IP "10.96.0.10"

/* Seed a new store with what a fresh kind cluster has. */
int cluster_bootstrap(store *st);

/* Run the controllers until nothing changes (called after every write command). */
int cluster_reconcile(store *st, const istio_release *rel);

/* Mutating admission, before an object is stored: Service ClusterIPs,
 * sidecar injection into pods, defaults the API server fills in.
 * old is the stored object on update, NULL on create. */
#include <jansson.h>
#include "model/kinds.h"
int cluster_admit(store *st, const istio_release *rel, const kind_info *k, json_t *obj, json_t *old);

/* Allocate a pod IP (10.244.x.y) / service ClusterIP (10.96.x.y), unique per store. */
void ipam_pod_ip(store *st, char *buf, size_t len);
void ipam_service_ip(store *st, char *buf, size_t len);

#endif
