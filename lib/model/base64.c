/* Base64 through OpenSSL's block codec.  See base64.h. */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "model/base64.h"

char *base64_encode(const void *data, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out) EVP_EncodeBlock((unsigned char *)out, data, (int)n);
    return out;
}

char *base64_decode_text(const char *in)
{
    size_t n = strlen(in);
    unsigned char *out = malloc(n + 4);
    if (!out) return NULL;
    int len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
    if (len < 0) { free(out); return NULL; }
    while (n && in[n - 1] == '=') { n--; len--; }   /* EVP_DecodeBlock counts the padding as data */
    out[len] = 0;
    return (char *)out;
}
