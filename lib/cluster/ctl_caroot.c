/* istiod's namespace controller: from Istio 1.5 on, istiod writes the mesh
 * root certificate into a ConfigMap istio-ca-root-cert (key root-cert.pem,
 * label istio.io/config=true) in every namespace, for the proxies to mount
 * (the injector's istiod-ca-cert volume).  Before 1.5 Citadel kept
 * certificates in Secrets and there was no such ConfigMap.  Without istiod
 * (not installed, or uninstalled) this controller removes the ConfigMaps it
 * made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "model/obj.h"
#include "pki/pki.h"

#define CONFIGMAP "istio-ca-root-cert"
#define KEY "root-cert.pem"

bool cluster_release_has_ca_root_configmap(const istio_release *rel)
{
    int major = 0, minor = 0;
    if (!rel || sscanf(rel->minor, "%d.%d", &major, &minor) != 2) return false;
    return major > 1 || (major == 1 && minor >= 5);
}

/* Namespaces istiod leaves alone: Kubernetes' own (the injector's ignore
 * list); kube-system is served, for ztunnel, in the releases we emulate. */
static bool ignored(const char *ns)
{
    return !strcmp(ns, "kube-public") || !strcmp(ns, "kube-node-lease") || !strcmp(ns, "local-path-storage");
}

static bool ours(json_t *cm)
{
    const char *v = obj_label(cm, "istio.io/config");
    return v && !strcmp(v, "true");
}

static int remove_all(cluster_cache *c, const kind_info *cmk)
{
    json_t *cms = ccache_list(c, cmk);
    int changed = 0;
    size_t i;
    json_t *cm;
    json_array_foreach(cms, i, cm) {
        if (strcmp(obj_name(cm), CONFIGMAP) || !ours(cm)) continue;
        if (ccache_delete(c, cmk, obj_namespace(cm), obj_name(cm)) < 0) { changed = -1; break; }
        changed++;
    }
    json_decref(cms);
    return changed;
}

int controller_ca_root_cert(cluster_cache *c)
{
    const kind_info *cmk = kind_lookup("configmaps"), *nsk = kind_lookup("namespaces");
    bool istiod = ccache_get(c, kind_lookup("deployments.apps"), "istio-system", "istiod") != NULL;
    if (!istiod || !cluster_release_has_ca_root_configmap(ccache_release(c))) return remove_all(c, cmk);
    json_t *nss = ccache_list(c, nsk);
    char *root = NULL;
    int changed = 0;
    size_t i;
    json_t *ns;
    json_array_foreach(nss, i, ns) {
        const char *name = obj_name(ns);
        if (ignored(name) || !strcmp(obj_str_or(ns, "status.phase", ""), "Terminating")) continue;
        if (!root && !(root = pki_mesh_root_pem(ccache_store(c)))) { changed = -1; break; }
        json_t *stored = ccache_get(c, cmk, name, CONFIGMAP);
        const char *have = stored ? json_string_value(json_object_get(json_object_get(stored, "data"), KEY)) : NULL;
        if (have && !strcmp(have, root) && ours(stored)) continue;
        json_t *cm = stored ? json_deep_copy(stored)
                            : json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
                                        "metadata", "name", CONFIGMAP, "namespace", name);
        json_object_set_new(obj_labels_mut(cm), "istio.io/config", json_string("true"));
        json_t *data = json_object_get(cm, "data");
        if (!json_is_object(data)) json_object_set_new(cm, "data", data = json_object());
        json_object_set_new(data, KEY, json_string(root));
        int rc = ccache_write_if_changed(c, cmk, cm, stored);
        json_decref(cm);
        if (rc < 0) { changed = -1; break; }
        changed += rc;
    }
    free(root);
    json_decref(nss);
    return changed;
}
