/* Digests of texts.  See digest.h. */
#include <pthread.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include "model/digest.h"

/* fetched once: OpenSSL 3's one-shot SHA256() looks the algorithm up on
 * every call, which was most of its cost on a 200-byte text */
static EVP_MD *sha256;
static pthread_once_t fetched = PTHREAD_ONCE_INIT;
static void fetch(void) { sha256 = EVP_MD_fetch(NULL, "SHA256", NULL); }

void digest_text(const char *s, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[SHA256_DIGEST_LENGTH];
    unsigned int len = 0;
    pthread_once(&fetched, fetch);
    if (!sha256 || !EVP_Digest(s, n, md, &len, sha256, NULL) || len < 16) {
        SHA256((const unsigned char *)s, n, md);   /* the slower path still answers */
    }
    memcpy(out, "sha256:", 7);
    for (int i = 0; i < 16; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[8 + 2 * i] = hex[md[i] & 15];
    }
    out[DIGEST_TEXT_LEN] = 0;
}
