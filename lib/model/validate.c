/* Object validation.  See validate.h.
 *
 * Every kind has a schema: a tree of typed nodes written as tables below.
 * Built-in kinds are Go structs on a real API server, so their decoding
 * errors read like Go's encoding/json ("json: cannot unmarshal string into
 * Go struct field DeploymentSpec.spec.replicas of type int32"); Istio's kinds
 * are CRDs checked against an OpenAPI schema, so theirs read like the CRD
 * validator ("spec.ports[0].number in body must be of type integer").  Both
 * reject unknown fields the way strict field validation does. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "model/validate.h"
#include "model/obj.h"

/* ---- schema nodes ------------------------------------------------------ */

typedef enum {
    S_STR,      /* string */
    S_INT32,    /* integer (Go int32; CRD integer) */
    S_INT64,
    S_BOOL,
    S_NUM,      /* any number */
    S_OBJ,      /* object with known fields (unknown ones rejected) */
    S_LOOSE,    /* object whose content is not checked */
    S_ARR,      /* array of elem */
    S_MAP,      /* object with any keys, values of elem */
    S_INTSTR,   /* int-or-string, quantities */
    S_BYTES,    /* base64 text ([]byte in Go) */
    S_ANY,      /* anything (time stamps, null-able oddities) */
} skind;

typedef struct sfield sfield;
typedef struct stype {
    skind k;
    const char *go;             /* Go type ("v1.DeploymentSpec", "int32"); NULL in CRD schemas */
    const sfield *fields;       /* S_OBJ */
    const struct stype *elem;   /* S_ARR, S_MAP */
    const char *const *enums;   /* allowed values of a string */
} stype;

struct sfield {
    const char *name;
    const stype *t;
    bool required;
};

/* Go-typed scalars (built-in kinds) and CRD scalars share the checks; only
 * the message wording depends on whether the node has a Go type. */
static const stype G_STR = {S_STR, "string", 0, 0, 0}, G_I32 = {S_INT32, "int32", 0, 0, 0},
                   G_I64 = {S_INT64, "int64", 0, 0, 0}, G_BOOL = {S_BOOL, "bool", 0, 0, 0},
                   G_ANY = {S_ANY, "", 0, 0, 0}, G_INTSTR = {S_INTSTR, "intstr.IntOrString", 0, 0, 0},
                   G_BYTES = {S_BYTES, "[]uint8", 0, 0, 0};
static const stype C_STR = {S_STR, NULL, 0, 0, 0}, C_INT = {S_INT32, NULL, 0, 0, 0},
                   C_BOOL = {S_BOOL, NULL, 0, 0, 0},
                   C_LOOSE = {S_LOOSE, NULL, 0, 0, 0};

#define FIELDS(...) ((const sfield[]){__VA_ARGS__, {0}})
#define GOBJ(go, ...) (&(const stype){S_OBJ, go, FIELDS(__VA_ARGS__), 0, 0})
#define GLOOSE(go) (&(const stype){S_LOOSE, go, 0, 0, 0})
#define GARR(t) (&(const stype){S_ARR, "[]", 0, t, 0})
#define GMAP(t) (&(const stype){S_MAP, "map[string]", 0, t, 0})
#define GENUM(...) (&(const stype){S_STR, "string", 0, 0, (const char *const[]){__VA_ARGS__, NULL}})
#define COBJ(...) (&(const stype){S_OBJ, NULL, FIELDS(__VA_ARGS__), 0, 0})
#define CARR(t) (&(const stype){S_ARR, NULL, 0, t, 0})
#define CMAP(t) (&(const stype){S_MAP, NULL, 0, t, 0})
#define CENUM(...) (&(const stype){S_STR, NULL, 0, 0, (const char *const[]){__VA_ARGS__, NULL}})
#define REQ true

#define GSTRS GARR(&G_STR)
#define GLABELS GMAP(&G_STR)
#define CSTRS CARR(&C_STR)
#define CLABELS CMAP(&C_STR)

/* ---- built-in kinds ---------------------------------------------------- */

static const stype META = {S_OBJ, "v1.ObjectMeta", FIELDS(
    {"name", &G_STR, 0}, {"generateName", &G_STR, 0}, {"namespace", &G_STR, 0}, {"selfLink", &G_STR, 0},
    {"uid", &G_STR, 0}, {"resourceVersion", &G_STR, 0}, {"generation", &G_I64, 0},
    {"creationTimestamp", &G_ANY, 0}, {"deletionTimestamp", &G_ANY, 0},
    {"deletionGracePeriodSeconds", &G_I64, 0}, {"labels", GLABELS, 0}, {"annotations", GLABELS, 0},
    {"ownerReferences", GARR(GLOOSE("v1.OwnerReference")), 0}, {"finalizers", GSTRS, 0},
    {"managedFields", GARR(GLOOSE("v1.ManagedFieldsEntry")), 0}), 0, 0};

static const stype LABEL_SELECTOR = {S_OBJ, "v1.LabelSelector", FIELDS(
    {"matchLabels", GLABELS, 0},
    {"matchExpressions", GARR(GOBJ("v1.LabelSelectorRequirement", {"key", &G_STR, REQ},
                                   {"operator", &G_STR, REQ}, {"values", GSTRS, 0})), 0}), 0, 0};

#define PROTOCOLS GENUM("SCTP", "TCP", "UDP")

