/* PeerAuthentication: which mutual-TLS mode a workload accepts. */
#include <string.h>
#include "mesh/internal.h"
#include "model/obj.h"

/* A mode that decides ("UNSET" and absent inherit). */
static const char *decisive(const char *mode)
{
    if (!mode) return NULL;
    if (!strcmp(mode, "STRICT") || !strcmp(mode, "PERMISSIVE") || !strcmp(mode, "DISABLE")) return mode;
    return NULL;
}

static void say(char *why, size_t len, const char *level, json_t *pol, const char *mode)
{
    if (!why || !len) return;
    json_t *md = jget(pol, "metadata");
    snprintf(why, len, "%s PeerAuthentication %s/%s: %s", level, jstr_or(md, "namespace", ""),
             jstr_or(md, "name", ""), mode);
}

/* The first namespace-wide policy (no selector) in ns that decides. */
static json_t *ns_wide(const mesh *m, const char *ns, const char **mode)
{
    size_t n;
    void *const *v = mindex_get(m->peerauth_ns, ns, &n);
    for (size_t i = 0; i < n; i++) {
        json_t *sel = jpath(v[i], "spec", "selector");
        if (json_object_size(jget(sel, "matchLabels"))) continue;
        const char *md = decisive(jstr(jpath(v[i], "spec", "mtls"), "mode"));
        if (md) { *mode = md; return v[i]; }
    }
    return NULL;
}

const char *mesh_peer_authn_mode(const mesh *m, const mesh_workload *w, int port, char *why, size_t whylen)
{
    if (why && whylen) snprintf(why, whylen, "no PeerAuthentication applies: PERMISSIVE");
    if (!m || !w) return "PERMISSIVE";
    json_t *labels = jget(jget(w->pod, "metadata"), "labels");
    size_t n;
    void *const *v = mindex_get(m->peerauth_ns, w->ns, &n);
    char pk[16];
    snprintf(pk, sizeof pk, "%d", port);
    for (size_t i = 0; i < n; i++) {
        json_t *ml = jget(jpath(v[i], "spec", "selector"), "matchLabels");
        if (!json_object_size(ml) || !labels_match_map(labels, ml)) continue;
        const char *md = decisive(jstr(jget(jpath(v[i], "spec", "portLevelMtls"), pk), "mode"));
        if (md) { say(why, whylen, "port-level", v[i], md); return md; }
        md = decisive(jstr(jpath(v[i], "spec", "mtls"), "mode"));
        if (md) { say(why, whylen, "workload", v[i], md); return md; }
    }
    const char *mode;
    json_t *pol = ns_wide(m, w->ns, &mode);
    if (pol) { say(why, whylen, "namespace", pol, mode); return mode; }
    pol = ns_wide(m, m->root_ns, &mode);
    if (pol) { say(why, whylen, "mesh-wide", pol, mode); return mode; }
    return "PERMISSIVE";
}
