/* istioctl version: the client's version, and (with the default --remote)
 * the control plane's and the data plane's, as the cluster reports them. */
#include <string.h>
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cluster/cluster.h"
#include "model/obj.h"

/* The Istio version an image runs ("docker.io/istio/proxyv2:1.24.3" -> "1.24.3"). */
static const char *image_version(const char *image)
{
    const char *c = image ? strrchr(image, ':') : NULL;
    return c && !strchr(c, '/') ? c + 1 : "unknown";
}

int cmd_istioctl_version(cmd_ctx *ctx, int argc, char **argv)
{
    bool remote = true, short_ = false;
    const char *output = NULL, *revision = NULL, *istio_ns = NULL, *kubeconfig = NULL, *context = NULL;
    const flag_spec specs[] = {
        {"remote", 0, FLAG_BOOL, &remote, NULL},
        {"short", 's', FLAG_BOOL, &short_, NULL},
        {"output", 'o', FLAG_STR, &output, NULL},
        {"revision", 'r', FLAG_STR, &revision, NULL},
        {"istioNamespace", 'i', FLAG_STR, &istio_ns, NULL},
        {"kubeconfig", 'c', FLAG_STR, &kubeconfig, NULL},
        {"context", 0, FLAG_STR, &context, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "istioctl version", ctx->err);
    flags_free(&fr);
    if (prc) {
        if (prc > 0) fprintf(ctx->out, "Prints out build version information\n\nUsage:\n  istioctl version [flags]\n");
        return prc > 0 ? 0 : 64;
    }
    store *st = cmd_store(ctx);
    if (!st) return 1;
    const istio_release *rel = ctx->rel;
    if (!remote) {
        fprintf(ctx->out, "client version: %s\n", rel->tag);
        return cmd_finish(ctx, 0);
    }
    json_t *istiod = store_get(st, "deployments.apps", "istio-system", "istiod");
    if (!istiod) {
        fprintf(ctx->out, "Istio is not present in the cluster: no running Istio pods in namespace \"istio-system\"\n");
        fprintf(ctx->out, "client version: %s\n", rel->tag);
        return cmd_finish(ctx, 0);
    }
    const char *cp = image_version(obj_str(json_array_get(obj_at(istiod, "spec.template.spec.containers"), 0), "image"));
    fprintf(ctx->out, "client version: %s\ncontrol plane version: %s\n", rel->tag, cp);
    json_decref(istiod);
    /* every proxy: injected sidecars and gateways, grouped by version */
    json_t *pods = store_list(st, "pods", NULL), *counts = json_object();
    size_t i, j;
    json_t *p, *c;
    json_array_foreach(pods, i, p)
        json_array_foreach(obj_at(p, "spec.containers"), j, c)
            if (!strcmp(obj_str_or(c, "name", ""), "istio-proxy")) {
                const char *v = image_version(obj_str(c, "image"));
                json_object_set_new(counts, v, json_integer(json_integer_value(json_object_get(counts, v)) + 1));
            }
    json_decref(pods);
    if (!json_object_size(counts)) fprintf(ctx->out, "data plane version: none\n");
    else {
        const char *v;
        json_t *n;
        fprintf(ctx->out, "data plane version: ");
        size_t k = 0;
        json_object_foreach(counts, v, n)
            fprintf(ctx->out, "%s%s (%lld proxies)", k++ ? ", " : "", v, (long long)json_integer_value(n));
        fputc('\n', ctx->out);
    }
    json_decref(counts);
    return cmd_finish(ctx, 0);
}