static const stype CONTAINER = {S_OBJ, "v1.Container", FIELDS(
    {"name", &G_STR, REQ}, {"image", &G_STR, REQ}, {"command", GSTRS, 0}, {"args", GSTRS, 0},
    {"workingDir", &G_STR, 0},
    {"ports", GARR(GOBJ("v1.ContainerPort", {"name", &G_STR, 0}, {"hostPort", &G_I32, 0},
                        {"containerPort", &G_I32, REQ}, {"protocol", PROTOCOLS, 0}, {"hostIP", &G_STR, 0})), 0},
    {"envFrom", GARR(GLOOSE("v1.EnvFromSource")), 0},
    {"env", GARR(GOBJ("v1.EnvVar", {"name", &G_STR, REQ}, {"value", &G_STR, 0},
                      {"valueFrom", GLOOSE("v1.EnvVarSource"), 0})), 0},
    {"resources", GLOOSE("v1.ResourceRequirements"), 0}, {"resizePolicy", GARR(GLOOSE("v1.ContainerResizePolicy")), 0},
    {"restartPolicy", &G_STR, 0}, {"volumeMounts", GARR(GLOOSE("v1.VolumeMount")), 0},
    {"volumeDevices", GARR(GLOOSE("v1.VolumeDevice")), 0}, {"livenessProbe", GLOOSE("v1.Probe"), 0},
    {"readinessProbe", GLOOSE("v1.Probe"), 0}, {"startupProbe", GLOOSE("v1.Probe"), 0},
    {"lifecycle", GLOOSE("v1.Lifecycle"), 0}, {"terminationMessagePath", &G_STR, 0},
    {"terminationMessagePolicy", &G_STR, 0},
    {"imagePullPolicy", GENUM("Always", "IfNotPresent", "Never"), 0},
    {"securityContext", GLOOSE("v1.SecurityContext"), 0}, {"stdin", &G_BOOL, 0}, {"stdinOnce", &G_BOOL, 0},
    {"tty", &G_BOOL, 0}), 0, 0};

static const stype POD_SPEC = {S_OBJ, "v1.PodSpec", FIELDS(
    {"volumes", GARR(GLOOSE("v1.Volume")), 0}, {"initContainers", GARR(&CONTAINER), 0},
    {"containers", GARR(&CONTAINER), REQ}, {"ephemeralContainers", GARR(GLOOSE("v1.EphemeralContainer")), 0},
    {"restartPolicy", GENUM("Always", "OnFailure", "Never"), 0},
    {"terminationGracePeriodSeconds", &G_I64, 0}, {"activeDeadlineSeconds", &G_I64, 0},
    {"dnsPolicy", GENUM("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"), 0},
    {"nodeSelector", GLABELS, 0}, {"serviceAccountName", &G_STR, 0}, {"serviceAccount", &G_STR, 0},
    {"automountServiceAccountToken", &G_BOOL, 0}, {"nodeName", &G_STR, 0}, {"hostNetwork", &G_BOOL, 0},
    {"hostPID", &G_BOOL, 0}, {"hostIPC", &G_BOOL, 0}, {"shareProcessNamespace", &G_BOOL, 0},
    {"securityContext", GLOOSE("v1.PodSecurityContext"), 0},
    {"imagePullSecrets", GARR(GLOOSE("v1.LocalObjectReference")), 0}, {"hostname", &G_STR, 0},
    {"subdomain", &G_STR, 0}, {"affinity", GLOOSE("v1.Affinity"), 0}, {"schedulerName", &G_STR, 0},
    {"tolerations", GARR(GLOOSE("v1.Toleration")), 0}, {"hostAliases", GARR(GLOOSE("v1.HostAlias")), 0},
    {"priorityClassName", &G_STR, 0}, {"priority", &G_I32, 0}, {"dnsConfig", GLOOSE("v1.PodDNSConfig"), 0},
    {"readinessGates", GARR(GLOOSE("v1.PodReadinessGate")), 0}, {"runtimeClassName", &G_STR, 0},
    {"enableServiceLinks", &G_BOOL, 0}, {"preemptionPolicy", &G_STR, 0},
    {"overhead", GMAP(&G_INTSTR), 0}, {"topologySpreadConstraints", GARR(GLOOSE("v1.TopologySpreadConstraint")), 0},
    {"setHostnameAsFQDN", &G_BOOL, 0}, {"os", GLOOSE("v1.PodOS"), 0}, {"hostUsers", &G_BOOL, 0},
    {"schedulingGates", GARR(GLOOSE("v1.PodSchedulingGate")), 0},
    {"resourceClaims", GARR(GLOOSE("v1.PodResourceClaim")), 0}, {"resources", GLOOSE("v1.ResourceRequirements"), 0}),
    0, 0};

static const stype POD_TEMPLATE = {S_OBJ, "v1.PodTemplateSpec", FIELDS(
    {"metadata", &META, 0}, {"spec", &POD_SPEC, 0}), 0, 0};

#define HEAD {"apiVersion", &G_STR, 0}, {"kind", &G_STR, 0}, {"metadata", &META, 0}

static const stype NAMESPACE = {S_OBJ, "v1.Namespace", FIELDS(HEAD,
    {"spec", GOBJ("v1.NamespaceSpec", {"finalizers", GSTRS, 0}), 0},
    {"status", GLOOSE("v1.NamespaceStatus"), 0}), 0, 0};

static const stype POD = {S_OBJ, "v1.Pod", FIELDS(HEAD, {"spec", &POD_SPEC, 0},
    {"status", GLOOSE("v1.PodStatus"), 0}), 0, 0};

