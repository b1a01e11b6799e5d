/* Sidecar injection, as Istio's mutating webhook does it when a pod is
 * created: an istio-init container that sets up the traffic capture and an
 * istio-proxy container (Envoy and its agent) appended after the app's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "model/obj.h"

bool cluster_istio_installed(store *st)
{
    json_t *d = store_get(st, "deployments.apps", "istio-system", "istiod");
    bool ok = d != NULL;
    json_decref(d);
    return ok;
}

/* "false"/"true" from a label or annotation of the pod, NULL when unset. */
static const char *inject_flag(json_t *pod)
{
    const char *v = obj_label(pod, "sidecar.istio.io/inject");
    return v ? v : obj_annotation(pod, "sidecar.istio.io/inject");
}

/* The injector's decision, given whether istiod runs and the namespace object. */
static bool decide(bool installed, json_t *nso, json_t *pod, const char *ns)
{
    if (!installed) return false;
    if (obj_annotation(pod, "sidecar.istio.io/status")) return false;    /* injected already */
    if (json_is_true(obj_at(pod, "spec.hostNetwork"))) return false;
    /* the webhook never sees the control plane's own namespaces */
    if (!strcmp(ns, "kube-system") || !strcmp(ns, "kube-public") || !strcmp(ns, "istio-system")) return false;
    const char *flag = inject_flag(pod);
    if (flag && !strcmp(flag, "false")) return false;
    const char *label = nso ? obj_label(nso, "istio-injection") : NULL;
    const char *rev = nso ? obj_label(nso, "istio.io/rev") : NULL;
    if (label) return !strcmp(label, "enabled");
    if (rev) return !strcmp(rev, "default");
    return flag && !strcmp(flag, "true");
}

bool cluster_wants_injection(store *st, json_t *pod, const char *ns)
{
    if (!cluster_istio_installed(st)) return false;
    json_t *nso = store_get(st, "namespaces", "", ns);
    bool yes = decide(true, nso, pod, ns);
    json_decref(nso);
    return yes;
}

bool cluster_injection_decided(bool installed, json_t *nso, json_t *pod, const char *ns)
{
    return decide(installed, nso, pod, ns);
}

/* The injector's templates.  Istio before 1.5 mounted the workload
 * certificates from a Secret at /etc/certs; later releases fetch them over
 * SDS from the agent. */
static const char *const proxy_args_old =
    "[\"proxy\",\"sidecar\",\"--domain\",\"$(POD_NAMESPACE).svc.cluster.local\",\"--configPath\",\"/etc/istio/proxy\","
    "\"--binaryPath\",\"/usr/local/bin/envoy\",\"--serviceCluster\",\"@APP@.$(POD_NAMESPACE)\",\"--drainDuration\",\"45s\","
    "\"--parentShutdownDuration\",\"1m0s\",\"--discoveryAddress\",\"istio-pilot.istio-system:15010\","
    "\"--proxyLogLevel=warning\",\"--proxyComponentLogLevel=misc:error\",\"--connectTimeout\",\"10s\","
    "\"--proxyAdminPort\",\"15000\",\"--concurrency\",\"2\",\"--controlPlaneAuthPolicy\",\"NONE\","
    "\"--dnsRefreshRate\",\"300s\",\"--statusPort\",\"15020\",\"--trust-domain=cluster.local\"]";
static const char *const proxy_args_new =
    "[\"proxy\",\"sidecar\",\"--domain\",\"$(POD_NAMESPACE).svc.cluster.local\",\"--proxyLogLevel=warning\","
    "\"--proxyComponentLogLevel=misc:error\",\"--log_output_level=default:info\"]";

static const char *const env_common =
    "[{\"name\":\"PILOT_CERT_PROVIDER\",\"value\":\"istiod\"},"
    "{\"name\":\"CA_ADDR\",\"value\":\"istiod.istio-system.svc:15012\"},"
    "{\"name\":\"POD_NAME\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.name\"}}},"
    "{\"name\":\"POD_NAMESPACE\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.namespace\"}}},"
    "{\"name\":\"INSTANCE_IP\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"status.podIP\"}}},"
    "{\"name\":\"SERVICE_ACCOUNT\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"spec.serviceAccountName\"}}},"
    "{\"name\":\"HOST_IP\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"status.hostIP\"}}},"
    "{\"name\":\"ISTIO_META_CLUSTER_ID\",\"value\":\"Kubernetes\"},"
    "{\"name\":\"ISTIO_META_INTERCEPTION_MODE\",\"value\":\"REDIRECT\"},"
    "{\"name\":\"ISTIO_META_MESH_ID\",\"value\":\"cluster.local\"},"
    "{\"name\":\"TRUST_DOMAIN\",\"value\":\"cluster.local\"}]";

