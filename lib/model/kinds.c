/* The kinds meshsim serves, with kubectl's names for them. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "model/kinds.h"

#define NET_ISTIO "networking.istio.io"
#define NET_VERS "v1alpha3 v1beta1 v1"

const kind_info kinds_table[] = {
    {"Namespace", "", "v1", "v1", "namespaces", "namespace", "ns", false, "namespaces", ""},
    {"Pod", "", "v1", "v1", "pods", "pod", "po", true, "pods", "all"},
    {"Service", "", "v1", "v1", "services", "service", "svc", true, "services", "all"},
    {"Endpoints", "", "v1", "v1", "endpoints", "endpoints", "ep", true, "endpoints", ""},
    {"ServiceAccount", "", "v1", "v1", "serviceaccounts", "serviceaccount", "sa", true, "serviceaccounts", ""},
    {"ConfigMap", "", "v1", "v1", "configmaps", "configmap", "cm", true, "configmaps", ""},
    {"Secret", "", "v1", "v1", "secrets", "secret", "", true, "secrets", ""},
    {"Node", "", "v1", "v1", "nodes", "node", "no", false, "nodes", ""},
    {"Deployment", "apps", "v1", "v1", "deployments", "deployment", "deploy", true, "deployments.apps", "all"},
    {"ReplicaSet", "apps", "v1", "v1", "replicasets", "replicaset", "rs", true, "replicasets.apps", "all"},
    {"NetworkPolicy", "networking.k8s.io", "v1", "v1", "networkpolicies", "networkpolicy", "netpol", true,
     "networkpolicies.networking.k8s.io", ""},
    {"Role", "rbac.authorization.k8s.io", "v1", "v1", "roles", "role", "", true,
     "roles.rbac.authorization.k8s.io", ""},
    {"RoleBinding", "rbac.authorization.k8s.io", "v1", "v1", "rolebindings", "rolebinding", "", true,
     "rolebindings.rbac.authorization.k8s.io", ""},
    {"ClusterRole", "rbac.authorization.k8s.io", "v1", "v1", "clusterroles", "clusterrole", "", false,
     "clusterroles.rbac.authorization.k8s.io", ""},
    {"ClusterRoleBinding", "rbac.authorization.k8s.io", "v1", "v1", "clusterrolebindings",
     "clusterrolebinding", "", false, "clusterrolebindings.rbac.authorization.k8s.io", ""},
    {"ServiceEntry", NET_ISTIO, "v1alpha3", NET_VERS, "serviceentries", "serviceentry", "se", true,
     "serviceentries." NET_ISTIO, "istio-io networking-istio-io"},
    {"Gateway", NET_ISTIO, "v1alpha3", NET_VERS, "gateways", "gateway", "gw", true, "gateways." NET_ISTIO,
     "istio-io networking-istio-io"},
    {"VirtualService", NET_ISTIO, "v1alpha3", NET_VERS, "virtualservices", "virtualservice", "vs", true,
     "virtualservices." NET_ISTIO, "istio-io networking-istio-io"},
    {"DestinationRule", NET_ISTIO, "v1alpha3", NET_VERS, "destinationrules", "destinationrule", "dr", true,
     "destinationrules." NET_ISTIO, "istio-io networking-istio-io"},
    {"Sidecar", NET_ISTIO, "v1alpha3", NET_VERS, "sidecars", "sidecar", "", true, "sidecars." NET_ISTIO,
     "istio-io networking-istio-io"},
    {"PeerAuthentication", "security.istio.io", "v1beta1", "v1beta1 v1", "peerauthentications",
     "peerauthentication", "pa", true, "peerauthentications.security.istio.io", "istio-io security-istio-io"},
    {"IstioOperator", "install.istio.io", "v1alpha1", "v1alpha1", "istiooperators", "istiooperator",
     "iop io", true, "istiooperators.install.istio.io", ""},
    {"ExternalService", "meshsim.dev", "v1alpha1", "v1alpha1", "externalservices", "externalservice",
     "xs", false, "externalservices.meshsim.dev", ""},
    {0},
};

static bool word_in(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        while (*p == ' ') p++;
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncasecmp(p, word, n)) return true;
        p += len;
    }
    return false;
}

static bool name_matches(const kind_info *k, const char *name, size_t n)
{
    char buf[128];
    if (n >= sizeof buf) return false;
    memcpy(buf, name, n);
    buf[n] = 0;
    return !strcasecmp(buf, k->kind) || !strcasecmp(buf, k->plural) || !strcasecmp(buf, k->singular) ||
           word_in(k->shortnames, buf);
}

const kind_info *kind_lookup(const char *name)
{
    if (!name || !*name) return NULL;
    const char *dot = strchr(name, '.');
    size_t n = dot ? (size_t)(dot - name) : strlen(name);
    const char *group = dot ? dot + 1 : NULL;
    for (const kind_info *k = kinds_table; k->kind; k++) {
        if (!name_matches(k, name, n)) continue;
        if (!group) return k;
        /* "deployments.apps", "serviceentries.networking.istio.io", "pods.v1.", "se.v1alpha3.networking.istio.io" */
        if (!strcasecmp(group, k->group)) return k;
        const char *g2 = strchr(group, '.');
        if (g2) {
            char ver[64];
            size_t vn = (size_t)(g2 - group);
            if (vn < sizeof ver) {
                memcpy(ver, group, vn);
                ver[vn] = 0;
                if (word_in(k->versions, ver) && !strcasecmp(g2 + 1, k->group)) return k;
            }
        }
    }
    return NULL;
}

const kind_info *kind_for_object(const char *api_version, const char *kind, bool *version_ok)
{
    const char *slash = api_version ? strrchr(api_version, '/') : NULL;
    char group[128] = "";
    const char *version = api_version ? api_version : "";
    if (slash) {
        size_t n = (size_t)(slash - api_version);
        if (n >= sizeof group) n = sizeof group - 1;
        memcpy(group, api_version, n);
        group[n] = 0;
        version = slash + 1;
    }
    for (const kind_info *k = kinds_table; k->kind; k++) {
        if (strcmp(k->kind, kind ? kind : "") || strcmp(k->group, group)) continue;
        if (version_ok) *version_ok = word_in(k->versions, version);
        return k;
    }
    return NULL;
}

const char *kind_api_version(const kind_info *k, char *buf, int len)
{
    if (*k->group) snprintf(buf, (size_t)len, "%s/%s", k->group, k->version);
    else snprintf(buf, (size_t)len, "%s", k->version);
    return buf;
}

const char *kind_display(const kind_info *k, char *buf, int len)
{
    if (*k->group) snprintf(buf, (size_t)len, "%s.%s", k->singular, k->group);
    else snprintf(buf, (size_t)len, "%s", k->singular);
    return buf;
}
