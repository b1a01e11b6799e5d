/* The certificate files a pod's containers see: Istio's secret-mounted
 * workload certificates in the proxy, the image's CA bundle everywhere. */
#include "pki/pki.h"
#include "model/obj.h"
#include "cluster/cluster.h"

#include <stdlib.h>
#include <string.h>

static const char *const bundle_paths[] = {
    "/etc/ssl/certs/ca-certificates.crt", /* Debian, Ubuntu, Alpine */
    "/etc/ssl/cert.pem",                  /* Alpine, and OpenSSL's default file */
};

static bool is_proxy_container(json_t *pod, const char *container)
{
    size_t i;
    json_t *c;
    json_array_foreach(obj_at(pod, "spec.containers"), i, c) {
        const char *name = obj_str(c, "name");
        if (name && !strcmp(name, "istio-proxy")) return !container || !strcmp(container, name);
    }
    return false;
}

static int pki_file(store *st, json_t *pod, const char *container, const istio_release *rel,
                    const char *path, char **content);

/* Certificates a pod mounts from Secrets and ConfigMaps (--cacert, -cert,
 * ssl_certificate ...) are files too: the kubelet's volumes answer what is
 * not Istio's. */
int pki_pod_file(store *st, json_t *pod, const char *container, const istio_release *rel,
                 const char *path, char **content)
{
    int rc = pki_file(st, pod, container, rel, path, content);
    if (rc != 1 || !path) return rc;
    rc = cluster_pod_file(st, pod, container, path, content);
    if (rc == 0) return 0;
    free(*content);
    *content = NULL;
    return 1;
}

static int pki_file(store *st, json_t *pod, const char *container, const istio_release *rel,
                    const char *path, char **content)
{
    *content = NULL;
    if (!path) return 1;
    for (size_t i = 0; i < sizeof bundle_paths / sizeof bundle_paths[0]; i++)
        if (!strcmp(path, bundle_paths[i])) {
            *content = pki_trust_bundle_pem(st);
            return *content ? 0 : -1;
        }
    const char *dir = rel ? rel->cert_dir : NULL;
    size_t dl = dir ? strlen(dir) : 0;
    if (!dl || strncmp(path, dir, dl) || path[dl] != '/' || !is_proxy_container(pod, container))
        return 1;
    const char *file = path + dl + 1;
    char *chain = NULL, *key = NULL, *root = NULL;
    char **want = !strcmp(file, "cert-chain.pem") ? &chain
                  : !strcmp(file, "key.pem")      ? &key
                  : !strcmp(file, "root-cert.pem") ? &root : NULL;
    if (!want) return 1;
    const char *ns = obj_namespace(pod);
    const char *sa = obj_str(pod, "spec.serviceAccountName");
    if (!sa || !*sa) sa = "default";
    if (pki_workload_pem(st, *ns ? ns : "default", sa, &chain, &key, &root)) return -1;
    *content = *want;
    *want = NULL;
    free(chain);
    free(key);
    free(root);
    return 0;
}