static const char *const mounts_old =
    "[{\"name\":\"istio-envoy\",\"mountPath\":\"/etc/istio/proxy\"},"
    "{\"name\":\"istio-certs\",\"mountPath\":\"/etc/certs/\",\"readOnly\":true}]";
static const char *const mounts_new =
    "[{\"name\":\"workload-socket\",\"mountPath\":\"/var/run/secrets/workload-spiffe-uds\"},"
    "{\"name\":\"credential-socket\",\"mountPath\":\"/var/run/secrets/credential-uds\"},"
    "{\"name\":\"workload-certs\",\"mountPath\":\"/var/run/secrets/workload-spiffe-credentials\"},"
    "{\"name\":\"istiod-ca-cert\",\"mountPath\":\"/var/run/secrets/istio\"},"
    "{\"name\":\"istio-data\",\"mountPath\":\"/var/lib/istio/data\"},"
    "{\"name\":\"istio-envoy\",\"mountPath\":\"/etc/istio/proxy\"},"
    "{\"name\":\"istio-token\",\"mountPath\":\"/var/run/secrets/tokens\"},"
    "{\"name\":\"istio-podinfo\",\"mountPath\":\"/etc/istio/pod\"}]";

static const char *const volumes_new =
    "[{\"name\":\"workload-socket\",\"emptyDir\":{}},{\"name\":\"credential-socket\",\"emptyDir\":{}},"
    "{\"name\":\"workload-certs\",\"emptyDir\":{}},{\"name\":\"istio-envoy\",\"emptyDir\":{\"medium\":\"Memory\"}},"
    "{\"name\":\"istio-data\",\"emptyDir\":{}},"
    "{\"name\":\"istio-podinfo\",\"downwardAPI\":{\"items\":[{\"path\":\"labels\",\"fieldRef\":{\"fieldPath\":\"metadata.labels\"}},"
    "{\"path\":\"annotations\",\"fieldRef\":{\"fieldPath\":\"metadata.annotations\"}}]}},"
    "{\"name\":\"istio-token\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"audience\":\"istio-ca\","
    "\"expirationSeconds\":43200,\"path\":\"istio-token\"}}]}},"
    "{\"name\":\"istiod-ca-cert\",\"configMap\":{\"name\":\"istio-ca-root-cert\"}}]";

/* The templates above, parsed once per process (a Deployment of 1 000
 * pods... or 1 000 Deployments parsed them 1 000 times): a copy each time. */
static json_t *load(const char *text)
{
    static struct { const char *text; json_t *parsed; } cache[8];
    for (size_t i = 0; i < sizeof cache / sizeof cache[0]; i++) {
        if (cache[i].text == text) return json_deep_copy(cache[i].parsed);
        if (!cache[i].text) {
            json_t *v = json_loads(text, 0, NULL);
            if (!v) return json_array();
            cache[i].text = text;
            cache[i].parsed = v;
            return json_deep_copy(v);
        }
    }
    json_t *v = json_loads(text, 0, NULL);
    return v ? v : json_array();
}

/* The canonical service name Istio derives for telemetry. */
static const char *canonical_name(json_t *pod, const char *workload)
{
    const char *v = obj_label(pod, "service.istio.io/canonical-name");
    if (!v) v = obj_label(pod, "app.kubernetes.io/name");
    if (!v) v = obj_label(pod, "app");
    return v ? v : workload;
}

static const char *canonical_revision(json_t *pod)
{
    const char *v = obj_label(pod, "service.istio.io/canonical-revision");
    if (!v) v = obj_label(pod, "app.kubernetes.io/version");
    if (!v) v = obj_label(pod, "version");
    return v ? v : "latest";
}

/* A setting of values.global.proxy as text ("" when unset); istioctl's
 * --set keeps "\\," for a comma inside a value. */
static void proxy_value(json_t *proxy, const char *key, char *out, size_t len)
{
    json_t *v = json_object_get(proxy, key);
    char tmp[1024] = "";
    if (json_is_string(v)) snprintf(tmp, sizeof tmp, "%s", json_string_value(v));
    else if (json_is_integer(v)) snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
    size_t o = 0;
    for (const char *p = tmp; *p && o + 1 < len; p++) {
        if (p[0] == '\\' && p[1] == ',') continue;
        out[o++] = *p;
    }
    out[o] = 0;
}