static const stype SERVICE = {S_OBJ, "v1.Service", FIELDS(HEAD,
    {"spec", GOBJ("v1.ServiceSpec",
        {"ports", GARR(GOBJ("v1.ServicePort", {"name", &G_STR, 0}, {"protocol", PROTOCOLS, 0},
                            {"appProtocol", &G_STR, 0}, {"port", &G_I32, REQ}, {"targetPort", &G_INTSTR, 0},
                            {"nodePort", &G_I32, 0})), 0},
        {"selector", GLABELS, 0}, {"clusterIP", &G_STR, 0}, {"clusterIPs", GSTRS, 0},
        {"type", GENUM("ClusterIP", "ExternalName", "LoadBalancer", "NodePort"), 0},
        {"externalIPs", GSTRS, 0}, {"sessionAffinity", GENUM("ClientIP", "None"), 0},
        {"loadBalancerIP", &G_STR, 0}, {"loadBalancerSourceRanges", GSTRS, 0}, {"externalName", &G_STR, 0},
        {"externalTrafficPolicy", &G_STR, 0}, {"healthCheckNodePort", &G_I32, 0},
        {"publishNotReadyAddresses", &G_BOOL, 0}, {"sessionAffinityConfig", GLOOSE("v1.SessionAffinityConfig"), 0},
        {"ipFamilies", GSTRS, 0}, {"ipFamilyPolicy", &G_STR, 0}, {"allocateLoadBalancerNodePorts", &G_BOOL, 0},
        {"loadBalancerClass", &G_STR, 0}, {"internalTrafficPolicy", &G_STR, 0},
        {"trafficDistribution", &G_STR, 0}), 0},
    {"status", GLOOSE("v1.ServiceStatus"), 0}), 0, 0};

static const stype ENDPOINTS = {S_OBJ, "v1.Endpoints", FIELDS(HEAD,
    {"subsets", GARR(GOBJ("v1.EndpointSubset",
        {"addresses", GARR(GLOOSE("v1.EndpointAddress")), 0},
        {"notReadyAddresses", GARR(GLOOSE("v1.EndpointAddress")), 0},
        {"ports", GARR(GOBJ("v1.EndpointPort", {"name", &G_STR, 0}, {"port", &G_I32, 0},
                            {"protocol", PROTOCOLS, 0}, {"appProtocol", &G_STR, 0})), 0})), 0}), 0, 0};

static const stype SERVICE_ACCOUNT = {S_OBJ, "v1.ServiceAccount", FIELDS(HEAD,
    {"secrets", GARR(GLOOSE("v1.ObjectReference")), 0},
    {"imagePullSecrets", GARR(GLOOSE("v1.LocalObjectReference")), 0},
    {"automountServiceAccountToken", &G_BOOL, 0}), 0, 0};

static const stype CONFIG_MAP = {S_OBJ, "v1.ConfigMap", FIELDS(HEAD, {"immutable", &G_BOOL, 0},
    {"data", GLABELS, 0}, {"binaryData", GMAP(&G_BYTES), 0}), 0, 0};

static const stype SECRET = {S_OBJ, "v1.Secret", FIELDS(HEAD, {"immutable", &G_BOOL, 0},
    {"data", GMAP(&G_BYTES), 0}, {"stringData", GLABELS, 0}, {"type", &G_STR, 0}), 0, 0};

static const stype NODE = {S_OBJ, "v1.Node", FIELDS(HEAD, {"spec", GLOOSE("v1.NodeSpec"), 0},
    {"status", GLOOSE("v1.NodeStatus"), 0}), 0, 0};

static const stype DEPLOYMENT = {S_OBJ, "v1.Deployment", FIELDS(HEAD,
    {"spec", GOBJ("v1.DeploymentSpec", {"replicas", &G_I32, 0}, {"selector", &LABEL_SELECTOR, REQ},
                  {"template", &POD_TEMPLATE, 0}, {"strategy", GLOOSE("v1.DeploymentStrategy"), 0},
                  {"minReadySeconds", &G_I32, 0}, {"revisionHistoryLimit", &G_I32, 0}, {"paused", &G_BOOL, 0},
                  {"progressDeadlineSeconds", &G_I32, 0}), 0},
    {"status", GLOOSE("v1.DeploymentStatus"), 0}), 0, 0};

static const stype REPLICA_SET = {S_OBJ, "v1.ReplicaSet", FIELDS(HEAD,
    {"spec", GOBJ("v1.ReplicaSetSpec", {"replicas", &G_I32, 0}, {"minReadySeconds", &G_I32, 0},
                  {"selector", &LABEL_SELECTOR, REQ}, {"template", &POD_TEMPLATE, 0}), 0},
    {"status", GLOOSE("v1.ReplicaSetStatus"), 0}), 0, 0};

static const stype NETPOL_PORT = {S_OBJ, "v1.NetworkPolicyPort", FIELDS(
    {"protocol", PROTOCOLS, 0}, {"port", &G_INTSTR, 0}, {"endPort", &G_I32, 0}), 0, 0};
static const stype NETPOL_PEER = {S_OBJ, "v1.NetworkPolicyPeer", FIELDS(
    {"podSelector", &LABEL_SELECTOR, 0}, {"namespaceSelector", &LABEL_SELECTOR, 0},
    {"ipBlock", GOBJ("v1.IPBlock", {"cidr", &G_STR, REQ}, {"except", GSTRS, 0}), 0}), 0, 0};

static const stype NETWORK_POLICY = {S_OBJ, "v1.NetworkPolicy", FIELDS(HEAD,
    {"spec", GOBJ("v1.NetworkPolicySpec", {"podSelector", &LABEL_SELECTOR, 0},
        {"ingress", GARR(GOBJ("v1.NetworkPolicyIngressRule", {"ports", GARR(&NETPOL_PORT), 0},
                              {"from", GARR(&NETPOL_PEER), 0})), 0},
        {"egress", GARR(GOBJ("v1.NetworkPolicyEgressRule", {"ports", GARR(&NETPOL_PORT), 0},
                             {"to", GARR(&NETPOL_PEER), 0})), 0},
        {"policyTypes", GARR(GENUM("Ingress", "Egress")), 0}), 0}), 0, 0};

