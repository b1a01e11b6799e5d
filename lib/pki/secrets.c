/* The Secrets Citadel (Istio before 1.5) keeps for the certificates it
 * issues, built as Kubernetes objects for the cluster model to store. */
#include "pki/pki.h"
#include "model/base64.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *b64(const char *s)
{
    char *out = base64_encode(s ? s : "", s ? strlen(s) : 0);
    json_t *j = out ? json_string(out) : NULL;
    free(out);
    return j;
}

static json_t *secret(const char *ns, const char *name, const char *type)
{
    return json_pack("{s:s,s:s,s:{s:s,s:s},s:s,s:{}}", "apiVersion", "v1", "kind", "Secret", "metadata", "name",
                     name, "namespace", ns, "type", type, "data");
}

json_t *pki_istio_secret(store *st, const char *ns, const char *sa)
{
    char *chain = NULL, *key = NULL, *root = NULL;
    if (pki_workload_pem(st, ns, sa, &chain, &key, &root)) return NULL;
    char name[300];
    snprintf(name, sizeof name, "istio.%s", sa);
    json_t *s = secret(ns, name, "istio.io/key-and-cert");
    if (s) {
        json_t *md = json_object_get(s, "metadata");
        json_object_set_new(md, "annotations", json_pack("{s:s}", "istio.io/service-account.name", sa));
        json_t *d = json_object_get(s, "data");
        json_object_set_new(d, "cert-chain.pem", b64(chain));
        json_object_set_new(d, "key.pem", b64(key));
        json_object_set_new(d, "root-cert.pem", b64(root));
    }
    free(chain);
    free(key);
    free(root);
    return s;
}

json_t *pki_ca_secret(store *st)
{
    /* with a plug-in CA (istio-system/cacerts) Citadel keeps no CA secret */
    json_t *plugin = store_get(st, "secrets", "istio-system", "cacerts");
    if (plugin) {
        json_decref(plugin);
        return NULL;
    }
    if (pki_mesh_ensure_ca(st)) return NULL;
    size_t cl = 0, kl = 0;
    char *cert = store_blob_get(st, "pki/mesh/root.crt", &cl), *key = store_blob_get(st, "pki/mesh/root.key", &kl);
    json_t *s = cert && key ? secret("istio-system", "istio-ca-secret", "istio.io/ca-root") : NULL;
    if (s) {
        json_t *d = json_object_get(s, "data");
        json_object_set_new(d, "ca-cert.pem", b64(cert));
        json_object_set_new(d, "ca-key.pem", b64(key));
        json_object_set_new(d, "cert-chain.pem", b64(""));
        json_object_set_new(d, "key.pem", b64(""));
        json_object_set_new(d, "root-cert.pem", b64(""));
    }
    free(cert);
    free(key);
    return s;
}