/* excludeInboundPort of the injector's template: the status port joins the
 * pod's own exclusions unless it is among them already. */
static void exclude_inbound(const char *status_port, const char *excluded, char *out, size_t len)
{
    size_t o = 0;
    bool have = false;
    out[0] = 0;
    const char *p = excluded;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n && *p == ' ') { p++; n--; }
        while (n && p[n - 1] == ' ') n--;
        if (n) {
            if (n == strlen(status_port) && !strncmp(p, status_port, n)) have = true;
            if (o + n + 2 < len) {
                if (o) out[o++] = ',';
                memcpy(out + o, p, n);
                o += n;
                out[o] = 0;
            }
        }
        p = comma ? comma + 1 : NULL;
    }
    if (have) { snprintf(out, len, "%s", excluded); return; }
    if (o + strlen(status_port) + 2 < len) snprintf(out + o, len - o, "%s%s", o ? "," : "", status_port);
}

/* istio-init's arguments: the capture settings of the pod's
 * traffic.sidecar.istio.io annotations, else of the install's
 * values.global.proxy, else Istio's defaults (everything captured). */
static json_t *init_args(json_t *pod, json_t *proxy, bool old)
{
    char inc[1024], exc[1024], inb[1024], exin[1024], d[1120], outp[1024], outq[1024];
    const char *a;
#define SETTING(buf, ann, key, dflt) do { \
        a = obj_annotation(pod, "traffic.sidecar.istio.io/" ann); \
        if (a) snprintf(buf, sizeof buf, "%s", a); \
        else { proxy_value(proxy, key, buf, sizeof buf); if (!json_object_get(proxy, key)) snprintf(buf, sizeof buf, "%s", dflt); } \
    } while (0)
    SETTING(inc, "includeOutboundIPRanges", "includeIPRanges", "*");
    SETTING(exc, "excludeOutboundIPRanges", "excludeIPRanges", "");
    SETTING(inb, "includeInboundPorts", "includeInboundPorts", "*");
    SETTING(exin, "excludeInboundPorts", "excludeInboundPorts", "");
    SETTING(outp, "excludeOutboundPorts", "excludeOutboundPorts", "");
    SETTING(outq, "includeOutboundPorts", "includeOutboundPorts", "");
#undef SETTING
    char excluded[1100];
    exclude_inbound("15020", exin, excluded, sizeof excluded);
    snprintf(d, sizeof d, "%s%s", old ? "" : "15090,15021,", excluded);
    json_t *args = json_pack("[s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s]", "istio-iptables", "-p", "15001", "-z", "15006",
                             "-u", "1337", "-m", "REDIRECT", "-i", inc, "-x", exc, "-b", inb, "-d", d);
    if (!old && (obj_annotation(pod, "traffic.sidecar.istio.io/includeOutboundPorts") || *outq)) {
        json_array_append_new(args, json_string("-q"));
        json_array_append_new(args, json_string(outq));
    }
    if (obj_annotation(pod, "traffic.sidecar.istio.io/excludeOutboundPorts") || *outp) {
        json_array_append_new(args, json_string("-o"));
        json_array_append_new(args, json_string(outp));
    }
    if ((a = obj_annotation(pod, "traffic.sidecar.istio.io/kubevirtInterfaces"))) {
        json_array_append_new(args, json_string("-k"));
        json_array_append_new(args, json_string(a));
    }
    json_array_append_new(args, json_string(old ? "--run-validation=false" : "--log_output_level=default:info"));
    return args;
}

/* An object of n members given as key, value (taken), in order: what
 * json_pack("{s:o,...}") makes, without parsing a format per pod. */
static json_t *object_of(int n, ...)
{
    json_t *o = json_object();
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *key = va_arg(ap, const char *);
        json_object_set_new(o, key, va_arg(ap, json_t *));
    }
    va_end(ap);
    return o;
}

/* Does the pod say how its traffic is captured (traffic.sidecar.istio.io/...)? */
static bool traffic_annotated(json_t *pod)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj_annotations(pod), key, v)
        if (!strncmp(key, "traffic.sidecar.istio.io/", 25)) return true;
    return false;
}

void cluster_inject_parts_for(json_t *parts, const istio_release *rel, json_t *proxy)
{
    json_t *pod = json_object();
    json_object_set_new(parts, "initArgs", init_args(pod, proxy, rel->cert_dir && *rel->cert_dir));
    json_decref(pod);
}

