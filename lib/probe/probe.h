/* Programs that run inside containers (kubectl exec): curl, openssl,
 * pilot-agent and the small shell utilities.  Each is a main() over an
 * exec context; the image of the container decides which ones exist. */
#ifndef MESHSIM_PROBE_H
#define MESHSIM_PROBE_H

#include <jansson.h>
#include <stdio.h>
#include "store/store.h"
#include "model/release.h"

typedef struct exec_ctx {
    store *st;
    const istio_release *rel;
    json_t *pod;              /* the pod object (borrowed) */
    const char *ns, *pod_name, *container, *image;
    FILE *in, *out, *err;
    long long vclock_ms;      /* virtual time consumed so far by this exec (for `time`) */
} exec_ctx;

typedef int (*probe_main_fn)(exec_ctx *x, int argc, char **argv);

int probe_curl_main(exec_ctx *x, int argc, char **argv);
int probe_openssl_main(exec_ctx *x, int argc, char **argv);
int probe_pilot_agent_main(exec_ctx *x, int argc, char **argv);

#endif
