/* Validation as an API server with Istio's CRDs installed does it: required
 * fields, field types, enum values, unknown fields (strict decoding), names. */
#ifndef MESHSIM_VALIDATE_H
#define MESHSIM_VALIDATE_H

#include <jansson.h>
#include <stddef.h>
#include "model/kinds.h"

typedef enum {
    VALID_OK = 0,
    VALID_BAD_REQUEST,   /* "Error from server (BadRequest): ... cannot be handled as a X: strict decoding error: ..." */
    VALID_INVALID,       /* "The X \"name\" is invalid: field: reason" */
} valid_status;

/* Check obj (of kind k, version from its apiVersion).  On failure writes the
 * message kubectl shows after its "Error from server (...): error when
 * creating \"SOURCE\": " prefix into msg. */
valid_status validate_object(const kind_info *k, json_t *obj, char *msg, size_t len);

/* Is name a valid DNS-1123 subdomain / label? */
int valid_dns_subdomain(const char *name);
int valid_dns_label(const char *name);

#endif