static const stype POLICY_RULE = {S_OBJ, "v1.PolicyRule", FIELDS(
    {"verbs", GSTRS, REQ}, {"apiGroups", GSTRS, 0}, {"resources", GSTRS, 0}, {"resourceNames", GSTRS, 0},
    {"nonResourceURLs", GSTRS, 0}), 0, 0};
static const stype ROLE = {S_OBJ, "v1.Role", FIELDS(HEAD, {"rules", GARR(&POLICY_RULE), 0}), 0, 0};
static const stype CLUSTER_ROLE = {S_OBJ, "v1.ClusterRole", FIELDS(HEAD, {"rules", GARR(&POLICY_RULE), 0},
    {"aggregationRule", GLOOSE("v1.AggregationRule"), 0}), 0, 0};
static const stype ROLE_BINDING = {S_OBJ, "v1.RoleBinding", FIELDS(HEAD,
    {"subjects", GARR(GOBJ("v1.Subject", {"kind", &G_STR, REQ}, {"apiGroup", &G_STR, 0}, {"name", &G_STR, REQ},
                           {"namespace", &G_STR, 0})), 0},
    {"roleRef", GOBJ("v1.RoleRef", {"apiGroup", &G_STR, 0}, {"kind", &G_STR, REQ}, {"name", &G_STR, REQ}), REQ}),
    0, 0};

/* ---- Istio CRDs (crd-all.gen.yaml openAPIV3Schema, trimmed to what is checked) ---- */

#define CR_HEAD {"apiVersion", &G_STR, 0}, {"kind", &G_STR, 0}, {"metadata", &META, 0}, {"status", &C_LOOSE, 0}

static const stype WORKLOAD_SELECTOR = {S_OBJ, NULL, FIELDS({"labels", CLABELS, 0}), 0, 0};
static const stype PORT_SELECTOR = {S_OBJ, NULL, FIELDS({"number", &C_INT, 0}), 0, 0};

static const stype SERVICE_ENTRY = {S_OBJ, NULL, FIELDS(CR_HEAD,
    {"spec", COBJ({"hosts", CSTRS, REQ}, {"addresses", CSTRS, 0},
        {"ports", CARR(COBJ({"number", &C_INT, REQ}, {"protocol", &C_STR, 0}, {"name", &C_STR, REQ},
                            {"targetPort", &C_INT, 0})), 0},
        {"location", CENUM("MESH_EXTERNAL", "MESH_INTERNAL"), 0},
        {"resolution", CENUM("NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"), 0},
        {"endpoints", CARR(COBJ({"address", &C_STR, 0}, {"ports", CMAP(&C_INT), 0}, {"labels", CLABELS, 0},
                                {"network", &C_STR, 0}, {"locality", &C_STR, 0}, {"weight", &C_INT, 0},
                                {"serviceAccount", &C_STR, 0})), 0},
        {"workloadSelector", &WORKLOAD_SELECTOR, 0}, {"exportTo", CSTRS, 0}, {"subjectAltNames", CSTRS, 0}),
     0}), 0, 0};

#define TLS_VERSIONS CENUM("TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3")

static const stype GATEWAY = {S_OBJ, NULL, FIELDS(CR_HEAD,
    {"spec", COBJ({"selector", CLABELS, 0},
        {"servers", CARR(COBJ(
            {"port", COBJ({"number", &C_INT, REQ}, {"protocol", &C_STR, REQ}, {"name", &C_STR, REQ},
                          {"targetPort", &C_INT, 0}), REQ},
            {"bind", &C_STR, 0}, {"hosts", CSTRS, REQ},
            {"tls", COBJ({"httpsRedirect", &C_BOOL, 0},
                         {"mode", CENUM("PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL",
                                        "OPTIONAL_MUTUAL"), 0},
                         {"serverCertificate", &C_STR, 0}, {"privateKey", &C_STR, 0},
                         {"caCertificates", &C_STR, 0}, {"caCrl", &C_STR, 0}, {"credentialName", &C_STR, 0},
                         {"credentialNames", CSTRS, 0}, {"tlsCertificates", CARR(&C_LOOSE), 0},
                         {"subjectAltNames", CSTRS, 0}, {"verifyCertificateSpki", CSTRS, 0},
                         {"verifyCertificateHash", CSTRS, 0}, {"minProtocolVersion", TLS_VERSIONS, 0},
                         {"maxProtocolVersion", TLS_VERSIONS, 0}, {"cipherSuites", CSTRS, 0}), 0},
            {"defaultEndpoint", &C_STR, 0}, {"name", &C_STR, 0})), 0}),
     0}), 0, 0};

static const stype DESTINATION = {S_OBJ, NULL, FIELDS(
    {"host", &C_STR, REQ}, {"subset", &C_STR, 0}, {"port", &PORT_SELECTOR, 0}), 0, 0};
static const stype ROUTE_DESTINATION = {S_OBJ, NULL, FIELDS(
    {"destination", &DESTINATION, REQ}, {"weight", &C_INT, 0}), 0, 0};

