/* What `istioctl install` puts into the cluster for an IstioOperator spec:
 * istiod with its mesh config and injector config, and each enabled
 * gateway as a ServiceAccount, Deployment and Service.  Installing again
 * makes the cluster match the new spec (gateways added and removed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/cluster.h"
#include "cluster/install.h"
#include "model/api.h"
#include "model/obj.h"
#include "model/printer.h"

#define OWNER_LABEL "install.operator.istio.io/owning-resource"
#define COMPONENT_LABEL "operator.istio.io/component"

static const char *const titles[COMP_COUNT] = {"Istio core", "Istiod", "Ingress gateways", "Egress gateways"};
static const char *const component_names[COMP_COUNT] = {"Base", "Pilot", "IngressGateways", "EgressGateways"};

const char *install_component_title(install_component c) { return titles[c]; }

static bool gateway_list_enabled(json_t *list)
{
    size_t i;
    json_t *g;
    json_array_foreach(list, i, g)
        if (json_is_true(json_object_get(g, "enabled"))) return true;
    return false;
}

bool install_component_enabled(json_t *spec, install_component c)
{
    json_t *comps = json_object_get(spec, "components");
    switch (c) {
    case COMP_BASE: return json_is_true(obj_at(comps, "base.enabled"));
    case COMP_PILOT: return json_is_true(obj_at(comps, "pilot.enabled"));
    case COMP_INGRESS: return gateway_list_enabled(json_object_get(comps, "ingressGateways"));
    case COMP_EGRESS: return gateway_list_enabled(json_object_get(comps, "egressGateways"));
    default: return false;
    }
}

static json_t *labels_for(install_component c, json_t *extra)
{
    json_t *l = json_pack("{s:s,s:s,s:s}", OWNER_LABEL, "unknown", COMPONENT_LABEL, component_names[c],
                          "istio.io/rev", "default");
    if (extra) iop_merge(l, extra);
    json_decref(extra);
    return l;
}

static json_t *meta(const char *name, const char *ns, json_t *labels)
{
    json_t *m = json_pack("{s:s,s:o}", "name", name, "labels", labels);
    if (ns) json_object_set_new(m, "namespace", json_string(ns));
    return m;
}

static void add(json_t *out, install_component c, json_t *obj)
{
    json_array_append_new(out, json_pack("[i,o]", (int)c, obj));
}

char *install_mesh_config_yaml(json_t *spec)
{
    json_t *mesh = json_pack("{s:{s:s,s:{},s:{s:{s:s}}},s:{s:[s]},s:b,s:s,s:s}",
        "defaultConfig", "discoveryAddress", "istiod.istio-system.svc:15012", "proxyMetadata",
        "tracing", "zipkin", "address", "zipkin.istio-system:9411",
        "defaultProviders", "metrics", "prometheus", "enablePrometheusMerge", 1,
        "rootNamespace", "istio-system", "trustDomain", "cluster.local");
    json_t *user = json_object_get(spec, "meshConfig");
    if (json_is_object(user)) iop_merge(mesh, user);
    char *text = yaml_dumps(mesh);
    json_decref(mesh);
    return text;
}

static json_t *image(const istio_release *rel, json_t *spec, const char *which)
{
    const char *hub = obj_str_or(spec, "hub", "docker.io/istio");
    const char *tag = obj_str(spec, "tag");
    char buf[512];
    bool release_tag = !tag || !strcmp(tag, rel->tag) || !strcmp(tag, rel->minor);
    if (release_tag && !strcmp(hub, "docker.io/istio"))
        return json_string(!strcmp(which, "pilot") ? rel->pilot_image : rel->proxy_image);
    snprintf(buf, sizeof buf, "%s/%s:%s", hub, which, release_tag ? rel->tag : tag);
    return json_string(buf);
}

static void add_istiod(json_t *out, const istio_release *rel, json_t *spec)
{
    const char *ns = "istio-system";
    json_t *env = json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:{s:{s:s,s:s}}},{s:s,s:{s:{s:s,s:s}}}]",
        "name", "REVISION", "value", "default", "name", "PILOT_CERT_PROVIDER", "value", "istiod",
        "name", "POD_NAME", "valueFrom", "fieldRef", "apiVersion", "v1", "fieldPath", "metadata.name",
        "name", "POD_NAMESPACE", "valueFrom", "fieldRef", "apiVersion", "v1", "fieldPath", "metadata.namespace");
    const char *k;
    json_t *v;
    json_object_foreach(obj_at(spec, "values.pilot.env"), k, v) {
        char *s = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
        json_array_append_new(env, json_pack("{s:s,s:s}", "name", k, "value", s ? s : ""));
        free(s);
    }
    json_t *podlabels = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "app", "istiod", "istio", "pilot",
        "istio.io/rev", "default", "install.operator.istio.io/owning-resource", "unknown",
        "operator.istio.io/component", "Pilot", "sidecar.istio.io/inject", "false");
    add(out, COMP_PILOT, json_pack("{s:s,s:s,s:o}", "apiVersion", "v1", "kind", "ServiceAccount",
        "metadata", meta("istiod", ns, labels_for(COMP_PILOT, json_pack("{s:s,s:s}", "app", "istiod", "release", "istio")))));
    char *mesh = install_mesh_config_yaml(spec);
    add(out, COMP_PILOT, json_pack("{s:s,s:s,s:o,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
        "metadata", meta("istio", ns, labels_for(COMP_PILOT, json_pack("{s:s,s:s}", "istio.io/rev", "default", "release", "istio"))),
        "data", "mesh", mesh, "meshNetworks", "networks: {}"));
    free(mesh);
    json_t *values = json_deep_copy(json_object_get(spec, "values"));
    if (!json_is_object(values)) { json_decref(values); values = json_object(); }
    char *values_text = json_dumps(values, JSON_SORT_KEYS | JSON_INDENT(2));
    json_decref(values);
    add(out, COMP_PILOT, json_pack("{s:s,s:s,s:o,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
        "metadata", meta("istio-sidecar-injector", ns, labels_for(COMP_PILOT, json_pack("{s:s,s:s}", "istio.io/rev", "default", "release", "istio"))),
        "data", "config", "defaultTemplates: [sidecar]\npolicy: enabled\nalwaysInjectSelector: []\nneverInjectSelector: []\n"
                          "injectedAnnotations: {}\ntemplates:\n  sidecar: (the sidecar template of this release)\n",
        "values", values_text ? values_text : "{}"));
    free(values_text);
    add(out, COMP_PILOT, json_pack("{s:s,s:s,s:o,s:{s:i,s:{s:{s:s,s:s}},s:{s:{s:O,s:{s:s,s:s}},"
        "s:{s:s,s:[{s:s,s:o,s:[s,s,s,s,s,s,s,s,s,s],s:[{s:i,s:s},{s:i,s:s},{s:i,s:s}],s:o,"
        "s:{s:{s:s,s:i,s:s},s:i,s:i,s:i}}]}}}}",
        "apiVersion", "apps/v1", "kind", "Deployment",
        "metadata", meta("istiod", ns, labels_for(COMP_PILOT, json_pack("{s:s,s:s}", "app", "istiod", "istio", "pilot"))),
        "spec", "replicas", 1, "selector", "matchLabels", "app", "istiod", "istio", "pilot",
        "template", "metadata", "labels", podlabels, "annotations", "prometheus.io/port", "15014", "prometheus.io/scrape", "true",
        "spec", "serviceAccountName", "istiod", "containers", "name", "discovery", "image", image(rel, spec, "pilot"),
        "args", "discovery", "--monitoringAddr=:15014", "--log_output_level=default:info", "--domain", "cluster.local",
        "--keepaliveMaxServerConnectionAge", "30m", "--caCertTTL", "8760h", "--grpcAddr=:15010",
        "ports", "containerPort", 8080, "protocol", "TCP", "containerPort", 15010, "protocol", "TCP",
        "containerPort", 15017, "protocol", "TCP", "env", env,
        "readinessProbe", "httpGet", "path", "/ready", "port", 8080, "scheme", "HTTP",
        "initialDelaySeconds", 1, "periodSeconds", 3, "timeoutSeconds", 5));
    json_decref(podlabels);
    add(out, COMP_PILOT, json_pack("{s:s,s:s,s:o,s:{s:[{s:s,s:i,s:s},{s:s,s:i,s:s},{s:s,s:i,s:i,s:s},{s:s,s:i,s:s}],s:{s:s,s:s}}}",
        "apiVersion", "v1", "kind", "Service",
        "metadata", meta("istiod", ns, labels_for(COMP_PILOT, json_pack("{s:s,s:s}", "app", "istiod", "istio", "pilot"))),
        "spec", "ports", "name", "grpc-xds", "port", 15010, "protocol", "TCP",
        "name", "https-dns", "port", 15012, "protocol", "TCP",
        "name", "https-webhook", "port", 443, "targetPort", 15017, "protocol", "TCP",
        "name", "http-monitoring", "port", 15014, "protocol", "TCP",
        "selector", "app", "istiod", "istio", "pilot"));
}

static json_t *svc_port(const char *name, int port, int target)
{
    return json_pack("{s:s,s:i,s:s,s:i}", "name", name, "port", port, "protocol", "TCP", "targetPort", target);
}

static void add_gateway(json_t *out, const istio_release *rel, json_t *spec, json_t *gw, bool ingress)
{
    install_component c = ingress ? COMP_INGRESS : COMP_EGRESS;
    const char *name = obj_str_or(gw, "name", ingress ? "istio-ingressgateway" : "istio-egressgateway");
    const char *ns = obj_str_or(gw, "namespace", "istio-system");
    char sa[300];
    snprintf(sa, sizeof sa, "%s-service-account", name);
    json_t *sel = json_pack("{s:s,s:s}", "app", name, "istio", ingress ? "ingressgateway" : "egressgateway");
    json_t *user_labels = json_object_get(gw, "label");
    if (json_is_object(user_labels)) iop_merge(sel, user_labels);
    json_t *podlabels = json_deep_copy(sel);
    json_object_set_new(podlabels, "service.istio.io/canonical-name", json_string(name));
    json_object_set_new(podlabels, "service.istio.io/canonical-revision", json_string("latest"));
    json_object_set_new(podlabels, "sidecar.istio.io/inject", json_string("false"));
    json_object_set_new(podlabels, "istio.io/rev", json_string("default"));
    json_object_set_new(podlabels, OWNER_LABEL, json_string("unknown"));
    json_object_set_new(podlabels, COMPONENT_LABEL, json_string(component_names[c]));

    add(out, c, json_pack("{s:s,s:s,s:o}", "apiVersion", "v1", "kind", "ServiceAccount",
        "metadata", meta(sa, ns, labels_for(c, json_deep_copy(sel)))));

    int http = rel->gw_http_target, https = rel->gw_https_target;
    json_t *ports = json_array(), *cports = json_array();
    if (ingress) json_array_append_new(ports, svc_port("status-port", 15021, 15021));
    json_array_append_new(ports, svc_port("http2", 80, http));
    json_array_append_new(ports, svc_port("https", 443, https));
    if (ingress && !strcmp(obj_str_or(spec, "profile", ""), "demo")) {
        json_array_append_new(ports, svc_port("tcp", 31400, 31400));
        json_array_append_new(ports, svc_port("tls", 15443, 15443));
    }
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p)
        json_array_append_new(cports, json_pack("{s:I,s:s}", "containerPort", json_integer_value(json_object_get(p, "targetPort")),
                                                "protocol", "TCP"));
    json_array_append_new(cports, json_pack("{s:i,s:s,s:s}", "containerPort", 15090, "name", "http-envoy-prom", "protocol", "TCP"));

    json_t *env = json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:{s:{s:s,s:s}}},{s:s,s:{s:{s:s,s:s}}},{s:s,s:{s:{s:s,s:s}}},"
                            "{s:s,s:s},{s:s,s:s}]",
        "name", "PILOT_CERT_PROVIDER", "value", "istiod", "name", "CA_ADDR", "value", "istiod.istio-system.svc:15012",
        "name", "POD_NAME", "valueFrom", "fieldRef", "apiVersion", "v1", "fieldPath", "metadata.name",
        "name", "POD_NAMESPACE", "valueFrom", "fieldRef", "apiVersion", "v1", "fieldPath", "metadata.namespace",
        "name", "INSTANCE_IP", "valueFrom", "fieldRef", "apiVersion", "v1", "fieldPath", "status.podIP",
        "name", "ISTIO_META_WORKLOAD_NAME", "value", name, "name", "ISTIO_META_CLUSTER_ID", "value", "Kubernetes");
    json_t *mounts = json_array(), *vols = json_array();
    if (rel->cert_dir && *rel->cert_dir) {
        char secret[320];
        snprintf(secret, sizeof secret, "istio.%s", sa);
        json_array_append_new(mounts, json_pack("{s:s,s:s,s:b}", "name", "istio-certs", "mountPath", rel->cert_dir, "readOnly", 1));
        json_array_append_new(vols, json_pack("{s:s,s:{s:s,s:b}}", "name", "istio-certs", "secret", "secretName", secret, "optional", 1));
    }
    json_array_append_new(mounts, json_pack("{s:s,s:s}", "name", "istio-envoy", "mountPath", "/etc/istio/proxy"));
    json_array_append_new(vols, json_pack("{s:s,s:{}}", "name", "istio-envoy", "emptyDir"));

    add(out, c, json_pack("{s:s,s:s,s:o,s:{s:i,s:{s:O},s:{s:{s:o,s:{s:s,s:s,s:s}},"
        "s:{s:s,s:[{s:s,s:o,s:[s,s,s,s,s,s,s],s:o,s:o,s:o,s:{s:{s:s,s:i,s:s}}}],s:o}}}}",
        "apiVersion", "apps/v1", "kind", "Deployment",
        "metadata", meta(name, ns, labels_for(c, json_deep_copy(sel))),
        "spec", "replicas", 1, "selector", "matchLabels", sel,
        "template", "metadata", "labels", podlabels, "annotations", "prometheus.io/path", "/stats/prometheus",
        "prometheus.io/port", "15020", "prometheus.io/scrape", "true",
        "spec", "serviceAccountName", sa, "containers", "name", "istio-proxy", "image", image(rel, spec, "proxyv2"),
        "args", "proxy", "router", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning",
        "--proxyComponentLogLevel=misc:error", "--log_output_level=default:info",
        "ports", cports, "env", env, "volumeMounts", mounts,
        "readinessProbe", "httpGet", "path", "/healthz/ready", "port", 15021, "scheme", "HTTP",
        "volumes", vols));
    add(out, c, json_pack("{s:s,s:s,s:o,s:{s:s,s:o,s:o}}", "apiVersion", "v1", "kind", "Service",
        "metadata", meta(name, ns, labels_for(c, json_deep_copy(sel))),
        "spec", "type", ingress ? "LoadBalancer" : "ClusterIP", "selector", json_deep_copy(sel), "ports", ports));
    json_decref(sel);
}

json_t *install_manifest(const istio_release *rel, json_t *spec)
{
    json_t *out = json_array();
    if (install_component_enabled(spec, COMP_BASE))
        add(out, COMP_BASE, json_pack("{s:s,s:s,s:o}", "apiVersion", "v1", "kind", "ServiceAccount",
            "metadata", meta("istio-reader-service-account", "istio-system",
                             labels_for(COMP_BASE, json_pack("{s:s,s:s}", "app", "istio-reader", "release", "istio")))));
    if (install_component_enabled(spec, COMP_PILOT)) add_istiod(out, rel, spec);
    const char *lists[2] = {"ingressGateways", "egressGateways"};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *gw;
        json_array_foreach(obj_at(json_object_get(spec, "components"), lists[l]), i, gw)
            if (json_is_true(json_object_get(gw, "enabled"))) add_gateway(out, rel, spec, gw, l == 0);
    }
    return out;
}

static int ensure_namespace(store *st, const istio_release *rel, const char *name)
{
    if (api_namespace_exists(st, name)) return 0;
    const kind_info *k = kind_lookup("namespaces");
    json_t *ns = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name", name);
    api_error e;
    int rc = cluster_admit(st, rel, k, ns, NULL) || api_create(st, k, ns, &e) != API_OK ? -1 : 0;
    json_decref(ns);
    return rc;
}

static const char *const managed_kinds[] = {"serviceaccounts", "configmaps", "services", "deployments.apps", NULL};

int install_apply(store *st, const istio_release *rel, json_t *spec, char *err, size_t errlen)
{
    json_t *desired = install_manifest(rel, spec);
    int rc = ensure_namespace(st, rel, "istio-system");
    size_t i;
    json_t *pair;
    json_array_foreach(desired, i, pair) {
        if (rc) break;
        json_t *obj = json_array_get(pair, 1);
        const char *ns = obj_namespace(obj);
        if (ensure_namespace(st, rel, ns)) { rc = -1; break; }
        bool ok;
        const kind_info *k = kind_for_object(obj_api_version(obj), obj_kind(obj), &ok);
        json_t *old = api_get(st, k, ns, obj_name(obj));
        json_t *want = json_deep_copy(obj);
        if (old) {
            /* keep what the API server and controllers own */
            json_t *ann = obj_annotations(old);
            if (ann) json_object_set(obj_metadata(want), "annotations", ann);
            if (json_object_get(old, "status")) json_object_set(want, "status", json_object_get(old, "status"));
            json_object_set(obj_metadata(want), "uid", obj_at(old, "metadata.uid"));
            json_object_set(obj_metadata(want), "creationTimestamp", obj_at(old, "metadata.creationTimestamp"));
            json_object_set(obj_metadata(want), "resourceVersion", obj_at(old, "metadata.resourceVersion"));
            if (obj_at(old, "metadata.generation"))
                json_object_set(obj_metadata(want), "generation", obj_at(old, "metadata.generation"));
        }
        api_error e = {0};
        if (cluster_admit(st, rel, k, want, old)) rc = -1;
        else if (!old || !json_equal(want, old)) {
            if ((old ? api_update(st, k, want, &e) : api_create(st, k, want, &e)) != API_OK) {
                snprintf(err, errlen, "%s", e.msg);
                rc = -1;
            }
        }
        json_decref(want);
        json_decref(old);
    }
    /* prune what an earlier install made and this spec no longer has */
    for (const char *const *r = managed_kinds; *r && !rc; r++) {
        const kind_info *k = kind_lookup(*r);
        json_t *all = api_list(st, k, NULL);
        json_t *o;
        json_array_foreach(all, i, o) {
            if (!obj_label(o, OWNER_LABEL)) continue;
            bool keep = false;
            size_t j;
            json_array_foreach(desired, j, pair) {
                json_t *d = json_array_get(pair, 1);
                if (!strcmp(obj_kind(d), k->kind) && !strcmp(obj_name(d), obj_name(o)) &&
                    !strcmp(obj_namespace(d), obj_namespace(o))) keep = true;
            }
            api_error e;
            if (!keep && api_delete(st, k, obj_namespace(o), obj_name(o), &e) != API_OK) rc = -1;
        }
        json_decref(all);
    }
    json_decref(desired);
    if (!rc) {
        char *text = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
        store_meta_set(st, "istio_install_spec", text);
        free(text);
        if (cluster_reconcile(st, rel) < 0) rc = -1;
    }
    if (rc && !*err) snprintf(err, errlen, "%s", store_errmsg(st));
    return rc;
}

int install_purge(store *st, const istio_release *rel, json_t *removed)
{
    int rc = 0;
    for (const char *const *r = managed_kinds; *r; r++) {
        const kind_info *k = kind_lookup(*r);
        json_t *all = api_list(st, k, NULL);
        size_t i;
        json_t *o;
        json_array_foreach(all, i, o) {
            if (!obj_label(o, OWNER_LABEL)) continue;
            api_error e;
            if (api_delete(st, k, obj_namespace(o), obj_name(o), &e) != API_OK) { rc = -1; continue; }
            char buf[600];
            snprintf(buf, sizeof buf, "%s:%s:%s", k->kind, obj_namespace(o), obj_name(o));
            json_array_append_new(removed, json_string(buf));
        }
        json_decref(all);
    }
    store_meta_set(st, "istio_install_spec", "");
    if (cluster_reconcile(st, rel) < 0) rc = -1;
    return rc;
}
