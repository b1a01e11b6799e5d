/* What a new cluster holds: the namespaces and kube-system workloads of a
 * fresh single-node kind cluster. */
#include <stdio.h>
#include <string.h>
#include "cluster/cluster.h"
#include "model/api.h"
#include "model/obj.h"

static int create(store *st, const char *kind, json_t *obj)
{
    api_error e;
    const kind_info *k = kind_lookup(kind);
    int rc = api_create(st, k, obj, &e) == API_OK ? 0 : -1;
    json_decref(obj);
    return rc;
}

static json_t *namespace_obj(const char *name)
{
    return json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:[s]},s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
                     "metadata", "name", name, "labels", "kubernetes.io/metadata.name", name,
                     "spec", "finalizers", "kubernetes", "status", "phase", "Active");
}

/* A static pod of the control plane (name-suffixed with the node, as kubelet does). */
static json_t *control_plane_pod(const char *component, const char *image, json_t *command)
{
    char name[128];
    snprintf(name, sizeof name, "%s-%s", component, CLUSTER_NODE_NAME);
    return json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:{s:[{s:s,s:s,s:o}],s:s,s:b,s:s},"
                     "s:{s:s,s:s,s:s}}",
                     "apiVersion", "v1", "kind", "Pod",
                     "metadata", "name", name, "namespace", "kube-system",
                     "labels", "component", component, "tier", "control-plane",
                     "spec", "containers", "name", component, "image", image, "command", command,
                     "nodeName", CLUSTER_NODE_NAME, "hostNetwork", 1, "priorityClassName", "system-node-critical",
                     "status", "phase", "Running", "podIP", "172.18.0.2", "hostIP", "172.18.0.2");
}