json_t *cluster_proxy_values(store *st)
{
    char *text = store_meta_get(st, "istio_install_spec");
    json_t *spec = text && *text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    json_t *proxy = json_incref(obj_at(spec, "values.global.proxy"));
    json_decref(spec);
    return json_is_object(proxy) ? proxy : (json_decref(proxy), json_object());
}

int cluster_inject(const istio_release *rel, json_t *pod, const char *ns, const char *workload)
{
    return cluster_inject_with(rel, pod, ns, workload, NULL);
}

json_t *cluster_inject_parts(const istio_release *rel)
{
    bool old = rel->cert_dir && *rel->cert_dir;
    return json_pack("{s:o,s:o,s:o,s:o,s:[{s:i,s:s,s:s}],s:{s:{s:s,s:i},s:i,s:i,s:i},"
                     "s:{s:{s:[s]},s:b,s:b,s:b,s:i,s:i},s:{s:{s:s,s:s},s:{s:s,s:s}},s:{s:{s:[s,s],s:[s]},s:b,s:b,s:i,s:i}}",
        "args", load(old ? proxy_args_old : proxy_args_new), "env", load(env_common),
        "volumeMounts", load(old ? mounts_old : mounts_new), "volumes", old ? json_array() : load(volumes_new),
        "ports", "containerPort", 15090, "name", "http-envoy-prom", "protocol", "TCP",
        "readinessProbe", "httpGet", "path", "/healthz/ready", "port", old ? 15020 : 15021,
        "periodSeconds", old ? 2 : 15, "failureThreshold", old ? 30 : 4, "timeoutSeconds", 3,
        "securityContext", "capabilities", "drop", "ALL", "allowPrivilegeEscalation", 0,
        "privileged", 0, "readOnlyRootFilesystem", 1, "runAsUser", 1337, "runAsGroup", 1337,
        "resources", "limits", "cpu", "2", "memory", "1Gi", "requests", "cpu", "10m", "memory", "40Mi",
        "initSecurityContext", "capabilities", "add", "NET_ADMIN", "NET_RAW", "drop", "ALL",
        "privileged", 0, "runAsNonRoot", 0, "runAsUser", 0, "runAsGroup", 0);
}

int cluster_inject_with(const istio_release *rel, json_t *pod, const char *ns, const char *workload, json_t *values)
{
    if (obj_annotation(pod, "sidecar.istio.io/status")) return 1;
    json_t *parts = cluster_inject_parts(rel);
    int rc = cluster_inject_shared(rel, pod, ns, workload, values, parts);
    json_decref(parts);
    return rc;
}