static const stype VIRTUAL_SERVICE = {S_OBJ, NULL, FIELDS(CR_HEAD,
    {"spec", COBJ({"hosts", CSTRS, 0}, {"gateways", CSTRS, 0}, {"exportTo", CSTRS, 0},
        {"http", CARR(COBJ({"name", &C_STR, 0},
            {"match", CARR(COBJ({"name", &C_STR, 0}, {"uri", &C_LOOSE, 0}, {"scheme", &C_LOOSE, 0},
                                {"method", &C_LOOSE, 0}, {"authority", &C_LOOSE, 0}, {"headers", &C_LOOSE, 0},
                                {"port", &C_INT, 0}, {"sourceLabels", CLABELS, 0}, {"gateways", CSTRS, 0},
                                {"queryParams", &C_LOOSE, 0}, {"ignoreUriCase", &C_BOOL, 0},
                                {"withoutHeaders", &C_LOOSE, 0}, {"sourceNamespace", &C_STR, 0},
                                {"statPrefix", &C_STR, 0})), 0},
            {"route", CARR(COBJ({"destination", &DESTINATION, REQ}, {"weight", &C_INT, 0},
                                {"headers", &C_LOOSE, 0})), 0},
            {"redirect", &C_LOOSE, 0}, {"directResponse", &C_LOOSE, 0}, {"delegate", &C_LOOSE, 0},
            {"rewrite", &C_LOOSE, 0}, {"timeout", &C_STR, 0}, {"retries", &C_LOOSE, 0}, {"fault", &C_LOOSE, 0},
            {"mirror", &DESTINATION, 0}, {"mirrors", CARR(&C_LOOSE), 0}, {"mirrorPercentage", &C_LOOSE, 0},
            {"mirrorPercent", &C_INT, 0}, {"mirror_percent", &C_INT, 0}, {"corsPolicy", &C_LOOSE, 0},
            {"headers", &C_LOOSE, 0})), 0},
        {"tls", CARR(COBJ(
            {"match", CARR(COBJ({"sniHosts", CSTRS, 0}, {"destinationSubnets", CSTRS, 0}, {"port", &C_INT, 0},
                                {"sourceLabels", CLABELS, 0}, {"gateways", CSTRS, 0},
                                {"sourceNamespace", &C_STR, 0})), REQ},
            {"route", CARR(&ROUTE_DESTINATION), 0})), 0},
        {"tcp", CARR(COBJ(
            {"match", CARR(COBJ({"destinationSubnets", CSTRS, 0}, {"port", &C_INT, 0},
                                {"sourceSubnet", &C_STR, 0}, {"sourceLabels", CLABELS, 0},
                                {"gateways", CSTRS, 0}, {"sourceNamespace", &C_STR, 0})), 0},
            {"route", CARR(&ROUTE_DESTINATION), 0})), 0}),
     0}), 0, 0};

static const stype CLIENT_TLS = {S_OBJ, NULL, FIELDS(
    {"mode", CENUM("DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"), 0}, {"clientCertificate", &C_STR, 0},
    {"privateKey", &C_STR, 0}, {"caCertificates", &C_STR, 0}, {"credentialName", &C_STR, 0},
    {"subjectAltNames", CSTRS, 0}, {"sni", &C_STR, 0}, {"insecureSkipVerify", &C_BOOL, 0},
    {"caCrl", &C_STR, 0}), 0, 0};

static const stype TRAFFIC_POLICY = {S_OBJ, NULL, FIELDS(
    {"loadBalancer", &C_LOOSE, 0}, {"connectionPool", &C_LOOSE, 0}, {"outlierDetection", &C_LOOSE, 0},
    {"tls", &CLIENT_TLS, 0},
    {"portLevelSettings", CARR(COBJ({"port", &PORT_SELECTOR, 0}, {"loadBalancer", &C_LOOSE, 0},
                                    {"connectionPool", &C_LOOSE, 0}, {"outlierDetection", &C_LOOSE, 0},
                                    {"tls", &CLIENT_TLS, 0})), 0},
    {"tunnel", &C_LOOSE, 0}, {"proxyProtocol", &C_LOOSE, 0}), 0, 0};

static const stype DESTINATION_RULE = {S_OBJ, NULL, FIELDS(CR_HEAD,
    {"spec", COBJ({"host", &C_STR, REQ}, {"trafficPolicy", &TRAFFIC_POLICY, 0},
        {"subsets", CARR(COBJ({"name", &C_STR, REQ}, {"labels", CLABELS, 0},
                              {"trafficPolicy", &TRAFFIC_POLICY, 0})), 0},
        {"exportTo", CSTRS, 0}, {"workloadSelector", &WORKLOAD_SELECTOR, 0}),
     0}), 0, 0};

static const stype SIDECAR = {S_OBJ, NULL, FIELDS(CR_HEAD,
    {"spec", COBJ({"workloadSelector", &WORKLOAD_SELECTOR, 0}, {"ingress", CARR(&C_LOOSE), 0},
        {"egress", CARR(COBJ({"port", &C_LOOSE, 0}, {"bind", &C_STR, 0}, {"captureMode", &C_STR, 0},
                             {"hosts", CSTRS, REQ})), 0},
        {"outboundTrafficPolicy", COBJ({"mode", CENUM("REGISTRY_ONLY", "ALLOW_ANY"), 0},
                                       {"egressProxy", &C_LOOSE, 0}), 0},
        {"inboundConnectionPool", &C_LOOSE, 0}),
     0}), 0, 0};

#define MTLS_MODE COBJ({"mode", CENUM("UNSET", "DISABLE", "PERMISSIVE", "STRICT"), 0})
static const stype PEER_AUTHENTICATION = {S_OBJ, NULL, FIELDS(CR_HEAD,
    {"spec", COBJ({"selector", COBJ({"matchLabels", CLABELS, 0}), 0}, {"mtls", MTLS_MODE, 0},
                  {"portLevelMtls", CMAP(MTLS_MODE), 0}), 0}), 0, 0};

