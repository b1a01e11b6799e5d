/* `istioctl install`: IstioOperator specs (profiles, -f files, --set paths)
 * into the objects of Istio's control plane and gateways. */
#ifndef MESHSIM_INSTALL_H
#define MESHSIM_INSTALL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "store/store.h"
#include "model/release.h"

/* Profiles (profiles.c).  The spec of a profile (new reference), NULL when
 * the release has no such profile; the names, alphabetically. */
json_t *install_profile(const istio_release *rel, const char *name);
int install_profile_names(const istio_release *rel, const char **out, int max);

/* IstioOperator specs (iop.c).  Merge overlay into base (maps merge, lists
 * and scalars replace).  Set a --set path ("components.egressGateways[0].enabled",
 * "meshConfig.accessLogFile", optionally "spec."-prefixed) to the value text,
 * typed as istioctl types it.  Check a spec against the IstioOperator schema.
 * Errors are istioctl's text, without "Error: ". */
void iop_merge(json_t *base, json_t *overlay);
int iop_set(json_t *spec, const char *path, const char *value, char *err, size_t errlen);
int iop_validate(json_t *spec, char *err, size_t errlen);
/* The profile a set of -f files and --set flags asks for ("default" when none). */

/* Components (install.c), in istioctl's order, with the names its progress
 * lines use. */
typedef enum { COMP_BASE, COMP_PILOT, COMP_INGRESS, COMP_EGRESS, COMP_COUNT } install_component;
const char *install_component_title(install_component c);   /* "Istio core", "Istiod", ... */
bool install_component_enabled(json_t *spec, install_component c);

/* The objects the spec installs, each with the component it belongs to
 * (array of [component-index, object]); new reference. */
json_t *install_manifest(const istio_release *rel, json_t *spec);
/* Make the store hold exactly what the spec installs (creating, updating
 * and pruning), then run the controllers.  Returns 0 or -1. */
int install_apply(store *st, const istio_release *rel, json_t *spec, char *err, size_t errlen);
/* Remove everything an install created (label install.operator.istio.io/owning-resource);
 * names of what was removed are appended to removed ("Deployment:istio-system:istiod"). */
int install_purge(store *st, const istio_release *rel, json_t *removed);

/* The mesh config text (ConfigMap istio, data.mesh) for a spec's meshConfig. */
char *install_mesh_config_yaml(json_t *spec);

#endif
