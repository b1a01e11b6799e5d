/* IstioOperator specs: merging layers and istioctl's --set paths, checked
 * against the fields the IstioOperator API has. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster/install.h"

void iop_merge(json_t *base, json_t *overlay)
{
    const char *k;
    json_t *v;
    json_object_foreach(overlay, k, v) {
        json_t *b = json_object_get(base, k);
        if (json_is_object(v) && json_is_object(b)) iop_merge(b, v);
        else json_object_set_new(base, k, json_deep_copy(v));
    }
}

/* The fields of the IstioOperator API (istio/api operator/v1alpha1), by the
 * Go type names istioctl's errors print.  Children of values, k8s, label and
 * of some meshConfig fields are free-form. */
typedef struct schema {
    const char *type;          /* "v1alpha1.IstioOperatorSpec" */
    const char *const *fields;
} schema;

static const char *const spec_fields[] = {"profile", "installPackagePath", "hub", "tag", "resourceSuffix",
    "namespace", "revision", "compatibilityVersion", "meshConfig", "components", "values", "unvalidatedValues", NULL};
static const char *const components_fields[] = {"base", "pilot", "cni", "ztunnel", "istiodRemote",
    "ingressGateways", "egressGateways", NULL};
static const char *const component_fields[] = {"enabled", "namespace", "hub", "tag", "spec", "k8s", "name",
    "label", NULL};
static const char *const mesh_fields[] = {"proxyListenPort", "proxyInboundListenPort", "proxyHttpPort",
    "connectTimeout", "protocolDetectionTimeout", "tcpKeepalive", "ingressClass", "ingressService",
    "ingressControllerMode", "ingressSelector", "enableTracing", "accessLogFile", "accessLogFormat",
    "accessLogEncoding", "enableEnvoyAccessLogService", "disableEnvoyListenerLog", "defaultConfig",
    "outboundTrafficPolicy", "inboundTrafficPolicy", "configSources", "enableAutoMtls", "trustDomain",
    "trustDomainAliases", "caCertificates", "defaultServiceExportTo", "defaultVirtualServiceExportTo",
    "defaultDestinationRuleExportTo", "rootNamespace", "localityLbSetting", "dnsRefreshRate", "h2UpgradePolicy",
    "inboundClusterStatName", "outboundClusterStatName", "certificates", "serviceSettings",
    "enablePrometheusMerge", "verifyCertificateAtClient", "ca", "extensionProviders", "defaultProviders",
    "discoverySelectors", "pathNormalization", "defaultHttpRetryPolicy", "meshMTLS", "tlsDefaults", NULL};
static const char *const otp_fields[] = {"mode", "egressProxy", NULL};

static int check(const schema *s, const char *field, char *err, size_t errlen)
{
    for (const char *const *f = s->fields; *f; f++)
        if (!strcmp(*f, field)) return 0;
    snprintf(err, errlen, "unknown field \"%s\" in %s", field, s->type);
    return -1;
}

static const schema spec_schema = {"v1alpha1.IstioOperatorSpec", spec_fields};
static const schema components_schema = {"v1alpha1.IstioComponentSetSpec", components_fields};
static const schema component_schema = {"v1alpha1.ComponentSpec", component_fields};
static const schema gateway_schema = {"v1alpha1.GatewaySpec", component_fields};
static const schema mesh_schema = {"v1alpha1.MeshConfig", mesh_fields};
static const schema otp_schema = {"v1alpha1.MeshConfig.OutboundTrafficPolicy", otp_fields};

static int check_map(json_t *m, const schema *s, char *err, size_t errlen)
{
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v)
        if (check(s, k, err, errlen)) return -1;
    return 0;
}

static int want(json_t *v, bool ok, const char *field, const char *type, char *err, size_t errlen)
{
    if (!v || json_is_null(v) || ok) return 0;
    snprintf(err, errlen, "%s: cannot unmarshal %s into a field of type %s", field,
             json_is_string(v) ? "string" : json_is_boolean(v) ? "bool" : json_is_array(v) ? "array"
             : json_is_object(v) ? "object" : "number", type);
    return -1;
}

/* The shapes the API requires of the fields meshsim reads. */
static int check_types(json_t *spec, char *err, size_t errlen)
{
    const char *maps[] = {"meshConfig", "components", "values", NULL};
    for (const char **m = maps; *m; m++)
        if (want(json_object_get(spec, *m), json_is_object(json_object_get(spec, *m)), *m, "map", err, errlen)) return -1;
    const char *strs[] = {"profile", "hub", "tag", "revision", "namespace", NULL};
    for (const char **m = strs; *m; m++)
        if (want(json_object_get(spec, *m), json_is_string(json_object_get(spec, *m)), *m, "string", err, errlen)) return -1;
    json_t *comps = json_object_get(spec, "components");
    const char *k;
    json_t *v;
    json_object_foreach(comps, k, v) {
        char field[128];
        snprintf(field, sizeof field, "components.%s", k);
        bool list = !strcmp(k, "ingressGateways") || !strcmp(k, "egressGateways");
        if (want(v, list ? json_is_array(v) : json_is_object(v), field, list ? "list" : "map", err, errlen)) return -1;
        size_t i;
        json_t *g;
        json_array_foreach(list ? v : NULL, i, g) {
            snprintf(field, sizeof field, "components.%s[%zu]", k, i);
            if (want(g, json_is_object(g), field, "map", err, errlen)) return -1;
            snprintf(field, sizeof field, "components.%s[%zu].enabled", k, i);
            json_t *en = json_object_get(g, "enabled");
            if (want(en, json_is_boolean(en), field, "bool", err, errlen)) return -1;
            snprintf(field, sizeof field, "components.%s[%zu].name", k, i);
            json_t *nm = json_object_get(g, "name");
            if (want(nm, json_is_string(nm), field, "string", err, errlen)) return -1;
        }
        if (!list && json_is_object(v)) {
            json_t *en = json_object_get(v, "enabled");
            snprintf(field, sizeof field, "components.%s.enabled", k);
            if (want(en, json_is_boolean(en), field, "bool", err, errlen)) return -1;
        }
    }
    return 0;
}

