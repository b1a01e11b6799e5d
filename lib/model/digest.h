/* Digests of texts the store keeps only to compare (kubectl apply's
 * last-applied manifest, see store_get_applied): "sha256:" and the first
 * 128 bits of the text's SHA-256 in hex.  Two different texts share a
 * digest with a chance of 2^-128. */
#ifndef MESHSIM_DIGEST_H
#define MESHSIM_DIGEST_H

#include <stddef.h>

#define DIGEST_TEXT_LEN 39   /* "sha256:" + 32 hex digits */

/* out: DIGEST_TEXT_LEN + 1 bytes.  Any thread. */
void digest_text(const char *s, size_t n, char *out);

#endif
