/* istioctl proxy-status (ps): every proxy of the mesh and whether the
 * control plane's configuration reached it.  Offline there is no delay: a
 * proxy holds what the model computes, so each type it receives is SYNCED;
 * a gateway with no route configuration shows RDS NOT SENT, as istiod does. */
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "mesh/mesh.h"
#include "model/printer.h"

static bool has_proxy(json_t *pod)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, c) {
        const char *n = json_string_value(json_object_get(c, "name"));
        if (n && !strcmp(n, "istio-proxy")) return true;
    }
    return false;
}

/* The control plane pod: istiod (app=istiod) or, before 1.5, istio-pilot. */
static const char *control_plane(json_t *objects, char *buf, size_t len)
{
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o) {
        const char *kind = json_string_value(json_object_get(o, "kind"));
        json_t *md = json_object_get(o, "metadata");
        const char *app = json_string_value(json_object_get(json_object_get(md, "labels"), "app"));
        const char *istio = json_string_value(json_object_get(json_object_get(md, "labels"), "istio"));
        if (!kind || strcmp(kind, "Pod")) continue;
        if ((app && !strcmp(app, "istiod")) || (istio && !strcmp(istio, "pilot"))) {
            snprintf(buf, len, "%s", json_string_value(json_object_get(md, "name")));
            return buf;
        }
    }
    return NULL;
}

int cmd_proxy_status(cmd_ctx *ctx, int argc, char **argv)
{
    const char *ns = NULL;
    bool all = false;
    const flag_spec specs[] = {
        {"namespace", 'n', FLAG_STR, &ns, NULL},
        {"all-namespaces", 'A', FLAG_BOOL, &all, NULL},
        {0},
    };
    flag_result fr;
    int prc = flags_parse(specs, argc, argv, &fr, "istioctl proxy-status", ctx->err);
    if (prc > 0)
        fprintf(ctx->out, "Retrieves last sent and last acknowledged xDS sync from Istiod to each Envoy in the mesh\n\n"
                          "Usage:\n  istioctl proxy-status [<type>/]<name>[.<namespace>] [flags]\n\n"
                          "Aliases:\n  proxy-status, ps\n\n"
                          "Flags:\n  -h, --help               help for proxy-status\n"
                          "  -n, --namespace string   Config namespace\n");
    if (prc) {
        flags_free(&fr);
        return prc < 0 ? 64 : 0;
    }
    store *st = cmd_store(ctx);
    if (!st) {
        flags_free(&fr);
        return 1;
    }
    json_t *objects = store_list_all(st);
    char cp[256];
    if (!control_plane(objects, cp, sizeof cp)) {
        fprintf(ctx->err, "Error: unable to find any Istiod instances\n");
        json_decref(objects);
        flags_free(&fr);
        return cmd_finish(ctx, 1);
    }
    mesh *m = mesh_build(objects, ctx->rel);
    int minor = 4, major = 1;
    if (ctx->rel && ctx->rel->minor) sscanf(ctx->rel->minor, "%d.%d", &major, &minor);
    bool modern = major > 1 || minor >= 10;
    table t;
    table_init(&t, modern ? 9 : 7);
    if (modern) {
        const char *hdr[] = {"NAME", "CLUSTER", "CDS", "LDS", "EDS", "RDS", "ECDS", "ISTIOD", "VERSION"};
        table_add(&t, hdr);
    } else {
        const char *hdr[] = {"NAME", "CDS", "LDS", "EDS", "RDS", "PILOT", "VERSION"};
        table_add(&t, hdr);
    }
    /* store_list_all is ordered; print proxies sorted by name.namespace */
    size_t n = json_array_size(objects), np = 0;
    char **names = calloc(n + 1, sizeof *names);
    const mesh_workload **wls = calloc(n + 1, sizeof *wls);
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o) {
        const char *kind = json_string_value(json_object_get(o, "kind"));
        if (!kind || strcmp(kind, "Pod") || !has_proxy(o)) continue;
        json_t *md = json_object_get(o, "metadata");
        const char *pns = json_string_value(json_object_get(md, "namespace"));
        const char *pname = json_string_value(json_object_get(md, "name"));
        if (!pns || !pname) continue;
        if (ns && *ns && !all && strcmp(pns, ns)) continue;
        const mesh_workload *w = mesh_workload_by_pod(m, pns, pname);
        if (!w) continue;
        if (asprintf(&names[np], "%s.%s", pname, pns) < 0) continue;
        wls[np++] = w;
    }
    for (size_t a = 1; a < np; a++)
        for (size_t b = a; b > 0 && strcmp(names[b - 1], names[b]) > 0; b--) {
            char *tn = names[b]; names[b] = names[b - 1]; names[b - 1] = tn;
            const mesh_workload *tw = wls[b]; wls[b] = wls[b - 1]; wls[b - 1] = tw;
        }
    const char *version = ctx->rel && ctx->rel->tag ? ctx->rel->tag : "";
    for (size_t p = 0; p < np; p++) {
        json_t *pcfg = mesh_proxy_config(m, wls[p]);
        const char *rds = json_array_size(json_object_get(pcfg, "routes")) ? "SYNCED" : "NOT SENT";
        if (modern) {
            const char *row[] = {names[p], "Kubernetes", "SYNCED", "SYNCED", "SYNCED", rds, "NOT SENT", cp, version};
            table_add(&t, row);
        } else {
            const char *row[] = {names[p], "SYNCED", "SYNCED", "SYNCED", rds, cp, version};
            table_add(&t, row);
        }
        json_decref(pcfg);
        free(names[p]);
    }
    table_print(&t, ctx->out, 5);
    table_free(&t);
    free(names);
    free(wls);
    mesh_free(m);
    json_decref(objects);
    flags_free(&fr);
    return cmd_finish(ctx, 0);
}
