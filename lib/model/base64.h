/* Base64 as Kubernetes Secrets carry their data (standard alphabet, padded). */
#ifndef MESHSIM_BASE64_H
#define MESHSIM_BASE64_H

#include <stddef.h>

/* malloc'd, NUL-terminated; NULL when out of memory. */
char *base64_encode(const void *data, size_t n);
/* Decode to a malloc'd NUL-terminated buffer (Secret values are text: PEM,
 * tokens); NULL when the input is not base64. */
char *base64_decode_text(const char *in);

#endif
