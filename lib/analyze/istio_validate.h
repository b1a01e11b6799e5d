/* Istio's own validation of its networking resources (what istiod's
 * validating webhook and `istioctl validate` check beyond the schema):
 * errors, and warnings such as unreachable VirtualService rules.  Shared by
 * the schema analyzer (IST0106, IST0130, IST0131) and `istioctl validate`. */
#ifndef MESHSIM_ISTIO_VALIDATE_H
#define MESHSIM_ISTIO_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum {
    IV_WARN_GENERIC,          /* IST0133 */
    IV_WARN_UNREACHABLE,      /* IST0130: a = rule, b = reason */
    IV_WARN_INEFFECTIVE,      /* IST0131: a = rule, b = match, c = duplicate rule */
} iv_warn_type;

typedef struct iv_warning {
    iv_warn_type type;
    char *a, *b, *c;          /* the message's arguments */
    char *text;               /* the validation text ("virtualService rule #1 not used (...)") */
} iv_warning;

typedef struct iv_result {
    char **errors;
    size_t nerrors;
    iv_warning *warnings;
    size_t nwarnings;
} iv_result;

/* Validate an Istio networking object (Gateway, VirtualService,
 * DestinationRule, ServiceEntry, Sidecar).  ns is the namespace it lives in
 * (validity can depend on it).  Returns false for kinds it does not check. */
bool istio_validate(json_t *obj, const char *ns, iv_result *out);
void iv_result_free(iv_result *r);

#endif
