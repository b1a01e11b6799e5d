/* Istio's installation profiles, as IstioOperator specs.  Every profile is
 * the default profile with its own settings layered on top (which is how
 * istioctl builds them from the files of manifests/profiles). */
#include <string.h>
#include "cluster/install.h"
#include "model/loader.h"

static const char default_profile[] =
    "spec:\n"
    "  hub: docker.io/istio\n"
    "  tag: TAG\n"
    "  meshConfig:\n"
    "    defaultConfig:\n"
    "      proxyMetadata: {}\n"
    "    enablePrometheusMerge: true\n"
    "  components:\n"
    "    base:\n"
    "      enabled: true\n"
    "    pilot:\n"
    "      enabled: true\n"
    "    ingressGateways:\n"
    "    - name: istio-ingressgateway\n"
    "      enabled: true\n"
    "    egressGateways:\n"
    "    - name: istio-egressgateway\n"
    "      enabled: false\n"
    "  values:\n"
    "    defaultRevision: \"\"\n"
    "    global:\n"
    "      istioNamespace: istio-system\n"
    "      configValidation: true\n"
    "    gateways:\n"
    "      istio-ingressgateway: {}\n"
    "      istio-egressgateway: {}\n";

typedef struct profile {
    const char *name;
    const char *overlay;    /* YAML merged over the default profile */
} profile;

static const profile profiles[] = {
    {"ambient", "spec:\n  components:\n    ingressGateways:\n    - name: istio-ingressgateway\n      enabled: false\n"
                "  values:\n    profile: ambient\n"},
    {"default", "spec: {}\n"},
    {"demo", "spec:\n  meshConfig:\n    accessLogFile: /dev/stdout\n  components:\n    egressGateways:\n"
             "    - name: istio-egressgateway\n      enabled: true\n  values:\n    profile: demo\n"
             "    pilot:\n      traceSampling: 100\n"},
    {"empty", "spec:\n  components:\n    base:\n      enabled: false\n    pilot:\n      enabled: false\n"
              "    ingressGateways:\n    - name: istio-ingressgateway\n      enabled: false\n"},
    {"minimal", "spec:\n  components:\n    ingressGateways:\n    - name: istio-ingressgateway\n      enabled: false\n"},
    {"openshift", "spec:\n  values:\n    profile: openshift\n"},
    {"preview", "spec:\n  meshConfig:\n    defaultConfig:\n      proxyMetadata:\n        ISTIO_META_DNS_CAPTURE: \"true\"\n"
                "  values:\n    profile: preview\n"},
    {"remote", "spec:\n  components:\n    ingressGateways:\n    - name: istio-ingressgateway\n      enabled: false\n"
               "  values:\n    profile: remote\n"},
    {"stable", "spec:\n  values:\n    profile: stable\n"},
    {0},
};

/* Profiles of the Istio 1.4 era (before ambient, openshift, preview, stable). */
static const char *const old_names[] = {"default", "demo", "empty", "minimal", "remote", NULL};

static bool listed(const istio_release *rel, const char *name)
{
    if (!(rel->cert_dir && *rel->cert_dir)) return true;
    for (const char *const *n = old_names; *n; n++)
        if (!strcmp(*n, name)) return true;
    return false;
}

int install_profile_names(const istio_release *rel, const char **out, int max)
{
    int n = 0;
    for (const profile *p = profiles; p->name && n < max; p++)
        if (listed(rel, p->name)) out[n++] = p->name;
    return n;
}

static json_t *parse(const char *text)
{
    loaded_docs d = {0};
    char err[256];
    json_t *v = NULL;
    if (!loader_load_buffer(&d, text, strlen(text), "profile", err, sizeof err) && d.n)
        v = json_incref(json_object_get(d.docs[0].obj, "spec"));
    loaded_docs_free(&d);
    return v ? v : json_object();
}

json_t *install_profile(const istio_release *rel, const char *name)
{
    for (const profile *p = profiles; p->name; p++) {
        if (strcmp(p->name, name) || !listed(rel, name)) continue;
        json_t *spec = parse(default_profile);
        json_object_set_new(spec, "tag", json_string(rel->tag));
        json_t *overlay = parse(p->overlay);
        iop_merge(spec, overlay);
        json_decref(overlay);
        if (strcmp(name, "default")) json_object_set_new(spec, "profile", json_string(name));
        return spec;
    }
    return NULL;
}
