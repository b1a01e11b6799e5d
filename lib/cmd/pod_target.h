/* The pod and container kubectl exec and kubectl logs talk to: "POD",
 * "pod/NAME", "deploy/NAME" (and other workloads: their first pod), and the
 * container rules (-c, the default-container annotation, else the first). */
#ifndef MESHSIM_POD_TARGET_H
#define MESHSIM_POD_TARGET_H

#include <jansson.h>
#include <stdio.h>
#include "store/store.h"

/* The pod (new reference) or NULL after printing kubectl's NotFound error.
 * A pod found by name may be shared with later calls: read only. */
json_t *pod_target_resolve(store *st, const char *arg, const char *ns, FILE *err);
/* The pods a workload or selector stands for (new array). */
json_t *pod_target_pods_of(store *st, json_t *workload);
/* The container (borrowed).  name NULL picks the default; when the pod has
 * several containers and no default-container annotation, kubectl's
 * "Defaulted container" note goes to err unless quiet.  NULL after printing
 * the error for an unknown container (verb: "exec" or "logs"). */
#include <stdbool.h>
json_t *pod_target_container(json_t *pod, const char *name, FILE *err, bool quiet, const char *verb);

#endif