/* IstioOperator and meshsim's ExternalService are checked loosely: the spec is an object. */
static const stype LOOSE_CR = {S_OBJ, NULL, FIELDS(CR_HEAD, {"spec", &C_LOOSE, 0}), 0, 0};

static const struct { const char *kind; const stype *root; } roots[] = {
    {"Namespace", &NAMESPACE}, {"Pod", &POD}, {"Service", &SERVICE}, {"Endpoints", &ENDPOINTS},
    {"ServiceAccount", &SERVICE_ACCOUNT}, {"ConfigMap", &CONFIG_MAP}, {"Secret", &SECRET}, {"Node", &NODE},
    {"Deployment", &DEPLOYMENT}, {"ReplicaSet", &REPLICA_SET}, {"NetworkPolicy", &NETWORK_POLICY},
    {"Role", &ROLE}, {"ClusterRole", &CLUSTER_ROLE}, {"RoleBinding", &ROLE_BINDING},
    {"ClusterRoleBinding", &ROLE_BINDING}, {"ServiceEntry", &SERVICE_ENTRY}, {"Gateway", &GATEWAY},
    {"VirtualService", &VIRTUAL_SERVICE}, {"DestinationRule", &DESTINATION_RULE}, {"Sidecar", &SIDECAR},
    {"PeerAuthentication", &PEER_AUTHENTICATION}, {"IstioOperator", &LOOSE_CR}, {"ExternalService", &LOOSE_CR},
};

/* ---- the walk ----------------------------------------------------------- */

typedef struct sbuf { char *s; size_t n, cap; } sbuf;

static void sb_printf(sbuf *b, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *t = NULL;
    int n = vasprintf(&t, f, ap);
    va_end(ap);
    if (n < 0) return;
    if (b->n + (size_t)n + 1 > b->cap) {
        b->cap = (b->n + (size_t)n + 1) * 2;
        b->s = realloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, t, (size_t)n + 1);
    b->n += (size_t)n;
    free(t);
}

typedef struct vctx {
    char go_err[1024];      /* first Go decoding error (built-in types) */
    sbuf unknown;           /* unknown field "a", unknown field "b" */
    sbuf causes;            /* "* field: message\n" per schema violation */
    int ncauses;
    char first_cause[1024];
} vctx;

/* Go's name of a JSON value's type in UnmarshalTypeError. */
static const char *go_value_type(json_t *v, char *buf, size_t len)
{
    if (json_is_string(v)) return "string";
    if (json_is_boolean(v)) return "bool";
    if (json_is_array(v)) return "array";
    if (json_is_object(v)) return "object";
    if (json_is_real(v)) { snprintf(buf, len, "number %g", json_real_value(v)); return buf; }
    return "number";
}

static const char *openapi_value_type(json_t *v)
{
    if (json_is_string(v)) return "string";
    if (json_is_boolean(v)) return "boolean";
    if (json_is_array(v)) return "array";
    if (json_is_object(v)) return "object";
    if (json_is_integer(v)) return "integer";
    return "number";
}

static const char *openapi_type(skind k)
{
    switch (k) {
    case S_STR: case S_BYTES: return "string";
    case S_INT32: case S_INT64: return "integer";
    case S_BOOL: return "boolean";
    case S_NUM: return "number";
    case S_ARR: return "array";
    default: return "object";
    }
}

/* Go's full type name: "[]v1.Container", "map[string]string". */
static void go_type_name(const stype *t, char *buf, size_t len)
{
    if (t->k == S_ARR || t->k == S_MAP) {
        char inner[128];
        go_type_name(t->elem, inner, sizeof inner);
        snprintf(buf, len, "%s%s", t->go, inner);
    } else {
        snprintf(buf, len, "%s", t->go ? t->go : "");
    }
}

