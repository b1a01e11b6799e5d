/* PENDING (cluster branch only): placeholders for the probes the data-plane
 * helper owns, so kubectl exec links before they land in main.  They are
 * weak: the real definitions replace them without a link error.  Delete this
 * file once probe_curl_main and probe_pilot_agent_main are in main. */
#include "probe/probe.h"

__attribute__((weak)) int probe_curl_main(exec_ctx *x, int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(x->err, "curl: (7) meshsim: the curl probe is not built into this binary yet\n");
    return 7;
}

__attribute__((weak)) int probe_pilot_agent_main(exec_ctx *x, int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(x->err, "pilot-agent: meshsim: not built into this binary yet\n");
    return 1;
}
