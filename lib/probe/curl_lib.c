/* Loading libcurl on first use.  See curl_lib.h. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include "probe/curl_lib.h"

/* the soname of libcurl's ABI 4, which the headers we build with describe */
#define LIBCURL_SONAME "libcurl.so.4"

static curl_lib lib;
static char failure[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* dlsym gives a void *; a function pointer is assigned through a copy of
 * its bytes, as POSIX allows. */
#define LOOKUP(field, symbol)                                                  \
    do {                                                                       \
        void *f = dlsym(h, symbol);                                            \
        if (!f) { snprintf(failure, sizeof failure, "%s", dlerror()); return; } \
        *(void **)&lib.field = f;                                              \
    } while (0)

static void load(void)
{
    void *h = dlopen(LIBCURL_SONAME, RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        snprintf(failure, sizeof failure, "%s", dlerror());
        return;
    }
    LOOKUP(easy_init, "curl_easy_init");
    LOOKUP(easy_setopt, "curl_easy_setopt");
    LOOKUP(easy_perform, "curl_easy_perform");
    LOOKUP(easy_getinfo, "curl_easy_getinfo");
    LOOKUP(easy_strerror, "curl_easy_strerror");
    LOOKUP(easy_cleanup, "curl_easy_cleanup");
    LOOKUP(free, "curl_free");
    LOOKUP(share_init, "curl_share_init");
    LOOKUP(share_setopt, "curl_share_setopt");
    LOOKUP(share_cleanup, "curl_share_cleanup");
    LOOKUP(slist_append, "curl_slist_append");
    LOOKUP(slist_free_all, "curl_slist_free_all");
    LOOKUP(url, "curl_url");
    LOOKUP(url_set, "curl_url_set");
    LOOKUP(url_get, "curl_url_get");
    LOOKUP(url_cleanup, "curl_url_cleanup");
    LOOKUP(version_info, "curl_version_info");
    /* the handle stays open for the life of the process */
}

const curl_lib *curl_lib_get(char *err, size_t errlen)
{
    pthread_once(&once, load);
    if (failure[0]) {
        snprintf(err, errlen, "%s", failure);
        return NULL;
    }
    return &lib;
}