static void add_cause(vctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_cause(vctx *c, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (c->ncauses++ == 0) snprintf(c->first_cause, sizeof c->first_cause, "%s", line);
    sb_printf(&c->causes, "* %s\n", line);
}

static bool type_ok(const stype *t, json_t *v)
{
    switch (t->k) {
    case S_STR: case S_BYTES: return json_is_string(v);
    case S_INT32: case S_INT64: return json_is_integer(v);
    case S_BOOL: return json_is_boolean(v);
    case S_NUM: return json_is_number(v);
    case S_OBJ: case S_LOOSE: case S_MAP: return json_is_object(v);
    case S_ARR: return json_is_array(v);
    case S_INTSTR: return json_is_integer(v) || json_is_string(v);
    case S_ANY: return true;
    }
    return true;
}

/* Offset of the first character base64 (standard, padded) cannot decode, or -1. */
static long base64_bad_at(const char *s)
{
    size_t n = strlen(s), i = 0;
    for (; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' ||
                  ch == '/' || ch == '\n' || ch == '\r';
        if (ch == '=') break;
        if (!ok) return (long)i;
    }
    size_t pad = i;
    while (i < n && s[i] == '=') i++;
    if (i < n) return (long)i;
    if (n % 4) return (long)(n - n % 4 < pad ? n - n % 4 : pad);
    return -1;
}

/* Where a value sits, as a chain of steps up to the root: its paths are
 * rendered only for a message.  Rendering them for every value walked (two
 * strings per field) was most of validation's time. */
typedef enum { STEP_FIELD, STEP_KEY, STEP_INDEX } step_kind;
typedef struct step {
    const struct step *up;   /* NULL: the object itself */
    step_kind kind;
    const char *key;         /* a field's name or a map's key */
    size_t index;
} step;

typedef struct pbuf { char *s; size_t n, len; } pbuf;

static void pb_put(pbuf *b, const char *t)
{
    size_t k = strlen(t);
    if (k > b->len - 1 - b->n) k = b->len - 1 - b->n;
    memcpy(b->s + b->n, t, k);
    b->n += k;
    b->s[b->n] = 0;
}

/* ip, the path with indices ("spec.ports[0].number"), or (fields_only)
 * gp, Go's field path ("spec.ports.number"); cut to len - 1 bytes. */
static void render(const step *at, bool fields_only, pbuf *b)
{
    if (!at) return;
    render(at->up, fields_only, b);
    if (at->kind == STEP_FIELD) {
        if (b->n) pb_put(b, ".");
        pb_put(b, at->key);
    } else if (!fields_only) {
        char num[24];
        snprintf(num, sizeof num, "%zu", at->index);
        pb_put(b, "[");
        pb_put(b, at->kind == STEP_KEY ? at->key : num);
        pb_put(b, "]");
    }
}

static const char *path_of(const step *at, bool fields_only, char *out, size_t len)
{
    pbuf b = {out, 0, len};
    out[0] = 0;
    render(at, fields_only, &b);
    return out;
}

/* gs: the innermost Go struct ("ServicePort"). */
static void walk(vctx *c, const stype *t, json_t *v, const step *at, const char *gs)
{
    if (json_is_null(v)) return;   /* null is the zero value / pruned */
    bool go = t->go != NULL;
    char ip[1024], gp[1024];
    if (!type_ok(t, v)) {
        if (go) {
            if (!c->go_err[0]) {
                char vt[64], tn[160];
                go_type_name(t, tn, sizeof tn);
                snprintf(c->go_err, sizeof c->go_err, "json: cannot unmarshal %s into Go struct field %s.%s of type %s",
                         go_value_type(v, vt, sizeof vt), gs, path_of(at, true, gp, sizeof gp), tn);
            }
        } else {
            const char *have = openapi_value_type(v);
            path_of(at, false, ip, sizeof ip);
            add_cause(c, "%s: Invalid value: \"%s\": %s in body must be of type %s: \"%s\"", ip, have, ip,
                      openapi_type(t->k), have);
        }
        return;
    }
    if (t->enums && json_is_string(v)) {
        const char *s = json_string_value(v);
        bool found = false;
        for (const char *const *e = t->enums; *e && !found; e++) found = !strcmp(*e, s);
        if (!found) {
            sbuf list = {0};
            for (const char *const *e = t->enums; *e; e++) sb_printf(&list, "%s\"%s\"", e == t->enums ? "" : ", ", *e);
            add_cause(c, "%s: Unsupported value: \"%s\": supported values: %s", path_of(at, false, ip, sizeof ip), s,
                      list.s);
            free(list.s);
        }
    }
    if (t->k == S_BYTES && go && !c->go_err[0]) {
        long bad = base64_bad_at(json_string_value(v));
        if (bad >= 0) snprintf(c->go_err, sizeof c->go_err, "illegal base64 data at input byte %ld", bad);
    }
    if (t->k == S_ARR) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            step in = {at, STEP_INDEX, NULL, i};
            walk(c, t->elem, e, &in, gs);
        }
    } else if (t->k == S_MAP) {
        const char *key;
        json_t *e;
        json_object_foreach(v, key, e) {
            step in = {at, STEP_KEY, key, 0};
            walk(c, t->elem, e, &in, gs);
        }
    } else if (t->k == S_OBJ) {
        const char *short_go = go ? (strchr(t->go, '.') ? strchr(t->go, '.') + 1 : t->go) : gs;
        /* required fields are checked before the fields themselves, as the schema validator does */
        for (const sfield *f = t->fields; f->name; f++) {
            if (!f->required) continue;   /* (a lookup per field of the schema was most of validation) */
            json_t *have = json_object_get(v, f->name);
            bool empty = !have || json_is_null(have) || (json_is_string(have) && !*json_string_value(have) && !go) ||
                         (go && json_is_array(have) && json_array_size(have) == 0) ||
                         (go && json_is_string(have) && !*json_string_value(have));
            if (empty) {
                path_of(at, false, ip, sizeof ip);
                add_cause(c, "%s%s%s: Required value", ip, *ip ? "." : "", f->name);
            }
        }
        const char *key;
        json_t *e;
        json_object_foreach(v, key, e) {
            const sfield *f = t->fields;
            while (f->name && strcmp(f->name, key)) f++;
            step in = {at, STEP_FIELD, key, 0};
            if (!f->name) {
                sb_printf(&c->unknown, "%sunknown field \"%s\"", c->unknown.n ? ", " : "",
                          path_of(&in, false, ip, sizeof ip));
                continue;
            }
            walk(c, f->t, e, &in, short_go);
        }
    }
}

/* ---- names -------------------------------------------------------------- */

static int label_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && i > 0 && i + 1 < n)) return 0;
    }
    return 1;
}

int valid_dns_label(const char *name) { return label_ok(name, strlen(name)); }

int valid_dns1035_label(const char *name) { return valid_dns_label(name) && name[0] >= 'a' && name[0] <= 'z'; }

int valid_dns_subdomain(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 253) return 0;
    for (const char *p = name;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!label_ok(p, len)) return 0;
        if (!dot) return 1;
        p = dot + 1;
    }
}

