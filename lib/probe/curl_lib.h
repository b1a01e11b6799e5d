/* libcurl, loaded when a command first runs curl.
 *
 * Linked in, libcurl brings some 27 other shared libraries (GnuTLS,
 * Kerberos, LDAP, SSH, ...) whose loading and relocation were half of the
 * start-up of every meshsim process (~2.4 ms of ~4.5 ms), though only
 * `kubectl exec ... curl` uses it.  Its functions are looked up once, here. */
#ifndef MESHSIM_PROBE_CURL_LIB_H
#define MESHSIM_PROBE_CURL_LIB_H

#include <curl/curl.h>
#include <stddef.h>

typedef struct curl_lib {
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *h, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *h);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    const char *(*easy_strerror)(CURLcode code);
    void (*easy_cleanup)(CURL *h);
    void (*free)(void *p);
    CURLSH *(*share_init)(void);
    CURLSHcode (*share_setopt)(CURLSH *share, CURLSHoption option, ...);
    CURLSHcode (*share_cleanup)(CURLSH *share);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
    void (*slist_free_all)(struct curl_slist *list);
    CURLU *(*url)(void);
    CURLUcode (*url_set)(CURLU *u, CURLUPart what, const char *part, unsigned int flags);
    CURLUcode (*url_get)(const CURLU *u, CURLUPart what, char **part, unsigned int flags);
    void (*url_cleanup)(CURLU *u);
    curl_version_info_data *(*version_info)(CURLversion stamp);
} curl_lib;

/* libcurl's functions (loaded at the first call, by any thread), or NULL
 * with the reason in err. */
const curl_lib *curl_lib_get(char *err, size_t errlen);

#endif
