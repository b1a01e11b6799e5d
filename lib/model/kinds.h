/* The table of resource kinds meshsim serves, with kubectl's names for them. */
#ifndef MESHSIM_KINDS_H
#define MESHSIM_KINDS_H

#include <stdbool.h>

typedef struct kind_info {
    const char *kind;        /* "ServiceEntry" */
    const char *group;       /* "networking.istio.io", "" for core */
    const char *version;     /* preferred version: "v1alpha3", "v1" */
    const char *versions;    /* every served version, space separated */
    const char *plural;      /* "serviceentries" */
    const char *singular;    /* "serviceentry" */
    const char *shortnames;  /* "se", space separated, may be "" */
    bool namespaced;
    const char *resource;    /* "serviceentries.networking.istio.io" (plural for core) */
    const char *categories;  /* "all istio-io networking-istio-io" ... */
} kind_info;

/* Every kind, terminated by an entry whose kind is NULL. */
extern const kind_info kinds_table[];

/* Lookup by what a user types: kind, plural, singular, short name, each
 * optionally qualified by group ("se", "serviceentries.networking.istio.io",
 * "deployments.apps", "ServiceEntry").  Case-insensitive.  NULL when unknown. */
const kind_info *kind_lookup(const char *name);
/* Lookup by apiVersion + kind as written in a manifest; NULL when unknown.
 * *version_ok tells whether the version is served. */
const kind_info *kind_for_object(const char *api_version, const char *kind, bool *version_ok);
/* The apiVersion string for a kind's preferred version ("networking.istio.io/v1alpha3", "v1"). */
const char *kind_api_version(const kind_info *k, char *buf, int len);
/* "serviceentry.networking.istio.io" / "pod": what kubectl prints before /name. */
const char *kind_display(const kind_info *k, char *buf, int len);

#endif
