/* The API server's three patch formats, as `kubectl patch --type` names them:
 *  - merge: JSON merge patch (RFC 7386);
 *  - json: JSON patch (RFC 6902) with the semantics and messages of the
 *    json-patch library kubectl and the API server use (replace of a missing
 *    object key adds it, copy from a missing key copies null, negative array
 *    indices count from the end);
 *  - strategic: Kubernetes' strategic merge patch for built-in kinds: lists
 *    with a patchMergeKey (containers by name, container ports by
 *    containerPort, Service ports by port, ...) are merged item by item, and
 *    the directives $patch (replace|delete|merge), $retainKeys,
 *    $deleteFromPrimitiveList/<field> and $setElementOrder/<field> are honoured.
 * Errors are kubectl's text without the "error: " prefix. */
#ifndef MESHSIM_PATCH_H
#define MESHSIM_PATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "model/kinds.h"

typedef enum { PATCH_STRATEGIC, PATCH_MERGE, PATCH_JSON } patch_type;

/* "strategic" / "merge" / "json" -> type; -1 when unknown. */
int patch_type_parse(const char *name);

/* Does the API server accept a strategic merge patch for this kind?  (Not
 * for custom resources: Istio's kinds, meshsim's ExternalService.) */
bool patch_strategic_supported(const kind_info *k);

/* Apply patch to doc.  Returns a new object (doc is untouched), or NULL with
 * the message in err. */
json_t *patch_apply(patch_type type, const kind_info *k, json_t *doc, json_t *patch, char *err, size_t errlen);

#endif
