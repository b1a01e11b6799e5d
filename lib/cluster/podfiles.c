/* The files a container sees that come from Kubernetes rather than from its
 * image: /etc/hostname, /etc/hosts and /etc/resolv.conf written by the
 * kubelet, the service account mount, and ConfigMap/Secret volumes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "cluster/cluster.h"
#include "model/base64.h"
#include "model/obj.h"

static char *fmt_dup(const char *f, const char *a, const char *b)
{
    char *s = NULL;
    if (asprintf(&s, f, a, b) < 0) return NULL;
    return s;
}

/* base64url without padding, as JWTs are written */
static char *b64url(const unsigned char *in, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    while (len > 0 && out[len - 1] == '=') len--;
    out[len] = 0;
    for (char *p = out; *p; p++) *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    return out;
}

/* The projected service account token: a JWT whose claims name the pod's
 * namespace and service account (the signature is not a real one). */
static char *service_account_token(json_t *pod)
{
    const char *ns = obj_namespace(pod);
    const char *sa = obj_str_or(pod, "spec.serviceAccountName", "default");
    char sub[600];
    snprintf(sub, sizeof sub, "system:serviceaccount:%s:%s", ns, sa);
    json_t *claims = json_pack("{s:[s],s:s,s:{s:s,s:{s:s,s:s},s:{s:s,s:s}},s:s}",
        "aud", "https://kubernetes.default.svc.cluster.local", "iss", "https://kubernetes.default.svc.cluster.local",
        "kubernetes.io", "namespace", ns, "pod", "name", obj_name(pod), "uid", obj_str_or(pod, "metadata.uid", ""),
        "serviceaccount", "name", sa, "uid", "", "sub", sub);
    char *payload = json_dumps(claims, JSON_COMPACT);
    json_decref(claims);
    const char *header = "{\"alg\":\"RS256\",\"kid\":\"meshsim\"}";
    unsigned char sig[32];
    for (size_t i = 0; i < sizeof sig; i++) sig[i] = (unsigned char)(payload[i % strlen(payload)] * 31 + i);
    char *h = b64url((const unsigned char *)header, strlen(header));
    char *p = b64url((const unsigned char *)payload, strlen(payload));
    char *g = b64url(sig, sizeof sig);
    char *tok = NULL;
    if (asprintf(&tok, "%s.%s.%s", h, p, g) < 0) tok = NULL;
    free(h); free(p); free(g); free(payload);
    return tok;
}

static json_t *find_container(json_t *pod, const char *name)
{
    const char *lists[] = {"spec.containers", "spec.initContainers"};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *c;
        json_array_foreach(obj_at(pod, lists[l]), i, c)
            if (!name || !strcmp(obj_str_or(c, "name", ""), name)) return c;
    }
    return NULL;
}

/* A key of a ConfigMap or Secret volume mounted at mount_path. */
static int volume_file(store *st, json_t *pod, json_t *vol, const char *rel_path, char **content)
{
    const char *ns = obj_namespace(pod);
    json_t *cm = json_object_get(vol, "configMap"), *sec = json_object_get(vol, "secret");
    if (!cm && !sec) return 1;
    json_t *obj = cm ? store_get(st, "configmaps", ns, obj_str_or(cm, "name", ""))
                     : store_get(st, "secrets", ns, obj_str_or(sec, "secretName", ""));
    if (!obj) return 1;
    /* items remap keys to paths */
    const char *key = rel_path;
    size_t i;
    json_t *it;
    json_t *items = json_object_get(cm ? cm : sec, "items");
    if (json_array_size(items)) {
        key = NULL;
        json_array_foreach(items, i, it)
            if (!strcmp(obj_str_or(it, "path", ""), rel_path)) key = obj_str(it, "key");
    }
    int rc = 1;
    if (key) {
        const char *v = json_string_value(json_object_get(json_object_get(obj, "data"), key));
        if (!v && !cm) {
            v = json_string_value(json_object_get(json_object_get(obj, "stringData"), key));
            if (v) { *content = strdup(v); rc = 0; }
        } else if (v && cm) {
            *content = strdup(v);
            rc = 0;
        } else if (v) {
            *content = base64_decode_text(v);
            rc = *content ? 0 : -1;
        }
    }
    json_decref(obj);
    return rc;
}

int cluster_pod_file(store *st, json_t *pod, const char *container, const char *path, char **content)
{
    *content = NULL;
    const char *name = obj_name(pod), *ns = obj_namespace(pod);
    if (!strcmp(path, "/etc/hostname")) {
        *content = fmt_dup("%s\n", name, NULL);
        return 0;
    }
    if (!strcmp(path, "/etc/hosts")) {
        *content = fmt_dup("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                           "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
                           "%s\t%s\n", obj_str_or(pod, "status.podIP", ""), name);
        return 0;
    }
    if (!strcmp(path, "/etc/resolv.conf")) {
        *content = fmt_dup("search %s.svc.cluster.local svc.cluster.local cluster.local\nnameserver " CLUSTER_DNS_IP
                           "\noptions ndots:5\n", ns, NULL);
        return 0;
    }
    if (!strcmp(path, "/var/run/secrets/kubernetes.io/serviceaccount/namespace")) {
        *content = strdup(ns);
        return 0;
    }
    if (!strcmp(path, "/var/run/secrets/kubernetes.io/serviceaccount/token")) {
        *content = service_account_token(pod);
        return *content ? 0 : -1;
    }
    json_t *c = find_container(pod, container);
    size_t i, j;
    json_t *m, *v;
    json_array_foreach(json_object_get(c, "volumeMounts"), i, m) {
        const char *mp = obj_str_or(m, "mountPath", "");
        size_t ml = strlen(mp);
        while (ml > 1 && mp[ml - 1] == '/') ml--;
        if (strncmp(path, mp, ml) || path[ml] != '/') continue;
        const char *sub = obj_str(m, "subPath");
        const char *rel_path = path + ml + 1;
        json_array_foreach(obj_at(pod, "spec.volumes"), j, v) {
            if (strcmp(obj_str_or(v, "name", ""), obj_str_or(m, "name", ""))) continue;
            char buf[1024];
            if (sub) snprintf(buf, sizeof buf, "%s/%s", sub, rel_path);
            int rc = volume_file(st, pod, v, sub ? buf : rel_path, content);
            if (rc <= 0) return rc;
        }
    }
    return 1;
}
