/* The emulated Istio releases.  Only what a user can observe differs here. */
#include <string.h>
#include "model/release.h"

/* Istio 1.3 - 1.7 default text access-log format (with the Mixer status field,
 * which 1.8 removed); the seed page's gateway log lines are in this format. */
#define FMT_13 "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" " \
    "%RESPONSE_CODE% %RESPONSE_FLAGS% \"%DYNAMIC_METADATA(istio.mixer:status)%\" " \
    "\"%UPSTREAM_TRANSPORT_FAILURE_REASON%\" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% " \
    "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" " \
    "\"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\" %UPSTREAM_CLUSTER% " \
    "%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% " \
    "%REQUESTED_SERVER_NAME% %ROUTE_NAME%\n"

/* Istio 1.23 and later. */
#define FMT_123 "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" " \
    "%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% " \
    "\"%UPSTREAM_TRANSPORT_FAILURE_REASON%\" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% " \
    "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" " \
    "\"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\" %UPSTREAM_CLUSTER_RAW% " \
    "%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% " \
    "%REQUESTED_SERVER_NAME% %ROUTE_NAME%\n"

const istio_release release_table[] = {
    {"1.4.6", "1.4", FMT_13, "", 80, 443, "/etc/certs",
     "docker.io/istio/proxyv2:1.4.6", "docker.io/istio/pilot:1.4.6", "sleep"},
    {"1.24.3", "1.24", FMT_123, ";", 8080, 8443, "",
     "docker.io/istio/proxyv2:1.24.3", "docker.io/istio/pilot:1.24.3", "curl"},
    {0},
};

const istio_release *release_default(void) { return &release_table[0]; }

const istio_release *release_lookup(const char *tag)
{
    if (!tag || !*tag) return release_default();
    for (const istio_release *r = release_table; r->tag; r++)
        if (!strcmp(r->tag, tag) || !strcmp(r->minor, tag)) return r;
    return NULL;
}
