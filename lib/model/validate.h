/* Validation as an API server with Istio's CRDs installed does it: required
 * fields, field types, enum values, unknown fields (strict decoding), names,
 * and the few checks Istio's validating webhook adds (port protocols).
 *
 * The schemas are data (tables in schemas.c-style compound literals inside
 * validate.c), one root per kind of the kinds table. */
#ifndef MESHSIM_VALIDATE_H
#define MESHSIM_VALIDATE_H

#include <jansson.h>
#include <stddef.h>
#include "model/kinds.h"

typedef enum {
    VALID_OK = 0,
    /* decoding failed: msg is "X in version \"v1\" cannot be handled as a X: strict decoding error: ..."
     * or "... json: cannot unmarshal ..."; kubectl prints
     * "Error from server (BadRequest): error when creating \"SRC\": " + msg */
    VALID_BAD_REQUEST,
    /* schema / field validation failed: msg is the whole text kubectl prints,
     * "The X \"name\" is invalid: field: reason" (or the multi-line form) */
    VALID_INVALID,
    /* Istio's validating webhook refused it: msg is "admission webhook ... denied the request: ...";
     * kubectl prints "Error from server: error when creating \"SRC\": " + msg */
    VALID_DENIED,
} valid_status;

/* Check obj (of kind k; the version comes from its apiVersion).  Writes the
 * message described above into msg. */
valid_status validate_object(const kind_info *k, json_t *obj, char *msg, size_t len);

/* Is name a valid DNS-1123 subdomain / label / DNS-1035 label? */
int valid_dns_subdomain(const char *name);
int valid_dns_label(const char *name);
int valid_dns1035_label(const char *name);

#endif