int iop_validate(json_t *spec, char *err, size_t errlen)
{
    if (!json_is_object(spec)) return 0;
    if (check_map(spec, &spec_schema, err, errlen)) return -1;
    if (check_types(spec, err, errlen)) return -1;
    json_t *comps = json_object_get(spec, "components");
    if (json_is_object(comps)) {
        if (check_map(comps, &components_schema, err, errlen)) return -1;
        const char *k;
        json_t *v;
        json_object_foreach(comps, k, v) {
            if (json_is_array(v)) {
                size_t i;
                json_t *g;
                json_array_foreach(v, i, g)
                    if (json_is_object(g) && check_map(g, &gateway_schema, err, errlen)) return -1;
            } else if (json_is_object(v) && check_map(v, &component_schema, err, errlen)) {
                return -1;
            }
        }
    }
    json_t *mesh = json_object_get(spec, "meshConfig");
    if (json_is_object(mesh)) {
        if (check_map(mesh, &mesh_schema, err, errlen)) return -1;
        json_t *otp = json_object_get(mesh, "outboundTrafficPolicy");
        if (json_is_object(otp)) {
            if (check_map(otp, &otp_schema, err, errlen)) return -1;
            const char *mode = json_string_value(json_object_get(otp, "mode"));
            if (json_object_get(otp, "mode") && (!mode || (strcmp(mode, "ALLOW_ANY") && strcmp(mode, "REGISTRY_ONLY")))) {
                snprintf(err, errlen, "unknown value \"%s\" for enum istio.mesh.v1alpha1.MeshConfig_OutboundTrafficPolicy_Mode",
                         mode ? mode : "?");
                return -1;
            }
        }
        const char *enc = json_string_value(json_object_get(mesh, "accessLogEncoding"));
        if (json_object_get(mesh, "accessLogEncoding") && (!enc || (strcmp(enc, "TEXT") && strcmp(enc, "JSON")))) {
            snprintf(err, errlen, "unknown value \"%s\" for enum istio.mesh.v1alpha1.MeshConfig_AccessLogEncoding",
                     enc ? enc : "?");
            return -1;
        }
    }
    return 0;
}

/* istioctl types --set values: booleans, integers, everything else a string. */
static json_t *typed(const char *v)
{
    if (!strcmp(v, "true")) return json_true();
    if (!strcmp(v, "false")) return json_false();
    if (*v && (isdigit((unsigned char)*v) || (*v == '-' && isdigit((unsigned char)v[1])))) {
        char *end;
        long long n = strtoll(v, &end, 10);
        if (!*end) return json_integer(n);
    }
    return json_string(v);
}

int iop_set(json_t *spec, const char *path, const char *value, char *err, size_t errlen)
{
    if (!strncmp(path, "spec.", 5)) path += 5;
    char *copy = strdup(path);
    json_t *cur = spec;
    int rc = 0;
    char *save = NULL;
    char *parts[64];
    int n = 0;
    for (char *tok = strtok_r(copy, ".", &save); tok && n < 64; tok = strtok_r(NULL, ".", &save)) parts[n++] = tok;
    if (n == 0) {
        snprintf(err, errlen, "invalid --set path \"%s\"", path);
        free(copy);
        return -1;
    }
    for (int i = 0; i < n && rc == 0; i++) {
        char *key = parts[i];
        long idx = -1;
        char *br = strchr(key, '[');
        if (br) {
            char *end;
            idx = strtol(br + 1, &end, 10);
            if (end == br + 1 || *end != ']' || end[1] || idx < 0) {
                snprintf(err, errlen, "invalid index in path \"%s\"", path);
                rc = -1;
                break;
            }
            *br = 0;
        }
        bool last = i == n - 1;
        if (!json_is_object(cur)) {
            snprintf(err, errlen, "path %s: %s is not a map, it cannot have a field \"%s\"", path, i ? parts[i - 1] : "spec", key);
            rc = -1;
            break;
        }
        if (idx < 0) {
            if (last) json_object_set_new(cur, key, typed(value));
            else {
                json_t *next = json_object_get(cur, key);
                if (!json_is_object(next)) {
                    next = json_object();
                    json_object_set_new(cur, key, next);
                }
                cur = next;
            }
        } else {
            json_t *arr = json_object_get(cur, key);
            if (!json_is_array(arr)) {
                arr = json_array();
                json_object_set_new(cur, key, arr);
            }
            /* an index may name an element or the one after the last, as in a list being written */
            if ((size_t)idx > json_array_size(arr)) {
                snprintf(err, errlen, "path %s: index %ld is out of range (the list has %zu elements)", path, idx,
                         json_array_size(arr));
                rc = -1;
                break;
            }
            if ((size_t)idx == json_array_size(arr)) json_array_append_new(arr, last ? json_null() : json_object());
            if (last) json_array_set_new(arr, (size_t)idx, typed(value));
            else {
                json_t *el = json_array_get(arr, (size_t)idx);
                if (!json_is_object(el)) {
                    el = json_object();
                    json_array_set_new(arr, (size_t)idx, el);
                }
                cur = el;
            }
        }
    }
    free(copy);
    return rc ? rc : iop_validate(spec, err, errlen);
}