int cluster_inject_shared(const istio_release *rel, json_t *pod, const char *ns, const char *workload, json_t *values,
                          json_t *parts)
{
    (void)ns;
    if (obj_annotation(pod, "sidecar.istio.io/status")) return 1;
    bool old = rel->cert_dir && *rel->cert_dir;
    json_t *spec = json_object_get(pod, "spec");
    if (!json_is_object(spec)) {
        spec = json_object();
        json_object_set_new(pod, "spec", spec);
    }
    json_t *containers = json_object_get(spec, "containers");
    if (!json_is_array(containers)) {
        containers = json_array();
        json_object_set_new(spec, "containers", containers);
    }
    const char *app = json_array_size(containers) ? obj_str_or(json_array_get(containers, 0), "name", "") : "";
    const char *cname = canonical_name(pod, workload);
    const char *sa = obj_str_or(spec, "serviceAccountName", obj_str_or(spec, "serviceAccount", "default"));

    /* what the app container listens on, for the agent */
    json_t *ports = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(containers, i, c) {
        size_t j;
        json_t *p;
        json_array_foreach(json_object_get(c, "ports"), j, p) json_array_append(ports, p);
    }

    /* istio-init's arguments: the same for every pod without capture
     * annotations, when the caller worked them out (cluster_inject_parts_for) */
    json_t *args = json_object_get(parts, "initArgs");
    args = args && !traffic_annotated(pod) ? json_incref(args) : init_args(pod, values, old);
    json_t *init = object_of(5, "name", json_string("istio-init"), "image", json_string(rel->proxy_image),
        "imagePullPolicy", json_string("IfNotPresent"), "args", args,
        "securityContext", json_incref(json_object_get(parts, "initSecurityContext")));

    /* the proxy's arguments name the app (--serviceCluster) */
    json_t *proxy_args = json_array();
    size_t ai;
    json_t *arg;
    json_array_foreach(json_object_get(parts, "args"), ai, arg) {
        if (!strstr(json_string_value(arg) ? json_string_value(arg) : "", "@APP@")) {
            json_array_append(proxy_args, arg);
            continue;
        }
        char *named = text_replace_all(json_string_value(arg), "@APP@", cname);
        json_array_append_new(proxy_args, json_string(named));
        free(named);
    }
    json_t *env = json_array();
    json_array_extend(env, json_object_get(parts, "env"));
    char *ports_text = json_dumps(ports, JSON_COMPACT);
    const char *const env_pod[3][2] = {{"ISTIO_META_POD_PORTS", ports_text}, {"ISTIO_META_APP_CONTAINERS", app},
                                       {"ISTIO_META_WORKLOAD_NAME", workload}};
    for (int e = 0; e < 3; e++)
        json_array_append_new(env, object_of(2, "name", json_string(env_pod[e][0]), "value", json_string(env_pod[e][1])));
    free(ports_text);
    json_t *proxy = object_of(10, "name", json_string("istio-proxy"), "image", json_string(rel->proxy_image),
        "imagePullPolicy", json_string("IfNotPresent"), "args", proxy_args, "env", env,
        "ports", json_incref(json_object_get(parts, "ports")),
        "volumeMounts", json_incref(json_object_get(parts, "volumeMounts")),
        "readinessProbe", json_incref(json_object_get(parts, "readinessProbe")),
        "securityContext", json_incref(json_object_get(parts, "securityContext")),
        "resources", json_incref(json_object_get(parts, "resources")));
    json_decref(ports);
    json_array_append_new(containers, proxy);

    json_t *inits = json_object_get(spec, "initContainers");
    if (!json_is_array(inits)) {
        inits = json_array();
        json_object_set_new(spec, "initContainers", inits);
    }
    json_array_append_new(inits, init);

    json_t *vols = json_object_get(spec, "volumes");
    if (!json_is_array(vols)) {
        vols = json_array();
        json_object_set_new(spec, "volumes", vols);
    }
    if (old) {
        char secret[300];
        snprintf(secret, sizeof secret, "istio.%s", sa);
        json_array_append_new(vols, json_pack("{s:s,s:{s:s}}", "name", "istio-envoy", "emptyDir", "medium", "Memory"));
        json_array_append_new(vols, json_pack("{s:s,s:{s:b,s:s}}", "name", "istio-certs", "secret", "optional", 1,
                                              "secretName", secret));
    } else {
        json_array_extend(vols, json_object_get(parts, "volumes"));
    }

    json_t *ann = obj_annotations_mut(pod);
    json_t *labels = obj_labels_mut(pod);
    if (old) {
        json_object_set_new(ann, "sidecar.istio.io/status",
            json_string("{\"version\":\"e2cb9d4837cda9584fd272bfa1f348525bcaacfadb7e9b9efbd21a3bb44ad7a1\","
                        "\"initContainers\":[\"istio-init\"],\"containers\":[\"istio-proxy\"],"
                        "\"volumes\":[\"istio-envoy\",\"istio-certs\"],\"imagePullSecrets\":null}"));
    } else {
        json_object_set_new(ann, "istio.io/rev", json_string("default"));
        if (*app && !obj_annotation(pod, "kubectl.kubernetes.io/default-container"))
            json_object_set_new(ann, "kubectl.kubernetes.io/default-container", json_string(app));
        if (*app && !obj_annotation(pod, "kubectl.kubernetes.io/default-logs-container"))
            json_object_set_new(ann, "kubectl.kubernetes.io/default-logs-container", json_string(app));
        json_object_set_new(ann, "prometheus.io/path", json_string("/stats/prometheus"));
        json_object_set_new(ann, "prometheus.io/port", json_string("15020"));
        json_object_set_new(ann, "prometheus.io/scrape", json_string("true"));
        json_object_set_new(ann, "sidecar.istio.io/status",
            json_string("{\"initContainers\":[\"istio-init\"],\"containers\":[\"istio-proxy\"],"
                        "\"volumes\":[\"workload-socket\",\"credential-socket\",\"workload-certs\",\"istio-envoy\","
                        "\"istio-data\",\"istio-podinfo\",\"istio-token\",\"istiod-ca-cert\"],"
                        "\"imagePullSecrets\":null,\"revision\":\"default\"}"));
    }
    json_object_set_new(labels, "security.istio.io/tlsMode", json_string("istio"));
    char *cn = strdup(cname), *cr = strdup(canonical_revision(pod));
    json_object_set_new(labels, "service.istio.io/canonical-name", json_string(cn));
    json_object_set_new(labels, "service.istio.io/canonical-revision", json_string(cr));
    free(cn);
    free(cr);
    return 0;
}