/* A Deployment of the cluster itself, defaulted as the API server would. */
static json_t *system_deployment(const char *name, const char *ns, const char *label, const char *value, int replicas,
                                 const char *container, const char *image, const char *sa)
{
    json_t *d = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:{s:i,s:{s:{s:s}},s:{s:{s:{s:s}},"
                          "s:{s:[{s:s,s:s}],s:s,s:s}}}}",
                          "apiVersion", "apps/v1", "kind", "Deployment",
                          "metadata", "name", name, "namespace", ns, "labels", label, value,
                          "spec", "replicas", replicas, "selector", "matchLabels", label, value,
                          "template", "metadata", "labels", label, value,
                          "spec", "containers", "name", container, "image", image,
                          "serviceAccountName", sa, "priorityClassName", "system-cluster-critical");
    cluster_admit(NULL, release_default(), kind_lookup("deployments.apps"), d, NULL);
    return d;
}

int cluster_bootstrap(store *st)
{
    int rc = 0;
    const char *namespaces[] = {"default", "kube-node-lease", "kube-public", "kube-system",
                                "local-path-storage", NULL};
    for (const char **n = namespaces; *n; n++) rc |= create(st, "Namespace", namespace_obj(*n));

    rc |= create(st, "Node", json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:s,s:s}},s:{s:s},s:{s:[{s:s,s:s}]}}",
        "apiVersion", "v1", "kind", "Node", "metadata", "name", CLUSTER_NODE_NAME, "labels",
        "kubernetes.io/hostname", CLUSTER_NODE_NAME, "kubernetes.io/os", "linux",
        "node-role.kubernetes.io/control-plane", "", "spec", "podCIDR", "10.244.0.0/24",
        "status", "addresses", "type", "InternalIP", "address", "172.18.0.2"));

    rc |= create(st, "Service", json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:{s:s,s:[s],s:s,s:[{s:s,s:s,s:i,s:i}]}}",
        "apiVersion", "v1", "kind", "Service", "metadata", "name", "kubernetes", "namespace", "default",
        "labels", "component", "apiserver", "provider", "kubernetes",
        "spec", "clusterIP", "10.96.0.1", "clusterIPs", "10.96.0.1", "type", "ClusterIP",
        "ports", "name", "https", "protocol", "TCP", "port", 443, "targetPort", 6443));

    rc |= create(st, "Service", json_pack(
        "{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s,s:s}},s:{s:s,s:[s],s:s,s:{s:s},s:[{s:s,s:s,s:i,s:i},{s:s,s:s,s:i,s:i},{s:s,s:s,s:i,s:i}]}}",
        "apiVersion", "v1", "kind", "Service", "metadata", "name", "kube-dns", "namespace", "kube-system",
        "labels", "k8s-app", "kube-dns", "kubernetes.io/cluster-service", "true", "kubernetes.io/name", "CoreDNS",
        "spec", "clusterIP", CLUSTER_DNS_IP, "clusterIPs", CLUSTER_DNS_IP, "type", "ClusterIP",
        "selector", "k8s-app", "kube-dns",
        "ports", "name", "dns", "protocol", "UDP", "port", 53, "targetPort", 53,
        "name", "dns-tcp", "protocol", "TCP", "port", 53, "targetPort", 53,
        "name", "metrics", "protocol", "TCP", "port", 9153, "targetPort", 9153));

    rc |= create(st, "ServiceAccount", json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "ServiceAccount",
                                                 "metadata", "name", "coredns", "namespace", "kube-system"));
    rc |= create(st, "ServiceAccount", json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "ServiceAccount",
                                                 "metadata", "name", "local-path-provisioner-service-account",
                                                 "namespace", "local-path-storage"));
    /* kind's own workloads are Deployments; the controllers below make their pods */
    rc |= create(st, "Deployment", system_deployment("coredns", "kube-system", "k8s-app", "kube-dns", 2,
                                                     "coredns", "registry.k8s.io/coredns/coredns:v1.11.3", "coredns"));
    rc |= create(st, "Deployment", system_deployment("local-path-provisioner", "local-path-storage", "app",
                                                     "local-path-provisioner", 1, "local-path-provisioner",
                                                     "docker.io/kindest/local-path-provisioner:v20241212-8ac705d0",
                                                     "local-path-provisioner-service-account"));

    rc |= create(st, "Pod", control_plane_pod("etcd", "registry.k8s.io/etcd:3.5.16-0",
        json_pack("[s,s,s,s]", "etcd", "--advertise-client-urls=https://172.18.0.2:2379",
                  "--data-dir=/var/lib/etcd", "--listen-client-urls=https://127.0.0.1:2379,https://172.18.0.2:2379")));
    rc |= create(st, "Pod", control_plane_pod("kube-apiserver", "registry.k8s.io/kube-apiserver:v1.32.2",
        json_pack("[s,s,s,s,s,s]", "kube-apiserver", "--advertise-address=172.18.0.2", "--authorization-mode=Node,RBAC",
                  "--enable-admission-plugins=NodeRestriction", "--etcd-servers=https://127.0.0.1:2379",
                  "--service-cluster-ip-range=" CLUSTER_SERVICE_CIDR)));
    rc |= create(st, "Pod", control_plane_pod("kube-controller-manager",
        "registry.k8s.io/kube-controller-manager:v1.32.2",
        json_pack("[s,s,s,s]", "kube-controller-manager", "--allocate-node-cidrs=true",
                  "--cluster-cidr=" CLUSTER_POD_CIDR, "--service-cluster-ip-range=" CLUSTER_SERVICE_CIDR)));
    rc |= create(st, "Pod", control_plane_pod("kube-scheduler", "registry.k8s.io/kube-scheduler:v1.32.2",
        json_pack("[s,s]", "kube-scheduler", "--kubeconfig=/etc/kubernetes/scheduler.conf")));

    json_t *proxy = control_plane_pod("kube-proxy", "registry.k8s.io/kube-proxy:v1.32.2",
        json_pack("[s,s,s]", "/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf",
                  "--hostname-override=$(NODE_NAME)"));
    /* kube-proxy is a DaemonSet pod, not a static one */
    json_object_set_new(obj_metadata(proxy), "name", json_string("kube-proxy-7x9vq"));
    json_object_set_new(obj_metadata(proxy), "labels", json_pack("{s:s}", "k8s-app", "kube-proxy"));
    rc |= create(st, "Pod", proxy);
    /* the controllers' share of a fresh cluster: default service accounts, kube-dns endpoints */
    if (!rc && cluster_reconcile(st, release_default()) < 0) rc = -1;
    return rc;
}