static const char MSG_LABEL[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
static const char MSG_1035[] =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
static const char MSG_SUBDOMAIN[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

static void check_name(vctx *c, const kind_info *k, const char *name)
{
    if (!name || !*name) {
        add_cause(c, "metadata.name: Required value: name or generateName is required");
        return;
    }
    bool is_ns = !strcmp(k->kind, "Namespace"), is_svc = !strcmp(k->kind, "Service");
    if (is_ns && !valid_dns_label(name)) add_cause(c, "metadata.name: Invalid value: \"%s\": %s", name, MSG_LABEL);
    else if (is_svc && !valid_dns1035_label(name))
        add_cause(c, "metadata.name: Invalid value: \"%s\": %s", name, MSG_1035);
    else if (!is_ns && !is_svc && !valid_dns_subdomain(name))
        add_cause(c, "metadata.name: Invalid value: \"%s\": %s", name, MSG_SUBDOMAIN);
}

/* Range checks the API server's validation adds for built-in kinds. */
static void check_ports(vctx *c, json_t *obj, const char *path, const char *field)
{
    size_t i;
    json_t *p;
    json_array_foreach(obj_at(obj, path), i, p) {
        json_t *n = json_object_get(p, field);
        if (json_is_integer(n) && (json_integer_value(n) < 1 || json_integer_value(n) > 65535))
            add_cause(c, "%s[%zu].%s: Invalid value: %lld: must be between 1 and 65535, inclusive", path, i, field,
                      (long long)json_integer_value(n));
    }
}

/* Istio's validating webhook: what the CRD schema leaves to istiod. */
static bool istio_protocol_ok(const char *p)
{
    static const char *const known[] = {"HTTP", "HTTPS", "HTTP2", "GRPC", "GRPC-WEB", "TLS", "TCP", "UDP",
                                        "MONGO", "MYSQL", "REDIS", "THRIFT", NULL};
    for (const char *const *k = known; *k; k++)
        if (!strcasecmp(*k, p)) return true;
    return false;
}

static const char *webhook_check(const kind_info *k, json_t *obj, char *buf, size_t len)
{
    json_t *ports = NULL;
    if (!strcmp(k->kind, "ServiceEntry")) ports = obj_at(obj, "spec.ports");
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p) {
        const char *proto = obj_str(p, "protocol");
        if (proto && *proto && !istio_protocol_ok(proto)) {
            snprintf(buf, len, "unrecognized protocol \"%s\"", proto);
            return buf;
        }
    }
    if (!strcmp(k->kind, "Gateway")) {
        json_array_foreach(obj_at(obj, "spec.servers"), i, p) {
            const char *proto = obj_str(p, "port.protocol");
            if (proto && *proto && !istio_protocol_ok(proto)) {
                snprintf(buf, len, "unrecognized protocol \"%s\"", proto);
                return buf;
            }
        }
    }
    return NULL;
}

valid_status validate_object(const kind_info *k, json_t *obj, char *msg, size_t len)
{
    const stype *root = NULL;
    for (size_t i = 0; i < sizeof roots / sizeof roots[0] && !root; i++)
        if (!strcmp(roots[i].kind, k->kind)) root = roots[i].root;
    vctx c = {0};
    const char *apiv = obj_api_version(obj);
    const char *ver = apiv && strrchr(apiv, '/') ? strrchr(apiv, '/') + 1 : (apiv ? apiv : "");
    if (root) walk(&c, root, obj, NULL, k->kind);
    valid_status rc = VALID_OK;
    if (c.go_err[0] || c.unknown.n) {
        snprintf(msg, len, "%s in version \"%s\" cannot be handled as a %s: %s%s", k->kind, ver, k->kind,
                 c.go_err[0] ? "" : "strict decoding error: ", c.go_err[0] ? c.go_err : c.unknown.s);
        rc = VALID_BAD_REQUEST;
        goto out;
    }
    /* The schema walk found type, enum and required errors; names and
     * ranges come from the API server's own validation, which runs after
     * (its causes come first in the message). */
    vctx v = {0};
    check_name(&v, k, obj_name(obj));
    if (!strcmp(k->kind, "Service")) check_ports(&v, obj, "spec.ports", "port");
    if (!strcmp(k->kind, "Pod")) {
        size_t i;
        json_t *ctr;
        json_array_foreach(obj_at(obj, "spec.containers"), i, ctr) {
            char path[64];
            snprintf(path, sizeof path, "spec.containers[%zu].ports", i);
            check_ports(&v, obj, path, "containerPort");
        }
    }
    if (v.ncauses || c.ncauses) {
        const char *name = obj_name(obj) ? obj_name(obj) : "";
        int total = v.ncauses + c.ncauses;
        if (total == 1)
            snprintf(msg, len, "The %s \"%s\" is invalid: %s", k->kind, name, v.ncauses ? v.first_cause : c.first_cause);
        else
            snprintf(msg, len, "The %s \"%s\" is invalid: \n%s%s", k->kind, name, v.causes.s ? v.causes.s : "",
                     c.causes.s ? c.causes.s : "");
        size_t n = strlen(msg);
        if (n && msg[n - 1] == '\n') msg[n - 1] = 0;
        rc = VALID_INVALID;
    } else {
        char buf[512];
        const char *denied = webhook_check(k, obj, buf, sizeof buf);
        if (denied) {
            snprintf(msg, len, "admission webhook \"validation.istio.io\" denied the request: configuration is invalid: %s",
                     denied);
            rc = VALID_DENIED;
        }
    }
    free(v.causes.s);
    free(v.unknown.s);
out:
    free(c.unknown.s);
    free(c.causes.s);
    return rc;
}
