/* kubectl cluster-info: where the (emulated) control plane answers. */
#include <string.h>
#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cmd/kubectl_help.h"

#define API_SERVER "https://127.0.0.1:6443"

int cmd_cluster_info(cmd_ctx *ctx, int argc, char **argv)
{
    const char *ns = NULL;
    const flag_spec specs[] = {{"namespace", 'n', FLAG_STR, &ns, NULL}, {0}};
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "kubectl cluster-info", ctx->err);
    if (prc) {
        if (prc > 0) kubectl_help(ctx->out, "cluster-info");
        flags_free(&fr);
        return prc > 0 ? 0 : 1;
    }
    int rc = 0;
    if (fr.npos && !strcmp(fr.pos[0], "dump")) {
        fprintf(ctx->err, "error: cluster-info dump is not supported by meshsim; use kubectl get all -A -o yaml\n");
        rc = 1;
    } else if (fr.npos) {
        fprintf(ctx->err, "error: unknown command \"%s\" for \"kubectl cluster-info\"\n", fr.pos[0]);
        rc = 1;
    } else {
        fprintf(ctx->out, "Kubernetes control plane is running at %s\n"
                "CoreDNS is running at %s/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n\n"
                "To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n",
                API_SERVER, API_SERVER);
    }
    flags_free(&fr);
    return rc;
}
