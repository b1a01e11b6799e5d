/* istio-init's outbound capture: which of a pod's TCP connections its
 * iptables rules hand to the sidecar.  Injection writes the capture settings
 * into istio-init's istio-iptables arguments (-i/-x include/exclude CIDRs,
 * -o/-q exclude/include ports, from the traffic.sidecar.istio.io annotations
 * or values.global.proxy); the data plane reads them back from the pod, so
 * what `kubectl logs -c istio-init` shows is what the traffic obeys.
 *
 * The ISTIO_OUTPUT chain, in its order: excluded ports RETURN, loopback
 * RETURN, excluded ranges RETURN, included ports REDIRECT, then every
 * address ("*") or the included ranges REDIRECT; anything left goes out
 * directly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mesh/host.h"
#include "model/obj.h"
#include "net/capture.h"

/* The value after flag in istio-init's args, or NULL (flag absent). */
static const char *init_arg(json_t *pod, const char *flag)
{
    size_t i;
    json_t *c;
    json_array_foreach(obj_at(pod, "spec.initContainers"), i, c) {
        if (strcmp(obj_str_or(c, "name", ""), "istio-init")) continue;
        json_t *args = json_object_get(c, "args");
        for (size_t k = 0; k + 1 < json_array_size(args); k++)
            if (json_is_string(json_array_get(args, k)) && !strcmp(json_string_value(json_array_get(args, k)), flag))
                return json_string_value(json_array_get(args, k + 1));
    }
    return NULL;
}

/* Each comma-separated item of list, spaces trimmed, into item; calls
 * match(item, ctx) and returns the first item it accepts (copied to hit). */
static bool list_any(const char *list, bool (*match)(const char *item, const void *ctx), const void *ctx,
                     char *hit, size_t hitlen)
{
    while (list && *list) {
        const char *comma = strchr(list, ',');
        size_t len = comma ? (size_t)(comma - list) : strlen(list);
        char item[128];
        while (len && *list == ' ') { list++; len--; }
        while (len && list[len - 1] == ' ') len--;
        if (len && len < sizeof item) {
            memcpy(item, list, len);
            item[len] = 0;
            if (match(item, ctx)) {
                if (hit) snprintf(hit, hitlen, "%s", item);
                return true;
            }
        }
        list = comma ? comma + 1 : NULL;
    }
    return false;
}

static bool port_is(const char *item, const void *ctx) { return atoi(item) == *(const int *)ctx; }
static bool range_holds(const char *item, const void *ctx) { return ip_in_cidr((const char *)ctx, item); }

bool capture_outbound(json_t *pod, const char *ip, int port, char *why, size_t whylen)
{
    char hit[128], scratch[8];
    if (!why || !whylen) { why = scratch; whylen = sizeof scratch; }
    *why = 0;
    const char *out_ex = init_arg(pod, "-o"), *out_in = init_arg(pod, "-q");
    const char *ranges_ex = init_arg(pod, "-x"), *ranges_in = init_arg(pod, "-i");
    if (list_any(out_ex, port_is, &port, hit, sizeof hit)) {
        snprintf(why, whylen, "istio-init: port %d is excluded from capture (excludeOutboundPorts %s): "
                 "the connection bypasses the sidecar", port, out_ex);
        return false;
    }
    if (!strncmp(ip, "127.", 4)) return false;
    if (list_any(ranges_ex, range_holds, ip, hit, sizeof hit)) {
        snprintf(why, whylen, "istio-init: %s is inside excludeOutboundIPRanges %s: the connection bypasses "
                 "the sidecar", ip, hit);
        return false;
    }
    if (list_any(out_in, port_is, &port, NULL, 0)) return true;
    /* no istio-init (CNI, or a pod injected before the arguments were
     * written): Istio's default, every address */
    if (!ranges_in || !strcmp(ranges_in, "*")) return true;
    if (list_any(ranges_in, range_holds, ip, NULL, 0)) return true;
    snprintf(why, whylen, "istio-init: %s is outside includeOutboundIPRanges %s: the connection bypasses "
             "the sidecar", ip, *ranges_in ? ranges_in : "(none)");
    return false;
}
